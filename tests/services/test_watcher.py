"""The watcher against a real developer's site on loopback, changed between rounds, on SQLite and PostgreSQL.

Each test pairs the attack or the failure with a control in which nothing is wrong, so that each could fail: the
site edits a page silently, replaces a PDF, withdraws a document, drops it from its manifest, signs its manifest
with the wrong key, loops redirects, sends 50 MiB, trickles bytes, or goes away; the watcher must log each as the
right finding, in the log, once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session, sessionmaker
from tlog_scales import tiles as scales_tiles
from tlog_scales.backend import LocalBackend
from tlog_scales.reader import TilesReader as IndependentReader
from tlog_scales.signing import Vkey

from candor.domain.developer_keys import public_key_raw
from candor.domain.manifest import MANIFEST_PATH, sign_manifest
from candor.domain.observation import parse_observation_entry
from candor.services.audit import RegistryAudit
from candor.services.integration import RegistryLog
from candor.services.manifests import PublishedDocument, manifest_content, published_documents
from candor.services.verification import check_statement_entries
from candor.services.watch_fetch import WatchLimits
from candor.services.watcher import Watcher
from candor.store.log_entries import latest_checkpoint, log_entries
from candor.store.watching import Watching
from candor.testing.publishing import ORIGIN, Signer, framework, public_version, publisher, register, signed
from candor.tlog.merkle import inclusion_proof, leaf_hash, verify_inclusion
from candor.tlog.tilereader import DirectoryFetcher, TileReader
from tests.sites import Page, Site, pdf_bytes

START = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def site() -> Iterator[Site]:
    with Site() as running:
        yield running


@pytest.fixture
def log(sessions: sessionmaker[Session], tmp_path: Path) -> RegistryLog:
    return RegistryLog(sessions, tmp_path / "data", ORIGIN)


def make_watcher(sessions: sessionmaker[Session], log: RegistryLog, clock: Clock, **limits: object) -> Watcher:
    settings = {"allow_hosts": ("127.0.0.1",), "host_interval": 0.0, "deadline": 5.0, "read_timeout": 5.0}
    settings.update(limits)
    return Watcher(sessions, log, WatchLimits(**settings), clock=clock)  # type: ignore[arg-type]


def findings(sessions: sessionmaker[Session], url: str | None = None) -> list[tuple[str, str | None]]:
    """(finding, reason) of every observation, oldest first (of one URL, if given)."""
    with sessions() as session:
        rows = Watching(session).observations(limit=1000)
        return [(row.finding, row.reason) for row in reversed(rows) if url is None or row.url == url]


def html(text: str) -> bytes:
    return f"<html><body><h1>Frontier safety</h1><p>{text}</p></body></html>".encode()


def test_a_silently_edited_html_page_is_an_unannounced_revision_and_an_unchanged_one_logs_nothing(
    sessions: sessionmaker[Session], log: RegistryLog, site: Site
) -> None:
    register(sessions, "lab-x")
    clock = Clock()
    watcher = make_watcher(sessions, log, clock)
    watcher.add("lab-x", site.url("/framework"))
    site.pages["/framework"] = Page(html("We will pause training above the threshold."))
    watcher.run_once()
    # Control: a second round over an unchanged page logs nothing, and gets a 304.
    report = watcher.run_once(force=True)
    assert (report.recorded, report.not_modified) == (0, 1)
    site.pages["/framework"] = Page(html("We may consider pausing training above the threshold."))
    watcher.run_once(force=True)
    assert [finding for finding, _ in findings(sessions)] == ["archived", "unannounced-revision"]
    # The bytes changed but the text did not: archived, not a revision.
    site.pages["/framework"] = Page(html("We may consider pausing training above the threshold.") + b"\n<!-- x -->")
    watcher.run_once(force=True)
    assert findings(sessions)[-1] == ("archived", "the bytes changed, the text did not")


def test_a_replaced_pdf_is_archived_with_its_text(
    sessions: sessionmaker[Session], log: RegistryLog, site: Site
) -> None:
    register(sessions, "lab-x")
    watcher = make_watcher(sessions, log, Clock())
    watcher.add("lab-x", site.url("/framework.pdf"), kind="secure-development-framework")
    site.pages["/framework.pdf"] = Page(pdf_bytes("Evaluations every three months"), "application/pdf")
    watcher.run_once()
    site.pages["/framework.pdf"] = Page(pdf_bytes("Evaluations every twelve months"), "application/pdf")
    watcher.run_once(force=True)
    assert [finding for finding, _ in findings(sessions)] == ["archived", "unannounced-revision"]
    with sessions() as session:
        store = Watching(session)
        texts = [store.archived(row.content_sha256 or "").text for row in store.observations(limit=10)]  # type: ignore[union-attr]
    assert "twelve months" in texts[0]
    assert "three months" in texts[1]


def publish_site(
    sessions: sessionmaker[Session],
    signer: Signer,
    site: Site,
    *,
    key: Ed25519PrivateKey | None = None,
    slug: str | None = None,
) -> bytes:
    """Publish version 1 of the framework to the registry and serve it with a signed manifest on ``site``."""
    raw = framework(signer.slug, 1)
    document = public_version(raw)
    entry = publisher(sessions).publish(signer.token, signed(signer, raw))
    statements = [
        {
            "kind": entry.kind,
            "version": entry.version,
            "document_sha256": _sha(document),
            "statement_sha256": entry.statement_sha256,
            "log_index": entry.log_index,
        }
    ]
    documents = published_documents(statements)
    site.pages[MANIFEST_PATH] = Page(manifest_file(signer, site, documents, key=key, slug=slug), "application/json")
    site.pages["/" + documents[0].file_name()] = Page(document, "text/markdown; charset=utf-8")
    return document


def manifest_file(
    signer: Signer,
    site: Site,
    documents: list[PublishedDocument],
    *,
    key: Ed25519PrivateKey | None = None,
    slug: str | None = None,
) -> bytes:
    signing = key or signer.key
    content = manifest_content(
        developer=slug or signer.slug,
        legal_name=f"{signer.slug} Inc.",
        registries=["https://registry.example"],
        keys=[(public_key_raw(signing.public_key()), START, None)],
        documents=documents,
        site_url=site.root,
    )
    return sign_manifest(content, signing).file_bytes()


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def test_a_manifest_listed_document_served_with_other_bytes_is_a_silent_edit(
    sessions: sessionmaker[Session], log: RegistryLog, site: Site
) -> None:
    signer = register(sessions, "acme-ai")
    document = publish_site(sessions, signer, site)
    watcher = make_watcher(sessions, log, Clock())
    watcher.add("acme-ai", site.url(MANIFEST_PATH))
    watcher.run_once()
    document_path = next(path for path in site.pages if path.startswith("/documents/"))
    # Control: the site serves exactly the bytes the statement logged.
    assert findings(sessions, site.url(document_path)) == [("archived", "serves the bytes its statement logged")]
    site.pages[document_path] = Page(document.replace(b"must", b"should", 1), "text/markdown")
    watcher.run_once(force=True)
    finding, reason = findings(sessions, site.url(document_path))[-1]
    assert finding == "silent-edit"
    assert reason is not None
    assert "not the bytes logged for the statement" in reason


def test_a_withdrawn_document_and_a_dropped_manifest_entry_are_withdrawals(
    sessions: sessionmaker[Session], log: RegistryLog, site: Site
) -> None:
    signer = register(sessions, "acme-ai")
    publish_site(sessions, signer, site)
    watcher = make_watcher(sessions, log, Clock())
    watcher.add("acme-ai", site.url(MANIFEST_PATH))
    watcher.add("acme-ai", site.url("/policy"))
    site.pages["/policy"] = Page(html("Our policy."))
    watcher.run_once()
    # The page is taken down: 404.
    del site.pages["/policy"]
    # The document is dropped from a manifest that is otherwise valid and signed by the right key.
    site.pages[MANIFEST_PATH] = Page(manifest_file(signer, site, []), "application/json")
    watcher.run_once(force=True)
    assert findings(sessions, site.url("/policy"))[-1] == ("withdrawal", "the URL answers HTTP 404")
    listed = [url for url in _urls(sessions) if "/documents/" in url]
    finding, reason = findings(sessions, listed[0])[-1]
    assert finding == "withdrawal"
    assert reason is not None
    assert "dropped from the developer's manifest" in reason
    # Logged once: another round adds nothing.
    before = len(findings(sessions))
    watcher.run_once(force=True)
    assert len(findings(sessions)) == before


def _urls(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        return [row.url for row in Watching(session).watches()]


@pytest.mark.parametrize("case", ["another developer's key", "an unregistered key", "another developer's name"])
def test_a_manifest_signed_with_the_wrong_key_is_refused_with_its_reason(
    sessions: sessionmaker[Session], log: RegistryLog, site: Site, case: str
) -> None:
    signer = register(sessions, "acme-ai")
    other = register(sessions, "rival-ai")
    if case == "another developer's key":
        publish_site(sessions, signer, site, key=other.key)
        expected = "registered to another developer (rival-ai)"
    elif case == "an unregistered key":
        publish_site(sessions, signer, site, key=Ed25519PrivateKey.generate())
        expected = "never registered for acme-ai"
    else:
        publish_site(sessions, signer, site, slug="rival-ai")
        expected = "names developer 'rival-ai'"
    watcher = make_watcher(sessions, log, Clock())
    watcher.add("acme-ai", site.url(MANIFEST_PATH))
    watcher.run_once()
    ((finding, reason),) = findings(sessions)
    assert finding == "refused"
    assert reason is not None
    assert expected in reason
    # Nothing it lists is trusted: no document was added to the watch list.
    assert _urls(sessions) == [site.url(MANIFEST_PATH)]


def test_a_tampered_or_malformed_manifest_is_refused(
    sessions: sessionmaker[Session], log: RegistryLog, site: Site
) -> None:
    signer = register(sessions, "acme-ai")
    publish_site(sessions, signer, site)
    body = site.pages[MANIFEST_PATH].body.replace(b"acme-ai Inc.", b"Acme AI Inc.")
    site.pages[MANIFEST_PATH] = Page(body, "application/json")
    watcher = make_watcher(sessions, log, Clock())
    watcher.add("acme-ai", site.url(MANIFEST_PATH))
    watcher.run_once()
    site.pages[MANIFEST_PATH] = Page(b'{"type": "candor.manifest/v1", "developer": ', "application/json")
    watcher.run_once(force=True)
    reasons = [reason or "" for _, reason in findings(sessions)]
    assert "signature: does not verify" in reasons[0]
    assert "not UTF-8 JSON" in reasons[1]


def test_hostile_answers_are_recorded_with_a_reason_and_the_round_goes_on(
    sessions: sessionmaker[Session], log: RegistryLog, site: Site
) -> None:
    register(sessions, "lab-x")
    watcher = make_watcher(sessions, log, Clock(), deadline=1.0, read_timeout=1.0)
    site.pages["/loop"] = Page(b"", behaviour="loop")
    site.pages["/huge"] = Page(b"", behaviour="huge")
    site.pages["/trickle"] = Page(html("slow " * 200), behaviour="trickle")
    site.pages["/image"] = Page(b"\x89PNG", "image/png")
    site.pages["/fine"] = Page(html("A page that behaves."))
    for path in ("/loop", "/huge", "/trickle", "/image", "/fine"):
        watcher.add("lab-x", site.url(path))
    report = watcher.run_once()
    assert report.errors == 0
    by_path = {path: findings(sessions, site.url(path)) for path in ("/loop", "/huge", "/trickle", "/image", "/fine")}
    assert "more than 5 redirects" in (by_path["/loop"][0][1] or "")
    assert "over the limit" in (by_path["/huge"][0][1] or "")
    assert "longer than 1 s" in (by_path["/trickle"][0][1] or "")
    assert "image/png" in (by_path["/image"][0][1] or "")
    assert all(rows[0][0] == "refused" for path, rows in by_path.items() if path != "/fine")
    assert by_path["/fine"] == [("archived", "first version seen")]


def test_a_site_that_stays_down_is_unreachable_after_the_set_days(
    sessions: sessionmaker[Session], log: RegistryLog
) -> None:
    register(sessions, "lab-x")
    clock = Clock()
    with Site() as site:
        site.pages["/p"] = Page(html("Here today."))
        url = site.url("/p")
        watcher = make_watcher(sessions, log, clock)
        watcher.unreachable_after = timedelta(days=3)
        watcher.add("lab-x", url)
        watcher.run_once()
    clock.advance(days=1)
    watcher.run_once(force=True)
    clock.advance(days=1)
    watcher.run_once(force=True)
    # Control: down for two days is a refusal, once, not yet unreachable.
    assert [finding for finding, _ in findings(sessions)] == ["archived", "refused"]
    clock.advance(days=2)
    watcher.run_once(force=True)
    clock.advance(days=1)
    watcher.run_once(force=True)
    assert [finding for finding, _ in findings(sessions)] == ["archived", "refused", "unreachable"]


def test_divergence_when_the_site_serves_an_older_version_than_the_registry_holds(
    sessions: sessionmaker[Session], log: RegistryLog, site: Site
) -> None:
    signer = register(sessions, "acme-ai")
    first, second = framework("acme-ai", 1), framework("acme-ai", 2, supersedes=1)
    publish = publisher(sessions)
    publish.publish(signer.token, signed(signer, first))
    site.pages["/framework.md"] = Page(public_version(first), "text/markdown")
    watcher = make_watcher(sessions, log, Clock())
    watcher.add("acme-ai", site.url("/framework.md"), kind="secure-development-framework")
    watcher.run_once()
    assert findings(sessions)[-1] == ("archived", "serves the latest published version, 1.0")
    publish.publish(signer.token, signed(signer, second, minutes=5))
    watcher.run_once(force=True)  # the site answers 304: it still serves version 1
    finding, reason = findings(sessions)[-1]
    assert finding == "divergence"
    assert reason is not None
    assert "the registry holds a later one, 2.0" in reason


def test_after_a_restart_nothing_is_downloaded_or_logged_twice(
    sessions: sessionmaker[Session], log: RegistryLog, site: Site
) -> None:
    signer = register(sessions, "acme-ai")
    publish_site(sessions, signer, site)
    site.pages["/page"] = Page(html("Stable."))
    clock = Clock()
    first = make_watcher(sessions, log, clock)
    first.add("acme-ai", site.url(MANIFEST_PATH))
    first.add("acme-ai", site.url("/page"))
    first.run_once()
    logged = findings(sessions)
    # A new watcher, as after a restart, an hour later: every URL is looked at again, conditionally.
    clock.advance(hours=1)
    restarted = make_watcher(sessions, log, clock)
    report = restarted.run_once()
    assert report.looked == 3
    assert report.recorded == 0
    assert report.not_modified == 3
    assert findings(sessions) == logged
    assert set(site.full_answers.values()) == {1}


def test_observations_are_log_entries_signed_by_the_log_key_and_proven_in_the_tree(
    sessions: sessionmaker[Session], log: RegistryLog, site: Site, tmp_path: Path
) -> None:
    register(sessions, "lab-x")
    site.pages["/p"] = Page(html("Version one."))
    watcher = make_watcher(sessions, log, Clock())
    watcher.add("lab-x", site.url("/p"))
    watcher.run_once()
    site.pages["/p"] = Page(html("Version two."))
    watcher.run_once(force=True)
    log.integrate()
    with sessions() as session:
        checkpoint = latest_checkpoint(session)
        entries = log_entries(session, 0, 10)
        rows = Watching(session).observations(limit=10)
    assert checkpoint is not None
    reader = TileReader(DirectoryFetcher(log.public), checkpoint.size, checkpoint.root_hash)
    for row in rows:
        entry = entries[row.log_index].entry
        logged = parse_observation_entry(entry)
        logged.verify(log.signer.verifier().verify)
        assert logged.observation.digest() == row.observation_sha256
        proof = inclusion_proof(reader, row.log_index, checkpoint.size)
        verify_inclusion(leaf_hash(entry), row.log_index, checkpoint.size, proof, checkpoint.root_hash)
    newer, older = rows
    assert parse_observation_entry(entries[newer.log_index].entry).observation.previous == older.observation_sha256
    # The same, read by an independent implementation of tlog-tiles from the served files alone.
    independent = IndependentReader(LocalBackend(log.public))
    served = independent.get_checkpoint()
    served.verify(Vkey.from_string(log.signer.vkey()))
    for row in rows:
        entry = independent.get_entry(row.log_index)
        assert entry == entries[row.log_index].entry
        independent.get_inclusion_proof(row.log_index, served.size).check(
            scales_tiles.leaf_hash(entry), served.root_hash
        )
    assert check_statement_entries(reader, log.signer.verifier()) == checkpoint.size
    report = RegistryAudit(sessions, log.data_dir).run()
    assert report.clean, report.findings


def test_an_observation_not_signed_by_the_log_key_is_refused(
    sessions: sessionmaker[Session], log: RegistryLog, site: Site
) -> None:
    register(sessions, "lab-x")
    site.pages["/p"] = Page(html("Version one."))
    watcher = make_watcher(sessions, log, Clock())
    watcher.add("lab-x", site.url("/p"))
    watcher.run_once()
    with sessions() as session:
        entry = log_entries(session, 0, 1)[0].entry
    logged = parse_observation_entry(entry)
    forger = Ed25519PrivateKey.generate()
    from candor.domain.observation import signed_observation
    from candor.domain.statement import StatementError

    forged = parse_observation_entry(signed_observation(logged.observation, forger.sign))
    with pytest.raises(StatementError, match="not signed by the log key"):
        forged.verify(log.signer.verifier().verify)


def test_robots_txt_is_honoured_and_the_user_agent_names_candor(
    sessions: sessionmaker[Session], log: RegistryLog, site: Site
) -> None:
    register(sessions, "lab-x")
    site.pages["/robots.txt"] = Page(b"User-agent: *\nDisallow: /private\n", "text/plain")
    site.pages["/private/p"] = Page(html("Hidden."))
    site.pages["/public"] = Page(html("Open."))
    watcher = make_watcher(sessions, log, Clock(), contact_url="https://registry.example/about-the-watcher")
    watcher.add("lab-x", site.url("/private/p"))
    watcher.add("lab-x", site.url("/public"))
    watcher.run_once()
    assert "robots.txt disallows /private/p" in (findings(sessions, site.url("/private/p"))[0][1] or "")
    assert findings(sessions, site.url("/public"))[0][0] == "archived"
    assert "/private/p" not in [path for path, _ in site.requests]
    agents = {headers["user-agent"] for _, headers in site.requests}
    assert agents == {"CandorWatcher/0.1.0 (Candor transparency registry; +https://registry.example/about-the-watcher)"}


def test_loopback_is_refused_unless_allowed(sessions: sessionmaker[Session], log: RegistryLog, site: Site) -> None:
    register(sessions, "lab-x")
    site.pages["/p"] = Page(html("Internal."))
    watcher = make_watcher(sessions, log, Clock(), allow_hosts=())
    watcher.add("lab-x", site.url("/p"))
    watcher.run_once()
    ((finding, reason),) = findings(sessions)
    assert finding == "refused"
    assert reason is not None
    assert "does not connect there" in reason
    assert site.requests == []


def test_a_manifest_cannot_point_the_watcher_at_other_sites(
    sessions: sessionmaker[Session], log: RegistryLog, site: Site
) -> None:
    signer = register(sessions, "acme-ai")
    publish_site(sessions, signer, site)
    listed = json.loads(site.pages[MANIFEST_PATH].body)
    documents = [
        PublishedDocument(item["kind"], None, item["version"], item["sha256"], item["statement"], item["log_index"])
        for item in listed["documents"]
    ]
    content = manifest_content(
        developer="acme-ai",
        legal_name="acme-ai Inc.",
        registries=["https://registry.example"],
        keys=[(public_key_raw(signer.key.public_key()), START, None)],
        documents=documents,
        site_url="http://victim.example",
    )
    site.pages[MANIFEST_PATH] = Page(sign_manifest(content, signer.key).file_bytes(), "application/json")
    watcher = make_watcher(sessions, log, Clock())
    watcher.add("acme-ai", site.url(MANIFEST_PATH))
    watcher.run_once()
    assert _urls(sessions) == [site.url(MANIFEST_PATH)]
    # Control: the same manifest listing its own site's URL gets the document watched (the other tests).
