"""The notes a convolution adds to its result, in words (no numpy, no document model):
imported by every run, so they stay out of :mod:`convcli.reports`, which only the human
formats need."""

from __future__ import annotations

from typing import TYPE_CHECKING

from convcli.phrases import count, phrase

if TYPE_CHECKING:
    from convcli.core import ConvSetup


def unread_note(setup: ConvSetup, lang: str) -> str | None:
    """One note for both axes when the stride leaves the last padded rows or columns
    unread, indexed as the tables index the padded input (padding from −p)."""
    parts = []
    for noun, axis, before in (
        ("row", setup.rows, setup.pads[0]),
        ("column", setup.cols, setup.pads[2]),
    ):
        if not axis.unread:
            continue
        last = axis.padded - 1 - before
        first = last - axis.unread + 1
        if axis.unread == 1:
            word = noun if lang == "en" else {"row": "行", "column": "列"}[noun]
            parts.append(phrase(lang, "unread_one", noun=word, first=typeset_index(first)))
        else:
            n = count(lang, axis.unread, noun)
            parts.append(
                phrase(
                    lang, "unread_many", n=n, first=typeset_index(first), last=typeset_index(last)
                )
            )
    if not parts:
        return None
    verb = "is" if len(parts) == 1 and "index " in parts[0] else "are"
    return phrase(lang, "unread_note", what=phrase(lang, "and").join(parts), verb=verb)


def typeset_index(index: int) -> str:
    return str(index).replace("-", "−")
