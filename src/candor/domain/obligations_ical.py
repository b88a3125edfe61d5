"""The obligations calendar as iCalendar (RFC 5545), for calendar clients to subscribe to.

Each dated duty is one event. Its UID is stable for the (developer, regime, obligation, model, occurrence), so a
client that fetches the feed again updates the event (a new state, a corrected date) rather than adding a second
one. A day deadline is an all-day event on its last day; an hour deadline is a timed event at the instant it
ends, in the law's time zone, with that zone's VTIMEZONE. Undated rules (standing duties, incident clocks with no
incident on file) are not events: a calendar holds dates, and the page and the JSON list the rules.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from icalendar import Calendar, Event

from candor.domain.obligations import CalendarEntry, ObligationsCalendar

PRODID = "-//Candor//Obligations calendar//EN"


def calendar_ics(calendar: ObligationsCalendar, *, stamp: datetime, url: str | None = None) -> bytes:
    """The dated entries of ``calendar`` as an iCalendar file; ``stamp`` is the DTSTAMP of every event (when the
    feed was made), and ``url`` the page that explains it."""
    feed = Calendar()
    feed.add("prodid", PRODID)
    feed.add("version", "2.0")
    feed.add("calscale", "GREGORIAN")
    feed.add("method", "PUBLISH")
    feed.add("x-wr-calname", f"{calendar.legal_name}: obligations")
    for entry in calendar.entries:
        if entry.due_date is not None:
            feed.add_component(_event(entry, stamp, url))
    # One VTIMEZONE for each zone a timed event names, so clients need not guess what TZID means.
    feed.add_missing_timezones()
    ical: bytes = feed.to_ical()
    return ical


def _event(entry: CalendarEntry, stamp: datetime, url: str | None) -> Event:
    event = Event()
    event.add("uid", entry.uid)
    event.add("dtstamp", stamp)
    model = f" ({entry.model})" if entry.model else ""
    event.add("summary", f"{entry.state.upper()}: {entry.regime} {entry.obligation}{model}")
    if entry.due_at is not None:
        event.add("dtstart", entry.due_at)
        event.add("dtend", entry.due_at)
    else:
        assert entry.due_date is not None  # only dated entries become events
        event.add("dtstart", entry.due_date)
        event.add("dtend", entry.due_date + timedelta(days=1))
        event.add("transp", "TRANSPARENT")
    lines = [
        entry.description,
        f"Due: {entry.due}. Rule: {entry.rule}.",
        f"Trigger: {entry.trigger_event}.",
    ]
    if entry.recurrence:
        lines.append(f"Recurs {entry.recurrence}; this is occurrence {entry.occurrence}.")
    if entry.met_by is not None:
        late = " (late)" if entry.met_by.late else ""
        lines.append(f"Met by {entry.met_by.kind} {entry.met_by.version} ({entry.met_by.where}){late}.")
    if entry.missing_fact:
        lines.append(f"Unknown: missing {entry.missing_fact}.")
    lines.append(f"Source: {entry.source} {entry.url}")
    event.add("description", "\n".join(lines))
    event.add("categories", [entry.state, entry.regime])
    if url:
        event.add("url", url)
    return event
