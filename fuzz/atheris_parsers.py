"""Coverage-guided fuzzing of convcli's parsers with atheris (libFuzzer for Python).

Every parser that reads what a user typed or piped may fail only with ``ConvError`` (and
``parse_number`` with the ``ValueError`` it documents); anything else (IndexError,
UnicodeError, RecursionError, OverflowError, a numpy error, ...) is a bug and stops the run
with the input that caused it (libFuzzer writes it to ``crash-<sha1>``). An error message
must be one non-empty line. A parsed matrix must be a canonical array (2-D to 4-D, int64,
float64 or object of ints and Fractions, no NaN or infinity unless ``allow_nan``) and its csv
(``format_csv``) must read back to the same values. Targets: text (inline or file rules),
JSON, ``load_matrix`` on stdin bytes, on a temp file of each extension, on inline text, and
on a fuzzed ``.npy`` (dtype, shape, data, then a changed byte or a cut); the option parsers
``parse_padding``, ``parse_pair``, ``parse_cell``, ``parse_numbers``; ``parse_number``.

Run (see fuzz/README.md)::

    .venv/bin/python fuzz/atheris_parsers.py -max_total_time=300 -timeout=10 corpus/
    .venv/bin/python fuzz/atheris_parsers.py crash-...          # replay one input
    .venv/bin/python fuzz/atheris_parsers.py --smoke 20000      # without atheris: random bytes
"""

from __future__ import annotations

import io
import math
import os
import random
import sys
import tempfile
from collections.abc import Callable
from fractions import Fraction
from functools import partial
from typing import Any

import numpy as np

try:
    import atheris
except ImportError:  # the harness stays importable (and --smoke runs) without atheris
    atheris = None

os.environ.setdefault("CONVCLI_MAX_INPUT_BYTES", str(1 << 20))


def _instrumented_imports() -> Any:
    if atheris is not None:
        with atheris.instrument_imports(include=["convcli"]):
            import convcli.matrix_io
            import convcli.numbers
            import convcli.params
    else:
        import convcli.matrix_io
        import convcli.numbers
        import convcli.params
    return convcli


convcli = _instrumented_imports()
from convcli.errors import ConvError  # noqa: E402
from convcli.matrix_io import format_csv, load_matrix, parse_json, parse_text  # noqa: E402
from convcli.numbers import parse_number  # noqa: E402
from convcli.params import parse_cell, parse_numbers, parse_padding, parse_pair  # noqa: E402

SCRATCH = tempfile.mkdtemp(prefix="convcli-atheris-")
EXTENSIONS = (".csv", ".tsv", ".txt", ".json", ".npy", "", ".dat")
LABELS = ("--input (inline)", "--kernel 'k.csv'", "--input <stdin>")
OPTIONS = ("--input", "--kernel")
CANONICAL = {np.dtype(np.int64), np.dtype(np.float64), np.dtype(object)}


class Provider:
    """The part of ``atheris.FuzzedDataProvider`` the harness uses, for --smoke without it."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def remaining_bytes(self) -> int:
        return len(self.data) - self.at

    def ConsumeIntInRange(self, low: int, high: int) -> int:  # atheris names these methods
        if self.remaining_bytes() == 0:
            return low
        byte = self.data[self.at]
        self.at += 1
        return low + byte % (high - low + 1)

    def ConsumeBool(self) -> bool:
        return bool(self.ConsumeIntInRange(0, 1))

    def ConsumeBytes(self, count: int) -> bytes:
        chunk = self.data[self.at : self.at + count]
        self.at += len(chunk)
        return chunk

    def ConsumeUnicodeNoSurrogates(self, count: int) -> str:
        return self.ConsumeBytes(count).decode("utf-8", "replace")


STRICT = os.environ.get("CONVCLI_FUZZ_STRICT", "1").strip() not in ("", "0")


def known_bug(array: Any, allow_nan: bool) -> bool:
    """Known bugs (failing tests in tests/test_bad_inputs.py) let through unless STRICT.

    - npy-0d-nonfinite: a 0-D .npy holding NaN or ±inf loads without allow_nan.
    """
    if STRICT or allow_nan or not isinstance(array, np.ndarray) or array.size != 1:
        return False
    return array.dtype == np.float64 and not np.isfinite(array).all()


def check_array(array: Any, allow_nan: bool, what: str) -> None:
    """A parsed matrix is canonical: numpy, 2-D to 4-D, int64/float64/object, finite."""
    problem = None
    if not isinstance(array, np.ndarray):
        problem = f"returned {type(array).__name__}, not an array"
    elif not 2 <= array.ndim <= 4 or array.size == 0:
        problem = f"shape {array.shape}"
    elif array.dtype not in CANONICAL:
        problem = f"dtype {array.dtype}"
    elif array.dtype == object:
        odd = [v for v in array.flat if isinstance(v, bool) or not isinstance(v, int | Fraction)]
        problem = f"object cells {odd[:3]!r}" if odd else None
    elif not allow_nan and array.dtype == np.float64 and not np.isfinite(array).all():
        problem = "a non-finite value without allow_nan"
    if problem:
        msg = f"{what}: {problem}"
        raise AssertionError(msg)


def check_csv_round_trip(array: Any, what: str) -> None:
    """format_csv reads back (as a file) to the same values and the same kind."""
    text = format_csv(array)
    back = parse_text(text, label="--input 'back.csv'", inline=False, allow_nan=True)
    same_kind = (array.dtype == np.float64) == (back.dtype == np.float64)
    if back.size != array.size or not same_kind:
        msg = f"{what}: csv read back as {back.dtype} {back.shape}, was {array.dtype} {array.shape}"
        raise AssertionError(msg)
    back = back.reshape(array.shape)
    if array.dtype == np.float64:
        same = np.array_equal(array, back, equal_nan=True)
    else:
        same = array.tolist() == back.tolist()
    if not same:
        msg = f"{what}: csv {text!r} read back differently"
        raise AssertionError(msg)


NPY_DTYPES = ("<i1", ">i2", "<i8", "<u8", "<f2", "<f4", ">f8", "|b1", "<c8", "<U1", "|S2")


def _npy(fdp: Any) -> bytes:
    """An .npy file of a fuzzed dtype and shape, then a fuzzed byte changed or a cut."""
    dtype = np.dtype(NPY_DTYPES[fdp.ConsumeIntInRange(0, len(NPY_DTYPES) - 1)])
    shape = tuple(fdp.ConsumeIntInRange(0, 3) for _ in range(fdp.ConsumeIntInRange(0, 5)))
    size = int(np.prod(shape)) if shape else 1
    raw = fdp.ConsumeBytes(size * dtype.itemsize).ljust(size * dtype.itemsize, b"\0")
    buffer = io.BytesIO()
    np.save(buffer, np.frombuffer(raw, dtype=dtype).reshape(shape), allow_pickle=False)
    blob = bytearray(buffer.getvalue())
    edit = fdp.ConsumeIntInRange(0, 3)
    if edit == 1:
        blob[fdp.ConsumeIntInRange(0, len(blob) - 1)] = fdp.ConsumeIntInRange(0, 255)
    elif edit == 2:
        del blob[fdp.ConsumeIntInRange(0, len(blob)) :]
    return bytes(blob)


def _text(fdp: Any) -> str:
    size = fdp.ConsumeIntInRange(0, 4096)
    if fdp.ConsumeBool():
        return fdp.ConsumeUnicodeNoSurrogates(size)
    return fdp.ConsumeBytes(size).decode("utf-8", "surrogateescape")


def _file(fdp: Any, raw: bytes) -> str:
    path = os.path.join(SCRATCH, "m" + EXTENSIONS[fdp.ConsumeIntInRange(0, len(EXTENSIONS) - 1)])
    with open(path, "wb") as handle:
        handle.write(raw)
    return path


def one_input(data: bytes) -> None:
    """The libFuzzer entry point: one input, one parser call, only documented errors."""
    fdp = atheris.FuzzedDataProvider(data) if atheris is not None else Provider(data)
    target = fdp.ConsumeIntInRange(0, 11)
    allow_nan = fdp.ConsumeBool()
    label = LABELS[fdp.ConsumeIntInRange(0, len(LABELS) - 1)]
    option = OPTIONS[fdp.ConsumeIntInRange(0, 1)]
    call: Callable[[], Any]
    expect_array = True
    value_error_ok = False
    if target == 0:
        inline = fdp.ConsumeBool()
        call = partial(parse_text, _text(fdp), label=label, inline=inline, allow_nan=allow_nan)
    elif target == 1:
        call = partial(parse_json, _text(fdp), label=label, allow_nan=allow_nan)
    elif target == 2:
        stdin = io.BytesIO(fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 4096)))
        call = partial(load_matrix, "-", option=option, allow_nan=allow_nan, stdin=stdin)
    elif target == 3:
        path = _file(fdp, fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 4096)))
        call = partial(load_matrix, path, option=option, allow_nan=allow_nan)
    elif target == 10:
        stdin = io.BytesIO(_npy(fdp))
        call = partial(load_matrix, "-", option=option, allow_nan=allow_nan, stdin=stdin)
    elif target == 4:
        source = _text(fdp)
        if source == "-" or "\x00" in source or os.path.exists(source):
            return  # stdin, or a real path: not what this target is about
        call = partial(load_matrix, source, option=option, allow_nan=allow_nan)
    else:
        expect_array = False
        text = fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 64))
        if target == 5:
            call = partial(parse_padding, text)
        elif target == 6:
            call = partial(parse_pair, text, "stride", minimum=fdp.ConsumeIntInRange(0, 1))
        elif target == 7:
            call = partial(parse_cell, text)
        elif target == 8:
            call = partial(parse_numbers, text, "--bias")
        else:  # 9 and 11
            value_error_ok = True
            call = partial(parse_number, text, allow_nan=allow_nan)
    try:
        result = call()
    except ConvError as error:
        if not str(error) or "\n" in str(error):  # one line on stderr, never empty
            msg = f"target {target}: error message {str(error)!r}"
            raise AssertionError(msg) from None
        return
    except ValueError:
        if value_error_ok:
            return
        raise
    if expect_array and known_bug(result, allow_nan):
        return
    if expect_array:
        check_array(result, allow_nan, f"target {target}")
        check_csv_round_trip(result, f"target {target}")
    elif target == 9 and isinstance(result, float) and not allow_nan and not math.isfinite(result):
        msg = f"parse_number({text!r}) = {result!r} without allow_nan"
        raise AssertionError(msg)


def smoke(count: int, seed: int = 0) -> None:
    """Random and mutated inputs through ``one_input``, for a machine without atheris."""
    rng = random.Random(seed)
    seeds = [b"1 2; 3 4", b"[[1,2],[3,4]]", b"1,2\n3,4\n", b"\x93NUMPY", b"same", b"1,2,3,4"]
    for number in range(count):
        base = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(0, 8)):
            base.insert(rng.randint(0, len(base)), rng.randint(0, 255))
        data = bytes([rng.randint(0, 10)]) + bytes(rng.randint(0, 255) for _ in range(6)) + base
        try:
            one_input(data)
        except BaseException:
            print(f"input #{number}: {data!r}", file=sys.stderr)
            raise
    print(f"smoke: {count} inputs, only documented errors")


def main() -> None:
    if "--smoke" in sys.argv:
        smoke(int(sys.argv[sys.argv.index("--smoke") + 1]))
        return
    if atheris is None:
        sys.exit("atheris is not installed: pip install atheris, or run with --smoke N")
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
