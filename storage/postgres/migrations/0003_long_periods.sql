-- Schema version 3: Between finds the periods overlapping a range without
-- reading every period that starts before it. A period of at most a week
-- that overlaps [from, to) starts at or after from minus a week, a range
-- of the (collection, period_start) index; the rare longer ones (a
-- vacation of a month, an event of a year) are in this partial index,
-- read whole (timeline.go, Between).
CREATE INDEX timeline_periods_long ON timeline_periods (collection, period_start)
	WHERE period_end - period_start > interval '7 days';
