"""The registry the web tests share: three developers, several versions each, and a hostile document.

Filled through :class:`candor.testing.registry.Registry` (the real store, real signatures, the real integration).
"""

from __future__ import annotations

from dataclasses import dataclass

from candor.testing.registry import Published, Registry, as_developer, example

#: Markdown that tries every trick a hostile document could: script, event handler, javascript: link, raw HTML.
HOSTILE_BODY = """
## Appendix

<script>alert("owned")</script>
<img src="x" onerror="alert('owned')">
[Click for details](javascript:alert('owned'))
<a href="https://evil.example/" onclick="alert('owned')">a raw link</a>
<iframe src="https://evil.example/"></iframe>

::: redact category=trade-secret justification="Names our evaluation vendor"
The vendor is Secret Evals Inc.
:::

Our compute budget is [4e26 FLOP]{.redact category=national-security justification="export controls"}.
"""


def weakened(raw: bytes) -> bytes:
    """A later framework version that commits to assessing chemical weapons risk only as `may`, not `must`."""
    domain = b"  - id: cbrn.chemical\n    strength: must\n"
    assert domain in raw
    return raw.replace(domain, b"  - id: cbrn.chemical\n    strength: may\n", 1)


@dataclass
class Filled:
    """The statements a filled registry holds, by name."""

    published: dict[str, Published]
    #: The key events registration logged before the statements (one key-registration per developer).
    key_events: int = 0

    @property
    def log_size(self) -> int:
        """How many entries the log holds: the key events and the statements."""
        return self.key_events + len(self.published)


def fill(registry: Registry) -> Filled:
    """Three developers, several versions each: a weakened commitment, a withdrawal, a certification, and a
    document with hostile Markdown."""
    registry.register("acme-ai", "Acme AI, Inc.", "acme-ai.example")
    registry.register("borealis", "Borealis Research Ltd", "borealis.example")
    registry.register("corvid-labs", "Corvid Labs", "corvid.example")
    published: dict[str, Published] = {}
    published["acme-sdf-1"] = registry.publish(example("sdf-v1.md"), "sdf-v1.md")
    published["borealis-sdf-1"] = registry.publish(as_developer(example("sdf-v1.md"), "borealis"))
    published["acme-sdf-2"] = registry.publish(example("sdf-v2.md"), "sdf-v2.md")
    published["acme-card-3"] = registry.publish(example("system-card-acme-3.md"))
    published["acme-card-3-5"] = registry.publish(example("system-card-acme-3-5.md"))
    published["acme-certification"] = registry.publish(example("certification-2026.md"))
    weak = weakened(as_developer(example("sdf-v2.md"), "borealis"))
    published["borealis-sdf-2-weakened"] = registry.publish(weak)
    hostile = as_developer(example("sdf-v1.md"), "corvid-labs") + HOSTILE_BODY.encode()
    published["corvid-sdf-hostile"] = registry.publish(hostile)
    published["acme-withdrawal"] = registry.withdraw(
        "acme-ai", published["acme-card-3-5"], series="Acme-3.5", version="1.0-withdrawn"
    )
    return Filled(published, key_events=3)
