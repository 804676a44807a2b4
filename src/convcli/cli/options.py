"""Every option the commands share, declared once and parsed to a typed value at the boundary.

Each option's parser (Typer's ``parser=``) turns the text into the value the core takes;
``None`` always means "not given", so a command can tell a default from a choice
(``explain --op pool -s 1`` is a stride of 1, not "no stride"). A malformed value is a
usage error (exit 2) that names the option. Commands never see option text.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple, TypeAlias, TypeVar

import typer

from convcli import params as P
from convcli.errors import ParameterError

if TYPE_CHECKING:
    from fractions import Fraction

T = TypeVar("T")
Number: TypeAlias = "int | Fraction | float"


class Axes(NamedTuple):
    """A per-axis value as typed (stride, dilation, window): one number, or one per axis.
    How many axes there are is known only once ``--dims`` is: :meth:`of` checks it."""

    values: tuple[int, ...]
    name: str = "stride"
    minimum: int = 1

    def of(self, dims: int) -> tuple[int, ...]:
        """One value per axis of ``dims`` (a usage error naming the option otherwise)."""
        return P.as_axes(self.values, self.name, dims, minimum=self.minimum)

    @property
    def pair(self) -> tuple[int, int]:
        """The 2-D (h, w) pair."""
        h, w = self.of(2)
        return h, w


class PaddingSpec(NamedTuple):
    """``--padding`` as typed: a word or 1, N or 2N numbers, read once ``--dims`` is known."""

    text: str

    def of(self, dims: int) -> P.AxisPadding:
        """A word, or (before, after) of each of the ``dims`` axes."""
        return P.parse_axis_padding(self.text, dims)

    @property
    def value(self) -> P.Padding:
        """The 2-D padding: a word or (top, bottom, left, right)."""
        return P.parse_padding(self.text)


class Scalar(NamedTuple):
    """One exact number (``--pad-value``)."""

    value: Number


class Numbers(NamedTuple):
    """Comma-separated exact numbers (``--bias 1,1/2``)."""

    values: tuple[Number, ...]


class CellIndex(NamedTuple):
    """``--cell R,C`` or ``O,R,C`` (0-based), with the text for messages."""

    at: tuple[int, ...]
    text: str


def _parser(option: str, parse: Callable[[str], T]) -> Callable[[str], T]:
    """A Typer parser: the value, or a usage error naming ``option`` with our message."""

    def run(text: str) -> T:
        if not isinstance(text, str):  # Typer passes defaults through the parser too
            return text
        try:
            return parse(text)
        except ParameterError as exc:
            raise typer.BadParameter(exc.message) from None

    run.__name__ = option.strip("-").replace("-", "_")
    return run


def _axes(name: str, minimum: int = 1) -> Callable[[str], Axes]:
    def parse(text: str) -> Axes:
        values = P.parse_ints(text, name)
        if len(values) > 3:  # no --dims takes that many: say it as 2-D always did
            P.as_pair(values, name, minimum=minimum)
        for value in values:
            P.as_axes(value, name, 1, minimum=minimum)
        return Axes(values, name, minimum)

    return _parser(f"--{name}", parse)


def _padding(text: str) -> PaddingSpec:
    """Padding text that reads for some --dims (the 2-D error when it reads for none)."""
    try:
        P.parse_padding(text)
    except ParameterError:
        for dims in (1, 3):
            try:
                P.parse_axis_padding(text, dims)
            except ParameterError:
                continue
            return PaddingSpec(text)
        raise
    return PaddingSpec(text)


def _one_number(text: str) -> Scalar:
    values = P.parse_numbers(text, "--pad-value")
    if len(values) != 1:
        msg = f"one number, got {len(values)}"
        raise ParameterError(msg)
    return Scalar(values[0])


def _cell(text: str) -> CellIndex:
    return CellIndex(P.parse_cell(text), text)


parse_stride = _axes("stride")
parse_window = _axes("window")
parse_dilation = _axes("dilation")
parse_output_padding = _axes("output padding", minimum=0)
parse_padding = _parser("--padding", _padding)
parse_pad_value = _parser("--pad-value", _one_number)
parse_bias = _parser("--bias", lambda text: Numbers(P.parse_numbers(text, "--bias")))
parse_cell = _parser("--cell", _cell)


def axes_option(*names: str, metavar: str = "N|H,W", help: str, minimum: int = 1) -> Any:
    """An option that takes one number or an H,W pair, each at least ``minimum``."""
    return typer.Option(*names, metavar=metavar, help=help, parser=_axes(names[0][2:], minimum))


# --- the options of the commands that compute --------------------------------------------

InputOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--input",
        "-i",
        metavar="MATRIX",
        help="Input matrix: a file (.csv .tsv .txt .json .npy, or an image .png .jpg .bmp "
        ".tif .webp), '-' for stdin, or inline "
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
    Axes | None,
    typer.Option(
        "--stride",
        "-s",
        metavar="S|H,W",
        help="Stride, at least 1 [default: 1].",
        parser=parse_stride,
    ),
]
PaddingOpt = Annotated[
    PaddingSpec | None,
    typer.Option(
        "--padding",
        "-p",
        metavar="P",
        help="Padding: N, H,W, TOP,BOTTOM,LEFT,RIGHT, valid, same (extra cell after), "
        "same-lower (extra cell before) or full [default: 0].",
        parser=parse_padding,
    ),
]
TransposePaddingOpt = Annotated[
    PaddingSpec | None,
    typer.Option(
        "--padding",
        "-p",
        metavar="P",
        help="Cells cropped from the output: N, H,W or TOP,BOTTOM,LEFT,RIGHT [default: 0].",
        parser=parse_padding,
    ),
]
DilationOpt = Annotated[
    Axes | None,
    typer.Option(
        "--dilation",
        "-d",
        metavar="D|H,W",
        help="Dilation, at least 1 [default: 1].",
        parser=parse_dilation,
    ),
]
GroupsOpt = Annotated[
    int | None, typer.Option("--groups", "-g", min=1, help="Channel groups [default: 1].")
]
BiasOpt = Annotated[
    Numbers | None,
    typer.Option(
        "--bias",
        "-b",
        metavar="B[,B…]",
        help="Bias: one number, or one per output channel.",
        parser=parse_bias,
    ),
]


class PaddingMode(StrEnum):
    zeros = "zeros"
    reflect = "reflect"
    replicate = "replicate"
    circular = "circular"


PaddingModeOpt = Annotated[
    PaddingMode | None,
    typer.Option("--padding-mode", help="How padding cells are filled [default: zeros]."),
]
PadValueOpt = Annotated[
    Scalar | None,
    typer.Option(
        "--pad-value",
        metavar="V",
        help="Pad with this constant (zeros mode) [default: 0].",
        parser=parse_pad_value,
    ),
]
FlipOpt = Annotated[
    bool,
    typer.Option(
        "--flip", help="True convolution: rotate the kernel by 180° (scipy's convolve2d)."
    ),
]
OutputPaddingOpt = Annotated[
    Axes | None,
    typer.Option(
        "--output-padding",
        metavar="OP|H,W",
        help="Extra rows/columns at the bottom/right, below max(stride, dilation) [default: 0].",
        parser=parse_output_padding,
    ),
]
ExplainOpt = Annotated[
    bool, typer.Option("--explain", "-e", help="Show the expanded arithmetic of each output cell.")
]
CellOpt = Annotated[
    list[CellIndex] | None,
    typer.Option(
        "--cell",
        metavar="R,C",
        help="Explain this output cell (0-based; O,R,C for one channel). Repeatable.",
        parser=parse_cell,
    ),
]
AllOpt = Annotated[bool, typer.Option("--all", help="Explain every output cell.")]
AllowNanOpt = Annotated[
    bool, typer.Option("--allow-nan", help="Accept NaN and infinities in the inputs.")
]
DimsOpt = Annotated[
    int | None,
    typer.Option(
        "--dims",
        "-D",
        min=1,
        max=3,
        help="Spatial dimensions: 1 (W), 2 (H,W) or 3 (D,H,W) [default: 2].",
    ),
]
InputDimsOpt = Annotated[  # the commands that read an --input, whose layout can say it
    int | None,
    typer.Option(
        "--dims",
        "-D",
        min=1,
        max=3,
        help="Spatial dimensions: 1 (W), 2 (H,W) or 3 (D,H,W, shown as depth slices) "
        "[default: 1 for a flat --input, else 2].",
    ),
]
FloatOpt = Annotated[
    bool,
    typer.Option(
        "--float",
        help="Write exact fractions as decimals (the nearest float64) in csv, json, markdown "
        "and LaTeX output, for tools that cannot read a/b.",
    ),
]
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="No notes on stderr (warnings still show).")
]
PrecisionOpt = Annotated[
    int | None,
    typer.Option(
        "--precision",
        min=1,
        max=17,
        metavar="DIGITS",
        help="Show floats with this many significant digits (csv/json too, when given) "
        "[default: tables 6, csv/json round-trip].",
    ),
]


class PoolOp(StrEnum):
    max = "max"
    avg = "avg"
    min = "min"


class PoolCommandOp(StrEnum):
    """``pool --op``: PoolOp and Lp pooling. A separate enum because explain's ``--pool``
    takes PoolOp, and its lessons have no words for an Lp norm."""

    max = "max"
    avg = "avg"
    min = "min"
    lp = "lp"


WindowOpt = Annotated[
    Axes | None,
    typer.Option(
        "--window", "-k", metavar="K|H,W", help="Pooling window [default: 2].", parser=parse_window
    ),
]
PoolStrideOpt = Annotated[
    Axes | None,
    typer.Option(
        "--stride", "-s", metavar="S|H,W", help="Stride [default: the window].", parser=parse_stride
    ),
]
PoolPaddingOpt = Annotated[
    PaddingSpec | None,
    typer.Option(
        "--padding",
        "-p",
        metavar="P",
        help="Padding: N, H,W or TOP,BOTTOM,LEFT,RIGHT, each less than the window "
        "(ONNX; PyTorch allows half) [default: 0].",
        parser=parse_padding,
    ),
]
NormTypeOpt = Annotated[
    float | None,
    typer.Option(
        "--norm-type",
        metavar="P",
        help="With --op lp: the P of the Lp norm (Σ|x|ᴾ)^(1/P), as ONNX's LpPool; "
        "PyTorch's lp_pool raises x, not |x|, to P, so it differs for odd P on negative "
        "inputs; exact for P = 1 [default: 2].",
    ),
]
IndicesOpt = Annotated[
    bool,
    typer.Option(
        "--indices",
        help="With max or min: also the flat index in the input plane of each chosen cell "
        "(PyTorch's return_indices); csv writes the indices instead of the values.",
    ),
]
LessonWindowOpt = Annotated[  # explain: -k is the kernel there
    Axes | None,
    typer.Option(
        "--window",
        metavar="K|H,W",
        help="With --op pool: the window [default: 2].",
        parser=parse_window,
    ),
]
SpreadDilationOpt = Annotated[  # dilate and explain, where the default depends on the operation
    Axes | None,
    typer.Option(
        "--dilation",
        "-d",
        metavar="D|H,W",
        help="Dilation, at least 1 [default: 2 for dilate, 1 otherwise].",
        parser=parse_dilation,
    ),
]
CeilModeOpt = Annotated[
    bool, typer.Option("--ceil-mode", help="Round the output size up (PyTorch ceil_mode).")
]
CountIncludePadOpt = Annotated[
    bool | None,
    typer.Option(
        "--count-include-pad/--no-count-include-pad",
        help="Averages divide by the padded window size [default: include].",
    ),
]


# --- results into files, images in and out -----------------------------------------------


class ImageScale(StrEnum):
    clip = "clip"
    normalize = "normalize"
    abs = "abs"


class Bits(StrEnum):
    eight = "8"
    sixteen = "16"


class Destination(NamedTuple):
    """``-o FILE`` and how an image is written; ``path`` None: stdout."""

    path: str | None = None
    scale: ImageScale | None = None  # None: not given (clip)
    bits: Bits | None = None  # None: not given (8)

    def check(self) -> None:
        """--image-scale and --bits apply only to an image file (a usage error otherwise)."""
        if self.scale is None and self.bits is None:
            return  # nothing to check (and numpy, with the image module, stays unloaded)
        from convcli.images import is_image

        if self.path is None or not is_image(self.path):
            where = "with -o IMAGE (.png, .jpg, …)"
            check_applies(
                {"--image-scale": self.scale, "--bits": self.bits}, f"applies only {where}"
            )


# -o, --image-scale, --bits and --grey are read where the data is written or read
# (cli/output.py's emit, matrix_io's image reader), several calls below the commands:
# their callbacks record them for this run instead of threading them through every call.
DESTINATION: ContextVar[Destination] = ContextVar(
    "convcli_destination",
    default=Destination(),  # noqa: B039 (a tuple: immutable)
)


def _record(field: str) -> Callable[[Any], Any]:
    def callback(value: Any) -> Any:
        if value is not None:
            DESTINATION.set(DESTINATION.get()._replace(**{field: value}))
        return value

    return callback


MATRIX_FILES = (".csv", ".json", ".npy")
STORES = (".zarr",)  # written by conv --engine dask only


def _start_run(value: str | None) -> str | None:
    """-o is processed first (it is eager): a fresh destination for each run."""
    if value:
        from convcli.images import IMAGE_EXTENSIONS

        extension = os.path.splitext(value)[1].lower()
        if extension not in MATRIX_FILES + IMAGE_EXTENSIONS + STORES:
            known = " ".join(MATRIX_FILES + IMAGE_EXTENSIONS + STORES)
            msg = f"cannot tell a format from {value!r}: name a file ending in one of {known}"
            raise typer.BadParameter(msg)
    DESTINATION.set(Destination(path=value or None))
    return value


def _grey(value: bool) -> bool:
    import sys

    # numpy comes with the image module: load it only when it is needed (or to reset it)
    if value or "convcli.images" in sys.modules:
        from convcli.images import GREY

        GREY.set(bool(value))
    return value


OutputOpt = Annotated[
    str | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        help="Write the result to FILE, by its extension: .csv, .json, .npy, or an image "
        "(.png .jpg .bmp .tif .webp; see --image-scale, --bits). Nothing on stdout then.",
        callback=_start_run,
        is_eager=True,
        expose_value=False,
    ),
]
ImageScaleOpt = Annotated[
    ImageScale | None,
    typer.Option(
        "--image-scale",
        help="With -o IMAGE: clip (round, clip to the pixel range), normalize (min to 0, "
        "max to the top) or abs (magnitude, then clip) [default: clip].",
        callback=_record("scale"),
        expose_value=False,
    ),
]
BitsOpt = Annotated[
    Bits | None,
    typer.Option(
        "--bits",
        help="With -o IMAGE: 8 or 16 bits per pixel (16: grey PNG) [default: 8].",
        callback=_record("bits"),
        expose_value=False,
    ),
]
GreyOpt = Annotated[
    bool,
    typer.Option(
        "--grey",
        help="Read colour images (-i photo.png) as one grey channel (ITU-R 601-2 luma) "
        "instead of [3][H][W] RGB.",
        callback=_grey,
        expose_value=False,
    ),
]


class Lang(StrEnum):
    en = "en"
    zh = "zh"


def default_lang() -> Lang:
    """Chinese when the locale says so (LC_ALL, LC_MESSAGES, LANG), else English."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return Lang.zh if value.lower().startswith("zh") else Lang.en
    import locale

    code = locale.getlocale()[0] or ""
    return Lang.zh if code.lower().startswith("zh") else Lang.en


LangOpt = Annotated[
    Lang | None,
    typer.Option("--lang", help="Language of the explanations: en or zh [default: the locale]."),
]


# --- formats: each command offers exactly the formats it writes ---------------------------


class Format(StrEnum):
    """Every output format; a command's ``--format`` offers a subset (see below)."""

    table = "table"
    csv = "csv"
    json = "json"
    markdown = "markdown"
    latex = "latex"
    plain = "plain"
    svg = "svg"
    html = "html"


class MatrixFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    markdown = "markdown"
    latex = "latex"
    svg = "svg"
    html = "html"


class LessonFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"
    latex = "latex"
    svg = "svg"
    html = "html"


class ShapeFormat(StrEnum):
    """``shape`` adds ``plain``: the output height and width on one line."""

    table = "table"
    plain = "plain"
    csv = "csv"
    json = "json"
    markdown = "markdown"
    latex = "latex"
    svg = "svg"
    html = "html"


ShapeFormatOpt = Annotated[
    ShapeFormat | None,
    typer.Option(
        "--format", "-f", help="Output format [default: table on a terminal, plain in a pipe]."
    ),
]
MatrixFormatOpt = Annotated[
    MatrixFormat | None,
    typer.Option(
        "--format", "-f", help="Output format [default: table on a terminal, csv in a pipe]."
    ),
]
LessonFormatOpt = Annotated[
    LessonFormat | None,
    typer.Option("--format", "-f", help="Output format [default: table]."),
]


def refuse(option: str, reason: str) -> typer.BadParameter:
    """A usage error for an option that does not apply (raise it)."""
    return typer.BadParameter(reason, param_hint=f"'{option}'")


def check_applies(given: Mapping[str, object], reason: str) -> None:
    """Refuse the first option in ``given`` whose value is set (not None, not False)."""
    for option, value in given.items():
        if value is not None and value is not False:
            raise refuse(option, reason)
