"""``convcli net``: a network's shapes, receptive field, parameters and multiply-adds, layer
by layer. Never imports numpy or Rich (an ``.onnx`` file loads the onnx package)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, NamedTuple

import typer

from convcli.cli.base import app, guarded
from convcli.cli.options import Format, QuietOpt
from convcli.cli.output import Result, choose, emit


class NetFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    markdown = "markdown"
    latex = "latex"
    plain = "plain"
    svg = "svg"
    html = "html"


class InputShape(NamedTuple):
    """``--input-shape`` parsed: channels then 1 to 3 spatial sizes."""

    values: tuple[int, ...]


def _input_shape(text: str) -> InputShape:
    if not isinstance(text, str):  # Typer passes defaults through the parser too
        return text
    try:
        values = tuple(int(v) for v in text.replace("x", ",").replace("×", ",").split(","))
    except ValueError:
        msg = f"expected C,W, C,H,W or C,D,H,W (whole numbers), got {text!r}"
        raise typer.BadParameter(msg) from None
    if not 2 <= len(values) <= 4 or min(values) < 1:
        msg = f"expected 2 to 4 sizes of 1 or more (C,W, C,H,W or C,D,H,W), got {text!r}"
        raise typer.BadParameter(msg)
    return InputShape(values)


@app.command()
def net(
    ctx: typer.Context,
    layers: Annotated[
        str,
        typer.Argument(
            help='Inline layers ("conv 64 k3 p1; maxpool k2; fc 10"), a file: .json, .toml, '
            ".onnx (needs convcli[onnx]) or the text print(model) writes, or - for standard "
            "input (JSON, TOML, a printout or inline layers, told from the text).",
        ),
    ],
    input_shape: Annotated[
        InputShape | None,
        typer.Option(
            "--input-shape",
            "-i",
            metavar="C,H,W",
            help="Input channels and size: C,W (1-D), C,H,W (2-D) or C,D,H,W (3-D) "
            "[default: the file's, for .onnx and files that give one].",
            parser=_input_shape,
        ),
    ] = None,
    explain: Annotated[
        bool,
        typer.Option("--explain", "-e", help="Write out each layer's formulas with its numbers."),
    ] = False,
    fmt: Annotated[
        NetFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="Output format; plain is the output shape [default: table on a terminal, "
            "csv in a pipe].",
        ),
    ] = None,
    quiet: QuietOpt = False,
) -> None:
    """Shapes, receptive field, parameters and multiply-adds through a network.

    \b
    Examples:
      convcli net "conv 64 k7 s2 p3; maxpool k3 s2 p1; conv 128 k3 p1" -i 3,224,224
      convcli net samples/vgg16.json -i 3,224,224 --format csv
      convcli net samples/resnet_block.json --explain
      convcli net model.onnx --format json
    """
    from convcli import net as N
    from convcli import net_report as R
    from convcli import netread

    with guarded():
        source = netread.read(layers)
    shape = input_shape.values if input_shape else source.input_shape
    if shape is None:
        ctx.fail(
            "Missing option '--input-shape' / '-i': C,W, C,H,W or C,D,H,W "
            "(the layers do not give it)."
        )
    with guarded():
        walked = N.walk(source.layers, shape)
        notes = list(walked.notes)
        result = Result(
            "net",
            {},
            writers=R.writers(walked, explain, [*source.notes, *notes]),
            notes=notes,
            warnings=list(source.notes),
        )
        emit(result, choose(fmt, pipe=Format.csv), quiet=quiet)
