"""A report's states and clocks: what is due to the reporter or to the law, when, and whether it is overdue.

States run one way: received → acknowledged → assessing → addressing → concluded (a step may be skipped, never
undone). A whistleblower report carries the service clocks below; an incident report carries the statutory
deadlines of the obligations it names (``ca-sb53/critical-safety-incident-report``, ``ny-raise/...``), read from
the regime files with their citations and counted by :mod:`candor.domain.deadlines` from the discovery time the
report states, in the law's own time zone.

Only days are kept for a report's events (received, acknowledged, last update, feedback): the exact time a reporter
wrote is metadata that can identify them. The discovery time of an incident is kept to the minute because hour
deadlines (24 hours, 72 hours) run from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Final
from zoneinfo import ZoneInfo

from candor.domain.deadlines import add_months, add_period, end_of_day, hours_after, local_day
from candor.domain.regimes import Citation, Period, Regime
from candor.errors import CandorError


class ReportState(StrEnum):
    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    ASSESSING = "assessing"
    ADDRESSING = "addressing"
    CONCLUDED = "concluded"


_ORDER: Final = list(ReportState)


class WorkflowError(CandorError):
    """A state change or a clock that the workflow does not allow."""


def check_transition(current: ReportState, new: ReportState) -> None:
    """A report moves forward only; concluded is final."""
    if _ORDER.index(new) <= _ORDER.index(current):
        raise WorkflowError(f"a report that is {current} cannot become {new}: states only move forward")


@dataclass(frozen=True)
class ServiceClock:
    """A promise to a whistleblower: a first deadline after receipt, and optionally a recurrence."""

    id: str
    description: str
    period: Period
    recurrence: Period | None
    citation: Citation
    note: str | None = None


#: The whistleblower clocks. SB 53 requires the monthly update; the 7-day acknowledgement and the 3-month feedback
#: are the EU Whistleblower Directive's, adopted here as the channel's service standard.
WHISTLEBLOWER_CLOCKS: Final = (
    ServiceClock(
        "acknowledge",
        "acknowledge receipt to the reporter",
        Period(amount=7, unit="days"),
        None,
        Citation(
            pinpoint="Directive (EU) 2019/1937, Art. 9(1)(b) (acknowledgement within seven days)",
            url="https://eur-lex.europa.eu/eli/dir/2019/1937/oj",
        ),
        "Adopted as a service standard; the article governs internal channels in the EU. Confirmed in this "
        "session from secondary sources only.",
    ),
    ServiceClock(
        "status-update",
        "send the reporter a status update",
        Period(amount=1, unit="months"),
        Period(amount=1, unit="months"),
        Citation(
            pinpoint="Cal. Lab. Code §1107.1(e)(1) (monthly update to the discloser)",
            url="https://leginfo.legislature.ca.gov/faces/codes_displaySection.xhtml?lawCode=LAB&sectionNum=1107.1",
        ),
    ),
    ServiceClock(
        "feedback",
        "give the reporter feedback on the action taken",
        Period(amount=3, unit="months"),
        None,
        Citation(
            pinpoint="Directive (EU) 2019/1937, Art. 9(1)(f) (feedback within three months)",
            url="https://eur-lex.europa.eu/eli/dir/2019/1937/oj",
        ),
        "Adopted as a service standard, as for the acknowledgement.",
    ),
)


@dataclass(frozen=True)
class Due:
    """One thing due on a report: by when, whether and when it was met, and the rule behind it."""

    id: str
    description: str
    due: datetime
    met_on: date | None
    citation: Citation

    def overdue(self, now: datetime) -> bool:
        return self.met_on is None and now >= self.due

    @property
    def late(self) -> bool:
        """Met, but on a day after the deadline's own day (only days are kept of when things happened)."""
        return self.met_on is not None and self.met_on > self.due.date()


@dataclass(frozen=True)
class WhistleblowerProgress:
    """The days the channel did what it promised (``None`` until it did)."""

    received_on: date
    acknowledged_on: date | None = None
    updates_on: tuple[date, ...] = ()
    feedback_on: date | None = None


#: The channel counts its clocks in the regulator's zone; California's, as SB 53's Attorney General is the first
#: regulator Candor serves. A setting may name another.
DEFAULT_CHANNEL_ZONE: Final = "America/Los_Angeles"


def whistleblower_dues(progress: WhistleblowerProgress, now: datetime, zone: ZoneInfo) -> list[Due]:
    """What is due to the reporter: the acknowledgement, the next monthly update, and the feedback."""
    received = progress.received_on
    dues = []
    for clock in WHISTLEBLOWER_CLOCKS:
        if clock.id == "acknowledge":
            dues.append(_due(clock, add_period(received, clock.period), progress.acknowledged_on, zone))
        elif clock.id == "feedback":
            dues.append(_due(clock, add_period(received, clock.period), progress.feedback_on, zone))
        else:
            dues.append(_next_update(clock, progress, now, zone))
    return dues


def _next_update(clock: ServiceClock, progress: WhistleblowerProgress, now: datetime, zone: ZoneInfo) -> Due:
    """The first monthly update not yet sent: each month counted from receipt, met by an update in that month."""
    updates = sorted(progress.updates_on)
    month = 1
    while True:
        due_day = add_months(progress.received_on, month)
        opened = add_months(progress.received_on, month - 1)
        met = next((day for day in updates if opened < day <= due_day), None)
        if met is None or end_of_day(due_day, zone) > now:
            return _due(clock, due_day, met, zone)
        month += 1


def _due(clock: ServiceClock, day: date, met_on: date | None, zone: ZoneInfo) -> Due:
    return Due(clock.id, clock.description, end_of_day(day, zone), met_on, clock.citation)


def incident_dues(
    discovered_at: datetime, obligation_ids: list[str], regimes: dict[str, Regime], reported_on: date | None
) -> list[Due]:
    """The statutory deadlines of an incident report, from the obligations it names as ``regime/obligation``."""
    if discovered_at.tzinfo is None:
        raise WorkflowError("the discovery time needs a time zone or an offset")
    dues = []
    for reference in obligation_ids:
        regime_id, _, obligation_id = reference.partition("/")
        regime = regimes.get(regime_id)
        version = None if regime is None else regime.version_in_effect(discovered_at.astimezone(UTC).date())
        obligation = next((item for item in (version.obligations if version else []) if item.id == obligation_id), None)
        if obligation is None or obligation.period is None or obligation.document != "incident-report":
            raise WorkflowError(f"{reference!r} names no incident-report deadline in force at the discovery")
        assert regime is not None  # an obligation was found in it
        zone = regime.zone
        if obligation.period.unit == "hours":
            due = hours_after(discovered_at, obligation.period, zone)
        else:
            due = end_of_day(add_period(local_day(discovered_at, zone), obligation.period), zone)
        dues.append(Due(reference, obligation.description, due, reported_on, obligation.citation))
    return dues
