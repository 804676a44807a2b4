"""1-D work seen through the 2-D machinery: a vector ``[W]`` is the one-row plane ``[1][W]``.

A 1-D convolution, transposed convolution or pooling is exactly the 2-D one on planes of
height 1 with a kernel (or window) of height 1, stride 1, dilation 1 and no padding in
that axis: every output cell reads the same products in the same order, so the numbers
are identical. The commands run 1-D work that way and use this module twice: to lift the
arrays and parameters into the plane, and to bring the results (arrays, JSON payloads,
traces) back to one spatial axis, so that a user of ``--dims 1`` never sees the row.

>>> import numpy as np
>>> plane(np.array([1, 2, 3])).shape
(1, 3)
>>> axes((2,)), padding(((1, 2))), padding("same")
((1, 2), (0, 0, 1, 2), 'same')
>>> line_payload({"output": np.zeros((1, 4)), "stride": [1, 2], "padding": [0, 0, 1, 2]})
{'output': array([0., 0., 0., 0.]), 'stride': [2], 'padding': [1, 2]}
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, TypeVar

import numpy as np

from convcli.numbers import Array
from convcli.params import AxisPadding, Padding
from convcli.trace import CellTrace, PoolTrace

# Payload keys holding one entry per spatial axis (the row's entry is dropped) and those
# holding (before, after) pairs per axis (the row's pair is dropped).
_PER_AXIS = ("stride", "dilation", "window", "output_padding", "effective_size",
             "receptive_field")  # fmt: skip
_SHAPES = ("output_shape", "input_shape", "kernel_shape")
_ARRAYS = ("output", "indices", "kernel")


def plane(array: Array) -> Array:
    """``[…][W]`` as ``[…][1][W]``: the height axis inserted before the last."""
    return array[..., np.newaxis, :]


def line(array: Array) -> Array:
    """The inverse of :func:`plane`."""
    return array[..., 0, :]


def axes(values: tuple[int, ...], row: int = 1) -> tuple[int, int]:
    """A 1-D stride, dilation or window as its (h, w) pair; an output padding is 0 in the
    row (``row=0``)."""
    (w,) = values
    return (row, w)


def padding(value: AxisPadding) -> Padding:
    """1-D padding (a word, or (left, right)) as the plane's (top, bottom, left, right): a
    word pads the row by nothing, since its kernel has height 1."""
    if isinstance(value, str):
        return value
    left, right = value
    return (0, 0, left, right)


def _drop_row(shape: list[int]) -> list[int]:
    return shape[:-2] + shape[-1:]


def line_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """A 2-D payload of plane work as the 1-D one: one entry per axis, cells without row."""
    out = dict(payload)
    for key in _ARRAYS:
        if isinstance(out.get(key), np.ndarray):
            out[key] = line(out[key])
    for key in _SHAPES:
        if isinstance(out.get(key), list):
            out[key] = _drop_row(out[key])
    for key in _PER_AXIS:
        if isinstance(out.get(key), list) and len(out[key]) == 2:
            out[key] = out[key][1:]
    if isinstance(out.get("padding"), list) and len(out["padding"]) == 4:
        out["padding"] = out["padding"][2:]
    if isinstance(out.get("steps"), list):
        out["steps"] = [
            {**s, "cell": line_cell(s["cell"])} if "cell" in s else s for s in out["steps"]
        ]
    return out


def line_cell(cell: list[int] | tuple[int, ...]) -> list[int]:
    """A plane cell ``[r, c]`` or ``[o, r, c]`` without its row (which is 0)."""
    return [*cell[:-2], cell[-1]]


def plane_cell(cell: tuple[int, ...]) -> tuple[int, ...]:
    """A 1-D cell ``(c,)`` or ``(o, c)`` in the plane."""
    return (*cell[:-1], 0, cell[-1])


Traced = TypeVar("Traced", CellTrace, PoolTrace)


def named(traces: list[Traced]) -> list[Traced]:
    """Traces whose cells are named without the row (``out[3]``, ``out[1,3]``)."""
    return [replace(t, name=tuple(line_cell(t.cell))) for t in traces]
