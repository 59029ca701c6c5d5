#!/usr/bin/python3
"""python3-caldav (0.11, Debian): a stored sync token outlives the server's
change history.

usage: caldav_prune.py start  CALENDAR_URL USER PASSWORD STATE_FILE
       caldav_prune.py resume CALENDAR_URL USER PASSWORD STATE_FILE

start saves three events, syncs the calendar and writes the sync token to
STATE_FILE, as an application keeps it between runs. Meanwhile the test
changes the calendar and prunes the server's change log. resume then asks
for the changes since that token the way the library offers
(objects_by_sync_token). python-caldav 0.11 does not fall back by itself:
the server's 403 valid-sync-token raises caldav.lib.error.AuthorizationError
(reason "Forbidden"), so the application starts over without a token (a
full sync), and the new token carries on incrementally.

Prints one "STEP <name>: <detail>" line per completed step and "DONE" at
the end; on any failure prints the traceback and exits 1.
"""

import json
import sys
import traceback

EVENT = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//almanac//interop python-caldav prune//EN
BEGIN:VEVENT
UID:{uid}
DTSTAMP:20260102T030405Z
DTSTART:20260320T090000Z
DTEND:20260320T100000Z
SUMMARY:{summary}
END:VEVENT
END:VCALENDAR
"""


def step(name, detail=""):
    print("STEP %s: %s" % (name, detail), flush=True)


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def listing(full):
    """UID=SUMMARY pairs of a loaded full sync, sorted."""
    out = []
    for obj in full:
        comp = obj.icalendar_component
        out.append("%s=%s" % (comp["UID"], comp["SUMMARY"]))
    return " ".join(sorted(out))


def start(cal, state_file):
    for n in ("1", "2", "3"):
        cal.save_event(EVENT.format(uid="prune-%s@interop" % n, summary="event " + n))
    full = cal.objects_by_sync_token(load_objects=True)
    check(full.sync_token, "no sync token")
    step("sync-initial", listing(full))
    with open(state_file, "w") as f:
        json.dump({"token": full.sync_token}, f)
    step("saved", full.sync_token)


def resume(cal, state_file):
    from caldav.lib import error

    with open(state_file) as f:
        token = json.load(f)["token"]
    try:
        delta = cal.objects_by_sync_token(sync_token=token, load_objects=True)
        raise AssertionError("sync from the pruned token %s listed %s" % (token, [str(o.url) for o in delta]))
    except error.DAVError as e:
        # 0.11 raises AuthorizationError for every 403 and drops the body
        # naming DAV:valid-sync-token, so an application cannot tell an
        # expired token from a refusal: it starts over on any error.
        step("sync-expired", "%s: %s" % (type(e).__name__, getattr(e, "reason", e)))

    full = cal.objects_by_sync_token(load_objects=True)
    check(full.sync_token and full.sync_token != token, "full sync token %r" % full.sync_token)
    step("resync", listing(full))

    cal.save_event(EVENT.format(uid="prune-5@interop", summary="event 5"))
    delta = cal.objects_by_sync_token(sync_token=full.sync_token, load_objects=True)
    step("sync-after", listing(delta))


def main(argv):
    import caldav

    phase, url, user, password, state_file = argv[1:6]
    client = caldav.DAVClient(url=url, username=user, password=password)
    cal = client.calendar(url=url)
    {"start": start, "resume": resume}[phase](cal, state_file)
    print("DONE", flush=True)


if __name__ == "__main__":
    try:
        main(sys.argv)
    except Exception:
        traceback.print_exc()
        sys.stdout.flush()
        sys.exit(1)
