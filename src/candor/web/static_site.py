"""A developer's static disclosure site, rendered with the registry's own renderer, for any static host.

The pages use :class:`~candor.web.markdown.DocumentRenderer`, the renderer of the registry's document pages (the
same Markdown reading, the same redaction placeholders, the same sanitising), with the registry's stylesheet. The
site holds, under ``DIR``:

- ``index.html`` and ``feed.atom``;
- ``documents/<kind>[-<series>]-<version>.md``: each document, byte for byte as signed, with ``.html`` (its page,
  with the verification panel) and ``.md.tlog-proof`` (its c2sp.org/tlog-proof) beside it;
- ``.well-known/ai-transparency.json``: the signed manifest listing them;
- ``static/candor.css``.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from candor.domain.manifest import MANIFEST_PATH
from candor.domain.parse import parse_bytes
from candor.errors import CandorError
from candor.services.site_building import SiteContent
from candor.web.markdown import DocumentRenderer

_HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class _Page:
    title: str
    version: str
    published_at: str
    log_index: int
    sha256: str
    statement: str
    file_name: str
    html_name: str
    download_name: str


def write_static_site(content: SiteContent, out_dir: Path) -> list[Path]:
    """Write the site into ``out_dir`` (created if needed); the files written."""
    env = Environment(loader=FileSystemLoader(_HERE / "templates"), autoescape=select_autoescape(["html", "xml"]))
    renderer = DocumentRenderer()
    written: list[Path] = []
    pages = []
    common = {"legal_name": content.legal_name, "registry": content.registry}
    for document in sorted(content.documents, key=lambda item: -item.listed.log_index):
        listed = document.listed
        file_name = listed.file_name()
        series = f" ({listed.series})" if listed.series else ""
        page = _Page(
            title=listed.kind.replace("-", " ").capitalize() + series,
            version=listed.version,
            published_at=document.published_at,
            log_index=listed.log_index,
            sha256=listed.sha256,
            statement=listed.statement,
            file_name=file_name,
            html_name=file_name.removesuffix(".md") + ".html",
            download_name=Path(file_name).name,
        )
        pages.append(page)
        try:
            body = parse_bytes(file_name, document.content).body
        except CandorError:
            body = document.content.decode("utf-8", errors="replace")
        html = env.get_template("static_site/document.html").render(
            page=page, body=renderer.render(body), root="../", **common
        )
        written += [
            _write(out_dir / file_name, document.content),
            _write(out_dir / f"{file_name}.tlog-proof", document.tlog_proof.encode("utf-8")),
            _write(out_dir / page.html_name, html.encode("utf-8")),
        ]
    index = env.get_template("static_site/index.html").render(pages=pages, root="", **common)
    updated = max((page.published_at for page in pages), default="1970-01-01T00:00:00Z")
    feed = env.get_template("static_site/feed.xml").render(
        pages=pages, site_url=content.site_url, updated=updated, **common
    )
    written += [
        _write(out_dir / "index.html", index.encode("utf-8")),
        _write(out_dir / "feed.atom", feed.encode("utf-8")),
        _write(out_dir / MANIFEST_PATH.lstrip("/"), content.manifest.file_bytes()),
    ]
    css = out_dir / "static" / "candor.css"
    css.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_HERE / "static" / "candor.css", css)
    written.append(css)
    return written


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
    return path
