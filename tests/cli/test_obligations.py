"""``candor obligations`` through the real entry point: text within 80 columns, JSON, iCalendar, statements from
a folder, and one-line errors with exit 2 for bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar

from tests.conftest import EXAMPLES, RunCandor

ACME = str(EXAMPLES / "acme-ai" / "facts.yaml")


def obligations_text_at(invoke_candor: RunCandor, columns: int, *args: str) -> str:
    result = invoke_candor("obligations", *args, columns=columns)
    assert result.returncode == 0, result.stderr
    return result.stdout


def obligations_json(invoke_candor: RunCandor, *args: str) -> dict[str, Any]:
    result = invoke_candor("obligations", *args, "--format", "json")
    assert result.returncode == 0, result.stderr
    found: dict[str, Any] = json.loads(result.stdout)
    return found


def test_text_fits_80_columns_and_leads_with_overdue_and_due_soon(invoke_candor: RunCandor) -> None:
    text = obligations_text_at(
        invoke_candor, 80, ACME, "--as-of", "2026-06-01", "--statements", str(EXAMPLES / "acme-ai")
    )
    assert max(len(line.rstrip()) for line in text.splitlines()) <= 80
    assert "…" not in text
    lines = text.splitlines()
    assert lines[0] == "Obligations of Acme AI, Inc. (acme-ai) as of 2026-06-01 12:00 UTC"
    overdue = next(i for i, line in enumerate(lines) if line.startswith("Overdue ("))
    soon = next(i for i, line in enumerate(lines) if line.startswith("Due in the next 90 days ("))
    first_regime = next(i for i, line in enumerate(lines) if line.startswith("anthropic-2025 version"))
    assert overdue < soon < first_regime
    assert "America/Los_Angeles" in text
    assert "Europe/Brussels" in text
    # A statement from the folder is named as meeting the duty it meets.
    assert "met by  system-card Acme-3.5 1.0" in text
    assert "models[2].released (no deployment date on file)" in text


def test_json_has_states_zones_and_met_by(invoke_candor: RunCandor) -> None:
    found = obligations_json(invoke_candor, ACME, "--as-of", "2026-06-01", "--statements", str(EXAMPLES / "acme-ai"))
    assert found["developer"] == "acme-ai"
    assert found["as_of"] == "2026-06-01T12:00:00Z"
    assert {zone["regime"]: zone["time_zone"] for zone in found["time_zones"]} == {
        "anthropic-2025": "UTC",
        "ca-sb53": "America/Los_Angeles",
        "eu-ai-act-gpai": "Europe/Brussels",
    }
    states = {entry["state"] for entry in found["entries"]}
    assert states <= {"met", "due", "overdue", "unknown", "ongoing"}
    card = next(
        e
        for e in found["entries"]
        if (e["regime"], e["obligation"], e["model"]) == ("ca-sb53", "transparency-report", "Acme-3.5")
    )
    assert card["state"] == "met"
    assert card["met_by"]["where"].endswith("system-card-acme-3-5.md")
    assert card["due_date"] == "2026-03-10"


def test_ical_output_parses_back(invoke_candor: RunCandor) -> None:
    result = invoke_candor("obligations", ACME, "--as-of", "2026-06-01", "--format", "ical")
    assert result.returncode == 0, result.stderr
    parsed = Calendar.from_ical(result.stdout)
    events = list(parsed.walk("VEVENT"))
    assert events
    assert all("DTSTAMP" in event and "UID" in event for event in events)
    assert len({str(event["UID"]) for event in events}) == len(events)


def test_a_folder_without_the_models_card_leaves_its_duty_overdue(invoke_candor: RunCandor, tmp_path: Path) -> None:
    shutil.copy(EXAMPLES / "acme-ai" / "sdf-v1.md", tmp_path / "sdf-v1.md")
    found = obligations_json(invoke_candor, ACME, "--as-of", "2026-06-01", "--statements", str(tmp_path))
    card = next(
        e
        for e in found["entries"]
        if (e["regime"], e["obligation"], e["model"]) == ("ca-sb53", "transparency-report", "Acme-3.5")
    )
    assert card["state"] == "overdue"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ([ACME, "--as-of", "2026-13-01"], "is not a date"),
        (["missing-facts.yaml", "--as-of", "2026-06-01"], "missing-facts.yaml"),
        ([ACME, "--statements", "no-such-folder"], "no-such-folder"),
        ([ACME, "--statements", ".", "--registry", "http://127.0.0.1:9"], "not both"),
        ([ACME, "--registry", "http://127.0.0.1:9"], "cannot reach the server"),
    ],
)
def test_bad_input_exits_2_with_one_line(invoke_candor: RunCandor, args: list[str], fragment: str) -> None:
    result = invoke_candor("obligations", *args)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ")
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert fragment in result.stderr


def test_bad_facts_exit_2_naming_file_line_and_field(invoke_candor: RunCandor, tmp_path: Path) -> None:
    facts = tmp_path / "facts.yaml"
    facts.write_text("developer: acme-ai\nlegal_name: Acme\nincidents:\n  - id: x\n    kind: fire\n")
    result = invoke_candor("obligations", str(facts))
    assert result.returncode == 2
    assert "facts.yaml:5" in result.stderr
    assert "incidents[0].kind" in result.stderr


def test_a_bad_statement_file_exits_2_naming_it(invoke_candor: RunCandor, tmp_path: Path) -> None:
    (tmp_path / "forged.json").write_text('{"kind": "system-card"}')
    result = invoke_candor("obligations", ACME, "--statements", str(tmp_path))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "forged.json" in result.stderr


def test_obligations_starts_without_heavy_libraries() -> None:
    from tests.cli.test_startup import HEAVY, loaded_modules, top_level

    assert top_level(loaded_modules("obligations", ACME, "--as-of", "2026-06-01")) & (HEAVY | {"icalendar"}) == set()


def test_an_hour_clock_shows_its_instant_in_the_laws_zone_within_80_columns(
    invoke_candor: RunCandor, tmp_path: Path
) -> None:
    facts = tmp_path / "facts.yaml"
    incident = (
        "incidents:\n"
        "  - id: weights-exfiltration-2027-03\n"
        "    kind: critical-safety\n"
        "    discovered_at: 2027-03-13T10:00:00-05:00\n"
    )
    facts.write_text((EXAMPLES / "acme-ai" / "facts.yaml").read_text() + incident)
    text = obligations_text_at(invoke_candor, 80, str(facts), "--as-of", "2027-03-15")
    assert max(len(line.rstrip()) for line in text.splitlines()) <= 80
    assert "2027-03-16 11:00 EDT (America/New_York)" in text
    assert "incident weights-exfiltration-2027-03 discovered at" in text
