#!/usr/bin/python3
"""python3-caldav (0.11, Debian) scenario against a CalDAV server.

usage: caldav_scenario.py URL USER PASSWORD
   or: CALDAV_URL=... CALDAV_USER=... CALDAV_PASSWORD=... caldav_scenario.py

URL is the DAV context path (for almanac: http://host:port/dav/).

Prints one "STEP <name>: <detail>" line per completed step and "DONE" at
the end; on any failure prints the traceback and exits 1. Run it with the
system interpreter (/usr/bin/python3) so that the Debian package is used.
"""

import sys
import traceback
import uuid
from datetime import datetime, timezone

EVENT = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//almanac//interop python-caldav//EN
BEGIN:VEVENT
UID:{uid}
DTSTAMP:20260102T030405Z
DTSTART:{start}
DTEND:{end}
SUMMARY:{summary}
END:VEVENT
END:VCALENDAR
"""

TODO = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//almanac//interop python-caldav//EN
BEGIN:VTODO
UID:{uid}
DTSTAMP:20260102T030405Z
SUMMARY:{summary}
STATUS:NEEDS-ACTION
END:VTODO
END:VCALENDAR
"""


def step(name, detail=""):
    print("STEP %s: %s" % (name, detail), flush=True)


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def event(uid, summary, start="20260310T090000Z", end="20260310T100000Z"):
    return EVENT.format(uid=uid, summary=summary, start=start, end=end)


def etag_of(obj):
    """ETag from a fresh GET of the object (load() records the header)."""
    from caldav.elements import dav

    obj.load()
    tag = obj.props.get(dav.GetEtag.tag)
    check(tag, "GET %s returned no ETag" % obj.url)
    return tag


def summary_of(obj):
    return str(obj.icalendar_component["SUMMARY"])


def main(argv):
    import os

    import caldav
    from caldav.lib import error

    if len(argv) == 4:
        url, user, password = argv[1:4]
    else:
        url = os.environ["CALDAV_URL"]
        user = os.environ["CALDAV_USER"]
        password = os.environ["CALDAV_PASSWORD"]

    client = caldav.DAVClient(url=url, username=user, password=password)
    step("connect", url)

    principal = client.principal()
    check(principal.url is not None, "no principal URL")
    step("principal", str(principal.url))

    home = principal.calendar_home_set
    step("calendar-home-set", str(home.url))

    cals = principal.calendars()
    step("calendars", " ".join(sorted(str(c.url) for c in cals)))

    cal_id = "pycaldav-" + uuid.uuid4().hex[:8]
    cal = principal.make_calendar(name="Interop Python", cal_id=cal_id)
    check(str(cal.url).rstrip("/").endswith(cal_id), "new calendar URL %s does not end in %s" % (cal.url, cal_id))
    urls = [str(c.url) for c in principal.calendars()]
    check(str(cal.url) in urls, "new calendar %s not listed in %s" % (cal.url, urls))
    name = cal.get_display_name()
    check(name == "Interop Python", "displayname of new calendar is %r" % name)
    step("make_calendar", str(cal.url))

    ev = cal.save_event(event("py-event-1@interop", "Python created"))
    step("save_event", str(ev.url))

    fetched = cal.event_by_url(ev.url)
    fetched.load()
    check(summary_of(fetched) == "Python created", "fetched SUMMARY is %r" % summary_of(fetched))
    by_uid = cal.event_by_uid("py-event-1@interop")
    check(str(by_uid.url) == str(ev.url), "event_by_uid found %s, want %s" % (by_uid.url, ev.url))
    step("fetch", "SUMMARY=%s" % summary_of(fetched))

    etag1 = etag_of(fetched)
    fetched.data = event("py-event-1@interop", "Python updated", "20260311T090000Z", "20260311T100000Z")
    fetched.save()
    etag2 = etag_of(fetched)
    check(etag1 != etag2, "ETag did not change on update: %s" % etag1)
    again = cal.event_by_url(ev.url)
    again.load()
    check(summary_of(again) == "Python updated", "SUMMARY after update is %r" % summary_of(again))
    step("update", "etag %s -> %s" % (etag1, etag2))

    # calendar-query through the library's search(): time ranges and a
    # text match on SUMMARY.
    hit = cal.search(event=True, start=datetime(2026, 3, 11, 8, 0, tzinfo=timezone.utc),
                     end=datetime(2026, 3, 11, 12, 0, tzinfo=timezone.utc))
    check([str(o.url) for o in hit] == [str(ev.url)], "time-range search found %s" % [str(o.url) for o in hit])
    miss = cal.search(event=True, start=datetime(2026, 3, 10, 0, 0, tzinfo=timezone.utc),
                      end=datetime(2026, 3, 11, 0, 0, tzinfo=timezone.utc))
    check(miss == [], "time-range search before the moved event found %s" % [str(o.url) for o in miss])
    # The library sends collation="i;octet": a case-sensitive substring.
    by_text = cal.search(event=True, summary="thon upd")
    check([str(o.url) for o in by_text] == [str(ev.url)], "SUMMARY search found %s" % [str(o.url) for o in by_text])
    wrong_case = cal.search(event=True, summary="python updated")
    check(wrong_case == [], "case-sensitive SUMMARY search ignored case: %s" % [str(o.url) for o in wrong_case])
    check(cal.search(event=True, summary="nowhere") == [], "SUMMARY search for a missing text found something")
    step("search", "time-range and SUMMARY")

    # Pending tasks: the library merges three calendar-queries
    # (is-not-defined COMPLETED, STATUS != COMPLETED, ...).
    todo = cal.save_todo(TODO.format(uid="py-todo-1@interop", summary="Python task"))
    pending = [str(o.url) for o in cal.todos()]
    check(pending == [str(todo.url)], "pending todos %s, want %s" % (pending, todo.url))
    todo.complete(completion_timestamp=datetime(2026, 3, 12, 9, 0, tzinfo=timezone.utc))
    pending = [str(o.url) for o in cal.todos()]
    check(pending == [], "pending todos after complete() %s" % pending)
    everything = [str(o.url) for o in cal.todos(include_completed=True)]
    check(everything == [str(todo.url)], "todos incl. completed %s" % everything)
    todo.delete()
    step("todos", str(todo.url))

    # Sync tokens (RFC 6578): a full listing, then only what changed.
    ev2 = cal.save_event(event("py-event-2@interop", "Second", "20260312T090000Z", "20260312T100000Z"))
    ev3 = cal.save_event(event("py-event-3@interop", "Third", "20260313T090000Z", "20260313T100000Z"))
    full = cal.objects_by_sync_token(load_objects=True)
    token1 = full.sync_token
    got = sorted(str(o.url) for o in full)
    want = sorted(str(o.url) for o in (ev, ev2, ev3))
    check(got == want, "initial sync lists %s, want %s" % (got, want))
    check(token1, "no sync token")
    step("sync-initial", "%d objects, token %s" % (len(got), token1))

    ev2.data = event("py-event-2@interop", "Second changed", "20260312T090000Z", "20260312T100000Z")
    ev2.save()
    ev3.delete()
    delta = cal.objects_by_sync_token(sync_token=token1, load_objects=False)
    token2 = delta.sync_token
    got = sorted(str(o.url) for o in delta)
    want = sorted([str(ev2.url), str(ev3.url)])
    check(got == want, "sync since %s lists %s, want only the change and the deletion %s" % (token1, got, want))
    check(token2 and token2 != token1, "sync token did not advance: %s" % token2)
    changed, deleted = [], []
    for o in delta:
        try:
            o.load()
            changed.append(o)
        except error.NotFoundError:
            deleted.append(str(o.url))
    check([str(o.url) for o in changed] == [str(ev2.url)], "changed objects %s" % [str(o.url) for o in changed])
    check(summary_of(changed[0]) == "Second changed", "changed SUMMARY %r" % summary_of(changed[0]))
    check(deleted == [str(ev3.url)], "deleted objects %s" % deleted)
    step("sync-delta", "changed %s deleted %s token %s" % (ev2.url, ev3.url, token2))

    nothing = cal.objects_by_sync_token(sync_token=token2, load_objects=False)
    check(len(list(nothing)) == 0, "sync with the latest token lists %s" % [str(o.url) for o in nothing])
    step("sync-empty", "token %s" % nothing.sync_token)

    # The high-level helper (SynchronizableCalendarObjectCollection.sync).
    ev4 = cal.save_event(event("py-event-4@interop", "Fourth", "20260314T090000Z", "20260314T100000Z"))
    updated, removed = full.sync()
    check(sorted(str(o.url) for o in updated) == sorted([str(ev2.url), str(ev4.url)]),
          "sync() updated %s" % [str(o.url) for o in updated])
    check([str(o.url) for o in removed] == [str(ev3.url)], "sync() removed %s" % [str(o.url) for o in removed])
    step("sync-helper", "updated %d removed %d" % (len(updated), len(removed)))

    ev.delete()
    try:
        cal.event_by_url(ev.url).load()
        raise AssertionError("event %s still there after delete" % ev.url)
    except error.NotFoundError:
        pass
    left = sorted(str(e.url) for e in cal.events())
    check(left == sorted([str(ev2.url), str(ev4.url)]), "events left %s" % left)
    step("delete-event", str(ev.url))

    cal.delete()
    urls = [str(c.url) for c in principal.calendars()]
    check(str(cal.url) not in urls, "calendar %s still listed after delete: %s" % (cal.url, urls))
    step("delete-calendar", str(cal.url))

    print("DONE", flush=True)


if __name__ == "__main__":
    try:
        main(sys.argv)
    except Exception:
        traceback.print_exc()
        sys.stdout.flush()
        sys.exit(1)
