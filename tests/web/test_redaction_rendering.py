"""The public version's placeholders, as the website shows them: category, justification, size and commitment."""

from __future__ import annotations

from pathlib import Path

from candor.domain.parse import parse_bytes
from candor.domain.public_version import derive_public_text, new_salts
from candor.web.markdown import DocumentRenderer

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "acme-ai"
SECRET = "Foundry Nine"


def public_body() -> str:
    text = (EXAMPLES / "certification-2026.md").read_text() + (
        f'\n::: redact category=trade-secret justification="Names a supplier"\nThe supplier is {SECRET}.\n:::\n'
        f'\nChips from [{SECRET}]{{.redact category=cybersecurity justification="Names a vendor"}} only.\n'
    )
    original = parse_bytes("cert.md", text.encode())
    return parse_bytes("cert.md", derive_public_text(original, new_salts(2)).encode()).body


def test_placeholders_show_category_justification_size_and_commitment() -> None:
    body = public_body()
    html = str(DocumentRenderer().render(body))
    assert "<strong>Redacted passage</strong> — trade-secret" in html
    assert "Justification: Names a supplier" in html
    assert "Length: &lt;100 characters" in html
    assert '<span class="redaction">[redacted: cybersecurity; justification: Names a vendor]</span>' in html
    commitments = [
        line.split("commitment=")[1].split()[0].rstrip("}") for line in body.split("\n") if "commitment=" in line
    ]
    assert len(commitments) == 2
    assert f"<code>{commitments[0]}</code>" in html
    # The markup itself is not shown as text.
    assert "::: redacted" not in html
    assert "{.redacted" not in html
    assert SECRET not in html
