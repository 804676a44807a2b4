"""The Typer application and the error boundary.

Commands live in sibling modules and stay thin: typed options (:mod:`.options`) in, a
:class:`~convcli.cli.output.Result` out through :func:`~convcli.cli.output.emit`. Heavy
modules (numpy, Rich) are imported inside commands so ``--help`` and ``shape`` start fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from convcli import __version__
from convcli.cli.output import fail, resume_collection
from convcli.cli.output import silence_stdout as _silence_stdout
from convcli.errors import ConvError, ParameterError

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
      convcli net "conv 64 k7 s2 p3; maxpool k3 s2 p1; gap; fc 10" -i 3,224,224
      convcli frameworks -w 8 -k 3 -s 2 -p same
    """


# --- the error boundary ------------------------------------------------------------------


@contextmanager
def guarded(*, working: bool = True) -> Iterator[None]:
    """The error boundary: every failure ends as one line on stderr and an exit code.

    ``working``: the command's work begins here (see :func:`resume_collection`); the
    convolutions say so later, once their imports are done and their inputs read.
    """
    if working:
        resume_collection()
    try:
        yield
    except (typer.Exit, typer.Abort, typer.BadParameter):
        raise
    except ParameterError as exc:
        if exc.option:  # a value that only the core could judge: still a usage error
            raise typer.BadParameter(exc.message, param_hint=f"'{exc.option}'") from None
        raise fail(exc.message, exc.hint) from None
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


COMMAND_MODULES = {
    "conv": "convolve",
    "transpose": "convolve",
    "dilate": "convolve",
    "pool": "pool_cmd",
    "kernels": "kernels_cmd",
    "shape": "shape_cmd",
    "explain": "explain_cmd",
    "quiz": "quiz_cmd",
    "net": "net_cmd",
    "frameworks": "frameworks_cmd",
    "figure": "figure_cmd",
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
    "quiz": "Questions on convolution arithmetic, checked exactly.",
    "net": "Shapes, receptive field, params and multiply-adds of a network.",
    "frameworks": "The same layer in PyTorch, TensorFlow, JAX, ONNX, SciPy, OpenCV.",
    "figure": "Draw the sliding window as SVG, PNG or GIF.",
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
        name = _name(info)
        if info.short_help is None and name in SUMMARIES:
            info.short_help = SUMMARIES[name]


@contextmanager
def alone(argv: list[str]) -> Iterator[None]:
    """While ``convcli COMMAND ...`` runs, Typer builds that command only, not its module's
    siblings (``conv`` leaves out transpose's and dilate's options, a third of the work).

    Only when the command comes first: ``convcli -h conv`` still lists every command loaded.
    """
    commands = app.registered_commands
    if argv and argv[0] in COMMAND_MODULES:
        app.registered_commands = [info for info in commands if _name(info) == argv[0]]
    try:
        yield
    finally:
        app.registered_commands = commands


def _name(info: typer.models.CommandInfo) -> str:
    return info.name or (info.callback.__name__ if info.callback else "")


def main() -> None:
    """The console script: run the app; a closed pipe or Ctrl-C anywhere ends quietly."""
    try:
        register(sys.argv[1:])
        with alone(sys.argv[1:]):
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
