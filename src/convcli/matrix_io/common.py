"""Constants and helpers shared by the matrix readers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from convcli.errors import LimitError, ParseError

DEFAULT_MAX_INPUT_BYTES = 256 * 1024 * 1024
MAX_INPUT_ENV = "CONVCLI_MAX_INPUT_BYTES"
# Python refuses int() of longer digit strings by default, and int() is quadratic beyond it.
MAX_TOKEN_CHARS = 4300
MAX_RANK = 5  # [O][C][kd][kh][kw]: a stack of 3-D kernels

_NPY_MAGIC = b"\x93NUMPY"
_FORMAT_BY_EXTENSION = {
    ".json": "json",
    ".npy": "npy",
    ".csv": "text",
    ".tsv": "text",
    ".txt": "text",
}
_PATH_EXTENSIONS = (".csv", ".tsv", ".txt", ".json", ".npy")
_NOT_PATH_CHARS = re.compile(r"[;|\s]")
_NUMBER_CHARS = re.compile(r"[0-9+\-−.,/eE]+")
_WORD = re.compile(r"[^\W\d][\w-]*")
_NON_FINITE_WORDS = frozenset({"nan", "inf", "infinity"})
_WORDS_IN_FIELD = re.compile(r"[^ \t]+")
_JSON_START = re.compile(r"\s*[\[{]")
_BLANKS = " \t"
_FULLWIDTH = re.compile("[\uff01-\uff5e\u3000-\u3002]")  # see numbers.fullwidth_problem
_BLANK_INSIDE = re.compile(r"[^ \t][ \t]+[^ \t]")  # two values with blanks between them
_INNER_TAB = re.compile(r"[^ \t\n][ \t]*\t[ \t]*[^ \t\n]")  # a tab between two values


def _normalise_newlines(text: str) -> str:
    # CRLF and a lone CR become LF: line numbers stay those of the original text.
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _shape_text(shape: tuple[int, ...]) -> str:
    return "×".join(str(n) for n in shape)


def _short(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


@contextmanager
def _resource_guard(label: str) -> Iterator[None]:
    """MemoryError and RecursionError, which some inputs provoke, as convcli errors."""
    try:
        yield
    except MemoryError:
        msg = f"{label}: not enough memory to read it"
        raise LimitError(msg) from None
    except RecursionError:
        msg = f"{label}: nested too deeply to read"
        raise ParseError(msg) from None


def _at(label: str, line: int, column: int) -> str:
    return f"{label}: line {line}, column {column}"


def _too_long(token: str) -> str:
    return (
        f"{_short(token, 20)} has {len(token)} characters; a number has at most {MAX_TOKEN_CHARS}"
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _stack_shape(channels: int, height: int, width: int) -> tuple[int, ...]:
    return (height, width) if channels == 1 else (channels, height, width)


def _sniff(data: str) -> str:
    """The delimiter of a text without comments: the same answer for both tokenizers."""
    if "," in data:
        return ","
    if "\t" in data and _INNER_TAB.search(data):
        return "\t"
    return ";" if ";" in data else " "


def _content(line: str) -> str:
    return line.partition("#")[0]
