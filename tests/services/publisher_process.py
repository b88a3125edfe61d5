"""A publishing worker, run in separate processes by the concurrency test: one developer, many versions."""

from __future__ import annotations

from pathlib import Path

from candor.domain.developer_keys import load_private_key
from candor.services.integration import RegistryLog
from candor.store.database import create_database_engine, session_factory
from candor.testing.publishing import ORIGIN, Signer, framework, publisher, signed

__all__ = ["ORIGIN", "publish_versions"]


def publish_versions(database_url: str, data_dir: str, slug: str, key_pem: bytes, token: str, count: int) -> list[int]:
    """Publish ``count`` framework versions as ``slug``, integrating after each; return the log indexes."""
    signer = Signer(slug, load_private_key(slug, key_pem), token)
    engine = create_database_engine(database_url)
    sessions = session_factory(engine)
    service = publisher(sessions)
    log = RegistryLog(sessions, Path(data_dir), ORIGIN)
    indexes = []
    try:
        for version in range(1, count + 1):
            raw = framework(signer.slug, version, supersedes=version - 1 if version > 1 else None)
            indexes.append(service.publish(signer.token, signed(signer, raw)).log_index)
            log.integrate()
    finally:
        engine.dispose()
    return indexes
