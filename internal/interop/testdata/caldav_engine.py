#!/usr/bin/python3
"""python3-caldav (0.11, Debian) against a CalDAV server's calendar engine:
time ranges on recurring, all-day and DST-crossing events, server-side
expand and free-busy.

usage: caldav_engine.py URL USER PASSWORD

URL is the DAV context path (for almanac: http://host:port/dav/).

How caldav 0.11 expands: search(..., expand=True) and date_search(start,
end) (whose expand="maybe" becomes True when an end is given) both put
CALDAV:expand into the calendar-data request, and afterwards expand on
the client, with recurring_ical_events, every object whose answer still
has RRULE, RDATE, EXDATE or EXRULE. A library-level check therefore
passes whether or not the server expanded; the expand-raw-report step
sends the REPORT itself and checks the server's calendar-data.

Every step runs, even after one fails. Each prints one line:
"STEP <name>: <detail>" when it passed, "FAIL <name>: <what was expected,
what came back>" when it did not; then "DONE" when all passed, or
"FAILED <n>" and exit status 1. Run it with the system interpreter
(/usr/bin/python3) so that the Debian package is used.

The objects (all in March-April and October 2026):

  weekly    Mondays 09:00-10:00 Europe/Zurich from 2 March, COUNT=8:
            2, 9, 16 (EXDATE), 23 (moved to Tuesday 24 March 15:00), 30
            March (CEST from 29 March: 07:00Z instead of 08:00Z), 6, 13,
            20 April.
  allday    Friday 10 April (DATE), read in UTC (no calendar-timezone).
  dst       Europe/Zurich 24 October 22:00 CEST to 25 October 06:00 CET:
            20:00Z to 05:00Z, nine hours across the end of DST.
  transp    5 March 12:00Z-13:00Z, TRANSP:TRANSPARENT (not busy).
  tentative 6 March 10:00Z-11:00Z, STATUS:TENTATIVE (BUSY-TENTATIVE).
"""

import re
import sys
import traceback
import uuid
from datetime import datetime, timezone
from urllib.parse import unquote, urlsplit
from xml.etree import ElementTree

ZURICH = """BEGIN:VTIMEZONE
TZID:Europe/Zurich
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
"""

HEAD = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//almanac//interop python-caldav engine//EN\n"

OBJECTS = {
    "weekly": HEAD + ZURICH + """BEGIN:VEVENT
UID:py-engine-weekly@interop
DTSTAMP:20260101T000000Z
DTSTART;TZID=Europe/Zurich:20260302T090000
DTEND;TZID=Europe/Zurich:20260302T100000
RRULE:FREQ=WEEKLY;COUNT=8
EXDATE;TZID=Europe/Zurich:20260316T090000
SUMMARY:Weekly
END:VEVENT
BEGIN:VEVENT
UID:py-engine-weekly@interop
DTSTAMP:20260101T000000Z
RECURRENCE-ID;TZID=Europe/Zurich:20260323T090000
DTSTART;TZID=Europe/Zurich:20260324T150000
DTEND;TZID=Europe/Zurich:20260324T160000
SUMMARY:Weekly (moved)
END:VEVENT
END:VCALENDAR
""",
    "allday": HEAD + """BEGIN:VEVENT
UID:py-engine-allday@interop
DTSTAMP:20260101T000000Z
DTSTART;VALUE=DATE:20260410
DTEND;VALUE=DATE:20260411
SUMMARY:All day
TRANSP:TRANSPARENT
END:VEVENT
END:VCALENDAR
""",
    "dst": HEAD + ZURICH + """BEGIN:VEVENT
UID:py-engine-dst@interop
DTSTAMP:20260101T000000Z
DTSTART;TZID=Europe/Zurich:20261024T220000
DTEND;TZID=Europe/Zurich:20261025T060000
SUMMARY:Night shift across the end of DST
END:VEVENT
END:VCALENDAR
""",
    "transp": HEAD + """BEGIN:VEVENT
UID:py-engine-transp@interop
DTSTAMP:20260101T000000Z
DTSTART:20260305T120000Z
DTEND:20260305T130000Z
TRANSP:TRANSPARENT
SUMMARY:Free time
END:VEVENT
END:VCALENDAR
""",
    "tentative": HEAD + """BEGIN:VEVENT
UID:py-engine-tentative@interop
DTSTAMP:20260101T000000Z
DTSTART:20260306T100000Z
DTEND:20260306T110000Z
STATUS:TENTATIVE
SUMMARY:Maybe
END:VEVENT
END:VCALENDAR
""",
}

# (name, start, end, objects the time-range search must find)
SEARCHES = [
    ("week-with-instance", "20260309T000000Z", "20260316T000000Z", ["weekly"]),
    ("excluded-week", "20260316T000000Z", "20260323T000000Z", []),
    ("moved-away-day", "20260323T000000Z", "20260324T000000Z", []),
    ("moved-to-day", "20260324T000000Z", "20260325T000000Z", ["weekly"]),
    ("first-instance-at-range-start", "20260302T080000Z", "20260302T083000Z", ["weekly"]),
    ("instance-after-dst", "20260330T063000Z", "20260330T073000Z", ["weekly"]),
    ("no-instance-at-winter-time", "20260330T080000Z", "20260330T083000Z", []),
    ("last-instance", "20260420T000000Z", "20260427T000000Z", ["weekly"]),
    ("after-count", "20260427T000000Z", "20260601T000000Z", []),
    ("allday-midday", "20260410T120000Z", "20260410T130000Z", ["allday"]),
    ("allday-next-day", "20260411T000000Z", "20260412T000000Z", []),
    ("allday-day-before", "20260409T000000Z", "20260410T000000Z", []),
    ("dst-start", "20261024T200000Z", "20261024T203000Z", ["dst"]),
    ("dst-before-start", "20261024T190000Z", "20261024T200000Z", []),
    ("dst-last-winter-hour", "20261025T043000Z", "20261025T044500Z", ["dst"]),
    ("dst-after-end", "20261025T050000Z", "20261025T060000Z", []),
]

EXPAND_FROM, EXPAND_TO = "20260301T000000Z", "20260401T000000Z"

# RECURRENCE-ID and DTSTART/DTEND of the weekly event's instances in
# March, in UTC (RFC 4791 9.6.5).
EXPAND_WANT = [
    ("20260302T080000Z", "20260302T080000Z", "20260302T090000Z"),
    ("20260309T080000Z", "20260309T080000Z", "20260309T090000Z"),
    ("20260323T080000Z", "20260324T140000Z", "20260324T150000Z"),
    ("20260330T070000Z", "20260330T070000Z", "20260330T080000Z"),
]

# Busy time in March (RFC 4791 7.10): the weekly instances, the tentative
# event; not the transparent one.
FREEBUSY_WANT = sorted([
    ("BUSY", "20260302T080000Z", "20260302T090000Z"),
    ("BUSY", "20260309T080000Z", "20260309T090000Z"),
    ("BUSY", "20260324T140000Z", "20260324T150000Z"),
    ("BUSY", "20260330T070000Z", "20260330T080000Z"),
    ("BUSY-TENTATIVE", "20260306T100000Z", "20260306T110000Z"),
])

CALDAV_NS = "urn:ietf:params:xml:ns:caldav"
DAV_NS = "DAV:"

failures = []


def utc(s):
    return datetime.strptime(s, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)


def fmt(dt):
    return dt.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def run_step(name, fn):
    try:
        detail = fn()
    except Exception as e:
        failures.append(name)
        msg = "%s: %s" % (type(e).__name__, e)
        if not isinstance(e, AssertionError):
            msg += "\n" + traceback.format_exc()
        print("FAIL %s: %s" % (name, msg), flush=True)
        return
    print("STEP %s: %s" % (name, detail or "ok"), flush=True)


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def unfold(text):
    return re.sub(r"\r?\n[ \t]", "", text).replace("\r\n", "\n")


def parse_period(value):
    start, _, end = value.partition("/")
    s = utc(start)
    if end.startswith("P") or end.startswith("+P"):
        m = re.fullmatch(r"\+?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?", end)
        check(m is not None, "unparsable PERIOD duration %r" % end)
        w, d, h, mi, sec = (int(x or 0) for x in m.groups())
        from datetime import timedelta
        e = s + timedelta(weeks=w, days=d, hours=h, minutes=mi, seconds=sec)
    else:
        e = utc(end)
    return fmt(s), fmt(e)


def main(argv):
    import caldav

    url, user, password = argv[1:4]
    client = caldav.DAVClient(url=url, username=user, password=password)
    principal = client.principal()
    cal_id = "pycaldav-engine-" + uuid.uuid4().hex[:8]
    cal = principal.make_calendar(name="Interop engine", cal_id=cal_id)
    print("STEP make_calendar: %s" % cal.url, flush=True)

    saved = {}

    def save_all():
        for name, data in OBJECTS.items():
            saved[name] = str(cal.save_event(data).url)
        return " ".join("%s=%s" % (n, saved[n]) for n in sorted(saved))

    run_step("save", save_all)
    if "save" in failures:
        return

    for name, start, end, want in SEARCHES:
        def search(start=start, end=end, want=want):
            found = cal.search(event=True, start=utc(start), end=utc(end))
            got = sorted(str(o.url) for o in found)
            exp = sorted(saved[w] for w in want)
            check(got == exp, "time-range [%s, %s): expected %s, got %s" % (
                start, end, [w for w in want], [n for n in saved if saved[n] in got] or got))
            return "[%s, %s) -> %s" % (start, end, want)
        run_step("search-" + name, search)

    def raw_expand():
        # A REPORT by hand: caldav 0.11 expands on the client when the
        # server did not, which would hide what the server sent.
        query = """<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/><C:calendar-data><C:expand start="%s" end="%s"/></C:calendar-data></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:time-range start="%s" end="%s"/>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>""" % (EXPAND_FROM, EXPAND_TO, EXPAND_FROM, EXPAND_TO)
        resp = client.report(str(cal.url), query, 1)
        check(resp.status == 207, "REPORT with C:expand: status %s, want 207; body:\n%s" % (resp.status, resp.raw))
        raw = resp.raw.encode() if isinstance(resp.raw, str) else resp.raw
        tree = ElementTree.fromstring(raw)
        datas = {}
        for r in tree.iter("{%s}response" % DAV_NS):
            href = r.find("{%s}href" % DAV_NS).text
            for cd in r.iter("{%s}calendar-data" % CALDAV_NS):
                datas[unquote(urlsplit(str(cal.url.join(href))).path)] = unfold(cd.text or "")
        path = {n: unquote(urlsplit(u).path) for n, u in saved.items()}
        names = sorted(n for n in saved if path[n] in datas)
        check(names == ["tentative", "transp", "weekly"], "REPORT with C:expand answered for %s, want tentative, transp and weekly" % names)
        text = datas[path["weekly"]]
        for bad in ("RRULE", "RDATE", "EXDATE", "BEGIN:VTIMEZONE", "TZID="):
            check(bad not in text, "expanded calendar-data still has %s (RFC 4791 9.6.5):\n%s" % (bad, text))
        got = []
        for block in re.findall(r"BEGIN:VEVENT\n(.*?)END:VEVENT", text, re.S):
            props = {}
            for line in block.split("\n"):
                name, _, value = line.partition(":")
                props[name.split(";")[0].upper()] = value.strip()
            got.append((props.get("RECURRENCE-ID"), props.get("DTSTART"), props.get("DTEND")))
        got.sort(key=lambda x: tuple(v or "" for v in x))
        check(got == EXPAND_WANT, "expanded instances (RECURRENCE-ID, DTSTART, DTEND):\n expected %s\n got      %s\ncalendar-data:\n%s" % (EXPAND_WANT, got, text))
        return "%d instances with RECURRENCE-ID in UTC, no RRULE/EXDATE/VTIMEZONE" % len(got)

    run_step("expand-raw-report", raw_expand)

    def library_expand():
        # caldav 0.11's search(expand=True) sends CALDAV:expand and only
        # expands on the client (with recurring_ical_events) when the
        # answer still has RRULE/RDATE/EXDATE; split_expanded gives one
        # object per instance.
        objs = cal.search(event=True, start=utc(EXPAND_FROM), end=utc(EXPAND_TO), expand=True)
        weekly = [o for o in objs if str(o.url) == saved["weekly"]]
        starts = sorted(fmt(o.icalendar_component["DTSTART"].dt) for o in weekly)
        exp = sorted(s for _, s, _ in EXPAND_WANT)
        check(starts == exp, "search(expand=True) weekly instances: expected %s, got %s" % (exp, starts))
        others = sorted(n for n in saved if n != "weekly" and any(str(o.url) == saved[n] for o in objs))
        check(others == ["tentative", "transp"], "search(expand=True) found %s besides the weekly event, want tentative and transp" % others)
        return "%d objects" % len(objs)

    run_step("expand-library", library_expand)

    def date_search_expand():
        # date_search (deprecated in 0.11) turns expand="maybe" into True
        # when an end is given and calls search(split_expanded=False): one
        # object per resource, holding every instance.
        objs = cal.date_search(utc(EXPAND_FROM), utc(EXPAND_TO))
        weekly = [o for o in objs if str(o.url) == saved["weekly"]]
        check(len(weekly) == 1, "date_search found the weekly event %d times" % len(weekly))
        comps = [c for c in weekly[0].icalendar_instance.walk("VEVENT")]
        got = sorted((fmt(c["RECURRENCE-ID"].dt) if "RECURRENCE-ID" in c else None, fmt(c["DTSTART"].dt), fmt(c["DTEND"].dt)) for c in comps)
        check(got == EXPAND_WANT, "date_search instances:\n expected %s\n got      %s" % (EXPAND_WANT, got))
        check(all("RRULE" not in c for c in comps), "date_search instance with RRULE")
        return "%d objects, weekly with %d instances" % (len(objs), len(comps))

    run_step("date-search-expand", date_search_expand)

    def freebusy():
        fb = cal.freebusy_request(utc(EXPAND_FROM), utc(EXPAND_TO))
        text = unfold(fb.data if isinstance(fb.data, str) else fb.data.decode())
        check("BEGIN:VFREEBUSY" in text, "free-busy-query answer has no VFREEBUSY:\n%s" % text)
        got = []
        for line in text.split("\n"):
            m = re.match(r"FREEBUSY((?:;[^:]*)?):(.*)", line)
            if not m:
                continue
            fbtype = "BUSY"
            for param in m.group(1).split(";")[1:]:
                k, _, v = param.partition("=")
                if k.upper() == "FBTYPE":
                    fbtype = v.upper()
            for period in m.group(2).strip().split(","):
                got.append((fbtype,) + parse_period(period))
        got.sort()
        check(got == FREEBUSY_WANT, "FREEBUSY periods in March:\n expected %s\n got      %s\nanswer:\n%s" % (FREEBUSY_WANT, got, text))
        return "%d busy periods" % len(got)

    run_step("freebusy", freebusy)

    cal.delete()
    print("STEP delete-calendar: %s" % cal.url, flush=True)


if __name__ == "__main__":
    try:
        main(sys.argv)
    except Exception:
        traceback.print_exc()
        print("FAILED setup", flush=True)
        sys.exit(1)
    if failures:
        print("FAILED %d" % len(failures), flush=True)
        sys.exit(1)
    print("DONE", flush=True)
