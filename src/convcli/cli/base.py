"""The Typer application, the error boundary and the output helpers every command shares.

Commands live in sibling modules and stay thin: read options, call the core and the
I/O layer, hand the result to a writer or to :mod:`convcli.render`. Heavy modules
(numpy, Rich) are imported inside commands so ``--help`` and ``shape`` start fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Annotated, Any, TypeVar

import typer

from convcli import __version__
from convcli.errors import ConvError, ParameterError

T = TypeVar("T")

# Exact results can have thousands of digits; Python refuses to print ints over 4300
# digits unless told otherwise (a guard meant for parsing untrusted text, which the
# reader limits itself).
sys.set_int_max_str_digits(0)

# The help text is the root callback's docstring (it carries the examples).
app = typer.Typer(
    name="convcli",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    markdown = "markdown"
    latex = "latex"
    plain = "plain"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"convcli {__version__}")
        raise typer.Exit


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", "-V", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """A calculator for convolution arithmetic: exact results, explained.

    Defaults follow PyTorch: cross-correlation, stride 1, no padding.

    \b
    Examples:
      convcli conv -i "1 2 0; 1 0 3; 2 2 2" -k sobel-x --padding same
      convcli explain
      convcli shape -w 224 -k 7 -s 2 -p 3
      convcli transpose -i "1 2; 3 4" -k "1 1; 1 1" -s 2
      convcli dilate -k "1 2; 3 4" -d 2
      convcli pool -i "1 2 3 4; 5 6 7 8" -k 2 --op avg
      convcli kernels sobel-x
    """


# --- options shared by the commands that compute -------------------------------------

InputOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--input",
        "-i",
        metavar="MATRIX",
        help="Input matrix: a file (.csv .tsv .txt .json .npy), '-' for stdin, or inline "
        "text ('1 2; 3 4', channels split by '|'). Repeat to stack channels.",
    ),
]
KernelOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--kernel",
        "-k",
        metavar="MATRIX",
        help="Kernel matrix (as --input) or a preset name (see 'convcli kernels'). "
        "Repeat for several output kernels.",
    ),
]
StrideOpt = Annotated[
    str, typer.Option("--stride", "-s", metavar="S|H,W", help="Stride, at least 1.")
]
PaddingOpt = Annotated[
    str,
    typer.Option(
        "--padding",
        "-p",
        metavar="P",
        help="Padding: N, H,W, TOP,BOTTOM,LEFT,RIGHT, valid, same or full.",
    ),
]
DilationOpt = Annotated[
    str, typer.Option("--dilation", "-d", metavar="D|H,W", help="Dilation, at least 1.")
]
GroupsOpt = Annotated[int, typer.Option("--groups", "-g", help="Channel groups.")]
BiasOpt = Annotated[
    str | None,
    typer.Option(
        "--bias", "-b", metavar="B[,B…]", help="Bias: one number, or one per output channel."
    ),
]
PaddingModeOpt = Annotated[
    str,
    typer.Option("--padding-mode", metavar="MODE", help="zeros, reflect, replicate or circular."),
]
PadValueOpt = Annotated[
    str, typer.Option("--pad-value", metavar="V", help="Pad with this constant.")
]
FlipOpt = Annotated[
    bool,
    typer.Option(
        "--flip", help="True convolution: rotate the kernel by 180° (scipy's convolve2d)."
    ),
]
ExplainOpt = Annotated[
    bool, typer.Option("--explain", "-e", help="Show the expanded arithmetic of each output cell.")
]
CellOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--cell",
        metavar="R,C",
        help="Explain this output cell (0-based; O,R,C for one channel). Repeatable.",
    ),
]
AllOpt = Annotated[bool, typer.Option("--all", help="With --explain, explain every cell.")]
AllowNanOpt = Annotated[
    bool, typer.Option("--allow-nan", help="Accept NaN and infinities in the inputs.")
]
FormatOpt = Annotated[
    Format | None,
    typer.Option(
        "--format", "-f", help="Output format; default: table on a terminal, csv in a pipe."
    ),
]


# --- parsing, errors and output ------------------------------------------------------------


def parsed(
    ctx: typer.Context, option: str, parse: Callable[..., T], *args: Any, **kwargs: Any
) -> T:
    """Parse an option value; a malformed one is a usage error (exit 2) naming the option."""
    try:
        return parse(*args, **kwargs)
    except ParameterError as exc:
        raise typer.BadParameter(exc.message, ctx=ctx, param_hint=f"'{option}'") from None


def fail(message: str, hint: str | None = None, code: int = 1) -> typer.Exit:
    """Write ``Error: …`` (and a hint) to stderr; return the Exit to raise."""
    typer.echo(f"Error: {message}", err=True)
    if hint:
        typer.echo(f"hint: {hint}", err=True)
    return typer.Exit(code)


def warn(message: str) -> None:
    typer.echo(f"warning: {message}", err=True)


@contextmanager
def guarded() -> Iterator[None]:
    """The error boundary: every failure ends as one line on stderr and an exit code."""
    try:
        yield
    except (typer.Exit, typer.Abort, typer.BadParameter):
        raise
    except ConvError as exc:
        raise fail(exc.message, exc.hint) from None
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    except BrokenPipeError:
        _silence_stdout()
        raise typer.Exit(0) from None
    except MemoryError:
        msg = "out of memory; try a smaller input or fewer cells"
        raise fail(msg) from None
    except Exception as exc:
        if os.environ.get("CONVCLI_DEBUG"):
            import traceback

            traceback.print_exc()
        name = type(exc).__name__
        msg = f"internal error: {name}: {exc}; set CONVCLI_DEBUG=1 for the traceback"
        raise fail(msg, code=70) from None


def _silence_stdout() -> None:
    """After a closed pipe, point stdout at /dev/null so the final flush stays quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def stdout_encodes(text: str) -> bool:
    """Whether stdout's encoding can print ``text`` (else the ASCII signs are used)."""
    try:
        text.encode(sys.stdout.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def output_format(chosen: Format | None, *, machine_default: Format = Format.csv) -> Format:
    """The format asked for, else a table on a terminal and machine output in a pipe."""
    if chosen is not None:
        return chosen
    return Format.table if sys.stdout.isatty() else machine_default


ASCII_FALLBACKS = str.maketrans(
    {"×": "x", "−": "-", "–": "-", "·": "*", "…": "...", "→": "->", "⌊": "floor(", "⌋": ")",
     "⌈": "ceil(", "⌉": ")", "ₚ": "p", "₁": "1", "₂": "2", "°": " deg", "ᵀ": "^T"}
)  # fmt: skip


def emit(text: str) -> None:
    """Write finished output in one go (nothing is half-written on an error).

    Where stdout cannot encode a character (``PYTHONIOENCODING=ascii``), signs fall back
    to ASCII and anything else (Chinese text, say) becomes ``?``.
    """
    if not stdout_encodes(text):
        encoding = sys.stdout.encoding or "ascii"
        text = text.translate(ASCII_FALLBACKS).encode(encoding, "replace").decode(encoding)
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        _silence_stdout()
        msg = f"cannot write output: {exc.strerror or exc}"
        raise ConvError(msg) from None


COMMAND_MODULES = {
    "conv": "convolve",
    "transpose": "convolve",
    "dilate": "convolve",
    "pool": "pool_cmd",
    "kernels": "kernels_cmd",
    "shape": "shape_cmd",
    "explain": "explain_cmd",
}


# The one-line summaries of ``convcli --help`` and of shell completion. Click would cut
# each docstring's first line to fit (at 45 characters for completion) and end it with
# "..."; a summary given here is shown whole. A command's own ``short_help`` wins.
SUMMARIES = {
    "conv": "Convolve an input with one or more kernels.",
    "transpose": "Transposed convolution (conv_transpose2d).",
    "dilate": "Dilate a kernel; with --input, convolve.",
    "explain": "Walk through a convolution step by step.",
    "kernels": "List the named kernel presets, or show one.",
    "pool": "Max, average or min pooling.",
    "shape": "Output size of a layer, formula written out.",
}


def register(argv: list[str]) -> None:
    """Import the module of the command being run, or every command module.

    Typer builds every registered command's options at start-up; loading only the
    one asked for keeps ``convcli shape`` close to a bare ``import typer``.
    """
    import importlib

    first = next((a for a in argv if not a.startswith("-")), None)
    wanted = COMMAND_MODULES.get(first or "")
    modules = [wanted] if wanted else sorted(set(COMMAND_MODULES.values()))
    for module in modules:
        importlib.import_module(f"convcli.cli.{module}")
    for info in app.registered_commands:
        name = info.name or (info.callback.__name__ if info.callback else "")
        if info.short_help is None and name in SUMMARIES:
            info.short_help = SUMMARIES[name]


def main() -> None:
    """The console script: run the app; a closed pipe or Ctrl-C anywhere ends quietly."""
    register(sys.argv[1:])
    try:
        app(prog_name="convcli")
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        _silence_stdout()
        sys.exit(0)
    except OSError as exc:
        # Commands report their own failures (``guarded``); what reaches here is Click
        # writing --help, --version or a completion script into a full or failing stdout.
        _silence_stdout()
        typer.echo(f"Error: cannot write output: {exc.strerror or exc}", err=True)
        sys.exit(1)
