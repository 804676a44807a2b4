"""Where a matrix comes from: stdin, files, presets, inline text; size limits and encodings."""

from __future__ import annotations

import codecs
import io
import os
import re
import stat
import sys
from collections.abc import Sequence
from typing import BinaryIO

import numpy as np

from convcli.errors import LimitError, ParseError
from convcli.images import is_image, read_image
from convcli.kernels import get_kernel, is_kernel_name
from convcli.matrix_io.common import (
    _FORMAT_BY_EXTENSION,
    _JSON_START,
    _NON_FINITE_WORDS,
    _NOT_PATH_CHARS,
    _NPY_MAGIC,
    _NUMBER_CHARS,
    _PATH_EXTENSIONS,
    _WORD,
    DEFAULT_MAX_INPUT_BYTES,
    MAX_INPUT_ENV,
    _at,
    _normalise_newlines,
    _resource_guard,
    _shape_text,
    _short,
)
from convcli.matrix_io.json_npy import _parse_npy, parse_json
from convcli.matrix_io.text import parse_text
from convcli.numbers import (
    Array,
    unify,
)

# --------------------------------------------------------------------------- sources

_ROW_BREAK = re.compile(r"[;\n\r]")


def load_matrix(
    source: str,
    *,
    option: str = "--input",
    allow_nan: bool = False,
    stdin: BinaryIO | None = None,
    notes: list[str] | None = None,
) -> Array:
    """The matrix named by one ``--input``/``--kernel`` value (see the module docstring),
    in the 2-D layouts: a flat vector is one row.

    Notes for the user (a file that shadows a preset of the same name) are appended to
    ``notes`` when it is given; this layer never prints.

    >>> load_matrix("1 2 | 3 4").shape
    (2, 1, 2)
    >>> load_matrix("1 2 3").shape
    (1, 3)
    """
    array = load_array(source, option=option, allow_nan=allow_nan, stdin=stdin, notes=notes)
    return fit_layout(array, _resolve(source, option)[1], option, 2)


def load_array(
    source: str,
    *,
    option: str = "--input",
    allow_nan: bool = False,
    stdin: BinaryIO | None = None,
    notes: list[str] | None = None,
) -> Array:
    """One source as read, 0-D to 5-D: a flat vector (inline text without ``;`` or a newline,
    a flat JSON list, a 1-D ``.npy``) stays 1-D, which is what infers ``--dims 1``.

    >>> load_array("1 2 3").shape, load_array("[1, 2]").shape, load_array("1 2;").shape
    ((3,), (2,), (1, 2))
    """
    kind, label = _resolve(source, option)
    if kind == "file" and notes is not None and _names_preset(source, option):
        note = _shadow_note(source, option)
        if note not in notes:  # the same file given twice needs saying once
            notes.append(note)
    with _resource_guard(label):
        return _load(kind, source, option, label, allow_nan, stdin)


# The layouts of each number of spatial axes, channels first (SPEC §7).
_LAYOUTS = {
    1: {"--input": ("[W]", "[C][W]"), "--kernel": ("[k]", "[C][k]", "[O][C/g][k]")},
    2: {"--input": ("[H][W]", "[C][H][W]"), "--kernel": ("[kh][kw]", "[C][kh][kw]",
                                                         "[O][C/g][kh][kw]")},
    3: {"--input": ("[D][H][W]", "[C][D][H][W]"),
        "--kernel": ("[kd][kh][kw]", "[C][kd][kh][kw]", "[O][C/g][kd][kh][kw]")},
}  # fmt: skip


def fit_layout(array: Array, label: str, option: str, dims: int) -> Array:
    """``array`` checked against the layouts of ``dims`` spatial axes; in 2-D a flat vector
    is one row (``[1][W]``). The error says which layouts were expected."""
    if dims == 2 and array.ndim == 1:
        array = array.reshape(1, -1)
    role = "--kernel" if option == "--kernel" else "--input"
    if dims == 1 and role == "--input" and array.ndim == 3 and array.shape[1] == 1:
        array = array[:, 0]  # channels of one row each ("1 2 3 | 4 5 6"): [C][W]
    layouts = _LAYOUTS[dims][role]
    if dims <= array.ndim < dims + len(layouts):
        return array
    more = "; give --dims 3 for a volume" if array.ndim >= dims + len(layouts) and dims < 3 else ""
    if dims == 2 and role == "--input" and array.ndim == 4:
        msg = (
            f"{label}: a 4-D array ({_shape_text(array.shape)}) is a stack of kernels; "
            f"{option} takes a 2-D [H][W] or 3-D [C][H][W] matrix{more}"
        )
        raise ParseError(msg)
    expected = ", ".join(layouts[:-1]) + " or " + layouts[-1]
    msg = (
        f"{label}: a {array.ndim}-D array ({_shape_text(array.shape)}); with --dims {dims} "
        f"{option} takes {expected}{more}"
    )
    raise ParseError(msg)


def load_stack(
    sources: Sequence[str],
    *,
    option: str = "--input",
    allow_nan: bool = False,
    stdin: BinaryIO | None = None,
    notes: list[str] | None = None,
    dims: int = 2,
) -> Array:
    """Several sources as one array: input channels ``[C][…]`` or kernels ``[O][C][…]``,
    each checked against the layouts of ``dims`` spatial axes.

    ``notes`` collects the notes of every source (see :func:`load_matrix`).

    >>> load_stack(["1 2; 3 4", "5 6; 7 8"]).shape
    (2, 2, 2)
    >>> load_stack(["1 2 3", "4 5 6"], dims=1).shape
    (2, 3)
    """
    arrays = load_arrays(sources, option=option, allow_nan=allow_nan, stdin=stdin, notes=notes)
    return stack_arrays(arrays, sources, option, dims)


def load_arrays(
    sources: Sequence[str],
    *,
    option: str = "--input",
    allow_nan: bool = False,
    stdin: BinaryIO | None = None,
    notes: list[str] | None = None,
) -> list[Array]:
    """Every source of a repeatable option as read (see :func:`load_array`)."""
    if not sources:
        msg = f"{option}: no matrix given"
        raise ParseError(msg)
    if sum(source == "-" for source in sources) > 1:
        msg = f"{option}: '-' (stdin) given twice; standard input can be read only once"
        raise ParseError(msg)
    return [
        load_array(s, option=option, allow_nan=allow_nan, stdin=stdin, notes=notes) for s in sources
    ]


def infer_dims(arrays: Sequence[Array]) -> int:
    """1 when every input source is a flat vector (SPEC §7), else 2."""
    return 1 if all(a.ndim == 1 for a in arrays) else 2


def stack_arrays(arrays: Sequence[Array], sources: Sequence[str], option: str, dims: int) -> Array:
    """The sources of one option checked for ``dims`` and stacked: several inputs as
    channels (a source with channels adds all of them), several kernels as output kernels."""
    fitted = [
        fit_layout(a, _resolve(s, option)[1], option, dims)
        for a, s in zip(arrays, sources, strict=True)
    ]
    if len(fitted) == 1:
        return fitted[0]
    kernels = option == "--kernel"
    rank = dims + (2 if kernels else 1)
    parts = [a.reshape((1,) * (rank - a.ndim) + a.shape) for a in fitted]
    _check_stack_shapes(parts, sources, option, "kernels" if kernels else "channels")
    try:
        return np.concatenate(unify(parts), axis=0)
    except OverflowError:
        msg = f"{option}: an integer too large for float64 cannot be stacked with floats"
        raise ParseError(msg) from None


def _check_stack_shapes(parts: list[Array], sources: Sequence[str], option: str, what: str) -> None:
    expected = parts[0].shape[1:]
    for number, (part, source) in enumerate(zip(parts, sources, strict=True), start=1):
        if part.shape[1:] != expected:
            msg = (
                f"{option} #{number} ({_source_name(source)}) is {_shape_text(part.shape[1:])}, "
                f"but {option} #1 ({_source_name(sources[0])}) is {_shape_text(expected)}; "
                f"stacked {what} must have the same shape"
            )
            raise ParseError(msg)


def _resolve(source: str, option: str) -> tuple[str, str]:
    """What ``source`` names (stdin, file, kernel, inline) and its label for messages."""
    if source == "-":
        return "stdin", f"{option} <stdin>"
    if os.path.exists(source):
        return "file", f"{option} {source!r}"
    if option == "--kernel" and is_kernel_name(source):
        return "kernel", f"{option} {source!r}"
    return "inline", f"{option} (inline)"


def _names_preset(source: str, option: str) -> bool:
    """Whether a ``--kernel`` value that names a file is also the name of a preset."""
    if option != "--kernel" or not is_kernel_name(source):
        return False
    try:
        get_kernel(source)
    except ParseError:
        return False
    return True


def _shadow_note(source: str, option: str) -> str:
    shown = source if os.path.dirname(source) else os.path.join(os.curdir, source)
    return f"{option} {source}: read the file {shown}, not the preset of that name"


def _load(
    kind: str, source: str, option: str, label: str, allow_nan: bool, stdin: BinaryIO | None
) -> Array:
    if kind == "stdin":
        return _parse_bytes(read_stdin(stdin, label), label=label, allow_nan=allow_nan, fmt="sniff")
    if kind == "file" and is_image(source):
        return read_image(_read_file(source, label), label)
    if kind == "file":
        fmt = _FORMAT_BY_EXTENSION.get(os.path.splitext(source)[1].lower(), "sniff")
        return _parse_bytes(_read_file(source, label), label=label, allow_nan=allow_nan, fmt=fmt)
    if kind == "kernel":
        return get_kernel(source)
    return _parse_inline(source, option, label, allow_nan)


def _parse_inline(source: str, option: str, label: str, allow_nan: bool) -> Array:
    try:
        if _JSON_START.match(source):
            return parse_json(source, label=label, allow_nan=allow_nan)
        array = parse_text(source, label=label, inline=True, allow_nan=allow_nan)
        if array.ndim == 2 and len(array) == 1 and not _ROW_BREAK.search(source):
            return array.reshape(-1)  # one line of numbers is a vector (SPEC §7)
        return array
    except ParseError:
        kind = _path_kind(source)
        if kind == "path":
            msg = f"{option}: no such file: {source!r}"
            raise ParseError(msg) from None
        if kind == "word":
            msg = f"{option} {source!r}: neither a file nor a matrix (no file has that name)"
            raise ParseError(msg) from None
        raise


def _path_kind(text: str) -> str | None:
    """``"path"`` or ``"word"`` when unreadable inline text was more likely meant as a file."""
    if not text or _NOT_PATH_CHARS.search(text):
        return None
    if text.lower().endswith(_PATH_EXTENSIONS) or is_image(text):
        return "path"
    if ("/" in text or "\\" in text) and not _NUMBER_CHARS.fullmatch(text):
        return "path"
    if _WORD.fullmatch(text) and text.lower() not in _NON_FINITE_WORDS:
        return "word"
    return None


def _source_name(source: str) -> str:
    if source == "-":
        return "<stdin>"
    return repr(source) if os.path.exists(source) else _short(source)


# --------------------------------------------------------------------------- reading bytes


def max_input_bytes() -> int:
    """The input size limit: ``CONVCLI_MAX_INPUT_BYTES`` when set, else 256 MiB."""
    raw = os.environ.get(MAX_INPUT_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_INPUT_BYTES
    if not re.fullmatch(r"[0-9]+", raw) or int(raw) < 1:
        msg = f"{MAX_INPUT_ENV}={raw!r} is not a positive whole number of bytes"
        raise LimitError(msg)
    return int(raw)


def _too_large(label: str, limit: int) -> LimitError:
    msg = (
        f"{label} is larger than the input limit of {_human_bytes(limit)}; "
        f"set {MAX_INPUT_ENV} to a larger number of bytes to read it"
    )
    return LimitError(msg)


def _human_bytes(count: int) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= size and count % size == 0:
            return f"{count // size} {unit}"
    return f"{count} bytes"


MATRIX_PIPE = (
    "a matrix (CSV, JSON or .npy) into it, e.g. cat img.csv | convcli conv -i - -k sobel-x"
)


def read_stdin(stream: BinaryIO | None, label: str, pipe: str = MATRIX_PIPE) -> bytes:
    """Standard input's bytes, within the input limit; a terminal is refused with
    ``pipe`` saying what to pipe in."""
    if stream is None:
        stream = _default_stdin(label)
    try:
        interactive = stream.isatty()
    except (OSError, ValueError):
        interactive = False
    if interactive:
        msg = f"{label}: standard input is a terminal; pipe {pipe}"
        raise ParseError(msg)
    limit = max_input_bytes()
    try:
        data = stream.read(limit + 1)
    except (OSError, ValueError) as error:
        msg = f"{label}: cannot read standard input: {error}"
        raise ParseError(msg) from None
    if len(data) > limit:
        raise _too_large(label, limit)
    return bytes(data)


def _default_stdin(label: str) -> BinaryIO:
    text_stream = sys.stdin
    buffer: BinaryIO | None = getattr(text_stream, "buffer", None)
    if buffer is None:
        if text_stream is None:
            msg = f"{label}: there is no standard input"
            raise ParseError(msg)
        # A text-only stand-in (some test runners): hand its text on as UTF-8 bytes.
        return io.BytesIO(text_stream.read().encode("utf-8", "surrogateescape"))
    return buffer


def _read_file(path: str, label: str) -> bytes:
    limit = max_input_bytes()
    try:
        with open(path, "rb") as handle:
            info = os.fstat(handle.fileno())
            if stat.S_ISREG(info.st_mode) and info.st_size > limit:
                raise _too_large(label, limit)
            data = handle.read(limit + 1)
    except IsADirectoryError:
        msg = f"{label}: is a directory, not a file"
        raise ParseError(msg) from None
    except PermissionError:
        msg = f"{label}: permission denied"
        raise ParseError(msg) from None
    except OSError as error:
        msg = f"{label}: cannot read it: {error.strerror or error}"
        raise ParseError(msg) from None
    if len(data) > limit:
        raise _too_large(label, limit)
    return data


def _parse_bytes(data: bytes, *, label: str, allow_nan: bool, fmt: str) -> Array:
    if fmt == "npy" or data.startswith(_NPY_MAGIC):
        return _parse_npy(data, label, allow_nan)
    text = decode_text(data, label)
    if fmt == "json" or (fmt == "sniff" and _JSON_START.match(text)):
        return parse_json(text, label=label, allow_nan=allow_nan)
    return parse_text(text, label=label, inline=False, allow_nan=allow_nan)


def decode_text(data: bytes, label: str) -> str:
    """UTF-8 bytes (an optional BOM is dropped) as text; ``ParseError`` saying where it is not.

    >>> decode_text(b"1,2\\n3,\\xe9", "--input 'a.csv'")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    convcli.errors.ParseError: --input 'a.csv': line 2, column 3: not UTF-8 text (byte 0xE9); ...
    """
    skip = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    body = memoryview(data)[skip:]
    wide = _wide_encoding(bytes(body[:64]))
    if wide:
        msg = f"{label}: this is {wide} text; convert it to UTF-8 (e.g. iconv -f {wide} -t UTF-8)"
        raise ParseError(msg)
    nul = data.find(b"\0", skip)
    nul = nul - skip if nul >= 0 else -1
    try:
        text = str(body, "utf-8")
    except UnicodeDecodeError as error:
        if 0 <= nul < error.start:
            raise _nul_error(body, nul, label) from None
        line, column = _byte_position(body, error.start)
        byte = body[error.start]
        msg = f"{_at(label, line, column)}: not UTF-8 text (byte 0x{byte:02X}); save it as UTF-8"
        raise ParseError(msg) from None
    if nul >= 0:
        raise _nul_error(body, nul, label)
    return text


def _wide_encoding(head: bytes) -> str | None:
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "UTF-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "UTF-16"
    # ASCII text in UTF-16 without a BOM: every other byte is NUL, the others are not.
    if len(head) >= 4 and 0 < head.count(0) < len(head):
        for zeros, chars in ((head[1::2], head[0::2]), (head[0::2], head[1::2])):
            if not any(zeros) and all(chars):
                return "UTF-16"
    return None


def _nul_error(body: bytes | memoryview, index: int, label: str) -> ParseError:
    line, column = _byte_position(body, index)
    msg = f"{label}: line {line}, column {column}: a NUL byte; this looks like a binary file"
    return ParseError(msg)


def _byte_position(body: bytes | memoryview, index: int) -> tuple[int, int]:
    """Line and column (characters, 1-based) of byte ``index``; the bytes before it are UTF-8."""
    head = _normalise_newlines(str(body[:index], "utf-8"))
    return head.count("\n") + 1, len(head) - head.rfind("\n")
