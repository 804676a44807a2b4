"""``convcli kernels``: the named kernel presets."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from convcli.cli.base import (
    Format,
    FormatOpt,
    app,
    emit,
    guarded,
    output_format,
)

if TYPE_CHECKING:
    pass

from convcli.cli.shared import matrix_writer


@app.command()
def kernels(
    name: Annotated[
        str | None, typer.Argument(help="A preset to show (e.g. sobel-x, box-5, gaussian:7,1.5).")
    ] = None,
    fmt: FormatOpt = None,
) -> None:
    """List the named kernel presets, or show one.

    \b
    Examples:
      convcli kernels
      convcli kernels gaussian-3
      convcli kernels sobel-x --format json
    """
    from convcli import kernels as presets
    from convcli import matrix_io

    with guarded():
        form = output_format(fmt)
        if name is None:
            _write_catalogue(presets.catalogue(), form)
            return
        matrix = presets.get_kernel(name)
        if form is Format.json:
            emit(matrix_io.format_json({"command": "kernels", "name": name, "kernel": matrix}))
        elif form is Format.table:
            from convcli import render

            emit(render.show(lambda console: render.matrix_block(matrix, name, console)))
        else:
            emit(matrix_writer(form)(matrix))


def _write_catalogue(rows: list[tuple[str, str, str]], form: Format) -> None:
    """The list of presets: a table, JSON, or CSV lines ``name,size,purpose``."""
    from convcli import matrix_io

    if form is Format.json:
        kernels = [{"name": n, "size": s, "purpose": p} for n, s, p in rows]
        emit(matrix_io.format_json({"command": "kernels", "kernels": kernels}))
    elif form is Format.table:
        from convcli import render

        emit(render.show(lambda console: [render.kernel_list(rows)]))
    else:
        emit("".join(f"{n},{s.replace('×', 'x')},{p}\n" for n, s, p in rows))
