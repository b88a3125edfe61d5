"""A certification bound to one published framework by log index and document hash, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy.orm import Session, sessionmaker

from candor.domain.parse import parse_bytes
from candor.services.certifications import (
    CertifiedFrameworkError,
    CertifiedFrameworkForbiddenError,
    check_certified_framework,
)
from tests.conftest import EXAMPLES
from tests.services.publishing_kit import framework, public_version, publisher, register, signed


def certification(slug: str, version: str, log_index: int, sha256: str) -> bytes:
    """The example certification by ``slug`` of framework ``version``, naming the entry ``log_index``/``sha256``."""
    raw = (EXAMPLES / "acme-ai" / "certification-2026.md").read_text()
    raw = raw.replace("developer: acme-ai", f"developer: {slug}", 1)
    bound = f'framework: "{version}"\nframework_entry:\n  log_index: {log_index}\n  sha256: "{sha256}"\n'
    return raw.replace('framework: "2.0"\n', bound, 1).encode()


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
        check_certified_framework(session, "acme-ai", parse_bytes("cert.md", raw))


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
