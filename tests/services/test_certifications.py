"""A certification bound to one published framework by log index and document hash, and dated no later than its
publication, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from candor.domain.parse import parse_bytes
from candor.services.certifications import (
    CertificationDateError,
    CertifiedFrameworkError,
    CertifiedFrameworkForbiddenError,
    CertifiedFrameworkMissingError,
    bind_certification,
    check_certification,
)
from candor.testing.publishing import framework, public_version, publisher, register, signed
from tests.conftest import EXAMPLES


def certification(slug: str, version: str, log_index: int, sha256: str) -> bytes:
    """The example certification by ``slug`` of framework ``version``, naming the entry ``log_index``/``sha256``."""
    raw = (EXAMPLES / "acme-ai" / "certification-2026.md").read_text()
    raw = raw.replace("developer: acme-ai", f"developer: {slug}", 1).replace(
        'framework: "2.0"', f'framework: "{version}"'
    )
    return bind_certification(raw.encode(), log_index, sha256)


def unbound(raw: bytes) -> bytes:
    """``raw`` without its ``framework_entry``."""
    text = raw.decode()
    start = text.index("framework_entry:\n")
    end = text.index("period:\n", start)
    return (text[:start] + text[end:]).encode()


NOW = datetime(2026, 11, 27, tzinfo=UTC)


@pytest.fixture
def published(sessions: sessionmaker[Session]) -> tuple[int, str, int]:
    """acme-ai's framework 1.0 and other-ai's framework 1.0: (acme's index, acme's document hash, other's index)."""
    acme, other = register(sessions, "acme-ai"), register(sessions, "other-ai")
    acme_raw, other_raw = framework("acme-ai", 1), framework("other-ai", 1)
    acme_entry = publisher(sessions).publish(acme.token, signed(acme, acme_raw))
    other_entry = publisher(sessions).publish(other.token, signed(other, other_raw))
    return acme_entry.log_index, hashlib.sha256(public_version(acme_raw)).hexdigest(), other_entry.log_index


def check(sessions: sessionmaker[Session], raw: bytes) -> None:
    with sessions() as session:
        check_certification(session, "acme-ai", parse_bytes("cert.md", raw), NOW)


def test_a_certification_of_the_developers_own_framework_passes(
    sessions: sessionmaker[Session], published: tuple[int, str, int]
) -> None:
    index, sha256, _ = published
    check(sessions, certification("acme-ai", "1.0", index, sha256))


def test_a_certification_naming_no_published_entry_is_refused(
    sessions: sessionmaker[Session], published: tuple[int, str, int]
) -> None:
    _, sha256, _ = published
    with pytest.raises(CertifiedFrameworkError, match="log entry 99, which does not exist"):
        check(sessions, certification("acme-ai", "1.0", 99, sha256))


def test_a_certification_naming_another_developers_framework_is_refused(
    sessions: sessionmaker[Session], published: tuple[int, str, int]
) -> None:
    _, sha256, other_index = published
    with pytest.raises(CertifiedFrameworkForbiddenError, match="which other-ai published"):
        check(sessions, certification("acme-ai", "1.0", other_index, sha256))


def test_a_certification_naming_other_bytes_or_another_version_is_refused(
    sessions: sessionmaker[Session], published: tuple[int, str, int]
) -> None:
    index, sha256, _ = published
    with pytest.raises(CertifiedFrameworkError, match="whose document is"):
        check(sessions, certification("acme-ai", "1.0", index, "0" * 64))
    with pytest.raises(CertifiedFrameworkError, match=r"framework version 1\.0, but the certification names 2\.0"):
        check(sessions, certification("acme-ai", "2.0", index, sha256))


def test_the_registry_refuses_to_publish_a_certification_of_another_developers_framework(
    sessions: sessionmaker[Session], published: tuple[int, str, int]
) -> None:
    acme_index, sha256, _ = published
    acme = register(sessions, "acme-two")
    own = framework("acme-two", 1)
    own_entry = publisher(sessions).publish(acme.token, signed(acme, own))
    with pytest.raises(CertifiedFrameworkForbiddenError):
        publisher(sessions).publish(acme.token, signed(acme, certification("acme-two", "1.0", acme_index, sha256)))
    bound = certification("acme-two", "1.0", own_entry.log_index, hashlib.sha256(public_version(own)).hexdigest())
    assert publisher(sessions).publish(acme.token, signed(acme, bound)).created


def test_a_certification_that_skips_the_binding_is_refused(
    sessions: sessionmaker[Session], published: tuple[int, str, int]
) -> None:
    index, sha256, _ = published
    raw = unbound(certification("acme-ai", "1.0", index, sha256))
    assert b"framework_entry" not in raw
    with pytest.raises(CertifiedFrameworkMissingError, match="not its published entry") as raised:
        check(sessions, raw)
    assert raised.value.http_status == 422
    assert "framework_entry" in (raised.value.hint or "")


def test_the_registry_refuses_to_publish_a_certification_that_skips_the_binding(
    sessions: sessionmaker[Session],
) -> None:
    acme = register(sessions, "acme-three")
    own = framework("acme-three", 1)
    entry = publisher(sessions).publish(acme.token, signed(acme, own))
    bound = certification("acme-three", "1.0", entry.log_index, hashlib.sha256(public_version(own)).hexdigest())
    with pytest.raises(CertifiedFrameworkMissingError):
        publisher(sessions).publish(acme.token, signed(acme, unbound(bound)))


def test_a_certification_dated_after_its_publication_is_refused_not_shown_as_current(
    sessions: sessionmaker[Session], published: tuple[int, str, int]
) -> None:
    index, sha256, _ = published
    raw = certification("acme-ai", "1.0", index, sha256).decode()
    assert "date: 2026-07-20" in raw
    with pytest.raises(CertificationDateError, match="dated 2099-07-20, after its publication on 2026-11-27") as raised:
        check(sessions, raw.replace("date: 2026-07-20", "date: 2099-07-20").encode())
    assert raised.value.http_status == 422


def test_a_certification_whose_period_starts_after_its_publication_is_refused(
    sessions: sessionmaker[Session], published: tuple[int, str, int]
) -> None:
    index, sha256, _ = published
    raw = certification("acme-ai", "1.0", index, sha256).decode()
    period = "start: 2026-01-15\n  end: 2026-06-30"
    assert period in raw
    ahead = raw.replace(period, "start: 2026-08-01\n  end: 2026-09-30").encode()
    published_at = datetime(2026, 7, 21, tzinfo=UTC)  # after the certification's date, before its period
    with sessions() as session, pytest.raises(CertificationDateError, match="period starts 2026-08-01"):
        check_certification(session, "acme-ai", parse_bytes("cert.md", ahead), published_at)


def test_binding_a_certification_replaces_the_entry_it_names() -> None:
    twice = bind_certification(certification("acme-ai", "1.0", 3, "a" * 64), 7, "b" * 64)
    model = parse_bytes("cert.md", twice).model
    assert twice.count(b"framework_entry:") == 1
    assert model.framework_entry is not None  # type: ignore[union-attr]
    assert (model.framework_entry.log_index, model.framework_entry.sha256) == (7, "b" * 64)  # type: ignore[union-attr]
