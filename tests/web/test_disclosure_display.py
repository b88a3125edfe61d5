"""What the pages show about redactions, certifications and corrections, over real HTTP on SQLite and PostgreSQL.

The registry is filled through the real publisher: every document that marks passages (the frameworks, the card
and its correction) is redacted by the real redaction path and published with its sealed original; certifications
that stand, that are too old and that a newer framework superseded; a developer with none; and a system card with a
correction.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from candor.config import load_settings, sqlite_url
from candor.domain.parse import parse_bytes
from candor.domain.standards import DEFAULT_STANDARD, load_standard
from candor.domain.statement import Statement, StatementKind, sign_statement
from candor.services.certifications import bind_certification
from candor.services.integration import RegistryLog
from candor.services.publishing import Publication, PublishedEntry, Publisher, statement_for_document
from candor.store.database import create_database_engine, session_factory
from candor.store.schema import upgrade_database
from candor.testing.publishing import ORIGIN, Signer, public_version, register, sealed_original
from candor.web.app import create_app
from tests.web.conftest import _postgres_schema, serve_app
from tests.web.htmlcheck import check_html
from tests.web.registry import as_developer, example

TODAY = datetime.now(UTC).date()
#: The text of the example framework's redacted passages, which no page may show.
REDACTED_TEXTS = ("412 questions across six protocol stages", "hardware security modules for weight encryption")


@dataclass
class Display:
    client: httpx.Client
    entries: dict[str, PublishedEntry]


class _Clock:
    """The publisher's clock: a minute further on each time it is read, so publication order shows in the times."""

    def __init__(self) -> None:
        self.moment = datetime.now(UTC) + timedelta(minutes=1)

    def __call__(self) -> datetime:
        self.moment += timedelta(minutes=1)
        return self.moment


def _publish(publisher: Publisher, signer: Signer, raw: bytes) -> PublishedEntry:
    """``raw`` as its developer publishes it: if it marks passages, its public version with the sealed original."""
    document, sealed = public_version(raw), sealed_original(raw)
    statement = statement_for_document(
        parse_bytes("doc.md", document), document, datetime.now(UTC), origin=ORIGIN, sealed=sealed
    )
    return publisher.publish(
        signer.token,
        Publication(statement.canonical_bytes(), sign_statement(statement, signer.key), document, sealed),
    )


def certification(slug: str, framework: str, on: date, entry: PublishedEntry, sha256: str) -> bytes:
    raw = example("certification-2026.md").decode()
    raw = raw.replace("developer: acme-ai", f"developer: {slug}", 1).replace(
        'framework: "2.0"', f'framework: "{framework}"'
    )
    raw = raw.replace("  start: 2026-01-15\n  end: 2026-06-30", f"  start: {on - timedelta(days=180)}\n  end: {on}")
    raw = raw.replace("date: 2026-07-20", f"date: {on}")
    return bind_certification(raw.encode(), entry.log_index, sha256)


def _fill(publisher: Publisher, signers: dict[str, Signer]) -> dict[str, PublishedEntry]:
    acme, borealis, corvid = signers["acme-ai"], signers["borealis"], signers["corvid-labs"]
    entries: dict[str, PublishedEntry] = {}
    entries["acme-sdf-1"] = _publish(publisher, acme, example("sdf-v1.md"))
    entries["acme-sdf-2"] = _publish(publisher, acme, example("sdf-v2.md"))
    entries["acme-card"] = _publish(publisher, acme, example("system-card-acme-3.md"))
    # The card marks a passage for redaction, so its correction is a public version with a sealed original too.
    marked = example("system-card-acme-3.md").replace(b'version: "1.0"', b'version: "1.0.1"', 1)
    corrected, sealed = public_version(marked), sealed_original(marked)
    assert sealed is not None
    correction = Statement(
        origin=ORIGIN,
        developer="acme-ai",
        kind=StatementKind.CORRECTION,
        series="Acme-3",
        version="1.0.1",
        document_sha256=hashlib.sha256(corrected).hexdigest(),
        sealed_sha256=hashlib.sha256(sealed).hexdigest(),
        target=entries["acme-card"].statement_sha256,
        issued_at=datetime.now(UTC),
    )
    entries["acme-correction"] = publisher.publish(
        acme.token, Publication(correction.canonical_bytes(), sign_statement(correction, acme.key), corrected, sealed)
    )
    framework_sha256 = hashlib.sha256(public_version(example("sdf-v2.md"))).hexdigest()
    recent = certification("acme-ai", "2.0", TODAY - timedelta(days=30), entries["acme-sdf-2"], framework_sha256)
    entries["acme-certification"] = _publish(publisher, acme, recent)
    borealis_sdf_1 = as_developer(example("sdf-v1.md"), "borealis")
    entries["borealis-sdf-1"] = _publish(publisher, borealis, borealis_sdf_1)
    borealis_sha256 = hashlib.sha256(public_version(borealis_sdf_1)).hexdigest()
    old = certification("borealis", "1.0", TODAY - timedelta(days=400), entries["borealis-sdf-1"], borealis_sha256)
    entries["borealis-certification"] = _publish(publisher, borealis, old)
    entries["borealis-sdf-2"] = _publish(publisher, borealis, as_developer(example("sdf-v2.md"), "borealis"))
    entries["corvid-sdf-1"] = _publish(publisher, corvid, as_developer(example("sdf-v1.md"), "corvid-labs"))
    return entries


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def display(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Display]:
    data_dir = tmp_path_factory.mktemp("display")
    if request.param == "sqlite":
        yield from _serve(data_dir, sqlite_url(data_dir / "candor.sqlite3"))
    else:
        with _postgres_schema() as url:
            yield from _serve(data_dir, url)


def _serve(data_dir: Path, database_url: str) -> Iterator[Display]:
    settings = load_settings(data_dir=data_dir, database_url=database_url, log_origin="registry.test/log")
    engine = create_database_engine(database_url)
    upgrade_database(engine)
    sessions = session_factory(engine)
    try:
        signers = {slug: register(sessions, slug) for slug in ("acme-ai", "borealis", "corvid-labs")}
        publisher = Publisher(
            sessions, load_standard(DEFAULT_STANDARD), max_document_bytes=5 << 20, now=_Clock(), origin=ORIGIN
        )
        entries = _fill(publisher, signers)
        RegistryLog(sessions, data_dir, settings.log_origin).integrate()
    finally:
        engine.dispose()
    with serve_app(create_app(settings)) as base_url, httpx.Client(base_url=base_url, timeout=30) as client:
        yield Display(client, entries)


def page(display: Display, path: str) -> str:
    response = display.client.get(path)
    assert response.status_code == 200, (path, response.text[:500])
    assert check_html(response.text).errors == [], path
    return re.sub(r"\s+", " ", response.text)


def test_a_redacted_framework_shows_its_redacted_share_by_category(display: Display) -> None:
    html = page(display, f"/statements/{display.entries['acme-sdf-2'].log_index}")
    assert '<h2 id="redactions-heading">Redactions</h2>' in html
    assert "2 passages redacted:" in html
    share = re.search(r"passages redacted: (\d+\.\d)% to (\d+\.\d)% of the document's text", html)
    assert share is not None
    assert 0 < float(share.group(1)) < float(share.group(2)) < 100
    assert '<th scope="row">public-safety</th>' in html
    assert '<th scope="row">cybersecurity</th>' in html
    assert '<td class="num">100 to 999</td>' in html
    for text in REDACTED_TEXTS:
        assert text not in html


def test_a_document_without_redactions_has_no_statistics(display: Display) -> None:
    html = page(display, f"/statements/{display.entries['acme-certification'].log_index}")
    assert "redactions-heading" not in html


def test_a_standing_certification_links_the_framework_it_certified(display: Display) -> None:
    html = page(display, "/developers/acme-ai")
    framework = display.entries["acme-sdf-2"]
    certified_on = TODAY - timedelta(days=30)
    assert (
        f'Certified compliance with <a href="/statements/{framework.log_index}">SDF v2.0</a> '
        f"(log entry {framework.log_index}, document" in html
    )
    assert f"</code>) on {certified_on}, for {certified_on - timedelta(days=180)} to {certified_on}" in html
    assert f'<a href="/statements/{display.entries["acme-certification"].log_index}">the certification</a>' in html
    assert "has lapsed" not in html


def test_an_old_certification_of_a_superseded_framework_is_flagged(display: Display) -> None:
    html = page(display, "/developers/borealis")
    framework = display.entries["borealis-sdf-1"]
    assert f'Certified compliance with <a href="/statements/{framework.log_index}">SDF v1.0</a>' in html
    assert f"</code>) on {TODAY - timedelta(days=400)}," in html
    assert "The certification has lapsed" in html
    assert "It is older than 12 months" in html
    assert "It is older than the current framework, version 2.0" in html


def test_a_developer_without_a_certification_is_flagged(display: Display) -> None:
    html = page(display, "/developers/corvid-labs")
    assert "<h3>No certification</h3>" in html
    assert "No certification of compliance is published." in html


def test_a_correction_and_the_corrected_card_link_to_each_other(display: Display) -> None:
    card, correction = display.entries["acme-card"], display.entries["acme-correction"]
    corrected_page = page(display, f"/statements/{card.log_index}")
    assert f'Corrected by <a href="/statements/{correction.log_index}">Correction Acme-3, version 1.0.1</a>' in (
        corrected_page
    )
    correction_page = page(display, f"/statements/{correction.log_index}")
    assert f'This correction corrects <a href="/statements/{card.log_index}">System card Acme-3, version 1.0</a>' in (
        correction_page
    )
    # The corrected card is still the published text, unchanged.
    assert "Corrected by" not in correction_page
