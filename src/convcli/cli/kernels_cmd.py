"""``convcli kernels``: the named kernel presets."""

from __future__ import annotations

from typing import Annotated

import typer

from convcli.cli.base import app, guarded
from convcli.cli.options import BitsOpt, ImageScaleOpt, MatrixFormatOpt, OutputOpt
from convcli.cli.output import Result, choose, emit


@app.command()
def kernels(
    name: Annotated[
        str | None, typer.Argument(help="A preset to show (e.g. sobel-x, box-5, gaussian:7,1.5).")
    ] = None,
    fmt: MatrixFormatOpt = None,
    output: OutputOpt = None,
    image_scale: ImageScaleOpt = None,
    bits: BitsOpt = None,
) -> None:
    """List the named kernel presets, or show one.

    \b
    Examples:
      convcli kernels
      convcli kernels gaussian-3
      convcli kernels sobel-x --format json
      convcli kernels --format markdown
    """
    from convcli import kernels as presets

    with guarded():
        form = choose(fmt)
        if name is None:  # the list of presets: no numpy (start-up)
            emit(_catalogue(presets.catalogue()), form)
            return
        from convcli import reports

        matrix = presets.get_kernel(name)
        emit(
            Result(
                "kernels",
                {"command": "kernels", "name": name, "kernel": matrix},
                matrix=matrix,
                document=lambda _: reports.matrix_document(matrix, name),
            ),
            form,
        )


def _catalogue(rows: list[tuple[str, str, str]]) -> Result:
    """The list of presets: a header row first in csv, markdown and latex."""
    from convcli import listing

    kernels = [{"name": n, "size": s, "purpose": p} for n, s, p in rows]

    def table(_: object) -> str:
        from convcli import render

        return render.show(lambda console: [render.kernel_list(rows)])

    writers = {
        "table": table,
        "csv": lambda _: listing.catalogue_csv(rows),
        "markdown": lambda _: listing.catalogue_markdown(rows),
        "latex": lambda _: listing.catalogue_latex(rows),
    }
    return Result("kernels", {"command": "kernels", "kernels": kernels}, writers=writers)
