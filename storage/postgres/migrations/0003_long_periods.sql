-- Schema version 3: Between finds the periods that overlap a range, and
-- the members whose timelines cannot tell, without reading a whole
-- calendar (timeline.go, Between).
--
-- A period of at most a week that overlaps [from, to) starts at or after
-- from minus a week: a range of the (collection, period_start) index.
-- The rare longer ones (a vacation of a month, an event of a year) are in
-- this partial index, read whole.
CREATE INDEX timeline_periods_long ON timeline_periods (collection, period_start)
	WHERE period_end - period_start > interval '7 days';

-- The members whose timelines do not answer for every range (unknown, or
-- bounded by From or Until): Between reads them for every query, and
-- they are few; without this it read every member of the calendar.
CREATE INDEX objects_loose ON objects (collection)
	WHERE NOT tl_known OR tl_from IS NOT NULL OR tl_until IS NOT NULL;
