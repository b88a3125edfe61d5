"""Coverage-guided fuzzing of the redaction reader with atheris, for runs longer than the test suite's.

Not collected by pytest. atheris is not a dependency (it builds a native extension); install it, then run bounded:

    .venv/bin/pip install atheris
    .venv/bin/python tests/fuzz/redaction_atheris.py -max_total_time=60

Each input becomes the body of the example certification. The properties are the Hypothesis test's
(tests/domain/test_redaction_fuzz.py): parsing either succeeds or raises a DocumentError, never anything else; and
a marked passage the preview hides appears neither in the derived public version nor on its page.
"""

from __future__ import annotations

import html
import importlib
import sys
from pathlib import Path

from candor.domain.parse import parse_bytes
from candor.domain.public_version import derive_public_text, new_salts
from candor.errors import CandorError, DocumentError
from candor.web.markdown import DocumentRenderer

FRONT = (Path(__file__).resolve().parents[2] / "examples" / "acme-ai" / "certification-2026.md").read_text()
FRONT = FRONT.partition("\n---\n")[0]
RENDERER = DocumentRenderer()
#: Markup to splice into inputs, so the fuzzer starts near the interesting cases.
SEEDS = (
    b"::: redact category=trade-secret justification=j\nSecretPassage\n:::\n",
    b"[SecretWords]{.redact category=cybersecurity justification=j}\n",
    b"```\n",
    b"\t",
    b"\xc2\xa0",
    b"\r",
    b"> ",
    b"- ",
    b"<!--",
)


def check_one(data: bytes) -> None:
    """One input: the properties above, raising AssertionError when one fails."""
    body = b"".join(SEEDS[byte % len(SEEDS)] if byte < 16 else bytes([byte]) for byte in data)
    try:
        original = parse_bytes("fuzz.md", FRONT.encode() + b"\n---\n" + body)
    except DocumentError:
        return
    marked = [redaction.text for redaction in original.redactions if redaction.text is not None]
    if not marked or any(redaction.justification is None for redaction in original.redactions):
        return
    try:
        public_text = derive_public_text(original, new_salts(len(original.redactions)))
    except CandorError:
        return  # placeholders mixed with marked passages: refused
    public = parse_bytes("fuzz.md", public_text.encode())
    assert all(redaction.is_placeholder for redaction in public.redactions)
    preview = html.unescape(str(RENDERER.render(original.body)))
    page = html.unescape(str(RENDERER.render(public.body)))
    for text in marked:
        passage = text.strip()
        if len(passage) >= 6 and passage not in preview and passage not in original.body.replace(text, ""):
            assert passage not in public.source.text, f"{passage!r} hidden in the preview, published in clear"
            assert passage not in page


def main() -> None:
    atheris = importlib.import_module("atheris")
    atheris.instrument_all()  # the candor and markdown-it code already imported: coverage guides the fuzzer
    atheris.Setup(sys.argv, check_one)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
