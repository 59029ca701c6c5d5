#!/usr/bin/python3
"""Recurrence oracle for internal/ical's property test (property_test.go).

usage: oracle.py DIR

DIR/cases.json is a list of {"id": ..., "file": ..., "from": ..., "to": ...}
where file is an .ics file in DIR and from/to are UTC date-times
(YYYYMMDDTHHMMSSZ) of the window. For each case this prints, as one JSON
document on stdout, the instances python3-recurring-ical-events (Debian,
2.0.1, on python3-icalendar 4.0.3) finds in the window:

  {"versions": {...},
   "results": [{"id": ..., "all": [[start, end, status], ...],
                "master": [...]} or {"id": ..., "error": "..."}]}

"all" is the expansion of the whole object, "master" that of the object
with every RECURRENCE-ID component removed (so that an override cannot
hide a wrong instance of the master set). start and end are UTC
(YYYYMMDDTHHMMSSZ): aware values converted, floating and DATE values read
as UTC. status is the instance's STATUS (upper case, "" when absent).
Sorted by start, then end.

Run it with the system interpreter and TZ=UTC: /usr/bin/python3 -s -E.
The library compares naive values through datetime.timestamp(), which
uses the process's local zone.
"""

import datetime
import json
import os
import sys
import traceback

import icalendar
import pytz
import recurring_ical_events

UTC = pytz.utc


def parse_utc(s):
    return UTC.localize(datetime.datetime.strptime(s, "%Y%m%dT%H%M%SZ"))


def to_utc(v):
    if isinstance(v, datetime.datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=UTC)
        else:
            v = v.astimezone(UTC)
    elif isinstance(v, datetime.date):
        v = datetime.datetime(v.year, v.month, v.day, tzinfo=UTC)
    else:
        raise TypeError("not a date: %r" % (v,))
    return v.strftime("%Y%m%dT%H%M%SZ")


def expand(cal, start, end):
    out = []
    for ev in recurring_ical_events.of(cal).between(start, end):
        s = to_utc(ev["DTSTART"].dt)
        e = to_utc(ev["DTEND"].dt) if "DTEND" in ev else s
        status = str(ev.get("STATUS", "")).upper()
        out.append([s, e, status])
    out.sort()
    return out


def main(argv):
    d = argv[1]
    with open(os.path.join(d, "cases.json")) as f:
        cases = json.load(f)
    results = []
    for case in cases:
        res = {"id": case["id"]}
        try:
            with open(os.path.join(d, case["file"]), "rb") as f:
                data = f.read()
            start, end = parse_utc(case["from"]), parse_utc(case["to"])
            cal = icalendar.Calendar.from_ical(data)
            res["all"] = expand(cal, start, end)
            master = icalendar.Calendar.from_ical(data)
            master.subcomponents = [c for c in master.subcomponents
                                    if not (c.name == "VEVENT" and "RECURRENCE-ID" in c)]
            res["master"] = expand(master, start, end)
        except Exception as e:  # one broken case must not hide the others
            res["error"] = "%s: %s\n%s" % (type(e).__name__, e, traceback.format_exc())
        results.append(res)
    json.dump({
        "versions": {
            "recurring_ical_events": getattr(recurring_ical_events, "__version__", "2.0.1?"),
            "icalendar": icalendar.__version__,
            "pytz": pytz.__version__,
        },
        "results": results,
    }, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv)
