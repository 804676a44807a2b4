"""The JSON objects of the commands (SPEC §4 keys first), as plain data."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from convcli.core import TransposeSetup, conv_matrix, forward_matrix
from convcli.cost import setup_cost
from convcli.numbers import Array, json_number
from convcli.trace import CellTrace, PoolTrace

if TYPE_CHECKING:
    from convcli.cost import setup_cost
from convcli.core import ConvSetup, PoolSetup


def step(trace: CellTrace) -> dict[str, Any]:
    """One entry of ``steps``: ``sum(x·w) + bias == value`` (bias 0 when there is none)."""
    return {
        "cell": list(trace.cell),
        "terms": [[json_number(t.x), json_number(t.w)] for t in trace.terms],
        "bias": 0 if trace.bias is None else json_number(trace.bias),
        "value": json_number(trace.value),
    }


def conv_payload(
    command: str,
    setup: ConvSetup | TransposeSetup,
    output: Array,
    traces: Sequence[CellTrace] | None,
) -> dict[str, Any]:
    """The JSON object of ``conv``, ``dilate`` and ``transpose``."""
    p = setup.params
    payload: dict[str, Any] = {
        "command": command,
        "output": output,
        "output_shape": list(output.shape),
        "input_shape": list(setup.input_shape),
        "kernel_shape": list(setup.kernel_shape),
        "stride": list(setup.stride),
        "padding": list(setup.pads),
        "dilation": list(setup.dilation),
        "groups": p.groups,
        "exact": setup.exact,
        "bias": None if setup.bias is None else [json_number(b) for b in setup.bias],
        "flip": p.flip,
    }
    if isinstance(setup, TransposeSetup):
        payload["output_padding"] = list(setup.output_padding)
    else:
        payload["padding_mode"] = p.padding_mode
        payload["pad_value"] = json_number(p.pad_value)
    cost = setup_cost(setup)
    payload["cost"] = {
        "weights": cost.weights,
        "bias": cost.bias,
        "macs": cost.macs,
        "activations": cost.activations,
    }
    if traces is not None:
        payload["steps"] = [step(t) for t in traces]
    return payload


def matrix_payload(setup: ConvSetup | TransposeSetup, output: Array) -> dict[str, Any]:
    """The matrix view as data: the forward convolution's C (for ``transpose`` too), the
    vector x it multiplies and y = vec(output). ``conv``: y = C·x + bias, x the padded
    input; ``transpose``: y = Cᵀ·x + bias, x the input. Rows and columns are row-major."""
    if isinstance(setup, TransposeSetup):
        return {"C": conv_matrix(setup), "x": setup.x[0].reshape(-1), "y": output.reshape(-1)}
    return {"C": forward_matrix(setup), "x": setup.padded[0].reshape(-1), "y": output.reshape(-1)}


def dilate_payload(kernel: Array, dilated: Array, dilation: Sequence[int]) -> dict[str, Any]:
    """The JSON of ``dilate``: the dilated kernel and its reach (one entry per axis)."""
    effective = list(dilated.shape[-len(dilation) :])
    return {
        "command": "dilate",
        "kernel": dilated,
        "kernel_shape": list(kernel.shape),
        "dilation": list(dilation),
        "effective_size": effective,
        "receptive_field": effective,
    }


def pool_payload(
    setup: PoolSetup,
    output: Array,
    traces: Sequence[PoolTrace] | None,
    indices: Array | None = None,
) -> dict[str, Any]:
    """The JSON object of ``pool``; ``indices`` (flat, in the input plane) when asked for,
    ``norm_type`` only for lp pooling, where it means something."""
    axes = setup.axes
    payload: dict[str, Any] = {
        "command": "pool",
        "op": setup.op,
        "output": output,
        "output_shape": list(output.shape),
        "input_shape": list(setup.x.shape[1:] if setup.squeeze else setup.x.shape),
        "window": [a.kernel for a in axes],
        "stride": [a.stride for a in axes],
        "padding": [pad for a in axes for pad in (a.pad_before, a.pad_after)],
        "dilation": [a.dilation for a in axes],
        "ceil_mode": setup.ceil_mode,
        "count_include_pad": setup.count_include_pad,
        "exact": all(a.exact for a in axes),
    }
    if setup.op == "lp":
        payload["norm_type"] = json_number(setup.norm_type)
    if indices is not None:
        payload["indices"] = indices
    if traces is not None:
        payload["steps"] = [
            {
                "cell": list(t.cell),
                "window": [None if v is None else json_number(v) for v in t.values],
                "divisor": t.divisor,
                "value": json_number(t.value),
            }
            for t in traces
        ]
    return payload
