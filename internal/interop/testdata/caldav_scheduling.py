"""python3-caldav's scheduling calls against almanac: the organizer saves
an event with invites, the attendee reads their scheduling inbox and
accepts, and the organizer's copy shows the answer.

usage: caldav_scheduling.py URL ORGANIZER ATTENDEE PASSWORD
"""
import sys

import caldav

url, organizer, attendee, password = sys.argv[1:5]

alice = caldav.DAVClient(url, username=organizer, password=password)
pa = alice.principal()
print("STEP addresses:", " ".join(pa.calendar_user_address_set()))
cal = pa.calendars()[0]
cal.save_with_invites(
    """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//interop//EN
BEGIN:VEVENT
UID:pysched-1
DTSTAMP:20260301T000000Z
DTSTART:20260310T090000Z
DTEND:20260310T100000Z
SUMMARY:Planning
END:VEVENT
END:VCALENDAR
""",
    attendees=["mailto:" + attendee],
    schedule_agent="SERVER",
)
print("STEP save_with_invites: ok")

bob = caldav.DAVClient(url, username=attendee, password=password)
pb = bob.principal()
inbox = pb.schedule_inbox()
items = list(inbox.get_items())
print("STEP inbox:", len(items))
invite = [i for i in items if i.is_invite_request()][0]
print("STEP invite:", invite.icalendar_component["summary"])
invite.accept_invite(calendar=pb.calendars()[0])
print("STEP accept_invite: ok")

event = cal.event_by_uid("pysched-1")
attendees = event.icalendar_component.get("attendee", [])
for a in attendees if isinstance(attendees, list) else [attendees]:
    if str(a).lower() == "mailto:" + attendee.lower():
        print("STEP organizer-sees:", a.params.get("PARTSTAT"))
print("DONE")
