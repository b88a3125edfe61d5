"""Developer slugs: the one rule for a developer's permanent short name, wherever it is written.

The admin registers it, statements and documents name it, facts files declare it; all of them use this rule, so
a slug the registry accepts is one that every document can name. Lower-case letters and digits, in words joined by
single hyphens (``acme-ai``, never ``acme--ai`` or ``-acme``), at most 64 characters.
"""

from __future__ import annotations

import re
from typing import Final

#: The slug grammar, for pydantic ``pattern=`` fields and JSON schemas.
DEVELOPER_SLUG_PATTERN: Final = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
#: The longest slug: a URL path segment and a DNS label both fit 63 or 64 characters.
MAX_SLUG_CHARS: Final = 64

_SLUG = re.compile(DEVELOPER_SLUG_PATTERN)


def is_developer_slug(value: str) -> bool:
    """Whether ``value`` is a valid developer slug."""
    return len(value) <= MAX_SLUG_CHARS and _SLUG.fullmatch(value) is not None
