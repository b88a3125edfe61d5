"""The demo publishes redacted documents as the real redaction path leaves them: placeholders and sealed originals.

Attack stopped: a demo that stores and serves the passages its own examples mark for redaction, showing visitors
a registry that leaks exactly what redaction promises to withhold.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from sqlalchemy import select

from candor.config import SQLITE_FILE_NAME, load_settings, sqlite_url
from candor.domain.parse import parse_bytes
from candor.services.redacting import open_sealed_file
from candor.store.database import create_database_engine, session_factory
from candor.store.tables import Document, SealedOriginalRecord, StatementRecord
from candor.web.app import create_app
from tests.conftest import RunCandor
from tests.web.conftest import serve_app

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def redacted_passages() -> set[str]:
    """Every line of every passage the demo developers' examples mark for redaction (long enough to be telling)."""
    passages: set[str] = set()
    for developer in ("acme-ai", "borealis-labs", "tessellate-ai"):
        for path in sorted((EXAMPLES / developer).glob("*.md")):
            for redaction in parse_bytes(str(path), path.read_bytes()).redactions:
                assert redaction.text is not None, f"{path} holds a placeholder, not a marked passage"
                passages.update(line.strip() for line in redaction.text.split("\n") if len(line.strip()) >= 20)
    return passages


def test_the_demo_stores_and_serves_no_redacted_passage(invoke_candor: RunCandor, tmp_path: Path) -> None:
    secrets = redacted_passages()
    assert len(secrets) >= 5  # the examples do mark passages, so this test can fail
    data_dir = tmp_path / "demo"
    seeded = invoke_candor("demo", "--seed-only", "--data-dir", str(data_dir), cwd=ROOT)
    assert seeded.returncode == 0, seeded.stderr

    # Nothing at rest: not the database (whatever table), not the log's tiles, not the files the redaction wrote.
    for path in data_dir.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            leaked = [secret for secret in secrets if secret.encode() in content]
            assert leaked == [], f"{path} holds redacted text: {leaked[:2]}"

    engine = create_database_engine(sqlite_url(data_dir / SQLITE_FILE_NAME))
    try:
        with session_factory(engine)() as session:
            documents = session.scalars(select(Document.sha256)).all()
            indexes = session.scalars(select(StatementRecord.log_index)).all()
            sealed = session.scalar(
                select(StatementRecord.log_index)
                .join(SealedOriginalRecord, SealedOriginalRecord.statement_id == StatementRecord.id)
                .join(Document, StatementRecord.document_sha256 == Document.sha256)
                .where(StatementRecord.version == "2.0", StatementRecord.developer.has(slug="acme-ai"))
            )
    finally:
        engine.dispose()
    assert documents
    assert sealed is not None, "acme-ai's framework 2.0 was not published with a sealed original"

    settings = load_settings(data_dir=data_dir, database_url=sqlite_url(data_dir / SQLITE_FILE_NAME))
    with serve_app(create_app(settings)) as base_url, httpx.Client(base_url=base_url, timeout=30) as client:
        served = [client.get(f"/api/v1/documents/{sha256}") for sha256 in documents]
        pages = [client.get(path) for path in ("/developers/acme-ai", f"/statements/{sealed}")]
        pages += [client.get(f"/statements/{index}") for index in indexes]
    for response in served + pages:
        assert response.status_code == 200, response.url
        leaked = [secret for secret in secrets if secret in response.text]
        assert leaked == [], f"{response.url} shows redacted text: {leaked[:2]}"
    sealed_page = re.sub(r"\s+", " ", pages[1].text)
    assert "Redacted passage" in sealed_page
    assert '<h2 id="redactions-heading">Redactions</h2>' in sealed_page

    # The regulator, and only the regulator, gets the passages back from what the demo wrote.
    opened = open_sealed_file(
        data_dir / "redacted" / "acme-ai" / "sdf-v2.sealed", data_dir / "redacted" / "regulator.key"
    )
    assert "412 questions across six protocol stages" in opened.original.decode()
