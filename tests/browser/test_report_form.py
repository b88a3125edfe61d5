"""A whistleblower uses the report form in Chromium, a reviewer answers from the console, and the whistleblower
reads the answer with the receipt: the whole confidential channel, with no JavaScript on its pages."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from candor.domain.regulator_keys import generate_regulator_key, regulator_private_pem, regulator_public_pem
from tests.browser.conftest import ConsoleRecord, Shooter, _wait_until_serving
from tests.conftest import REPO
from tests.processes import free_port

RECEIPT = re.compile(r"[0-9A-Z]{4}(?:-[0-9A-Z]{4}){5}-[0-9A-Z]{2}")


@pytest.fixture(scope="module")
def channel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Path]]:
    home = tmp_path_factory.mktemp("report-form")
    data_dir = home / "data"
    reviewer = generate_regulator_key()
    (home / "reviewer.key").write_bytes(regulator_private_pem(reviewer))
    (home / "reviewer.pub").write_bytes(regulator_public_pem(reviewer.public_key()))
    (home / "pepper").write_text(os.urandom(32).hex())
    env = {name: value for name, value in os.environ.items() if not name.startswith("CANDOR_")}
    env |= {
        "CANDOR_REPORT_PEPPER_FILE": str(home / "pepper"),
        "CANDOR_REPORT_REVIEWER_KEYS": json.dumps([str(home / "reviewer.pub")]),
    }
    subprocess.run([sys.executable, "-m", "candor", "db", "upgrade", "--data-dir", str(data_dir)], env=env, check=True,
                   capture_output=True, cwd=REPO)  # fmt: skip
    port = free_port()
    log_path = home / "serve.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "candor", "serve", "--port", str(port), "--data-dir", str(data_dir)],
            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=home,
        )  # fmt: skip
        try:
            base_url = f"http://127.0.0.1:{port}"
            _wait_until_serving(server, base_url, log_path)
            yield base_url, data_dir, home / "reviewer.key"
        finally:
            server.terminate()
            server.wait(timeout=30)


def _inbox(data_dir: Path, key: Path, *args: str) -> str:
    env = {name: value for name, value in os.environ.items() if not name.startswith("CANDOR_")}
    done = subprocess.run(
        [sys.executable, "-m", "candor", "inbox", *args, "--key", str(key), "--data-dir", str(data_dir)],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_whistleblower_sends_a_report_and_reads_the_reviewers_answer(
    channel: tuple[str, Path, Path], page: Page, console: ConsoleRecord, shoot: Shooter, tmp_path: Path
) -> None:
    base_url, data_dir, reviewer_key = channel
    page.goto(base_url + "/report")
    expect(page.get_by_role("heading", level=1)).to_have_text("Report to the regulator, confidentially")
    assert page.locator("script").count() == 0
    page.get_by_label("What do you want to report?").fill("The system card at log index 7 omits the bio evaluation.")
    page.get_by_label("Log indexes of the statements it concerns").fill("7")
    evidence = tmp_path / "memo.txt"
    evidence.write_text("The evaluation was cancelled on 2 March.")
    page.get_by_label("Files").set_input_files(str(evidence))
    shoot(page, "form")
    page.get_by_role("button", name="Send the report").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your report was received")
    found = RECEIPT.search(page.locator(".receipt").inner_text())
    assert found is not None
    receipt = found.group(0)
    shoot(page, "receipt")

    (report_id,) = re.findall(r"^([0-9a-f]{32}) ", _inbox(data_dir, reviewer_key, "list"), re.MULTILINE)
    opened = _inbox(data_dir, reviewer_key, "open", report_id, "--out", str(tmp_path / "opened"))
    assert "omits the bio evaluation" in opened
    assert (tmp_path / "opened" / "memo.txt").read_text() == "The evaluation was cancelled on 2 March."
    _inbox(data_dir, reviewer_key, "status", report_id, "acknowledged")
    _inbox(
        data_dir, reviewer_key, "reply", report_id, "--message", "Received. We have asked the developer for records."
    )

    page.goto(base_url + "/report/status")
    page.get_by_label("Your receipt").fill(receipt.lower())
    page.get_by_role("button", name="Show the replies").click()
    expect(page.get_by_text("We have asked the developer for records.")).to_be_visible()
    expect(page.get_by_text("acknowledged")).to_be_visible()
    shoot(page, "reply")
    page.goto(base_url + "/report/status")
    page.get_by_label("Your receipt").fill("7KQ2-9XWM-D3FH-0ABZ-TT4R-NNPV-8C")
    page.get_by_role("button", name="Show the replies").click()
    expect(page.get_by_role("alert")).to_have_text("No report matches that receipt.")
    assert console.csp_violations() == []
