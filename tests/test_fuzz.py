"""Hypothesis fuzzing of the whole command line, in process (the ``run`` fixture).

Random bytes on stdin and in files, token soups as inline matrices and random option values
for every command. Whatever the input, convcli must:

- exit with 0, 1 (bad data) or 2 (bad usage), never 70 (an internal error is a bug);
- never print a traceback or ``internal error``;
- on failure, print nothing on stdout and exactly one ``Error:`` line on stderr;
- on success with ``--format json``, print one valid JSON object naming the command;
- on success with csv (or plain) matrix output, read back through ``convcli conv -i - -k 1
  --format csv`` (an identity convolution) to the same bytes.

Quick by default (15-30 s for the file). ``CONVCLI_FUZZ_LONG=1`` selects the long
profile: the same tests with many more examples (``CONVCLI_FUZZ_FACTOR``, default 30, times
the quick count). Every CLI invocation is counted; the count, the exit codes and any Python
warning seen are printed at the end of the run (``CONVCLI_FUZZ_REPORT=path`` also writes them
as JSON), so a long run can report "N CLI invocations, no traceback".

The bugs these tests found were fixed (each keeps a test in ``test_bad_inputs.py``).
``KNOWN_BUGS`` is where a newly found, not yet fixed bug can be parked so that a long run
explores past it; with ``CONVCLI_FUZZ_STRICT=0`` such entries are counted instead of failing.
A watchdog turns an invocation that runs for more than ``WATCHDOG_S`` seconds into a failure,
and the address space is capped during each invocation so that a missing limit cannot take
the machine's memory (a run that then says "out of memory" fails).
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
import re
import resource
import signal
import sys
import warnings
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer import testing as typer_testing

from tests.conftest import Run

pytestmark = pytest.mark.fuzz_long

# --- profiles -----------------------------------------------------------------------------

LONG = os.environ.get("CONVCLI_FUZZ_LONG", "").strip() not in ("", "0")
LONG_FACTOR = int(os.environ.get("CONVCLI_FUZZ_FACTOR", "30") or 30)
_COMMON = {
    "deadline": None,
    "suppress_health_check": [
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
    "print_blob": True,
}
settings.register_profile("convcli-fuzz-quick", **_COMMON)
settings.register_profile("convcli-fuzz-long", **_COMMON)
PROFILE = settings.get_profile("convcli-fuzz-long" if LONG else "convcli-fuzz-quick")


def examples(quick: int) -> settings:
    """The profile with ``quick`` examples, or LONG_FACTOR times as many in the long run."""
    return settings(PROFILE, max_examples=quick * (LONG_FACTOR if LONG else 1))


STRICT = os.environ.get("CONVCLI_FUZZ_STRICT", "1").strip() not in ("", "0")


def _internal(result: Any, *words: str) -> bool:
    return result.exit_code == 70 and all(word in result.stderr for word in words)


# name: (reproducer, does this result show it?)
KNOWN_BUGS: dict[str, tuple[str, Any]] = {}  # none open

# --- counting, watchdog and memory cap ----------------------------------------------------

WATCHDOG_S = 15
MEMORY_HEADROOM = 3 << 30  # bytes of address space an invocation may add
LIMITS = {"CONVCLI_MAX_CELLS": "400", "CONVCLI_MAX_WORK": "20000"}
STATS: Counter[str] = Counter()
WARNED: Counter[str] = Counter()
FILES: Counter[str] = Counter()


class Hang(BaseException):
    """Raised by the watchdog inside an invocation that runs too long (not an Exception, so
    convcli's error boundary cannot turn it into an ordinary error)."""


def _on_alarm(signum: int, frame: Any) -> None:
    raise Hang(f"convcli ran for more than {WATCHDOG_S} s")


def _address_space() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _show_on_stderr(message: Any, category: Any, filename: str, lineno: int, *_: Any) -> None:
    """What Python prints for a warning, on the stderr of the invocation (pytest would
    otherwise collect it)."""
    sys.stderr.write(warnings.formatwarning(message, category, filename, lineno))


@contextlib.contextmanager
def _guard() -> Iterator[None]:
    """Watchdog + address-space cap + warnings shown (as the real CLI would) for one call."""
    old_handler = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, WATCHDOG_S)
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    used = _address_space()
    if used:
        cap = used + MEMORY_HEADROOM
        resource.setrlimit(resource.RLIMIT_AS, (cap if hard < 0 else min(cap, hard), hard))
    try:
        with warnings.catch_warnings():  # Python's default filters, as in a real process
            warnings.showwarning = _show_on_stderr
            warnings.simplefilter("default")
            for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning):
                warnings.simplefilter("ignore", category)
            warnings.simplefilter("ignore", ResourceWarning)
            yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_handler)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@pytest.fixture(scope="module")
def cli(run: Run, request: pytest.FixtureRequest) -> Iterator[Run]:
    """``run`` that counts every invocation; the totals are printed when the module ends.

    Typer rebuilds the Click command from the app on every ``CliRunner.invoke`` (about 90 %
    of an in-process call); here it is built once and reused, which makes each call about
    ten times faster and changes nothing else: the same command, runner, streams and env.
    """

    def counted(*args: str, **kwargs: Any) -> Any:
        with _guard():
            result = run(*args, **kwargs)
        STATS["invocations"] += 1
        STATS[f"exit {result.exit_code}"] += 1
        for match in re.findall(r"\b(\w+Warning): ", result.stderr):
            WARNED[match] += 1
        return result

    built: dict[int, Any] = {}

    def get_command_once(app: Any) -> Any:
        if id(app) not in built:
            built[id(app)] = make_command(app)
        return built[id(app)]

    make_command = typer_testing._get_command
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(typer_testing, "_get_command", get_command_once)
        yield counted
    summary = (
        f"convcli fuzz ({'long' if LONG else 'quick'} profile): "
        f"{STATS['invocations']} CLI invocations; "
        + ", ".join(f"{k}: {v}" for k, v in sorted(STATS.items()) if k != "invocations")
        + (f"; Python warnings on stderr: {dict(WARNED)}" if WARNED else "")
    )
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None:
        with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
            reporter.write_line("")
            reporter.write_line(summary)
    target = os.environ.get("CONVCLI_FUZZ_REPORT")
    if target:
        Path(target).write_text(
            json.dumps({"summary": summary, "stats": dict(STATS), "warnings": dict(WARNED)})
        )


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


# --- the oracle ---------------------------------------------------------------------------

MATRIX_COMMANDS = {"conv", "transpose", "dilate", "pool"}


def check(cli: Run, command: str, args: list[str], result: Any) -> None:
    """Everything that must hold for any invocation; round-trips csv output."""
    code, out, err = result.exit_code, result.stdout, result.stderr
    where = f"convcli {command} {args!r}\nexit {code}\nstdout {out[:500]!r}\nstderr {err!r}"
    if not STRICT:
        for name, (_, shows) in KNOWN_BUGS.items():
            if shows(command, args, result):
                STATS[f"known bug {name}"] += 1
                return
    assert code in (0, 1, 2), where
    assert "Traceback" not in err, where
    assert "internal error" not in err, where
    error_lines = [line for line in err.splitlines() if line.startswith("Error: ")]
    if code != 0:
        assert out == "", where
        assert len(error_lines) == 1, where
        assert "out of memory" not in err, where  # a limit must refuse first
        return
    assert error_lines == [], where
    fmt = _format_of(args)
    if fmt == "json":
        document = json.loads(out)
        assert isinstance(document, dict), where
        assert document.get("command") == command, where
    elif fmt in ("csv", "plain", None) and _is_matrix_output(command, args):
        _round_trip(cli, out, where)


def _format_of(args: list[str]) -> str | None:
    fmt = None
    for flag, value in itertools.pairwise(args):
        if flag in ("-f", "--format"):
            fmt = value
    return fmt


def _is_matrix_output(command: str, args: list[str]) -> bool:
    if command in MATRIX_COMMANDS:
        return True
    return command == "kernels" and len(args) > 0 and not args[0].startswith("-")


def _round_trip(cli: Run, out: str, where: str) -> None:
    blocks = out.count("\n\n") + 1
    if blocks == 1:
        kernel = ["-k", "1"]
    else:  # one identity kernel per channel, one group per channel
        kernel = ["-k", json.dumps([[[[1]]]] * blocks), "-g", str(blocks)]
    back = cli("conv", "-i", "-", *kernel, "--format", "csv", "--allow-nan", input=out.encode())
    assert back.exit_code == 0, f"{where}\nread back: {back.stderr!r}"
    assert _signless_zeros(back.stdout) == _signless_zeros(out), f"{where}\nread: {back.stdout!r}"


def _signless_zeros(csv: str) -> str:
    """-0.0 as 0.0: a sum of products starts at +0.0, so x·1 turns -0.0 into 0.0 (IEEE)."""
    return "\n".join(
        ",".join("0.0" if field == "-0.0" else field for field in line.split(","))
        for line in csv.split("\n")
    )


# --- strategies: matrices -----------------------------------------------------------------

NUMBERS = [
    "0", "1", "2", "3", "-1", "\u22122", "7", "12", "+4", "-0", "-0.0", ".5", "5.", "0.5",
    "-2.5", "1/2", "-3/4", "0/5", "6/3", "1e3", "1e-3", "2.5E-1", "1e-320",
    "99999999999999999999999", "-9223372036854775809", "9223372036854775807",
    "1e400", "1e-400", "1/0", "nan", "inf", "-Infinity", "NaN", "\uff11", "\u0663", "1e308",
]  # fmt: skip
SOUP = [
    *NUMBERS, ";", "|", ",", ", ", " ", "  ", "\t", "\n", "\r\n", "\r", "[", "]", "{", "}",
    '"', "#", "/", ".", "e", "E", "-", "+", "a", "x", "word", "null", "true", ":", "data",
    "\ufeff", "\u2212", "\x00", "\u00e9", "[red]", "[/x]", "sobel-x", "box-3", "-",
]  # fmt: skip
PRESETS = ["sobel-x", "box-3", "gaussian-3", "identity", "laplacian-8", "box-2", "emboss"]

soup = st.lists(st.sampled_from(SOUP), max_size=30).map("".join)
small_soup = st.lists(st.sampled_from(SOUP), max_size=6).map("".join)
plain_value = st.one_of(st.integers(-9, 9).map(str), st.sampled_from([*NUMBERS[:24], "1e308"]))


@st.composite
def matrix_text(draw: st.DrawFn, max_side: int = 4, max_channels: int = 3) -> str:
    """Mostly well-formed inline matrices ('1 2; 3 4 | ...'), exact, float or big."""
    channels = draw(st.integers(1, max_channels))
    h, w = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    value = draw(st.sampled_from([st.integers(-9, 9).map(str), plain_value]))
    sep = draw(st.sampled_from([" ", ", ", ",", "  "]))
    rows = draw(st.sampled_from(["; ", ";", "\n"]))
    return " | ".join(
        rows.join(sep.join(draw(value) for _ in range(w)) for _ in range(h))
        for _ in range(channels)
    )


json_value = st.recursive(
    st.one_of(
        st.integers(-(2**70), 2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from(["1/3", "x", "", "\u22121", "nan"]),
        st.booleans(),
        st.none(),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(["data", "x"]), inner, max_size=2),
    ),
    max_leaves=24,
)
json_text = json_value.map(json.dumps)


@st.composite
def json_matrix(draw: st.DrawFn) -> str:
    """A well-formed JSON matrix of rank 1 to 4, sometimes wrapped in {"data": ...}."""
    rank = draw(st.integers(1, 4))
    shape = [draw(st.integers(1, 3)) for _ in range(rank)]
    leaf = st.one_of(st.integers(-9, 9), st.sampled_from([0.5, -1.25, "1/3", 2**65]))

    def build(dims: list[int]) -> Any:
        if not dims:
            return draw(leaf)
        return [build(dims[1:]) for _ in range(dims[0])]

    value = build(shape)
    return json.dumps({"data": value} if draw(st.booleans()) else value)


inline_matrix = st.one_of(matrix_text(), json_matrix(), soup, json_text)
kernel_source = st.one_of(
    matrix_text(max_side=3, max_channels=3), json_matrix(), st.sampled_from(PRESETS), soup
)


@st.composite
def npy_bytes(draw: st.DrawFn) -> bytes:
    """A .npy file of a random dtype and rank, sometimes truncated or with a flipped byte."""
    dtype = draw(
        st.sampled_from(
            ["<i1", "<i8", ">i4", "<u8", "<f4", "<f8", "|b1", "<c8", "<U2", "<M8[s]", "<f2"]
        )
    )
    rank = draw(st.integers(0, 5))
    shape = tuple(draw(st.integers(0, 3)) for _ in range(rank))
    raw = draw(st.binary(min_size=64, max_size=64))
    size = int(np.prod(shape)) if shape else 1
    itemsize = np.dtype(dtype).itemsize
    data = (raw * (size * itemsize // 64 + 1))[: size * itemsize]
    array = np.frombuffer(data, dtype=dtype).reshape(shape) if size else np.zeros(shape, dtype)
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    blob = buffer.getvalue()
    damage = draw(st.sampled_from(["none", "truncate", "flip"]))
    if damage == "truncate":
        blob = blob[: draw(st.integers(0, len(blob)))]
    elif damage == "flip" and blob:
        at = draw(st.integers(0, len(blob) - 1))
        blob = blob[:at] + bytes([blob[at] ^ draw(st.integers(1, 255))]) + blob[at + 1 :]
    return blob


@st.composite
def encoded_text(draw: st.DrawFn) -> bytes:
    """Matrix-like text in a random encoding, with a BOM, CRLF or NULs mixed in."""
    text = draw(st.one_of(matrix_text(), soup, json_text, json_matrix()))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "latin-1"]))
    data = text.encode(encoding, errors="replace")
    if draw(st.booleans()):
        data = data.replace(b"\n", draw(st.sampled_from([b"\r\n", b"\r", b"\n\n"])))
    if draw(st.integers(0, 9)) == 0 and data:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.sampled_from([b"\x00", b"\xff", b"\xe9", b"\xc3"])) + data[at:]
    return data


any_bytes = st.one_of(st.binary(max_size=300), encoded_text(), npy_bytes())

# --- strategies: option values ------------------------------------------------------------

INT_WORDS = ["0", "1", "2", "3", "-1", "\u22121", "10", "01", "+2", " 2", "2 "]
HUGE_INTS = ["1000000000", str(10**18), str(10**40)]
GARBAGE = [
    "", " ", ",", ",,", "a", "a,b", "1,", ",1", "1.5", "1e2", "x1", "[red]", "\x00", "\uff11",
    "1;2", "1 2", "nan", "-", "--", "-1,-1",
]  # fmt: skip


def int_text(huge: bool = True) -> st.SearchStrategy[str]:
    words = INT_WORDS + (HUGE_INTS if huge else [])
    return st.one_of(st.integers(-2, 5).map(str), st.sampled_from(words))


def listed(item: st.SearchStrategy[str], low: int, high: int) -> st.SearchStrategy[str]:
    return st.lists(item, min_size=low, max_size=high).map(",".join)


def geometry(huge: bool = True) -> st.SearchStrategy[str]:
    """Values for --stride, --dilation, --window, --output-padding: mostly sensible."""
    item = int_text(huge)
    return st.one_of(
        item, item, listed(item, 2, 2), listed(item, 3, 5), st.sampled_from(GARBAGE), small_soup
    )


def padding_value(huge: bool = True) -> st.SearchStrategy[str]:
    words = ["valid", "same", "full", "SAME", " same ", "Valid", "same,same", "samee"]
    return st.one_of(geometry(huge), listed(int_text(huge), 4, 4), st.sampled_from(words))


dilate_dilation = (  # KNOWN_BUGS["dilate-huge"]: no 10^7..10^12 (a hang) unless STRICT
    geometry()
    if STRICT
    else st.one_of(
        st.integers(-1, 40).map(str),
        st.sampled_from(GARBAGE),
        listed(st.integers(0, 30).map(str), 2, 3),
    )
)
numbers_value = st.one_of(
    st.sampled_from(NUMBERS), listed(st.sampled_from(NUMBERS), 1, 4), small_soup
)
pad_value = numbers_value
cell_value = st.one_of(
    listed(st.integers(-1, 4).map(str), 2, 2),
    listed(st.integers(0, 3).map(str), 3, 3),
    listed(int_text(), 1, 4),
    st.sampled_from(GARBAGE),
)
groups_value = st.one_of(st.integers(-1, 4).map(str), st.sampled_from(["0", "x", "", "1.5"]))
FORMATS = ["table", "csv", "json", "markdown", "latex", "plain"]
format_value = st.one_of(st.sampled_from(FORMATS), st.sampled_from(FORMATS), small_soup)
mode_value = st.sampled_from(["zeros", "reflect", "replicate", "circular", "mirror", "ZEROS"])
step_value = st.one_of(st.integers(-1, 9).map(str), st.sampled_from(["x", "", str(10**20)]))


@st.composite
def options(draw: st.DrawFn, table: dict[str, Any]) -> list[str]:
    """Each option of ``table`` included or not, in a random order; flags have value None."""
    chosen: list[list[str]] = []
    for flag, value in table.items():
        if not draw(st.booleans()):
            continue
        if value is None:
            chosen.append([flag])
        elif isinstance(value, tuple):  # repeatable: (strategy, max count)
            strategy, most = value
            for _ in range(draw(st.integers(1, most))):
                chosen.append([flag, draw(strategy)])
        else:
            chosen.append([flag, draw(value)])
    order = draw(st.permutations(range(len(chosen)))) if chosen else []
    return [part for index in order for part in chosen[index]]


COMMON = {
    "-s": geometry(),
    "-p": padding_value(),
    "-g": groups_value,
    "-b": numbers_value,
    "--flip": None,
    "--cell": (cell_value, 2),
    "--all": None,
    "--allow-nan": None,
    "-f": format_value,
}
CONV = {
    **COMMON,
    "-i": (inline_matrix, 3),
    "-k": (kernel_source, 2),
    "-d": geometry(),
    "--padding-mode": mode_value,
    "--pad-value": pad_value,
    "-e": None,
}
TRANSPOSE = {
    **COMMON,
    "-i": (inline_matrix, 2),
    "-k": (kernel_source, 2),
    "-d": geometry(),
    "--output-padding": geometry(),
    "-e": None,
    "--view": st.sampled_from(["scatter", "direct", "matrix", "all", "x"]),
}
DILATE = {
    **COMMON,
    "-k": (kernel_source, 2),
    "-d": dilate_dilation,
    "--padding-mode": mode_value,
    "--pad-value": pad_value,
    "-e": None,
}
POOL = {
    "-i": (inline_matrix, 2),
    "--op": st.sampled_from(["max", "avg", "min", "median", "MAX"]),
    "-k": geometry(),
    "-s": geometry(),
    "-p": padding_value(),
    "--ceil-mode": None,
    "--count-include-pad": None,
    "--no-count-include-pad": None,
    "-e": None,
    "--cell": (cell_value, 2),
    "--all": None,
    "--allow-nan": None,
    "-f": format_value,
}
EXPLAIN = {
    **COMMON,
    "-i": (st.one_of(matrix_text(max_side=4, max_channels=2), json_matrix(), soup), 2),
    "-k": (kernel_source, 2),
    "-d": geometry(),
    "--op": st.sampled_from(["conv", "transpose", "dilate", "pool", "x"]),
    "--padding-mode": mode_value,
    "--pad-value": pad_value,
    "--output-padding": geometry(),
    "--pool": st.sampled_from(["max", "avg", "min", "x"]),
    "--window": geometry(),
    "--ceil-mode": None,
    "--no-count-include-pad": None,
    "--step": step_value,
    "--lang": st.sampled_from(["en", "zh", "fr"]),
}
SHAPE = {
    "-w": int_text(),
    "-H": int_text(),
    "-k": geometry(),
    "-p": padding_value(),
    "-s": geometry(),
    "-d": geometry(),
    "--transpose": None,
    "--output-padding": geometry(),
    "--pool": None,
    "--ceil-mode": None,
    "-f": format_value,
}
SHAPE_TARGET = {  # a known hang with huge strides or dilations (see the module docstring)
    **SHAPE,
    "-s": geometry(huge=STRICT),
    "-d": geometry(huge=STRICT),
    "--target": geometry(),
}
TABLES = {
    "conv": CONV,
    "transpose": TRANSPOSE,
    "dilate": DILATE,
    "pool": POOL,
    "explain": EXPLAIN,
    "shape": SHAPE,
}


# mostly valid values, so that the requests reach the arithmetic and the renderers
small = st.integers(1, 3).map(str)
ok_pair = st.one_of(small, listed(small, 2, 2))
ok_pad = st.one_of(
    st.integers(0, 2).map(str),
    listed(st.integers(0, 2).map(str), 2, 2),
    listed(st.integers(0, 2).map(str), 4, 4),
    st.sampled_from(["valid", "same", "full"]),
)
ok_cell = st.one_of(
    listed(st.integers(0, 3).map(str), 2, 2), listed(st.integers(0, 2).map(str), 3, 3)
)
ok_numbers = st.one_of(plain_value, listed(plain_value, 2, 3))
ok_format = st.sampled_from(FORMATS)
VALID_COMMON = {
    "-s": ok_pair,
    "-p": ok_pad,
    "-g": st.sampled_from(["1", "1", "2", "3"]),
    "-b": ok_numbers,
    "--flip": None,
    "--cell": (ok_cell, 2),
    "--all": None,
    "-f": ok_format,
}
small_matrix = matrix_text(max_side=4, max_channels=3)
small_kernel = st.one_of(matrix_text(max_side=3, max_channels=3), st.sampled_from(PRESETS))
VALID_TABLES = {
    "conv": {
        **VALID_COMMON,
        "-i": (small_matrix, 2),
        "-k": (small_kernel, 2),
        "-d": ok_pair,
        "--padding-mode": mode_value,
        "--pad-value": plain_value,
        "-e": None,
    },
    "transpose": {
        **VALID_COMMON,
        "-i": (small_matrix, 2),
        "-k": (small_kernel, 2),
        "-d": ok_pair,
        "--output-padding": st.one_of(
            st.integers(0, 2).map(str), listed(st.integers(0, 2).map(str), 2, 2)
        ),
        "-e": None,
        "--view": st.sampled_from(["scatter", "direct", "matrix", "all"]),
    },
    "dilate": {
        **VALID_COMMON,
        "-k": (small_kernel, 1),
        "-i": (small_matrix, 1),
        "-d": ok_pair,
        "--padding-mode": mode_value,
        "--pad-value": plain_value,
        "-e": None,
    },
    "pool": {
        "-i": (small_matrix, 1),
        "--op": st.sampled_from(["max", "avg", "min"]),
        "-k": ok_pair,
        "-s": ok_pair,
        "-p": st.one_of(st.integers(0, 1).map(str), listed(st.integers(0, 1).map(str), 2, 2)),
        "--ceil-mode": None,
        "--no-count-include-pad": None,
        "-e": None,
        "--cell": (ok_cell, 2),
        "--all": None,
        "-f": ok_format,
    },
    "explain": {
        **VALID_COMMON,
        "-i": (matrix_text(max_side=4, max_channels=2), 1),
        "-k": (small_kernel, 2),
        "-d": ok_pair,
        "--op": st.sampled_from(["conv", "transpose", "dilate", "pool"]),
        "--padding-mode": mode_value,
        "--pad-value": plain_value,
        "--output-padding": st.integers(0, 1).map(str),
        "--pool": st.sampled_from(["max", "avg", "min"]),
        "--window": ok_pair,
        "--ceil-mode": None,
        "--no-count-include-pad": None,
        "--step": st.integers(1, 9).map(str),
        "--lang": st.sampled_from(["en", "zh"]),
        "--animate": None,
    },
    "shape": {
        "-w": st.integers(1, 40).map(str),
        "-H": st.integers(1, 40).map(str),
        "-k": ok_pair,
        "-p": ok_pad,
        "-s": ok_pair,
        "-d": ok_pair,
        "--transpose": None,
        "--output-padding": st.integers(0, 2).map(str),
        "--pool": None,
        "--ceil-mode": None,
        "--target": st.integers(1, 40).map(str),
        "-f": ok_format,
    },
}


@st.composite
def kernels_args(draw: st.DrawFn) -> list[str]:
    name = draw(
        st.one_of(
            st.none(),
            st.sampled_from(PRESETS),
            st.integers(-1, 120).map(lambda n: f"box-{n}"),
            st.tuples(st.integers(-1, 101), st.sampled_from(["1", "0.5", "0", "-1", "x", "1e9"]))
            .map(lambda t: f"gaussian:{t[0]},{t[1]}"),
            small_soup,
        )
    )  # fmt: skip
    args = [] if name is None else [name]
    if draw(st.booleans()):
        args += ["-f", draw(format_value)]
    return args


def invoke(cli: Run, command: str, args: list[str], **kwargs: Any) -> None:
    env = {**LIMITS, **kwargs.pop("env", {})}
    if command == "explain" and "--animate" in args:
        args = [*args, "--delay", "0"]
    result = cli(command, *args, env=env, **kwargs)
    check(cli, command, args, result)


# --- the fuzz tests -----------------------------------------------------------------------

STDIN_FORMS = [
    ("conv", ["-i", "-", "-k", "1"]),
    ("conv", ["-i", "1 2; 3 4", "-k", "-"]),
    ("conv", ["-i", "-", "-k", "1", "-f", "json"]),
    ("pool", ["-i", "-", "-k", "1", "-s", "1"]),
    ("transpose", ["-i", "-", "-k", "1"]),
    ("dilate", ["-k", "-", "-d", "1"]),
    ("explain", ["-i", "-", "-k", "1", "--step", "1"]),
]


@pytest.mark.parametrize(("command", "base"), STDIN_FORMS, ids=lambda v: str(v))
@examples(60)
@given(data=any_bytes, allow_nan=st.booleans(), fmt=st.sampled_from([None, "csv", "json"]))
def test_random_bytes_on_stdin(
    cli: Run, command: str, base: list[str], data: bytes, allow_nan: bool, fmt: str | None
) -> None:
    args = [*base, *(["--allow-nan"] if allow_nan else [])]
    if fmt and "-f" not in args and command != "explain":
        args += ["-f", fmt]
    invoke(cli, command, args, input=data)


FILE_NAMES = ["m.csv", "m.tsv", "m.txt", "m.json", "m.npy", "m", "m.dat", "M.CSV", "m.JSON"]


@examples(150)
@given(
    data=any_bytes,
    name=st.sampled_from(FILE_NAMES),
    as_kernel=st.booleans(),
    allow_nan=st.booleans(),
    limit=st.sampled_from([None, None, None, "1", "16", "100"]),
    fmt=st.sampled_from(["csv", "json"]),
)
def test_random_bytes_in_files(
    cli: Run,
    scratch: Path,
    data: bytes,
    name: str,
    as_kernel: bool,
    allow_nan: bool,
    limit: str | None,
    fmt: str,
) -> None:
    FILES["made"] += 1
    folder = scratch / str(FILES["made"])
    folder.mkdir()
    path = folder / name
    path.write_bytes(data)
    args = ["-i", "1 2 3; 4 5 6", "-k", str(path)] if as_kernel else ["-i", str(path), "-k", "1"]
    args += ["--allow-nan"] if allow_nan else []
    env = {"CONVCLI_MAX_INPUT_BYTES": limit} if limit else {}
    invoke(cli, "conv", [*args, "-f", fmt], env=env)
    path.unlink()


@examples(150)
@given(
    command=st.sampled_from(["conv", "transpose", "pool", "dilate", "explain"]),
    matrix=soup,
    kernel=st.one_of(soup, st.sampled_from(["1", "1 1; 1 1", "sobel-x"])),
    where=st.sampled_from(["input", "kernel", "both"]),
    fmt=st.sampled_from(["csv", "json", "table"]),
)
def test_token_soup_as_inline_matrices(
    cli: Run, command: str, matrix: str, kernel: str, where: str, fmt: str
) -> None:
    x = matrix if where != "kernel" else "1 2; 3 4"
    k = kernel if where != "input" else "1"
    if where == "kernel":
        k = matrix
    args = {
        "conv": ["-i", x, "-k", k],
        "transpose": ["-i", x, "-k", k],
        "pool": ["-i", x, "-k", "1"],
        "dilate": ["-k", k, "-i", x] if where == "both" else ["-k", k],
        "explain": ["-i", x, "-k", k, "--step", "2"],
    }[command]
    if command != "explain" or fmt != "csv":
        args += ["-f", fmt]
    invoke(cli, command, args)


@pytest.mark.parametrize("command", sorted(TABLES))
@examples(120)
@given(data=st.data())
def test_random_options_for_every_command(cli: Run, command: str, data: st.DataObject) -> None:
    args = data.draw(options(TABLES[command]), label="args")
    invoke(cli, command, args)


@pytest.mark.parametrize("command", sorted(VALID_TABLES))
@examples(100)
@given(data=st.data())
def test_sensible_options_for_every_command(cli: Run, command: str, data: st.DataObject) -> None:
    """Options drawn from their valid ranges (and combinations that may still not fit)."""
    args = data.draw(options(VALID_TABLES[command]), label="args")
    invoke(cli, command, args)


@examples(100)
@given(args=options(SHAPE_TARGET))
def test_random_shape_targets(cli: Run, args: list[str]) -> None:
    invoke(cli, "shape", args)


@examples(60)
@given(args=kernels_args())
def test_random_kernel_names(cli: Run, args: list[str]) -> None:
    invoke(cli, "kernels", args)


@examples(80)
@given(
    x=matrix_text(max_side=5, max_channels=2),
    k=st.one_of(matrix_text(max_side=3, max_channels=2), st.sampled_from(PRESETS)),
    extra=options({"-s": int_text(False), "-p": padding_value(False), "-d": int_text(False)}),
    command=st.sampled_from(["conv", "transpose", "dilate", "pool"]),
    fmt=st.sampled_from(["csv", "plain", "json", "markdown", "latex"]),
)
def test_well_formed_requests_round_trip(
    cli: Run, x: str, k: str, extra: list[str], command: str, fmt: str
) -> None:
    """Mostly valid requests, so that the csv round trip and the JSON check run often."""
    if command == "pool":
        args = ["-i", x, *[a if a != "-d" else "-k" for a in extra]]
    elif command == "dilate":
        args = ["-k", k, "-i", x, *extra]
    else:
        args = ["-i", x, "-k", k, *extra]
    invoke(cli, command, [*args, "-f", fmt])
