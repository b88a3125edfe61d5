"""Settings: defaults, CANDOR_* variables, overrides, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from candor.config import SettingsError, load_settings
from candor.domain.source import MAX_DOCUMENT_BYTES


def test_defaults_put_sqlite_in_the_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CANDOR_DATA_DIR", raising=False)
    monkeypatch.delenv("CANDOR_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.data_dir == Path("candor-data")
    assert settings.database_url == f"sqlite:///{tmp_path.resolve() / 'candor-data' / 'candor.sqlite3'}"
    assert settings.uses_sqlite
    assert settings.max_document_bytes == MAX_DOCUMENT_BYTES == 5 * 1024 * 1024


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CANDOR_DATA_DIR", str(tmp_path / "env"))
    monkeypatch.setenv("CANDOR_DATABASE_URL", "postgresql+psycopg://db.example/candor")
    settings = load_settings()
    assert settings.data_dir == tmp_path / "env"
    assert settings.database_url == "postgresql+psycopg://db.example/candor"
    assert not settings.uses_sqlite


def test_an_override_beats_the_environment_and_none_is_ignored(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CANDOR_DATA_DIR", str(tmp_path / "env"))
    monkeypatch.delenv("CANDOR_DATABASE_URL", raising=False)
    assert load_settings(data_dir=tmp_path / "option").data_dir == tmp_path / "option"
    assert load_settings(data_dir=None).data_dir == tmp_path / "env"
    assert load_settings(data_dir=tmp_path / "option").database_url.endswith("/option/candor.sqlite3")


def test_a_malformed_limit_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CANDOR_MAX_DOCUMENT_BYTES", "lots")
    with pytest.raises(SettingsError, match="max_document_bytes"):
        load_settings()


def test_the_statement_limit_cannot_be_raised_past_the_log_format(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SettingsError, match="max_statement_bytes"):
        load_settings(max_statement_bytes=70_000)
