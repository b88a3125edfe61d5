"""The registry's bulk data: every statement, finding, coverage determination and obligation, as rows.

Each dataset is declared once, with its columns and their meaning (:data:`DATASETS`); the website's ``/data/``
page, the CSV and JSON Lines files, and the schema test of ``docs/bulk-data.md`` all read that one declaration.
Rows are produced a batch at a time (keyset paging in :class:`candor.store.statement_reader.StatementReader` and
:class:`candor.store.developer_reader.DeveloperReader`, one short session per batch), so a file of the whole
registry costs time linear in its size and the memory of one batch, and is streamed as it is made.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from candor.services.queries import RegistryQueries
from candor.store.developer_reader import DeveloperReader
from candor.store.statement_reader import StatementReader

#: Rows read from the database per batch.
BATCH = 500

Row = dict[str, Any]


@dataclass(frozen=True)
class Column:
    """One column of a dataset: its name, its JSON type, and what it holds."""

    name: str
    type: str
    description: str


@dataclass(frozen=True)
class Dataset:
    """A bulk data file: its name (``/data/<name>.csv``), what one row is, and its columns."""

    name: str
    title: str
    row: str
    columns: tuple[Column, ...]


def _c(name: str, type_: str, description: str) -> Column:
    return Column(name, type_, description)


STATEMENTS = Dataset(
    "statements",
    "Statements",
    "one published statement (every entry of the log that is a statement), in log order",
    (
        _c("log_index", "integer", "The statement's index in the log; its page is /statements/{log_index}."),
        _c("id", "string", "SHA-256 (hex) of the statement's canonical RFC 8785 bytes."),
        _c("developer", "string", "The developer's short name (slug)."),
        _c("developer_name", "string", "The developer's registered legal name."),
        _c("kind", "string", "secure-development-framework, system-card, certification, withdrawal or correction."),
        _c("series", "string or null", "The run of versions it belongs to (a system card's model); null if none."),
        _c("version", "string", "The document's version label."),
        _c("document_sha256", "string or null", "SHA-256 (hex) of the document's bytes; null for a withdrawal."),
        _c("supersedes", "string or null", "The version this one replaces in its series."),
        _c("target", "string or null", "For a withdrawal or correction: the id of the statement it acts on."),
        _c("issued_at", "date-time", "When the developer made the statement (UTC, as signed)."),
        _c("published_at", "date-time", "When the registry accepted it (UTC)."),
        _c("leaf_hash", "string", "RFC 6962 leaf hash (hex) of its log entry."),
        _c("withdrawn_by", "integer or null", "Log index of the withdrawal of this statement, if withdrawn."),
    ),
)

FINDINGS = Dataset(
    "findings",
    "Findings",
    "one finding of one standard on one published document, for every standard that applies to the developer "
    "(recomputed from the signed document, as the document pages show them)",
    (
        _c("log_index", "integer", "The statement's log index."),
        _c("statement", "string", "The statement's id (SHA-256, hex)."),
        _c("developer", "string", "The developer's short name."),
        _c("kind", "string", "The document's kind."),
        _c("version", "string", "The document's version."),
        _c("standard", "string", "The standard (rule pack) id."),
        _c("standard_version", "string", "The rule pack's version."),
        _c("reason", "string", "Why the standard applies to this developer."),
        _c("rule", "string or null", "The rule's id; null on a row that says why the document could not be checked."),
        _c("severity", "string or null", "error, warning or info."),
        _c("location", "string or null", "Where in the document, when the rule can say."),
        _c("message", "string", "What the rule found, or why the document could not be checked."),
    ),
)

COVERAGE = Dataset(
    "coverage",
    "Coverage determinations",
    "one regime's determination for one registered developer, from the facts on file, as of the day of the "
    "download; a developer with no readable facts gets one row that says why",
    (
        _c("developer", "string", "The developer's short name."),
        _c("as_of", "date", "The day the determination is made for (UTC)."),
        _c("regime", "string or null", "The regime's id; null on a row that says why there is no determination."),
        _c("regime_version", "string or null", "The version of the regime applied."),
        _c("title", "string or null", "The regime's title."),
        _c("in_effect", "boolean or null", "Whether the regime is in force on as_of."),
        _c("covered", "boolean or null", "Whether the regime covers the developer."),
        _c("tier", "string or null", "The tier it falls in, where the regime has tiers."),
        _c("outcome", "string or null", "covered, not-covered, exempt or undetermined (facts missing)."),
        _c("qualifying_models", "list of strings", "Models that meet the regime's thresholds."),
        _c("near_thresholds", "list of strings", "Thresholds within 10% of their limit."),
        _c("missing_facts", "list of strings", "Facts-file fields the regime needed and did not find."),
        _c("obligations", "integer", "How many obligations follow from the determination."),
        _c("problem", "string or null", "Why there is no determination (no facts on file, or unreadable ones)."),
    ),
)

OBLIGATIONS = Dataset(
    "obligations",
    "Obligations",
    "one dated duty (or undated rule) of one developer under one covering regime, with its state at the moment "
    "of the download, matched against the developer's published statements",
    (
        _c("developer", "string", "The developer's short name."),
        _c("as_of", "date-time", "The moment the states are worked out for (UTC)."),
        _c("uid", "string", "Stable id of this occurrence of the duty (as in the iCalendar feed)."),
        _c("regime", "string", "The regime's id."),
        _c("regime_version", "string", "The version of the regime applied."),
        _c("obligation", "string", "The obligation's id in the regime."),
        _c("description", "string", "What must be done."),
        _c("model", "string or null", "The model it is about, if any."),
        _c("document", "string or null", "The kind of document that meets it, if one does."),
        _c("trigger", "string", "What starts the clock."),
        _c("trigger_event", "string", "The trigger in words, with its day when known."),
        _c("recurrence", "string or null", "How it recurs, if it does."),
        _c("occurrence", "integer", "1 for the first time it falls due, 2 for the second...; 0 when undated."),
        _c("state", "string", "met, due, overdue, unknown or ongoing."),
        _c("due_date", "date or null", "The last day of a day deadline (ends at midnight in time_zone)."),
        _c("due_at", "date-time or null", "The instant an hour deadline ends."),
        _c("due", "string", "The deadline in words."),
        _c("time_zone", "string", "The law's time zone the deadline is counted in."),
        _c("met_by", "string or null", "The id of the statement that meets it."),
        _c("met_by_log_index", "string or null", "Where that statement is (its log index, in words)."),
        _c("missing_fact", "string or null", "For state unknown: the fact that would decide it."),
    ),
)

DATASETS: dict[str, Dataset] = {dataset.name: dataset for dataset in (STATEMENTS, FINDINGS, COVERAGE, OBLIGATIONS)}
#: The formats each dataset is served in, by file extension, with their media types.
FORMATS = {"csv": "text/csv; charset=utf-8", "jsonl": "application/jsonl; charset=utf-8"}


class BulkData:
    """Produces every dataset's rows from the registry, a batch at a time."""

    def __init__(self, sessions: sessionmaker[Session], queries: RegistryQueries) -> None:
        self._sessions = sessions
        self._queries = queries

    def rows(self, name: str, *, now: datetime | None = None) -> Iterator[Row]:
        """The rows of dataset ``name``, as JSON-ready values; ``now`` is the moment of coverage and obligations."""
        moment = now or datetime.now(UTC)
        producers: dict[str, Callable[[], Iterator[Row]]] = {
            "statements": self._statements,
            "findings": lambda: self._findings(moment.date()),
            "coverage": lambda: self._coverage(moment.date()),
            "obligations": lambda: self._obligations(moment),
        }
        return producers[name]()

    def _statements(self) -> Iterator[Row]:
        after = -1
        while True:
            with self._sessions() as session:
                batch = StatementReader(session).after(after, limit=BATCH)
            for row in batch:
                yield {
                    "log_index": row.log_index,
                    "id": row.statement_sha256,
                    "developer": row.developer_slug,
                    "developer_name": row.developer_name,
                    "kind": row.kind,
                    "series": row.series or None,
                    "version": row.version,
                    "document_sha256": row.document_sha256,
                    "supersedes": row.supersedes,
                    "target": row.target_sha256,
                    "issued_at": row.issued_at,
                    "published_at": row.published_at,
                    "leaf_hash": row.leaf_hash,
                    "withdrawn_by": row.withdrawn_by,
                }
            if len(batch) < BATCH:
                return
            after = batch[-1].log_index

    def _findings(self, as_of: date) -> Iterator[Row]:
        for statement in self._statements():
            if statement["document_sha256"] is None:
                continue
            for applied in self._queries.findings(statement["log_index"], as_of):
                common = {
                    "log_index": statement["log_index"],
                    "statement": statement["id"],
                    "developer": statement["developer"],
                    "kind": statement["kind"],
                    "version": statement["version"],
                    "standard": applied.standard_id,
                    "standard_version": applied.standard_version,
                    "reason": applied.reason,
                }
                if applied.problem is not None:
                    yield common | {"rule": None, "severity": None, "location": None, "message": applied.problem}
                for finding in applied.findings:
                    yield common | {
                        "rule": finding.rule_id,
                        "severity": finding.severity,
                        "location": finding.location,
                        "message": finding.message,
                    }

    def _developers(self) -> Iterator[str]:
        after = ""
        while True:
            with self._sessions() as session:
                batch = DeveloperReader(session).slugs_after(after, limit=BATCH)
            yield from batch
            if len(batch) < BATCH:
                return
            after = batch[-1]

    def _coverage(self, as_of: date) -> Iterator[Row]:
        for slug in self._developers():
            view = self._queries.coverage(slug, as_of)
            if view.report is None:
                yield {column.name: None for column in COVERAGE.columns} | {
                    "developer": slug,
                    "as_of": as_of,
                    "qualifying_models": [],
                    "near_thresholds": [],
                    "missing_facts": [],
                    "obligations": 0,
                    "problem": view.problem,
                }
                continue
            for determination in view.report.determinations:
                yield {
                    "developer": slug,
                    "as_of": as_of,
                    "regime": determination.regime,
                    "regime_version": determination.regime_version,
                    "title": determination.title,
                    "in_effect": determination.in_effect,
                    "covered": determination.covered,
                    "tier": determination.tier,
                    "outcome": str(determination.outcome),
                    "qualifying_models": list(determination.qualifying_models),
                    "near_thresholds": list(determination.near),
                    "missing_facts": list(determination.missing_facts),
                    "obligations": len(determination.obligations),
                    "problem": None,
                }

    def _obligations(self, moment: datetime) -> Iterator[Row]:
        for slug in self._developers():
            calendar = self._queries.obligations(slug, moment).calendar
            if calendar is None:
                continue  # no facts on file: the coverage file says why
            for entry in calendar.entries:
                yield {
                    "developer": slug,
                    "as_of": calendar.as_of,
                    "uid": entry.uid,
                    "regime": entry.regime,
                    "regime_version": entry.regime_version,
                    "obligation": entry.obligation,
                    "description": entry.description,
                    "model": entry.model,
                    "document": entry.document,
                    "trigger": str(entry.trigger),
                    "trigger_event": entry.trigger_event,
                    "recurrence": entry.recurrence,
                    "occurrence": entry.occurrence,
                    "state": str(entry.state),
                    "due_date": entry.due_date,
                    "due_at": entry.due_at,
                    "due": entry.due,
                    "time_zone": entry.time_zone,
                    "met_by": None if entry.met_by is None else entry.met_by.statement,
                    "met_by_log_index": None if entry.met_by is None else entry.met_by.where,
                    "missing_fact": entry.missing_fact,
                }


def _scalar(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def jsonl_lines(dataset: Dataset, rows: Iterator[Row]) -> Iterator[bytes]:
    """Each row as one line of JSON, its keys in the dataset's column order."""
    names = [column.name for column in dataset.columns]
    for row in rows:
        values = {name: row[name] for name in names}
        yield (json.dumps({k: _scalar(v) for k, v in values.items()}, ensure_ascii=False) + "\n").encode("utf-8")


def csv_lines(dataset: Dataset, rows: Iterator[Row]) -> Iterator[bytes]:
    """A header line, then each row: empty for null, ``true``/``false``, lists joined with ``; ``."""
    names = [column.name for column in dataset.columns]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> bytes:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text.encode("utf-8")

    writer.writerow(names)
    yield flush()
    for row in rows:
        writer.writerow([_csv_cell(row[name]) for name in names])
        yield flush()


#: What a spreadsheet reads as the start of a formula: a cell that starts so is written with a leading ``'``.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = "; ".join(str(item) for item in value) if isinstance(value, list) else str(_scalar(value))
    # Developers write the text some cells quote; opened in a spreadsheet, "=HYPERLINK(...)" would run. The JSON
    # Lines file keeps every value exactly.
    return "'" + text if text.startswith(FORMULA_STARTS) else text


#: Lines are sent in chunks of about this size: one per row would cost a thread hop per row in the server.
CHUNK_BYTES = 64 * 1024


def encoded(dataset: Dataset, fmt: str, rows: Iterator[Row]) -> Iterator[bytes]:
    """The dataset's rows in format ``fmt`` (a key of :data:`FORMATS`), in chunks of about :data:`CHUNK_BYTES`."""
    lines = csv_lines(dataset, rows) if fmt == "csv" else jsonl_lines(dataset, rows)
    chunk: list[bytes] = []
    size = 0
    for line in lines:
        chunk.append(line)
        size += len(line)
        if size >= CHUNK_BYTES:
            yield b"".join(chunk)
            chunk, size = [], 0
    if chunk:
        yield b"".join(chunk)
