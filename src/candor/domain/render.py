"""Writing a disclosure back out as front matter and Markdown, in the form :mod:`candor.domain.parse` reads.

Tools that generate disclosures (templates, conversions, tests) use this, so that what they write always
parses back to the same model.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from candor.domain.yamlload import dump_yaml


def render_document(model: BaseModel, body: str) -> str:
    """The file text for ``model`` and its Markdown ``body``.

    ``kind`` comes first, as people write it; optional fields that are unset are left out.
    """
    fields: dict[str, Any] = model.model_dump(mode="python", exclude_none=True)
    if "kind" in fields:
        fields = {"kind": fields.pop("kind"), **fields}
    return f"---\n{dump_yaml(fields)}---\n{body}"
