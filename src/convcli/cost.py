"""What a layer costs: weights, bias, multiply-adds and output activations, each with its
formula and the numbers in. Pure integer arithmetic on shapes.

>>> c = conv_cost(out_channels=4, in_per_group=3, kernel=(3, 3), output=(8, 8), bias=True)
>>> c.weights, c.bias, c.macs, c.activations
(108, 4, 6912, 256)
>>> c.macs_expr
'4·8·8·3·3·3'
"""

from __future__ import annotations

from typing import NamedTuple


class Cost(NamedTuple):
    """The counts and the products that give them (O·(C/g)·kh·kw and so on)."""

    weights: int
    weights_expr: str
    bias: int
    macs: int
    macs_expr: str
    activations: int
    activations_expr: str


def _product(*factors: int) -> tuple[int, str]:
    value = 1
    for n in factors:
        value *= n
    return value, "·".join(map(str, factors))


def conv_cost(
    *, out_channels: int, in_per_group: int, kernel: tuple[int, ...], output: tuple[int, ...],
    bias: bool,
) -> Cost:  # fmt: skip
    """A convolution: each output cell reads (C/g)·kh·kw inputs (one size per axis)."""
    weights = _product(out_channels, in_per_group, *kernel)
    macs = _product(out_channels, *output, in_per_group, *kernel)
    activations = _product(out_channels, *output)
    return Cost(weights[0], weights[1], out_channels if bias else 0, macs[0], macs[1], *activations)


def transpose_cost(
    *, in_channels: int, out_per_group: int, kernel: tuple[int, ...],
    input_size: tuple[int, ...], out_channels: int, output: tuple[int, ...], bias: bool,
) -> Cost:  # fmt: skip
    """A transposed convolution: each input cell scatters (C_out/g)·kh·kw products."""
    weights = _product(in_channels, out_per_group, *kernel)
    macs = _product(in_channels, *input_size, out_per_group, *kernel)
    activations = _product(out_channels, *output)
    return Cost(weights[0], weights[1], out_channels if bias else 0, macs[0], macs[1], *activations)


_KERNEL = {1: "k", 2: "kh·kw", 3: "kd·kh·kw"}
_OUT = {1: "W′", 2: "H′·W′", 3: "D′·H′·W′"}
_IN = {1: "W", 2: "H·W", 3: "D·H·W"}


def cost_line(cost: Cost, lang: str, *, transposed: bool = False, dims: int = 2) -> str:
    """The cost as one sentence with every formula substituted (``dims`` spatial axes)."""
    from convcli.phrases import phrase

    k, out = _KERNEL[dims], _OUT[dims]
    return phrase(
        lang,
        "cost_line",
        wf=f"C_in·(C_out/g)·{k}" if transposed else f"O·(C/g)·{k}",
        we=cost.weights_expr,
        w=f"{cost.weights:,}",
        b=cost.bias,
        mf=f"C_in·{_IN[dims]}·(C_out/g)·{k}" if transposed else f"O·{out}·(C/g)·{k}",
        me=cost.macs_expr,
        m=f"{cost.macs:,}",
        af=f"{'C_out' if transposed else 'O'}·{out}",
        ae=cost.activations_expr,
        a=f"{cost.activations:,}",
    )


def setup_cost(setup: object) -> Cost:
    """The cost of a prepared convolution or transposed convolution."""
    from convcli.core import ConvSetup, TransposeSetup

    # 1-D work run in the plane (convcli.lens) counts its one axis, not the row of 1
    skip = 1 if getattr(setup, "line", False) else 0
    if isinstance(setup, TransposeSetup):
        c_in, per_out, *kernel = setup.weight.shape
        return transpose_cost(
            in_channels=c_in, out_per_group=per_out, kernel=tuple(kernel[skip:]),
            input_size=tuple(setup.x.shape[1 + skip :]),
            out_channels=per_out * setup.params.groups,
            output=setup.spatial_output[skip:], bias=setup.bias is not None,
        )  # fmt: skip
    assert isinstance(setup, ConvSetup)
    o, per_in, *kernel = setup.weight.shape
    return conv_cost(
        out_channels=o, in_per_group=per_in, kernel=tuple(kernel[skip:]),
        output=setup.spatial_output[skip:], bias=setup.bias is not None,
    )  # fmt: skip
