"""conv on inputs too large to hold: a big ``.npy`` streamed in row blocks (convcli.stream),
or any ``.npy``/zarr input on a dask scheduler (``--engine dask``, convcli.dask_engine).

Streaming is chosen, never asked for: ``conv`` streams when its one ``--input`` is a
``.npy`` file of at least :data:`STREAM_BYTES` (``CONVCLI_STREAM_BYTES`` sets another size),
the result goes to ``-o out.npy``/``-o out.csv``/``-o out.json`` or as csv or JSON to
stdout (conv's JSON object, its ``output`` written block by block), and no cell is
explained. The cell guards then apply to one block, not to the whole input. The numbers
are the in-memory ones (integers and fractions exactly; floats within float64 rounding
where the core sums a block in another order). What streaming does not say: the note on
rows the stride leaves unread, and the warning on floats that overflowed.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

from convcli.cli import options as O
from convcli.cli.output import Result

if TYPE_CHECKING:
    from convcli.cli.convolve import Job, Layer

STREAM_BYTES = 64 * 1024 * 1024
STREAM_ENV = "CONVCLI_STREAM_BYTES"


def stream_threshold() -> int:
    raw = os.environ.get(STREAM_ENV, "").strip()
    return int(raw) if raw.isdigit() else STREAM_BYTES


def streams(job: Job, as_float: bool) -> bool:
    """Whether this conv runs streamed (see the module docstring)."""
    if job.explain or job.cell or job.every or as_float or job.dims not in (None, 2):
        return False
    if not job.inputs or len(job.inputs) != 1 or not job.inputs[0].lower().endswith(".npy"):
        return False
    source = job.inputs[0]
    if not os.path.isfile(source) or os.path.getsize(source) < stream_threshold():
        return False
    target = O.DESTINATION.get().path
    if target is None:
        return job.form in (O.Format.csv, O.Format.json)
    return target.lower().endswith((".npy", ".csv", ".json"))


def _parameters(layer: Layer, bias: O.Numbers | None) -> dict[str, Any]:
    params = layer.geometry(2).params
    return {
        "stride": params.stride,
        "padding": params.padding,
        "dilation": params.dilation,
        "groups": params.groups,
        "bias": bias.values if bias else None,
        "padding_mode": params.padding_mode,
        "pad_value": params.pad_value,
        "flip": params.flip,
    }


def _kernel(job: Job, notes: list[str]) -> Any:
    from convcli.cli.shared import load

    return load(job.kernels, "--kernel", job.allow_nan, notes)


def streamed(job: Job, layer: Layer, bias: O.Numbers | None) -> Result:
    """conv of a big ``.npy`` in row blocks, written to ``-o`` or stdout as it goes."""
    from convcli import render, stream

    source = job.inputs[0] if job.inputs else ""
    destination = O.DESTINATION.get()
    O.DESTINATION.set(O.Destination())  # written here, block by block: emit writes nothing
    output: Any = destination.path or sys.stdout.buffer
    # stdout: csv or conv's JSON object (its output streamed); a file: by its extension
    as_json = destination.path is None and job.form is O.Format.json
    notes: list[str] = []  # a file that shadows a preset says so, as in memory
    kernel = _kernel(job, notes)
    with render.progress(f"conv {os.path.basename(source)}") as advance:
        done = stream.conv_npy(
            source, kernel, output, allow_nan=job.allow_nan, label=f"--input {source!r}",
            progress=advance, fmt="json" if as_json else None,
            envelope=_conv_object if as_json else None, **_parameters(layer, bias),
        )  # fmt: skip
    if destination.path is None:
        sys.stdout.buffer.flush()
    payload = {"command": "conv", "output_shape": list(done.shape), "streamed": True}
    blocks = f"{done.blocks} block{'s' * (done.blocks != 1)}"
    notes.append(f"streamed in {blocks} of {done.block_rows} rows")
    return Result("conv", payload, writers=_WRITTEN, notes=notes)


def _conv_object(setup: Any) -> tuple[str, str]:
    """conv's JSON object around its ``output``, as the in-memory path writes it: the
    text before the nested lists and after them."""
    import numpy as np

    from convcli import payloads
    from convcli.matrix_io import format_json

    payload = payloads.conv_payload("conv", setup, np.broadcast_to(0, setup.output_shape), None)
    payload["output"] = 0
    text = format_json(payload)
    key = '"output": '
    cut = text.index(key + "0") + len(key)
    return text[:cut], text[cut + 1 :]


# the result is already written (a file, or stdout block by block): emit adds nothing
_WRITTEN = {form.value: (lambda _: "") for form in O.Format}


def on_dask(job: Job, layer: Layer, bias: O.Numbers | None, scheduler: str | None) -> Result:
    """``--engine dask``: the same core per row chunk on a dask scheduler, into ``-o``."""
    from convcli import dask_engine

    destination = O.DESTINATION.get()
    if destination.path is None or not destination.path.lower().endswith((".npy", ".zarr")):
        raise O.refuse("--engine", "dask writes its result to -o out.npy or -o out.zarr")
    if not job.inputs or len(job.inputs) != 1:
        raise O.refuse("--engine", "dask reads one --input: a .npy file or a .zarr store")
    O.DESTINATION.set(O.Destination())  # the engine writes the file itself
    source = job.inputs[0]
    notes: list[str] = []
    done = dask_engine.conv_dask(
        source, _kernel(job, notes), destination.path, scheduler_address=scheduler,
        allow_nan=job.allow_nan, label=f"--input {source!r}", **_parameters(layer, bias),
    )  # fmt: skip
    payload = {"command": "conv", "output_shape": list(done.shape), "engine": "dask"}
    notes.append(f"computed by dask in {done.chunks} chunks")
    return Result("conv", payload, writers=_WRITTEN, notes=notes)
