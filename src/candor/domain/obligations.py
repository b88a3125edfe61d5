"""The obligations calendar: each duty of each regime that covers a developer, when it falls due, and its state.

It builds on the coverage engine's determinations (which obligations bind, and the day each clock starts) and
counts deadlines with :mod:`candor.domain.deadlines`, in the law's own time zone. A duty is matched to the
developer's published statements of the kind that discharges it, so the calendar can say which statement met it.

States:

- ``met``: a published statement of the right kind (and model) meets it, named in ``met_by``;
- ``due``: dated and not yet met, with the deadline still ahead;
- ``overdue``: dated, past its deadline, and no statement meets it;
- ``unknown``: a fact needed to date it, or to know whether it was done, is missing: ``missing_fact`` names it;
- ``ongoing``: no date: a standing duty or prohibition, or a rule that waits for an event (an incident, a
  material change, a substantial modification) that is not on file.

A recurring duty shows its latest occurrence that has fallen due and the next one, each with its own state.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from candor.domain.coverage import CoverageReport, Determination, DueObligation
from candor.domain.deadlines import add_period, end_of_day, hours_after, local_day, recurrence_due
from candor.domain.facts import DeveloperFacts, IncidentFacts
from candor.domain.regimes import Obligation, Period, Regime, Trigger
from candor.domain.statement import StatementKind

#: Calendars lead with what is overdue and what falls due within this many days.
SOON_DAYS = 90

State = Literal["met", "due", "overdue", "unknown", "ongoing"]

#: The document kinds a published statement can carry, and so the only duties a statement can be seen to meet.
LOGGED_KINDS = frozenset(
    {StatementKind.SECURE_DEVELOPMENT_FRAMEWORK, StatementKind.SYSTEM_CARD, StatementKind.CERTIFICATION}
)

#: Which incidents start which clock: an incident posing an imminent risk is a critical safety incident too.
_INCIDENT_KINDS: dict[Trigger, frozenset[str]] = {
    "incident-discovery": frozenset({"critical-safety", "imminent-risk"}),
    "imminent-risk-discovery": frozenset({"imminent-risk"}),
}

_STANDING_TRIGGERS = frozenset({"continuing", "material-change", "substantial-modification"})

_TRIGGER_WORDS: dict[Trigger, str] = {
    "coverage-start": "the developer became covered",
    "threshold-met": "the threshold was met",
    "deployment": "deployment",
    "substantial-modification": "a substantially modified version is deployed",
    "eu-placement": "placing on the EU market",
    "material-change": "a material change to the document",
    "incident-discovery": "discovery of an incident",
    "imminent-risk-discovery": "discovery of an incident posing imminent risk",
    "fixed-date": "a fixed date",
    "continuing": "standing duty",
}


@dataclass(frozen=True)
class LoggedStatement:
    """A statement the developer published, as the calendar matches it to duties."""

    #: The statement's SHA-256 (from a registry or a statement file), or a document file's name.
    id: str
    kind: str
    #: The model, for a system card.
    series: str | None
    version: str
    #: When it was published (a registry's log time, a statement's issue time, or a document's own date).
    published_at: datetime
    #: Where it can be seen: "log index 7", or a file path.
    where: str
    log_index: int | None = None
    withdrawn: bool = False
    #: A document file's own day (its effective or release date), which stands for the publication day.
    published_on: date | None = None

    def day_in(self, zone: ZoneInfo) -> date:
        """The day it was published, in the law's time zone."""
        return self.published_on or local_day(self.published_at, zone)


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class MetBy(_Out):
    """The statement that meets a duty."""

    statement: str
    kind: str
    series: str | None
    version: str
    published_on: date
    where: str
    log_index: int | None
    #: Published after the deadline: the duty is met, late.
    late: bool


class CalendarEntry(_Out):
    #: Stable across runs for the same (developer, obligation, model, occurrence), so calendar clients update it.
    uid: str
    regime: str
    regime_version: str
    obligation: str
    description: str
    model: str | None
    document: str | None
    trigger: Trigger
    #: What starts the clock, in words, with its day when known ("Acme-3 deployed on 2025-11-02").
    trigger_event: str
    recurrence: str | None
    #: 1 for the first time a duty falls due, 2 for the second...; 0 for an undated rule.
    occurrence: int
    state: State
    #: The last day of a day deadline (it ends at midnight at the end of that day in ``time_zone``).
    due_date: date | None
    #: The instant an hour deadline ends, in ``time_zone``.
    due_at: datetime | None
    #: The deadline in words: the date and zone, or the rule when there is no date.
    due: str
    rule: str
    time_zone: str
    met_by: MetBy | None = None
    missing_fact: str | None = None
    source: str
    url: str
    note: str | None = None

    @property
    def deadline(self) -> datetime | None:
        """The instant the deadline passes."""
        if self.due_at is not None:
            return self.due_at
        return None if self.due_date is None else end_of_day(self.due_date, _zone(self.time_zone))


class ZoneChoice(_Out):
    regime: str
    time_zone: str
    why: str


class ObligationsCalendar(_Out):
    developer: str
    legal_name: str
    #: The moment the states are computed for.
    as_of: datetime
    time_zones: list[ZoneChoice]
    entries: list[CalendarEntry]
    #: Regimes that cover nothing here, and why, so an empty calendar is not mistaken for a clean one.
    notes: list[str]

    def overdue(self) -> list[CalendarEntry]:
        """Entries past their deadline and not met, longest overdue first."""
        late = [entry for entry in self.entries if entry.state == "overdue"]
        return sorted(late, key=lambda entry: entry.deadline or self.as_of)

    def due_within(self, days: int) -> list[CalendarEntry]:
        """Entries due from now until ``days`` days ahead, soonest first."""
        until = self.as_of + timedelta(days=days)
        soon = [e for e in self.entries if e.state == "due" and (d := e.deadline) is not None and d <= until]
        return sorted(soon, key=lambda entry: entry.deadline or self.as_of)


def as_of_day(day: date) -> datetime:
    """The instant a calendar "as of ``day``" is computed for: 12:00 UTC, which falls on ``day`` in every law's
    zone from UTC-11 to UTC+11 (Los Angeles, New York, Brussels), so each law sees the same day."""
    return datetime.combine(day, time(12), tzinfo=UTC)


def obligations_calendar(
    facts: DeveloperFacts,
    report: CoverageReport,
    regimes: Mapping[str, Regime],
    statements: Sequence[LoggedStatement],
    as_of: datetime,
) -> ObligationsCalendar:
    """The calendar of every obligation of every regime in ``report`` that covers the developer, on ``as_of``."""
    if as_of.tzinfo is None:
        raise ValueError("as_of needs a time zone")
    entries: list[CalendarEntry] = []
    notes: list[str] = []
    zones: list[ZoneChoice] = []
    # A calendar as of a past day does not know what was published after it.
    live = [s for s in statements if not s.withdrawn and s.published_at <= as_of]
    # Grouped once by kind and by (kind, series), oldest first, so each duty reads only its own candidates: the
    # cost stays linear in the statements however many duties and models there are.
    live.sort(key=lambda statement: statement.published_at)
    by_kind: dict[tuple[str, str | None], list[LoggedStatement]] = {}
    for statement in live:
        by_kind.setdefault((statement.kind, None), []).append(statement)
        if statement.series is not None:
            by_kind.setdefault((statement.kind, statement.series), []).append(statement)
    for found in report.determinations:
        regime = regimes[found.regime]
        if not found.covered:
            notes.append(_not_covered(found))
            continue
        zones.append(ZoneChoice(regime=regime.id, time_zone=regime.time_zone, why=regime.time_zone_note))
        version = next(v for v in regime.versions if v.version == found.regime_version)
        duties = {obligation.id: obligation for obligation in version.obligations}
        for due in found.obligations:
            context = _Context(facts, regime, found, duties[due.id], due, by_kind, as_of)
            entries.extend(context.entries())
    return ObligationsCalendar(
        developer=facts.developer,
        legal_name=facts.legal_name,
        as_of=as_of,
        time_zones=zones,
        entries=entries,
        notes=notes,
    )


def _not_covered(found: Determination) -> str:
    if found.outcome == "undetermined":
        return f"{found.regime}: undetermined, missing {', '.join(found.missing_facts)}"
    if found.outcome == "not-in-effect":
        return f"{found.regime}: not in force on this day (from {found.effective_from})"
    return f"{found.regime}: {found.outcome.replace('-', ' ')}"


def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@dataclass(frozen=True)
class _Context:
    """One obligation as it binds the developer (for one model, where it is per model)."""

    facts: DeveloperFacts
    regime: Regime
    found: Determination
    obligation: Obligation
    due: DueObligation
    #: Live statements by (kind, None) and by (kind, series), oldest first.
    statements: Mapping[tuple[str, str | None], Sequence[LoggedStatement]]
    as_of: datetime

    def entries(self) -> Iterator[CalendarEntry]:
        obligation, due = self.obligation, self.due
        if obligation.only_if is not None and getattr(self.facts, obligation.only_if.fact) is None:
            yield self._entry(0, "unknown", missing=obligation.only_if.fact)
        elif obligation.trigger in _INCIDENT_KINDS:
            yield from self._incident_entries()
        elif obligation.timing == "ongoing" or obligation.trigger in _STANDING_TRIGGERS:
            # A standing duty, or a clock whose event (a material change, a substantial modification) Candor
            # cannot see: the rule is shown, never a date.
            yield self._entry(0, "ongoing")
        elif due.due_date is None:
            missing = self._missing_fact()
            yield self._entry(0, "unknown" if missing else "ongoing", missing=missing)
        else:
            yield from self._dated_entries(due.due_date)

    # --- dated duties -----------------------------------------------------------------------------------------

    def _dated_entries(self, first: date) -> Iterator[CalendarEntry]:
        today = local_day(self.as_of, self.regime.zone)
        recurrence = self.obligation.recurrence
        shown = [0]
        if recurrence is not None:
            # The latest occurrence that has fallen due (its state is the news) and the next one (what comes up).
            latest = -1
            while recurrence_due(first, recurrence, latest + 1) < today:
                latest += 1
            shown = [latest, latest + 1] if latest >= 0 else [0]
        for index in shown:
            day = first if recurrence is None else recurrence_due(first, recurrence, index)
            if recurrence is None or index == 0:
                # The first time: a duty "within" a period must come after its trigger; one due "no later than" or
                # "before" it may be met by a statement published at any time before.
                after = self.due.triggered_on if self.obligation.timing == "within" else None
            else:
                after = recurrence_due(first, recurrence, index - 1)
            met = self._meeting(after, day, late_allowed=recurrence is None)
            if met is not None:
                state: State = "met"
            elif day >= today:
                state = "due"
            elif self.obligation.document in LOGGED_KINDS:
                state = "overdue"
            else:
                # Filed with an authority, not published: no statement can show it was done, so it is not called
                # overdue on the registry's word.
                yield self._entry(index + 1, "unknown", due_date=day, missing=self._unlogged())
                continue
            yield self._entry(index + 1, state, due_date=day, met_by=met)

    def _meeting(self, after: date | None, until: date, *, late_allowed: bool) -> MetBy | None:
        """The first statement of the duty's kind (and model) published in (after, until]; failing that, for a
        one-off duty, the first published later (met late)."""
        kind = self.obligation.document
        if kind not in LOGGED_KINDS:
            return None
        zone = self.regime.zone
        # A system card meets only its own model's duty; a framework or certification has no series.
        series = self.due.model if kind == StatementKind.SYSTEM_CARD else None
        candidates = self.statements.get((kind, series), ())
        for statement in candidates:
            day = statement.day_in(zone)
            if (after is None or day > after) and day <= until:
                return _met_by(statement, day, late=False)
        if late_allowed:
            for statement in candidates:
                day = statement.day_in(zone)
                if day > until:
                    return _met_by(statement, day, late=True)
        return None

    def _missing_fact(self) -> str | None:
        """The facts-file field whose absence leaves the duty undated, or None for a standing rule."""
        model = self.due.model
        index = next((i for i, m in enumerate(self.facts.models) if m.name == model), None)
        if index is None:
            return None
        found = self.facts.models[index]
        if self.obligation.trigger == "deployment" and found.released is None:
            return f"models[{index}].released (no deployment date on file)"
        if self.obligation.trigger == "eu-placement" and found.eu_placed_on is None:
            return f"models[{index}].eu_placed_on (not placed on the EU market, on file)"
        return None

    @staticmethod
    def _unlogged() -> str:
        return "a record that it was done: no published statement can show this duty met"

    # --- incident clocks --------------------------------------------------------------------------------------

    def _incident_entries(self) -> Iterator[CalendarEntry]:
        kinds = _INCIDENT_KINDS[self.obligation.trigger]
        # As with statements, a calendar as of a past day knows nothing that happened after it.
        incidents = [i for i in self.facts.incidents if i.kind in kinds and i.discovered_at <= self.as_of]
        if not incidents or self.obligation.period is None:
            # A standing rule: "within 72 hours of discovery", with no incident on file to date it.
            yield self._entry(0, "ongoing")
            return
        for number, incident in enumerate(incidents, start=1):
            yield self._incident_entry(number, incident)

    def _incident_entry(self, number: int, incident: IncidentFacts) -> CalendarEntry:
        period, zone = self.obligation.period, self.regime.zone
        assert period is not None  # checked by the caller
        due_at: datetime | None = None
        if period.unit == "hours":
            due_at = hours_after(incident.discovered_at, period, zone)
            due_date = local_day(due_at, zone)
            deadline = due_at
        else:
            due_date = add_period(local_day(incident.discovered_at, zone), period)
            deadline = end_of_day(due_date, zone)
        met = None
        if incident.reported_at is not None and incident.reported_at <= self.as_of:
            met = MetBy(
                statement=f"incident {incident.id}",
                kind="incident-report",
                series=incident.model,
                version="-",
                published_on=local_day(incident.reported_at, zone),
                where=f"reported at {incident.reported_at.astimezone(zone).isoformat()} (facts file)",
                log_index=None,
                late=incident.reported_at > deadline,
            )
        state: State = "met" if met else ("overdue" if self.as_of > deadline else "due")
        event = f"incident {incident.id} discovered at {incident.discovered_at.astimezone(zone).isoformat()}"
        return self._entry(
            number,
            state,
            due_date=due_date,
            due_at=due_at,
            met_by=met,
            key=f"incident-{incident.id}",
            event=event,
            model=incident.model,
        )

    # --- output -----------------------------------------------------------------------------------------------

    def _entry(
        self,
        occurrence: int,
        state: State,
        *,
        due_date: date | None = None,
        due_at: datetime | None = None,
        met_by: MetBy | None = None,
        missing: str | None = None,
        key: str | None = None,
        event: str | None = None,
        model: str | None = None,
    ) -> CalendarEntry:
        obligation, due, zone = self.obligation, self.due, self.regime.time_zone
        model = model if model is not None else due.model
        if due_at is not None:
            words = f"{due_at.strftime('%Y-%m-%d %H:%M')} {due_at.tzname()} ({zone})"
        elif due_date is not None:
            words = f"{due_date.isoformat()}, end of day ({zone})"
        else:
            words = due.due_rule
        parts = [self.facts.developer, self.regime.id, obligation.id, model or "-", key or str(occurrence)]
        return CalendarEntry(
            uid=".".join(quote(part, safe="") for part in parts) + "@candor",
            regime=self.regime.id,
            regime_version=self.found.regime_version,
            obligation=obligation.id,
            description=obligation.description,
            model=model,
            document=obligation.document,
            trigger=obligation.trigger,
            trigger_event=event or self._trigger_event(),
            recurrence=_recurrence_words(obligation.recurrence),
            occurrence=occurrence,
            state=state,
            due_date=due_date,
            due_at=due_at,
            due=words,
            rule=due.due_rule,
            time_zone=zone,
            met_by=met_by,
            missing_fact=missing,
            source=due.source,
            url=due.url,
            note=obligation.note,
        )

    def _trigger_event(self) -> str:
        trigger, due = self.obligation.trigger, self.due
        words = _TRIGGER_WORDS[trigger]
        if trigger == "fixed-date" and self.obligation.on is not None:
            return f"fixed date {self.obligation.on}"
        if due.model is not None and trigger in ("deployment", "eu-placement", "threshold-met"):
            words = f"{due.model}: {words}"
        if due.triggered_on is not None:
            words += f" on {due.triggered_on}"
        return words


_RECURRENCE_NAMES = {3: "quarterly", 12: "yearly", 24: "two-yearly"}


def _recurrence_words(recurrence: Period | None) -> str | None:
    """How often a duty recurs, in the words people use: "yearly (every 12 months)", "quarterly"."""
    if recurrence is None:
        return None
    named = None
    if recurrence.unit in ("months", "years"):
        months = recurrence.amount * 12 if recurrence.unit == "years" else recurrence.amount
        named = _RECURRENCE_NAMES.get(months)
    return f"{named} (every {recurrence})" if named else f"every {recurrence}"


def _met_by(statement: LoggedStatement, day: date, *, late: bool) -> MetBy:
    return MetBy(
        statement=statement.id,
        kind=statement.kind,
        series=statement.series,
        version=statement.version,
        published_on=day,
        where=statement.where,
        log_index=statement.log_index,
        late=late,
    )
