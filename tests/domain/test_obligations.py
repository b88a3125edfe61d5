"""The obligations calendar against the shipped regimes: states from published statements, the attacks a
calendar must not fall for (a withdrawn card, another model's card, an ongoing duty called overdue), incident
clocks in the law's zone, and the iCalendar feed read back with the icalendar library."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from candor.domain.coverage import report_coverage
from candor.domain.facts import DeveloperFacts, IncidentFacts, parse_facts
from candor.domain.obligations import CalendarEntry, LoggedStatement, ObligationsCalendar, as_of_day
from candor.domain.obligations import obligations_calendar as build
from candor.domain.obligations_ical import calendar_ics
from candor.domain.regimes import load_regimes
from candor.errors import DocumentError
from tests.conftest import EXAMPLES

REGIMES = load_regimes()
ACME = parse_facts("facts.yaml", (EXAMPLES / "acme-ai" / "facts.yaml").read_bytes())


def calendar(facts: DeveloperFacts, day: date, statements: list[LoggedStatement] | None = None) -> ObligationsCalendar:
    as_of = as_of_day(day)
    report = report_coverage(facts, list(REGIMES.values()), day)
    return build(facts, report, REGIMES, statements or [], as_of)


def entry(found: ObligationsCalendar, regime: str, obligation: str, model: str | None = None) -> list[CalendarEntry]:
    return [e for e in found.entries if (e.regime, e.obligation, e.model) == (regime, obligation, model)]


def card(series: str, published: datetime, *, withdrawn: bool = False, version: str = "1.0") -> LoggedStatement:
    return LoggedStatement(
        id=f"card-{series}-{version}",
        kind="system-card",
        series=series,
        version=version,
        published_at=published,
        where="log index 4",
        log_index=4,
        withdrawn=withdrawn,
    )


def with_incident(**incident: Any) -> DeveloperFacts:
    return ACME.model_copy(update={"incidents": [IncidentFacts(**incident)]})


def test_a_transparency_report_is_overdue_until_a_card_for_that_model_is_published() -> None:
    day = date(2026, 6, 1)
    (before,) = entry(calendar(ACME, day), "ca-sb53", "transparency-report", "Acme-3.5")
    assert before.state == "overdue"
    assert before.due_date == date(2026, 3, 10)
    assert before.time_zone == "America/Los_Angeles"
    published = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
    (after,) = entry(calendar(ACME, day, [card("Acme-3.5", published)]), "ca-sb53", "transparency-report", "Acme-3.5")
    assert after.state == "met"
    assert after.met_by is not None
    assert (after.met_by.statement, after.met_by.where) == ("card-Acme-3.5-1.0", "log index 4")
    assert not after.met_by.late


def test_a_withdrawn_card_meets_nothing() -> None:
    withdrawn = card("Acme-3.5", datetime(2026, 3, 1, tzinfo=UTC), withdrawn=True)
    (found,) = entry(calendar(ACME, date(2026, 6, 1), [withdrawn]), "ca-sb53", "transparency-report", "Acme-3.5")
    assert found.state == "overdue"


def test_another_models_card_does_not_meet_this_models_duty() -> None:
    other = card("Acme-3", datetime(2026, 3, 1, tzinfo=UTC))
    (found,) = entry(calendar(ACME, date(2026, 6, 1), [other]), "ca-sb53", "transparency-report", "Acme-3.5")
    assert found.state == "overdue"


def test_a_card_published_after_the_deadline_meets_it_late() -> None:
    late = card("Acme-3.5", datetime(2026, 4, 1, tzinfo=UTC))
    (found,) = entry(calendar(ACME, date(2026, 6, 1), [late]), "ca-sb53", "transparency-report", "Acme-3.5")
    assert found.state == "met"
    assert found.met_by is not None
    assert found.met_by.late


def test_the_publication_day_is_read_in_the_laws_zone() -> None:
    # 02:00 UTC on 11 March is still 10 March in Los Angeles (on time) but 11 March in Brussels (late).
    published = datetime(2026, 3, 11, 2, 0, tzinfo=UTC)
    found = calendar(ACME, date(2026, 6, 1), [card("Acme-3.5", published)])
    (california,) = entry(found, "ca-sb53", "transparency-report", "Acme-3.5")
    (europe,) = entry(found, "eu-ai-act-gpai", "technical-documentation", "Acme-3.5")
    assert california.met_by is not None
    assert not california.met_by.late
    assert europe.met_by is not None
    assert europe.met_by.late


def test_a_duty_no_statement_can_meet_is_never_called_overdue() -> None:
    found = calendar(ACME, date(2035, 1, 1))
    for name in ("no-false-statements-catastrophic-risk", "whistleblower-no-gag", "redactions-and-retention"):
        (duty,) = entry(found, "ca-sb53", name)
        assert (duty.state, duty.due_date) == ("ongoing", None)
    # A dated filing with an authority cannot be seen in the log: past its day it is unknown, not overdue.
    for duty in entry(found, "ca-sb53", "internal-use-risk-summary"):
        assert duty.state in {"unknown", "due"}
        assert duty.state != "unknown" or duty.missing_fact
    assert all(e.state != "overdue" or e.document for e in found.entries)


def test_a_deployment_with_no_date_on_file_is_unknown_and_names_the_fact() -> None:
    (found,) = entry(calendar(ACME, date(2026, 6, 1)), "ca-sb53", "transparency-report", "Acme-4")
    assert found.state == "unknown"
    assert found.missing_fact is not None
    assert found.missing_fact.startswith("models[2].released")


def test_a_recurring_review_shows_its_latest_and_next_occurrence() -> None:
    sdf = LoggedStatement(
        id="sdf-2", kind="secure-development-framework", series=None, version="2.0",
        published_at=datetime(2026, 11, 1, tzinfo=UTC), where="log index 2",
    )  # fmt: skip
    reviews = entry(calendar(ACME, date(2027, 2, 1), [sdf]), "ca-sb53", "frontier-ai-framework-review")
    assert [(e.occurrence, e.due_date, e.state) for e in reviews] == [
        (1, date(2027, 1, 1), "met"),
        (2, date(2028, 1, 1), "due"),
    ]
    assert reviews[0].recurrence == "yearly (every 12 months)"
    (summary, _) = entry(calendar(ACME, date(2027, 2, 1)), "ca-sb53", "internal-use-risk-summary")
    assert summary.recurrence == "quarterly (every 3 months)"
    (_, renewal) = entry(calendar(ACME, date(2027, 2, 1)), "ny-raise", "disclosure-statement")
    assert renewal.recurrence == "two-yearly (every 2 years)"
    assert renewal.due_date == date(2029, 1, 1)
    # The same statement cannot meet the next year's review too.
    assert reviews[1].met_by is None


def test_incident_clocks_with_no_incident_are_standing_rules() -> None:
    (found,) = entry(calendar(ACME, date(2027, 6, 1)), "ny-raise", "critical-safety-incident-report")
    assert (found.state, found.due_date, found.due_at) == ("ongoing", None, None)
    assert "72 hours" in found.due


def test_a_72_hour_incident_clock_runs_in_new_york_time_across_dst() -> None:
    facts = with_incident(id="inc-1", kind="critical-safety", discovered_at=datetime(2027, 3, 13, 15, 0, tzinfo=UTC))
    found = calendar(facts, date(2027, 3, 15))
    (ny,) = entry(found, "ny-raise", "critical-safety-incident-report")
    assert ny.state == "due"
    assert ny.due_at is not None
    assert ny.due_at.isoformat() == "2027-03-16T11:00:00-04:00"
    assert "EDT" in ny.due
    # California's 15 days run from the day of discovery in Los Angeles; its 24-hour clock is not started.
    (ca,) = entry(found, "ca-sb53", "critical-safety-incident-report")
    assert (ca.due_date, ca.due_at) == (date(2027, 3, 28), None)
    (imminent,) = entry(found, "ca-sb53", "imminent-risk-incident-report")
    assert imminent.state == "ongoing"
    assert entry(calendar(facts, date(2027, 3, 17)), "ny-raise", "critical-safety-incident-report")[0].state == (
        "overdue"
    )


def test_an_incident_reported_in_time_is_met() -> None:
    discovered = datetime(2027, 3, 13, 15, 0, tzinfo=UTC)
    facts = with_incident(
        id="inc-1", kind="imminent-risk", discovered_at=discovered, reported_at=discovered + timedelta(hours=20)
    )
    found = calendar(facts, date(2027, 6, 1))
    (imminent,) = entry(found, "ny-raise", "imminent-risk-incident-report")
    assert imminent.state == "met"
    assert imminent.met_by is not None
    assert not imminent.met_by.late


def test_an_incident_after_the_day_asked_about_starts_no_clock_and_a_later_report_meets_nothing() -> None:
    discovered = datetime(2027, 3, 13, 15, 0, tzinfo=UTC)
    facts = with_incident(
        id="inc-1", kind="critical-safety", discovered_at=discovered, reported_at=discovered + timedelta(days=30)
    )
    (before,) = entry(calendar(facts, date(2027, 3, 1)), "ny-raise", "critical-safety-incident-report")
    assert (before.state, before.due_at) == ("ongoing", None)
    (during,) = entry(calendar(facts, date(2027, 3, 20)), "ny-raise", "critical-safety-incident-report")
    assert (during.state, during.met_by) == ("overdue", None)
    (after,) = entry(calendar(facts, date(2027, 6, 1)), "ny-raise", "critical-safety-incident-report")
    assert after.state == "met"
    assert after.met_by is not None
    assert after.met_by.late


def test_the_ical_feed_parses_back_with_stable_uids_all_day_and_timed_events() -> None:
    facts = with_incident(id="inc-1", kind="critical-safety", discovered_at=datetime(2027, 3, 13, 15, 0, tzinfo=UTC))
    stamp = datetime(2027, 3, 15, 12, 0, tzinfo=UTC)
    found = calendar(facts, date(2027, 3, 15))
    parsed = Calendar.from_ical(calendar_ics(found, stamp=stamp))
    assert str(parsed["VERSION"]) == "2.0"
    events = list(parsed.walk("VEVENT"))
    dated = [e for e in found.entries if e.due_date is not None]
    assert len(events) == len(dated) > 0
    uids = [str(event["UID"]) for event in events]
    assert len(set(uids)) == len(uids)
    assert all(event.decoded("DTSTAMP") == stamp for event in events)
    by_uid = {str(event["UID"]): event for event in events}
    (ny,) = entry(found, "ny-raise", "critical-safety-incident-report")
    timed = by_uid[ny.uid].decoded("DTSTART")
    assert isinstance(timed, datetime)
    assert str(timed.tzinfo) == "America/New_York"
    assert timed.isoformat() == "2027-03-16T11:00:00-04:00"
    assert "America/New_York" in [str(zone["TZID"]) for zone in parsed.walk("VTIMEZONE")]
    (card_duty,) = entry(found, "ca-sb53", "transparency-report", "Acme-3.5")
    all_day = by_uid[card_duty.uid]
    assert all_day.decoded("DTSTART") == date(2026, 3, 10)
    assert not isinstance(all_day.decoded("DTSTART"), datetime)
    assert all_day.decoded("DTEND") == date(2026, 3, 11)
    assert "OVERDUE" in str(all_day["SUMMARY"])
    # A later run, with the card published, updates the same events rather than adding new ones.
    later = calendar(facts, date(2027, 3, 15), [card("Acme-3.5", datetime(2026, 3, 9, tzinfo=UTC))])
    again = Calendar.from_ical(calendar_ics(later, stamp=stamp + timedelta(days=1)))
    assert sorted(str(event["UID"]) for event in again.walk("VEVENT")) == sorted(uids)
    assert "MET" in str({str(e["UID"]): e for e in again.walk("VEVENT")}[card_duty.uid]["SUMMARY"])


def test_a_regime_that_does_not_cover_is_noted_not_silently_dropped() -> None:
    found = calendar(ACME, date(2026, 6, 1))
    assert any(note.startswith("ny-raise: not in force") for note in found.notes)


def test_an_incident_without_an_offset_or_listed_twice_is_refused() -> None:
    name = "facts.yaml"
    text = "developer: a\nlegal_name: A\nincidents:\n  - id: i1\n    kind: critical-safety\n"
    with pytest.raises(DocumentError, match="discovered_at"):
        parse_facts(name, (text + "    discovered_at: 2027-03-13 10:00:00\n").encode())
    twice = text + "    discovered_at: 2027-03-13T10:00:00Z\n"
    twice += "  - {id: i1, kind: imminent-risk, discovered_at: 2027-03-14T10:00:00Z}\n"
    with pytest.raises(DocumentError, match="listed twice"):
        parse_facts(name, twice.encode())


def test_a_calendar_as_of_a_past_day_ignores_what_was_published_after_it() -> None:
    later = card("Acme-3.5", datetime(2026, 7, 1, tzinfo=UTC))
    (found,) = entry(calendar(ACME, date(2026, 6, 1), [later]), "ca-sb53", "transparency-report", "Acme-3.5")
    assert found.state == "overdue"


statement_kinds = st.sampled_from(["secure-development-framework", "system-card", "certification"])


@settings(max_examples=60, deadline=None)
@given(
    day=st.dates(min_value=date(2025, 1, 1), max_value=date(2031, 12, 31)),
    published=st.lists(
        st.tuples(
            statement_kinds,
            st.sampled_from([None, "Acme-3", "Acme-3.5", "Acme-4"]),
            st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2031, 12, 31), timezones=st.just(UTC)),
            st.booleans(),
        ),
        max_size=12,
    ),
)
def test_no_calendar_breaks_its_own_rules(day: date, published: list[tuple[str, str | None, datetime, bool]]) -> None:
    statements = [
        LoggedStatement(
            id=f"s{n}", kind=kind, series=series, version="1.0", published_at=at, where=f"log index {n}",
            withdrawn=withdrawn,
        )
        for n, (kind, series, at, withdrawn) in enumerate(published)
    ]  # fmt: skip
    found = calendar(ACME, day, statements)
    uids = [e.uid for e in found.entries]
    assert len(set(uids)) == len(uids)
    for e in found.entries:
        if e.state == "met":
            assert e.met_by is not None
            met = next(s for s in statements if s.id == e.met_by.statement)
            # Only a live statement of the duty's own kind, published by the day asked about, meets it.
            assert not met.withdrawn
            assert met.kind == e.document
            assert met.published_at <= as_of_day(day)
            assert met.kind != "system-card" or met.series == e.model
        if e.state == "overdue":
            assert e.document in {"secure-development-framework", "system-card", "certification"}
            assert e.deadline is not None
            assert e.deadline < as_of_day(day)
        if e.state == "due":
            assert e.deadline is not None
            assert e.deadline >= as_of_day(day)
        if e.state == "unknown":
            assert e.missing_fact
        if e.state == "ongoing":
            assert e.due_date is None
