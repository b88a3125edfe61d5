"""The confidential channel: reports in, receipts out, replies to reporters, and the reviewers' work.

Two ways in. :meth:`ReportChannel.submit` seals a report that arrived in plaintext (the web form) in memory, so its
text touches no disk, log or temporary file; that tier trusts the running server, and the threat model says so.
:meth:`ReportChannel.submit_sealed` takes a report that the reporter's own machine sealed (``candor report
submit``); the server never sees its plaintext. Either way the server draws the receipt, stretches it (Argon2id
with the pepper from the settings) and keeps only the lookup id and the reporter's public key derived from it.

Argon2id costs 64 MiB and a fraction of a second; a semaphore bounds how many run at once, so a flood of posts
queues instead of exhausting memory. A receipt that is wrong, unknown or malformed costs one derivation and gets
the same answer as any other miss; one that is over-long is refused before any derivation, with that same answer.

Reviewers work on the regulator's machine (``candor inbox``): they open reports with their private key there; the
server only ever holds ciphertext. Every reviewer action is appended to a hash-chained audit log that names the
reviewer's key fingerprint, never the reporter.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from sqlalchemy.orm import Session, sessionmaker

from candor.config import Settings
from candor.domain.developer_keys import key_fingerprint, public_key_from_raw
from candor.domain.receipts import (
    ReceiptError,
    ReceiptKeys,
    decoy_receipt,
    derive_keys,
    new_receipt,
    read_receipt,
    stretch,
)
from candor.domain.regulator_keys import regulator_key_fingerprint
from candor.domain.report_sealing import (
    REPORT_KINDS,
    ReportContents,
    ReportSealingError,
    open_message,
    open_report,
    seal_message,
    seal_report,
)
from candor.domain.report_workflow import ReportState, check_transition
from candor.errors import CandorError
from candor.store.database import writing_transaction
from candor.store.developers import Developers
from candor.store.reports import GENESIS, NewReport, Reports, ReviewerAudit, StoredReport, audit_hash

#: A report id: 128 random bits in hex, drawn by whoever seals the report (it is part of the binding).
REPORT_ID = re.compile(r"^[0-9a-f]{32}$")
#: Leading zero bits of SHA-256("candor-report-pow/v1:" + id + ":" + nonce) a sealed submission must show.
PROOF_OF_WORK_BITS: Final = 16
#: Days a report is kept before its keys are dropped, by kind, unless the settings say otherwise. Five years
#: matches what SB 53 asks of the records a developer keeps; reports about incidents are kept the same.
DEFAULT_RETENTION_DAYS: Final = {"whistleblower": 5 * 365, "incident": 5 * 365}
_MAX_STATEMENTS = 20
_MAX_OBLIGATIONS = 10


class ReportRefusedError(CandorError):
    """A submission that breaks a rule of the channel: too large, malformed, or without its proof of work."""


@dataclass(frozen=True)
class ReporterView:
    """What a receipt shows its holder: the state, and the replies decrypted with the receipt's key."""

    kind: str
    state: str
    received_on: date
    replies: list[tuple[date, str]]


def proof_of_work_ok(report_id: str, nonce: str, bits: int = PROOF_OF_WORK_BITS) -> bool:
    digest = hashlib.sha256(f"candor-report-pow/v1:{report_id}:{nonce}".encode()).digest()
    return int.from_bytes(digest, "big") >> (256 - bits) == 0


def solve_proof_of_work(report_id: str, bits: int = PROOF_OF_WORK_BITS) -> str:
    """The first nonce that meets :func:`proof_of_work_ok` (about 2^bits hashes; ~0.1 s for 16 bits)."""
    counter = 0
    while not proof_of_work_ok(report_id, str(counter), bits):
        counter += 1
    return str(counter)


def new_report_id() -> str:
    return secrets.token_hex(16)


class ReportChannel:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        reviewers: Sequence[X25519PublicKey],
        pepper: bytes,
        *,
        zone: ZoneInfo,
        retention_days: dict[str, int] | None = None,
        concurrent_derivations: int = 2,
        today: Callable[[], date] | None = None,
    ) -> None:
        self.sessions = sessions
        self.reviewers = list(reviewers)
        self._pepper = pepper
        self.zone = zone
        self.retention_days = retention_days or DEFAULT_RETENTION_DAYS
        self._derivations = threading.BoundedSemaphore(concurrent_derivations)
        self._today = today or (lambda: datetime.now(UTC).astimezone(zone).date())
        #: How many receipts were stretched: what a miss costs is visible, so tests can hold it equal.
        self.derivations = 0

    def reviewer_fingerprints(self) -> list[str]:
        return [regulator_key_fingerprint(key) for key in self.reviewers]

    # -- reporters ---------------------------------------------------------------------------------------------

    def submit(
        self,
        contents: ReportContents,
        kind: str,
        *,
        statements: Sequence[int] = (),
        discovered_at: datetime | None = None,
        obligations: Sequence[str] = (),
    ) -> str:
        """Seal a plaintext report in memory and store it; the receipt, shown once to the reporter."""
        report_id = new_report_id()
        try:
            sealed = seal_report(contents, report_id, self._kind(kind), self.reviewers)
        except ReportSealingError as error:
            raise ReportRefusedError(error.message) from None
        return self._store(
            report_id, kind, sealed.ciphertext, sealed.wrapped_keys, statements, discovered_at, obligations
        )

    def submit_sealed(
        self,
        report_id: str,
        kind: str,
        ciphertext: bytes,
        wrapped_keys: dict[str, bytes],
        nonce: str,
        *,
        statements: Sequence[int] = (),
        discovered_at: datetime | None = None,
        obligations: Sequence[str] = (),
    ) -> str:
        """Store a report sealed on the reporter's machine; the receipt."""
        if not REPORT_ID.match(report_id):
            raise ReportRefusedError("a report id is 32 lower-case hex digits")
        if not proof_of_work_ok(report_id, nonce):
            raise ReportRefusedError(f"the proof of work does not show {PROOF_OF_WORK_BITS} leading zero bits")
        expected = set(self.reviewer_fingerprints())
        if set(wrapped_keys) != expected:
            raise ReportRefusedError("the data key must be wrapped to every reviewer's key, and to no other")
        return self._store(report_id, kind, ciphertext, wrapped_keys, statements, discovered_at, obligations)

    def _store(
        self,
        report_id: str,
        kind: str,
        ciphertext: bytes,
        wrapped_keys: dict[str, bytes],
        statements: Sequence[int],
        discovered_at: datetime | None,
        obligations: Sequence[str],
    ) -> str:
        kind = self._kind(kind)
        if len(statements) > _MAX_STATEMENTS or len(obligations) > _MAX_OBLIGATIONS:
            raise ReportRefusedError(
                f"a report names at most {_MAX_STATEMENTS} statements and {_MAX_OBLIGATIONS} duties"
            )
        if kind == "incident" and discovered_at is None:
            raise ReportRefusedError("an incident report states when the incident was discovered")
        receipt = new_receipt()
        keys = self._derive(read_receipt(receipt))
        today = self._today()
        report = NewReport(
            id=report_id,
            kind=kind,
            lookup_id=keys.lookup_id,
            reporter_key=keys.reporter_key.public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            ),
            ciphertext=ciphertext,
            wrapped_keys=wrapped_keys,
            received_on=today,
            retain_until=today + timedelta(days=self.retention_days[kind]),
            discovered_at=discovered_at,
            obligations=tuple(obligations),
            statements=tuple(statements),
        )
        with writing_transaction(self.sessions) as session:
            reports = Reports(session)
            if reports.exists(report_id):
                raise ReportRefusedError("a report with that id exists; seal it again under a new id")
            reports.add(report)
        return receipt

    def status(self, receipt_text: str) -> ReporterView | None:
        """What the receipt's holder may see, or ``None``: the same answer for every miss, at the same cost."""
        try:
            receipt = read_receipt(receipt_text)
        except ReceiptError:
            if len(receipt_text) > 64:
                return None  # over-long: refused before any derivation
            receipt = decoy_receipt()
        keys = self._derive(receipt)
        with self.sessions() as session:
            report = Reports(session).by_lookup(keys.lookup_id)
            if report is None:
                return None
            replies = []
            for number, sent_on, sealed in Reports(session).updates(report.id):
                if sealed is not None:
                    replies.append((sent_on, open_message(sealed, keys.reporter_key, report.id, number)))
        return ReporterView(report.kind, report.state, report.received_on, replies)

    def _derive(self, receipt: bytes) -> ReceiptKeys:
        with self._derivations:
            self.derivations += 1
            return derive_keys(stretch(receipt, self._pepper))

    def _kind(self, kind: str) -> str:
        if kind not in REPORT_KINDS:
            raise ReportRefusedError(f"a report is one of {', '.join(REPORT_KINDS)}, not {kind!r}")
        return kind


class Inbox:
    """The reviewers' side, run on the regulator's machine against the registry's database."""

    def __init__(self, sessions: sessionmaker[Session], reviewer_key: X25519PrivateKey, today: date) -> None:
        self.sessions = sessions
        self.key = reviewer_key
        self.reviewer = regulator_key_fingerprint(reviewer_key.public_key())
        self.today = today

    def reports(self) -> list[StoredReport]:
        with self.sessions() as session:
            return Reports(session).all()

    def open(self, report_id: str) -> tuple[StoredReport, ReportContents]:
        with writing_transaction(self.sessions) as session:
            reports = Reports(session)
            report = reports.get(report_id)
            wrapped = reports.wrapped_key(report_id, self.reviewer)
            if report.ciphertext is None or report.shredded_on is not None:
                raise CandorError(f"report {report_id} was destroyed on {report.shredded_on}")
            if wrapped is None:
                raise CandorError(f"report {report_id} is not sealed to this reviewer's key {self.reviewer[:16]}…")
            contents = open_report(report.ciphertext, wrapped, self.key, report.id, report.kind)
            ReviewerAudit(session).append(self.today, self.reviewer, "opened", report_id)
        return report, contents

    def incident_signer(self, report: StoredReport, contents: ReportContents) -> str:
        """Who signed an incident report; refuses one not signed by a key the registry holds for its developer."""
        if not (contents.developer and contents.key and contents.signature):
            raise CandorError(f"incident report {report.id} carries no developer signature; treat it as unverified")
        raw = base64.b64decode(contents.key)
        public = public_key_from_raw(raw)
        try:
            public.verify(base64.b64decode(contents.signature), contents.signed_bytes("incident"))
        except InvalidSignature:
            raise CandorError(f"incident report {report.id}: the developer signature does not verify") from None
        with self.sessions() as session:
            developers = Developers(session)
            registered = {
                bytes(key.public_key)
                for key in developers.keys_valid_at(developers.get(contents.developer), datetime.now(UTC))
            }
        fingerprint = f"SHA256:{key_fingerprint(public)}"
        if raw not in registered:
            raise CandorError(
                f"incident report {report.id} is signed by key {fingerprint}, which is not a registered key of "
                f"{contents.developer}"
            )
        return f"Signed by {contents.developer}'s registered key {fingerprint}"

    def reply(self, report_id: str, text: str) -> int:
        """Seal ``text`` to the reporter's key and keep it for them; counts as a status update."""
        with writing_transaction(self.sessions) as session:
            reports = Reports(session)
            report = reports.get(report_id)
            number = reports.next_update_number(report_id)
            reporter = X25519PublicKey.from_public_bytes(report.reporter_key)
            reports.add_update(report_id, number, self.today, seal_message(text, reporter, report_id, number))
            ReviewerAudit(session).append(self.today, self.reviewer, f"replied ({number})", report_id)
        return number

    def set_state(self, report_id: str, state: ReportState) -> None:
        with writing_transaction(self.sessions) as session:
            reports = Reports(session)
            check_transition(ReportState(reports.get(report_id).state), state)
            reports.set_state(report_id, state.value, self.today)
            ReviewerAudit(session).append(self.today, self.reviewer, f"state {state.value}", report_id)

    def record_feedback(self, report_id: str) -> None:
        with writing_transaction(self.sessions) as session:
            Reports(session).record_feedback(report_id, self.today)
            ReviewerAudit(session).append(self.today, self.reviewer, "feedback given", report_id)

    def shred_expired(self) -> list[str]:
        with writing_transaction(self.sessions) as session:
            reports = Reports(session)
            expired = reports.due_for_shredding(self.today)
            for report_id in expired:
                reports.shred(report_id, self.today)
                ReviewerAudit(session).append(self.today, self.reviewer, "shredded after retention", report_id)
        return expired

    def check_audit_chain(self) -> int:
        """Recompute every hash of the reviewers' audit log; the count, or :class:`CandorError` at the first break."""
        with self.sessions() as session:
            entries = ReviewerAudit(session).entries()
        previous = GENESIS
        for number, entry in enumerate(entries, start=1):
            expected = audit_hash(previous, number, entry.acted_on, entry.reviewer, entry.action, entry.report_id)
            if entry.number != number or entry.previous_hash != previous or entry.hash != expected:
                raise CandorError(f"the reviewers' audit log is broken at entry {number}")
            previous = entry.hash
        return len(entries)


def open_report_channel(settings: Settings, sessions: sessionmaker[Session]) -> ReportChannel | None:
    """The channel the settings configure, or ``None`` when they give no pepper or no reviewer key (closed)."""
    from candor.domain.receipts import check_pepper
    from candor.domain.regulator_keys import load_regulator_public_key
    from candor.services.files import read_key_file

    key_files = list(settings.report_reviewer_keys) or (
        [settings.regulator_public_key] if settings.regulator_public_key is not None else []
    )
    if settings.report_pepper_file is None or not key_files:
        return None
    pepper_text = read_key_file(settings.report_pepper_file, what="report pepper file").decode("ascii", "replace")
    try:
        pepper = bytes.fromhex(pepper_text.strip())
    except ValueError:
        raise CandorError(f"{settings.report_pepper_file}: the report pepper must be hex") from None
    check_pepper(pepper)
    reviewers = [load_regulator_public_key(str(path), read_key_file(path, what="reviewer key")) for path in key_files]
    return ReportChannel(sessions, reviewers, pepper, zone=ZoneInfo(settings.report_zone))
