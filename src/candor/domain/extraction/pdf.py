"""The text of a PDF, page by page (pypdf).

pypdf is pure Python (no native parser to exploit), BSD-licensed and maintained; its text extraction is enough to
tell which words changed between two versions of a framework, which is all a diff needs.
"""

from __future__ import annotations

import io
import logging

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from candor.domain.extraction import ExtractionError

#: Pages read at most: a 20 MiB PDF may claim millions of pages.
MAX_PAGES = 2000


def pdf_text(content: bytes) -> str:
    """The text of each page, pages separated by a blank line."""
    # pypdf logs every oddity of a malformed file as a warning; the watcher records a reason instead.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        pages = []
        for number, page in enumerate(reader.pages):
            if number >= MAX_PAGES:
                break
            pages.append(page.extract_text() or "")
    except (PyPdfError, ValueError, KeyError, TypeError, IndexError, AttributeError, RecursionError) as exc:
        raise ExtractionError(f"the PDF cannot be read ({type(exc).__name__}: {exc})") from None
    return "\n\n".join(pages)
