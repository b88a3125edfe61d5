"""Lookalike names: Unicode TR39 skeletons, and the invisible characters that let two names differ unseen.

A registry that lists ``acme-ai`` beside ``acrne-ai``, or ``Acme AI, Inc.`` beside the same name with a Cyrillic
``А``, lets an impostor pass as a developer to every reader. Two names are *confusable* when their skeletons are
equal: the skeleton (Unicode Technical Standard #39, section 4) maps each character to the prototype it is
confused with, so ``m`` and ``rn``, ``I`` and ``l``, Latin ``a`` and Cyrillic ``а`` share one. The mapping is ICU's
spoof checker, which reads the ``confusables.txt`` data of the Unicode version it ships (ICU 77: Unicode 16).

Names are compared without regard to case (case-folded after NFKC), since readers do not tell ``ACME`` from
``acme`` either.
"""

from __future__ import annotations

import unicodedata
from functools import cache

import icu

from candor.errors import CandorError

#: General categories never allowed in a name: controls, format characters (bidi overrides, zero-width joiners
#: and spaces, the BOM), private-use, surrogates, unassigned code points, and line or paragraph separators.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"})

#: How many times a key is folded and skeletonised at most; real text settles after one or two rounds.
_MAX_FOLDS = 4


class InvisibleCharacterError(CandorError):
    """A name holding a character a reader cannot see: a bidi control, a zero-width character, an odd space."""


@cache
def _spoof_checker() -> icu.SpoofChecker:
    return icu.SpoofChecker()


def confusable_keys(text: str) -> frozenset[str]:
    """The TR39 skeletons of ``text``, settled across case: two texts that share a key read alike.

    Case matters to the skeleton (a capital ``I`` reads as ``l``, a small ``i`` does not) and readers ignore it, so
    the text is taken both as written and case-folded. Each is skeletonised and folded until it no longer changes,
    since some prototypes are capitals (``0`` becomes ``O``): ``n0va`` and ``nova`` then share a key.
    """
    written = unicodedata.normalize("NFKC", text)
    return frozenset({_settled(written), _settled(written.casefold())})


def read_alike(first: str, second: str) -> bool:
    """Whether ``first`` and ``second`` are confusable: they share a skeleton."""
    return not confusable_keys(first).isdisjoint(confusable_keys(second))


def _settled(text: str) -> str:
    for _ in range(_MAX_FOLDS):
        skeleton: str = _spoof_checker().getSkeleton(icu.USpoofChecks.ANY_CASE, text).casefold()
        if skeleton == text:
            break
        text = skeleton
    return text


def check_visible(text: str, field: str) -> None:
    """Refuse ``text`` if it holds a character that does not show, or shows as something else (a bidi override).

    Only the plain space may separate words: a no-break or ideographic space would make a second name that looks
    the same as the first.
    """
    for position, character in enumerate(text):
        category = unicodedata.category(character)
        if category in _FORBIDDEN_CATEGORIES or (category == "Zs" and character != " "):
            name = unicodedata.name(character, "unnamed character")
            raise InvisibleCharacterError(
                f"{field} holds U+{ord(character):04X} {name} at position {position + 1}; names may hold only "
                "characters that show",
                hint="remove bidi controls, zero-width characters and special spaces",
            )
