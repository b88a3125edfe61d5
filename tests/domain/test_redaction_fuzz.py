"""Differential fuzzing of the redaction parser against the site's renderer.

Hypothesis writes bodies out of fences (of every length, with odd info strings), lists, quotes, HTML blocks and
comments, tabs and no-break spaces, and mixed line endings, around redaction markup (well and badly written) whose
passages hold canaries. For every body Candor accepts, a canary the preview hides must appear neither in the
public version (the bytes the API serves and the log keeps) nor on its page. A refused body is fine.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from candor.domain.markdown import shared_parser
from candor.domain.parse import parse_bytes
from candor.domain.public_version import derive_public_text, new_salts
from candor.domain.redaction_markup import REDACTION_BLOCK, REDACTION_INLINE, looks_like_redaction_markup
from candor.errors import DocumentError
from candor.services.publishing import check_public_version
from candor.web.markdown import DocumentRenderer

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "acme-ai"
FRONT = (EXAMPLES / "certification-2026.md").read_text().partition("\n---\n")[0]
RENDERER = DocumentRenderer()

_OPENINGS = ["::: redact", ":::redact", ":::: redact", "::: Redact", "::: {.redact", "   ::: redact", "\t::: redact"]
_CLOSINGS = [":::", "::::", "  :::", ":::  ", "\t:::", "::"]
_NOISE = [
    "```", "````", "~~~", "``` a`b", "```python", "\t```", "\u00a0```", "    ```", "<div>", "</div>", "<!--", "-->",
    "<!-- x -->", "- item", "  - nested", "1. one", "> quote", ">", "", "", "Plain prose.", ":::", "| a | b |",
    "|---|---|", "# Heading", "    indented", "<pre>", "</pre>", "\\", "`", "[", "]",
]  # fmt: skip
_PREFIXES = ["", "", "", "> ", "- ", "  ", "\t", "\u00a0", "    ", "> - ", ">"]
_NEWLINES = ["\n", "\n", "\n", "\r\n", "\r"]
_ATTRIBUTES = " category=trade-secret justification=j"


@st.composite
def bodies(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A body and the canaries it puts inside redaction markup."""
    lines: list[str] = []
    canaries: list[str] = []
    for number in range(draw(st.integers(1, 12))):
        prefix = draw(st.sampled_from(_PREFIXES))
        choice = draw(st.integers(0, 3))
        canary = f"Canary{number}q"
        if choice == 0:
            canaries.append(canary)
            opening = draw(st.sampled_from(_OPENINGS))
            closing = draw(st.sampled_from(_CLOSINGS))
            inner = draw(st.lists(st.sampled_from(_NOISE), max_size=3))
            follow = draw(st.sampled_from(["", "  ", "> ", "\t", prefix]))
            lines.append(prefix + opening + _ATTRIBUTES + ("}" if "{" in opening else ""))
            lines.extend(follow + line for line in [*inner[:1], canary, *inner[1:], closing])
        elif choice == 1:
            canaries.append(canary)
            before = draw(st.sampled_from(["", "`", "<!-- ", "\\", "<span>", "*", "[", "![a "]))
            after = draw(st.sampled_from(["", "`", " -->", "</span>", "*", "]", "](u)"]))
            word = draw(st.sampled_from([".redact", ".Redact", " .redact", ".redacted"]))
            lines.append(f"{prefix}Text {before}[{canary}]{{{word}{_ATTRIBUTES}}}{after} more.")
        else:
            lines.extend(prefix + line for line in draw(st.lists(st.sampled_from(_NOISE), min_size=1, max_size=4)))
    text = ""
    for line in lines:
        text += line + draw(st.sampled_from(_NEWLINES))
    return text, canaries


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bodies())
def test_a_canary_the_preview_hides_is_never_published_in_clear(written: tuple[str, list[str]]) -> None:
    body, canaries = written
    try:
        original = parse_bytes("cert.md", f"{FRONT}\n---\n{body}".encode())
    except DocumentError:
        return  # refused with its line: nothing is published
    preview = str(RENDERER.render(original.body))
    if original.redactions:
        public_text = derive_public_text(original, new_salts(len(original.redactions)))
        public = parse_bytes("cert.md", public_text.encode())
    else:
        public = original
    page = str(RENDERER.render(public.body))
    assert all(redaction.is_placeholder for redaction in public.redactions)
    check_public_version(public, sealed=True)  # the registry's own checks pass on the derived public version
    for canary in canaries:
        if canary not in preview:
            assert canary not in public.source.text, f"{canary} hidden in the preview but published in clear"
            assert canary not in page


@settings(max_examples=300, deadline=None)
@given(bodies())
def test_the_safety_net_catches_everything_the_plugin_reads_as_markup(written: tuple[str, list[str]]) -> None:
    # Front-matter texts and raw HTML are checked with the safety net alone, so it must cover every reading.
    body = written[0].replace("\r\n", "\n").replace("\r", "\n")
    for token in shared_parser().parse(body):
        if token.type == REDACTION_BLOCK:
            start, end = token.meta["redaction"].span
            assert looks_like_redaction_markup(body[start:end])
        for child in token.children or ():
            if child.type == REDACTION_INLINE:
                start, end = child.meta["redaction"].span
                assert looks_like_redaction_markup(child.meta["redaction"].source[start:end])
