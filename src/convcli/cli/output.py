"""One result, one emit: every command hands a :class:`Result` to :func:`emit`, which
writes it in the chosen format, its notes and warnings on stderr.

Notes say something a user may want to know (the stride left rows unread, only some
cells were explained) and ``-q`` silences them; warnings say a result may not be what
was meant (a float overflowed) and always show. Text is built in Unicode and translated
to ASCII here, once, when stdout cannot encode it.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import typer

from convcli.cli.options import DESTINATION, Destination, Format
from convcli.errors import ConvError
from convcli.typography import Typeset, for_stream

if TYPE_CHECKING:
    from convcli.model import Document
    from convcli.numbers import Array


class Result:
    """What a command produced: a JSON payload, a matrix (csv; markdown and LaTeX without
    an explanation), a document for people (built only when a human format is asked for),
    its own writers for formats that are neither (shape's plain line, a list of presets),
    and its notes and warnings.

    The payload may be given as a function that builds it when first read: csv and a
    table need no JSON object, so they never import the modules that build one. (A plain
    class, not a dataclass: generating a dataclass's methods costs start-up time.)
    """

    def __init__(
        self,
        command: str,
        payload: dict[str, Any] | Callable[[], dict[str, Any]],
        matrix: Array | None = None,
        document: Callable[[Typeset], Document] | None = None,
        explained: bool = False,  # markdown and LaTeX write the document, not just the matrix
        writers: Mapping[str, Callable[[Typeset], str]] | None = None,  # by format
        notes: list[str] | None = None,
        warnings: list[str] | None = None,
    ) -> None:
        self.command = command
        self._payload = payload
        self.matrix = matrix
        self.document = document
        self.explained = explained
        self.writers: Mapping[str, Callable[[Typeset], str]] = {} if writers is None else writers
        self.notes: list[str] = [] if notes is None else notes
        self.warnings: list[str] = [] if warnings is None else warnings

    @property
    def payload(self) -> dict[str, Any]:
        if callable(self._payload):
            self._payload = self._payload()
        return self._payload

    @payload.setter
    def payload(self, value: dict[str, Any]) -> None:
        self._payload = value

    def in_line(self) -> Result:
        """This result of 1-D work done in the plane, with one spatial axis again (the
        document shows the plane: a one-row grid)."""
        from convcli import lens

        self.payload = lens.line_payload(self.payload)
        if self.matrix is not None:
            self.matrix = lens.line(self.matrix)
        return self


def resume_collection() -> None:
    """Start-up is over and the work begins: the garbage collector, paused by the console
    script while the modules loaded (convcli.__main__), runs again, with what start-up
    built frozen out of its walks. Safe to call again, and a no-op in-process (tests)."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def choose(chosen: object | None, *, pipe: Format = Format.csv) -> Format:
    """The format asked for, else a table on a terminal and ``pipe`` otherwise."""
    if chosen is not None:
        return Format(str(chosen))
    return Format.table if sys.stdout.isatty() else pipe


def emit(
    result: Result,
    form: Format,
    *,
    precision: int | None = None,
    quiet: bool = False,
    as_float: bool = False,
) -> None:
    """Write ``result`` in ``form`` (stdout in one write), or into the file of ``-o``; then
    its stderr lines. ``as_float`` (--float): the output matrix as decimals."""
    resume_collection()  # for the commands that did not say when their work began
    destination = DESTINATION.get()
    DESTINATION.set(Destination())  # this run's -o is used up (tests run many in a process)
    destination.check()
    if as_float:
        decimals(result)
    if destination.path is not None:
        save(result, destination)
    else:
        write(render(result, form, precision))
    for line in result.warnings:
        say(f"warning: {line}")
    if not quiet:
        for line in result.notes:
            say(f"note: {line}")


def render(result: Result, form: Format, precision: int | None) -> str:
    if form in (Format.svg, Format.html):
        from convcli import render as rich

        # what the table format shows, in colour, recorded by Rich and exported
        with rich.recording():
            text = render(result, Format.table, precision)
        return rich.export(text, form.value, title=f"convcli {result.command}")
    typeset = Typeset(precision)
    if form.value in result.writers:
        return result.writers[form.value](typeset)
    from convcli import matrix_io  # numpy: only here, after a command's own writers

    if form is Format.json:
        return matrix_io.format_json(_rounded(result.payload, precision))
    human = form is Format.table or (result.explained and form in (Format.markdown, Format.latex))
    if human or result.matrix is None:
        assert result.document is not None, result.command
        document = result.document(typeset)
        if form is Format.table:
            from convcli import render as rich

            return rich.document_text(document, typeset)
        from convcli import docs

        return (
            docs.markdown(document, typeset)
            if form is Format.markdown
            else docs.latex(document, typeset)
        )
    matrix = _rounded(result.matrix, precision)
    writers = {
        Format.csv: matrix_io.format_csv,
        Format.plain: matrix_io.format_csv,
        Format.markdown: matrix_io.format_markdown,
        Format.latex: matrix_io.format_latex,
    }
    return writers[form](matrix)


def save(result: Result, destination: Destination) -> None:
    """``-o FILE``: the result's matrix by the file's extension (nothing on stdout)."""
    import numpy as np

    from convcli import images, matrix_io

    path = destination.path
    assert path is not None
    if result.matrix is None:
        msg = f"{result.command} has no matrix to write to {path}"
        raise ConvError(msg, hint="-o writes the result matrix of conv, transpose, dilate, pool")
    matrix = result.matrix
    extension = os.path.splitext(path)[1].lower()
    data: bytes
    if extension == ".csv":
        data = matrix_io.format_csv(matrix).encode()
    elif extension == ".json":
        data = matrix_io.format_json({"data": matrix}).encode()
    elif extension == ".npy":
        data = _npy(np, matrix)
    elif extension == ".zarr":
        msg = f"{path}: a zarr store is written by conv --engine dask only"
        raise ConvError(msg, hint="write .npy, .csv or .json here")
    else:
        data = images.write_image(
            matrix,
            path,
            scale=str(destination.scale or "clip"),
            bits=int(destination.bits or "8"),
        )
    write_file(path, data)


def write_file(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all: into a temporary file beside it,
    renamed over ``path`` once complete. An existing file is replaced (as ``>`` would);
    the input itself can be the output, since it was read before anything is written."""
    import tempfile

    directory = os.path.dirname(os.path.abspath(path))
    temporary = None
    try:
        handle, temporary = tempfile.mkstemp(prefix=".convcli-", dir=directory)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        if os.path.exists(path):  # keep the permissions of the file being replaced
            os.chmod(temporary, os.stat(path).st_mode & 0o7777)
        else:
            mask = os.umask(0)
            os.umask(mask)
            os.chmod(temporary, 0o666 & ~mask)
        os.replace(temporary, path)
        temporary = None
    except OSError as exc:
        msg = f"cannot write {path}: {exc.strerror or exc}"
        raise ConvError(msg) from None
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def _npy(np: Any, matrix: Array) -> bytes:
    """.npy holds machine numbers: exact integers that fit int64, else floats; fractions
    and larger integers are refused rather than rounded."""
    import io

    array = np.asarray(matrix)
    if array.dtype == object:
        if not all(isinstance(v, int) and -(2**63) <= v < 2**63 for v in array.flat):
            msg = "the result has exact fractions or integers beyond int64, which .npy cannot hold"
            raise ConvError(msg, hint="write it as .csv or .json, which keep it exact")
        array = array.astype(np.int64)
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def decimals(result: Result) -> None:
    """--float: exact fractions in the output matrix (and JSON's ``output``) as float64."""
    from convcli.numbers import as_floats

    if result.matrix is not None:
        result.matrix = as_floats(result.matrix)
    output = result.payload.get("output")
    if output is not None and hasattr(output, "dtype"):
        result.payload["output"] = as_floats(output)


def _rounded(value: Any, precision: int | None) -> Any:
    """Float arrays (also inside a payload) to ``precision`` significant digits."""
    if precision is None:
        return value
    import numpy as np

    if isinstance(value, dict):
        return {k: _rounded(v, precision) for k, v in value.items()}
    if isinstance(value, np.ndarray) and value.dtype == np.float64:
        return np.vectorize(lambda v: float(f"{v:.{precision}g}"), otypes=[np.float64])(value)
    return value


def say(line: str) -> None:
    """One line on stderr, in ASCII where stderr cannot encode it."""
    typer.echo(for_stream(line, sys.stderr.encoding), err=True)


def fail(message: str, hint: str | None = None, code: int = 1) -> typer.Exit:
    """Write ``Error: …`` (and a hint) to stderr; return the Exit to raise."""
    say(f"Error: {message}")
    if hint:
        say(f"hint: {hint}")
    return typer.Exit(code)


def write(text: str) -> None:
    """Write finished output in one go (nothing is half-written on an error)."""
    text = for_stream(text, sys.stdout.encoding)
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        silence_stdout()
        msg = f"cannot write output: {exc.strerror or exc}"
        raise ConvError(msg) from None


def silence_stdout() -> None:
    """After a closed pipe, point stdout at /dev/null so the final flush stays quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
