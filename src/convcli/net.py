"""``convcli net``: shapes, receptive field, parameters and multiply-adds through a network.

Pure integer and :class:`~fractions.Fraction` arithmetic (no numpy, no Rich). A network is
a list of :class:`Layer` in an order where every layer comes after its inputs; a chain
feeds each layer from the one before, a graph (read from ONNX) names its inputs.

Receptive-field definitions follow Araujo, Norris & Sim, "Computing Receptive Fields of
Convolutional Neural Networks" (Distill, 2019), per spatial axis, input pixel centres at
0, 1, …:

- r = r_in + d·(k−1)·j_in (the receptive field, in input pixels);
- j = j_in·s (the jump, or effective stride);
- start = start_in + (d·(k−1)/2 − p_before)·j_in (the input coordinate of the centre of
  the first output cell's receptive field; a half when the span is even);
- P = P_in + p_before·j_in (the effective padding, Σ p_l·Π_{i<l} s_i), so that
  start = (r − 1)/2 − P.

A transposed convolution is read as zeros inserted between the inputs (the jump divides
by the stride) followed by a stride-1 convolution padded by d·(k−1) − p: j = j_in/s,
r = r_in + d·(k−1)·j_in/s, start = start_in + (p − d·(k−1)/2)·j_in/s. Values may then be
fractions. Global pools, flatten and a fully connected layer read the whole map: they are
a window as large as the map (k = the map size, stride k, no padding).

>>> conv = Layer("conv", out=8, kernel=(3,), stride=(2,), padding=1)
>>> chain = [conv, Layer("maxpool", kernel=(2,))]
>>> net = walk(chain, (3, 32, 32))
>>> [s.shape for s in net.steps]
[(8, 16, 16), (8, 8, 8)]
>>> net.steps[-1].rf, net.steps[-1].jump, net.steps[-1].start
((5, 5), (4, 4), (1, 1))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from convcli import params as P
from convcli import shape as S
from convcli.errors import ConvError, ShapeError

Number = int | Fraction
PerAxis = tuple[Number, ...]

# layer kinds (the ``type`` column); activations keep the shape and have no parameters
CONV_KINDS = ("conv", "tconv")
POOL_KINDS = ("maxpool", "avgpool", "lppool")
GLOBAL_KINDS = ("gap", "gmp")
ADAPTIVE_KINDS = ("adaptiveavgpool", "adaptivemaxpool")
ACTIVATIONS = (
    "relu",
    "relu6",
    "leakyrelu",
    "prelu",
    "elu",
    "selu",
    "celu",
    "gelu",
    "silu",
    "swish",
    "mish",
    "sigmoid",
    "hardsigmoid",
    "hardswish",
    "tanh",
    "softmax",
    "logsoftmax",
    "softplus",
    "identity",
    "dropout",
    "clip",
)
KINDS = (
    *CONV_KINDS,
    *POOL_KINDS,
    *GLOBAL_KINDS,
    *ADAPTIVE_KINDS,
    "bn",
    *ACTIVATIONS,
    "flatten",
    "fc",
    "add",
    "concat",
    "bias",
)


class NetError(ConvError):
    """A layer that cannot be built on what reaches it; the message names the layer."""


@dataclass(frozen=True)
class Layer:
    """One layer as written. Per-axis values are one number or one per spatial axis;
    ``None`` is "not given" (defaults depend on the kind and the input)."""

    kind: str
    out: int | None = None  # output channels (conv, tconv) or features (fc)
    kernel: tuple[int, ...] | None = None
    stride: tuple[int, ...] | None = None
    padding: P.AxisPadding | None = None  # a word, or 1, N or 2N numbers
    dilation: tuple[int, ...] | None = None
    groups: int = 1
    bias: bool = True
    output_padding: tuple[int, ...] | None = None
    ceil_mode: bool = False
    output_size: tuple[int, ...] | None = None  # adaptive pools
    name: str | None = None
    in_channels: int | None = None  # what a PyTorch/ONNX layer was built for (checked)
    in_features: int | None = None
    dims: int | None = None  # Conv2d says 2: checked against the input
    inputs: tuple[int, ...] | None = None  # graph: indices of the layers read (-1: input)
    extra_params: int = 0  # parameters a reader found that the kind does not count


@dataclass(frozen=True)
class Step:
    """What one layer computes: its output and the receptive field at its output."""

    index: int  # 1-based, as errors name layers
    layer: Layer
    shape: tuple[int, ...]  # (C, *spatial) or (features,) once flat
    spatial_in: tuple[int, ...]
    kernel: tuple[int, ...]  # as applied (global pools: the map size)
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    pads: tuple[int, ...]  # before, after per axis
    rf: PerAxis
    jump: PerAxis
    start: PerAxis
    padding: PerAxis  # effective padding
    params: int
    macs: int
    rf_in: PerAxis = ()
    jump_in: PerAxis = ()
    start_in: PerAxis = ()
    padding_in: PerAxis = ()
    axes: tuple[Any, ...] = ()  # shape.py's per-axis arithmetic, for the formulas
    in_channels: int = 0
    flat: bool = False
    notes: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.layer.name or f"{self.layer.kind}{self.index}"

    @property
    def activations(self) -> int:
        return _product(self.shape)


@dataclass(frozen=True)
class Net:
    input_shape: tuple[int, ...]
    steps: tuple[Step, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def dims(self) -> int:
        return len(self.input_shape) - 1

    @property
    def params(self) -> int:
        return sum(s.params for s in self.steps)

    @property
    def macs(self) -> int:
        return sum(s.macs for s in self.steps)

    @property
    def activations(self) -> int:
        return sum(s.activations for s in self.steps)

    @property
    def output(self) -> Step:
        return self.steps[-1]


def _product(values: Sequence[int]) -> int:
    out = 1
    for v in values:
        out *= v
    return out


def exact(value: Number) -> Number:
    """A Fraction that is whole as an int."""
    if isinstance(value, Fraction) and value.denominator == 1:
        return int(value)
    return value


@dataclass
class _State:
    """What flows along an edge: the shape and the receptive field at that point."""

    channels: int
    spatial: tuple[int, ...]  # empty once flat
    rf: PerAxis
    jump: PerAxis
    start: PerAxis
    padding: PerAxis
    flat: bool = False
    features: int = 0  # once flat

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.features,) if self.flat else (self.channels, *self.spatial)


def walk(layers: Sequence[Layer], input_shape: Sequence[int]) -> Net:
    """Every layer's output and receptive field; :class:`NetError` names a bad layer."""
    shape = tuple(input_shape)
    if not 2 <= len(shape) <= 4 or min(shape) < 1:
        msg = (
            f"the input shape must be C,W, C,H,W or C,D,H,W with every size 1 or more, "
            f"got {','.join(map(str, shape))}"
        )
        raise ShapeError(msg)
    if not layers:
        msg = "the network has no layers"
        raise NetError(msg)
    n = len(shape) - 1
    zero: PerAxis = (0,) * n
    first = _State(shape[0], shape[1:], (1,) * n, (1,) * n, zero, zero)
    states: list[_State] = []
    steps: list[Step] = []
    notes: list[str] = []
    for i, layer in enumerate(layers):
        sources = layer.inputs if layer.inputs is not None else (i - 1,)
        ins = [first if j < 0 else states[j] for j in sources]
        try:
            step, state = _apply(i + 1, layer, ins, n)
        except NetError:
            raise
        except ConvError as exc:
            msg = f"{label(i + 1, layer)}: {exc.message}"
            raise NetError(msg, exc.hint) from None
        states.append(state)
        steps.append(step)
        notes.extend(step.notes)
    return Net(shape, tuple(steps), tuple(notes))


def _fail(index: int, layer: Layer, message: str, hint: str | None = None) -> NetError:
    return NetError(f"{label(index, layer)}: {message}", hint)


def label(index: int, layer: Layer) -> str:
    """How messages name a layer: ``layer 3 (conv)``, ``layer 3 (conv stem)``."""
    return f"layer {index} ({layer.kind}{' ' + layer.name if layer.name else ''})"


def _axes(
    value: tuple[int, ...] | None, default: tuple[int, ...], name: str, n: int
) -> tuple[int, ...]:
    if value is None:
        return default
    if len(value) == 1:
        return value * n
    if len(value) != n:
        msg = f"{name} has {len(value)} values; the input has {n} spatial axes"
        raise ShapeError(msg)
    return value


def _pads(layer: Layer, n: int) -> P.AxisPadding:
    padding = layer.padding if layer.padding is not None else 0
    try:
        return P.as_axis_padding(padding, n)
    except ConvError as exc:
        raise ShapeError(exc.message) from None


def _apply(index: int, layer: Layer, ins: list[_State], n: int) -> tuple[Step, _State]:
    kind = layer.kind
    if kind in ("add", "concat"):
        return _merge(index, layer, ins, n)
    state = ins[0]
    if layer.dims is not None and layer.dims != n and kind not in ("fc", "flatten"):
        msg = (
            f"a {layer.dims}-D layer on a {n}-D input "
            f"(the input shape has {n} spatial {'axis' if n == 1 else 'axes'})"
        )
        raise _fail(index, layer, msg)
    if layer.in_channels is not None and not state.flat and layer.in_channels != state.channels:
        msg = f"expects {layer.in_channels} input channels, gets {state.channels}"
        raise _fail(index, layer, msg)
    maps = (*CONV_KINDS, *POOL_KINDS, *GLOBAL_KINDS, *ADAPTIVE_KINDS)
    if kind in maps and state.flat:
        raise _fail(index, layer, "needs a feature map, but the input is already flat")
    if kind in CONV_KINDS:
        return _conv(index, layer, state, n)
    if kind in POOL_KINDS:
        return _pool(index, layer, state, n)
    if kind in GLOBAL_KINDS or kind == "flatten":
        return _whole(index, layer, state, n)
    if kind in ADAPTIVE_KINDS:
        return _adaptive(index, layer, state, n)
    if kind == "fc":
        return _fc(index, layer, state, n)
    params = 0
    if kind == "bn":  # a scale and a shift per channel (running statistics are buffers)
        params = 2 * (state.features if state.flat else state.channels)
    params += layer.extra_params
    return _same(index, layer, state, n, params), state


def _same(index: int, layer: Layer, state: _State, n: int, params: int = 0) -> Step:
    return Step(
        index,
        layer,
        state.shape,
        state.spatial,
        (1,) * n,
        (1,) * n,
        (1,) * n,
        (0,) * (2 * n),
        state.rf,
        state.jump,
        state.start,
        state.padding,
        params,
        0,
        state.rf,
        state.jump,
        state.start,
        state.padding,
        (),
        state.channels,
        state.flat,
    )


def _field(
    state: _State,
    kernel: Sequence[int],
    stride: Sequence[Number],
    dilation: Sequence[int],
    pads: Sequence[int],
) -> tuple[PerAxis, PerAxis, PerAxis, PerAxis]:
    """Araujo et al.'s recurrences, one axis at a time."""
    rf, jump, start, padding = [], [], [], []
    for a in range(len(kernel)):
        j = state.jump[a]
        taps = dilation[a] * (kernel[a] - 1)
        rf.append(exact(state.rf[a] + taps * j))
        jump.append(exact(j * stride[a]))
        start.append(exact(state.start[a] + (Fraction(taps, 2) - pads[2 * a]) * j))
        padding.append(exact(state.padding[a] + pads[2 * a] * j))
    return tuple(rf), tuple(jump), tuple(start), tuple(padding)


def _conv(index: int, layer: Layer, state: _State, n: int) -> tuple[Step, _State]:
    if layer.out is None:
        raise _fail(index, layer, "needs the number of output channels (a bare number: conv 64)")
    if layer.kernel is None:
        raise _fail(index, layer, "needs a kernel size (k3, or k3,5 per axis)")
    kernel = _axes(layer.kernel, (1,) * n, "the kernel", n)
    stride = _axes(layer.stride, (1,) * n, "the stride", n)
    dilation = _axes(layer.dilation, (1,) * n, "the dilation", n)
    if layer.out < 1:
        raise _fail(index, layer, f"needs 1 or more output channels, got {layer.out}")
    g, cin, cout = layer.groups, state.channels, layer.out
    if g < 1 or cin % g or cout % g:
        msg = f"groups {g} must divide the {cin} input and {cout} output channels"
        raise _fail(index, layer, msg)
    words = S.axis_names(n)
    spatial = state.spatial
    padding = _pads(layer, n)
    bias = cout if layer.bias else 0
    if layer.kind == "tconv":
        pads = P.as_transpose_axis_padding(padding, n)
        op = _axes(layer.output_padding, (0,) * n, "the output padding", n)
        axes = tuple(
            S.transpose_axis(
                spatial[a],
                kernel[a],
                stride[a],
                dilation[a],
                pads[2 * a],
                pads[2 * a + 1],
                op[a],
                axis=words[a],
            )
            for a in range(n)
        )
        out = tuple(ax.output for ax in axes)
        # zeros inserted (jump / s), then a stride-1 convolution padded by d·(k−1) − p
        up = _State(
            cin,
            spatial,
            state.rf,
            tuple(Fraction(j) / s for j, s in zip(state.jump, stride, strict=True)),
            state.start,
            state.padding,
        )
        inner = tuple(
            side for a in range(n) for side in (dilation[a] * (kernel[a] - 1) - pads[2 * a],) * 2
        )
        rf, jump, start, eff = _field(up, kernel, (1,) * n, dilation, inner)
        weights = cin * (cout // g) * _product(kernel)
        macs = cin * _product(spatial) * (cout // g) * _product(kernel)
    else:
        pads = P.resolve_axis_paddings(padding, spatial, kernel, stride, dilation)
        axes = tuple(
            _below_one(
                lambda a=a: S.conv_axis(
                    spatial[a],
                    kernel[a],
                    stride[a],
                    dilation[a],
                    pads[2 * a],
                    pads[2 * a + 1],
                    axis=words[a],
                ),
                words[a],
                spatial[a],
            )
            for a in range(n)
        )
        out = tuple(ax.output for ax in axes)
        rf, jump, start, eff = _field(state, kernel, stride, dilation, pads)
        weights = cout * (cin // g) * _product(kernel)
        macs = cout * _product(out) * (cin // g) * _product(kernel)
    new = _State(cout, out, rf, jump, start, eff)
    step = Step(
        index,
        layer,
        new.shape,
        spatial,
        kernel,
        stride,
        dilation,
        tuple(pads),
        rf,
        jump,
        start,
        eff,
        weights + bias + layer.extra_params,
        macs,
        state.rf,
        state.jump,
        state.start,
        state.padding,
        axes,
        cin,
    )
    return step, new


def _below_one(compute: Any, word: str, size: int) -> Any:
    """shape.py's arithmetic, its "larger than the input" error said as the size lost."""
    try:
        return compute()
    except ShapeError as exc:
        msg = f"the {word} {size} would shrink below 1: {exc.message}"
        raise ShapeError(msg, exc.hint) from None


def _pool(index: int, layer: Layer, state: _State, n: int) -> tuple[Step, _State]:
    if layer.kernel is None:
        raise _fail(index, layer, "needs a window size (k2, or k2,3 per axis)")
    kernel = _axes(layer.kernel, (1,) * n, "the window", n)
    stride = _axes(layer.stride, kernel, "the stride", n)
    dilation = _axes(layer.dilation, (1,) * n, "the dilation", n)
    spatial = state.spatial
    pads = P.resolve_axis_paddings(_pads(layer, n), spatial, kernel, stride, dilation)
    words = S.axis_names(n)
    axes = tuple(
        _below_one(
            lambda a=a: S.pool_axis(
                spatial[a],
                kernel[a],
                stride[a],
                pads[2 * a],
                ceil_mode=layer.ceil_mode,
                axis=words[a],
                dilation=dilation[a],
                pad_after=pads[2 * a + 1],
            ),
            words[a],
            spatial[a],
        )
        for a in range(n)
    )
    out = tuple(ax.output for ax in axes)
    rf, jump, start, eff = _field(state, kernel, stride, dilation, pads)
    new = _State(state.channels, out, rf, jump, start, eff)
    step = Step(
        index,
        layer,
        new.shape,
        spatial,
        kernel,
        stride,
        dilation,
        tuple(pads),
        rf,
        jump,
        start,
        eff,
        layer.extra_params,
        0,
        state.rf,
        state.jump,
        state.start,
        state.padding,
        axes,
        state.channels,
    )
    return step, new


def _whole(index: int, layer: Layer, state: _State, n: int) -> tuple[Step, _State]:
    """A global pool or flatten: one window over the whole map."""
    if state.flat:  # flatten of a flat vector: nothing changes
        return _same(index, layer, state, n), state
    kernel = state.spatial
    rf, jump, start, eff = _field(state, kernel, kernel, (1,) * n, (0,) * (2 * n))
    if layer.kind == "flatten":
        features = state.channels * _product(state.spatial)
        new = _State(state.channels, (), rf, jump, start, eff, flat=True, features=features)
    else:
        new = _State(state.channels, (1,) * n, rf, jump, start, eff)
    step = Step(
        index,
        layer,
        new.shape,
        state.spatial,
        kernel,
        kernel,
        (1,) * n,
        (0,) * (2 * n),
        rf,
        jump,
        start,
        eff,
        layer.extra_params,
        0,
        state.rf,
        state.jump,
        state.start,
        state.padding,
        (),
        state.channels,
        new.flat,
    )
    return step, new


def _adaptive(index: int, layer: Layer, state: _State, n: int) -> tuple[Step, _State]:
    """PyTorch's adaptive pools: window i spans ⌊i·in/out⌋ to ⌈(i+1)·in/out⌉. When out
    divides in, that is a pool with k = s = in/out; otherwise the windows differ and the
    receptive field is that of the largest, the jump in/out."""
    if layer.output_size is None:
        raise _fail(index, layer, "needs the output size (a bare number: adaptiveavgpool 7)")
    size = _axes(layer.output_size, (1,) * n, "the output size", n)
    kernel: list[int] = []
    stride: list[Number] = []
    notes: list[str] = []
    for a in range(n):
        i, o = state.spatial[a], size[a]
        if o < 1:
            raise _fail(index, layer, f"the output size must be 1 or more, got {o}")
        widest = max(-(-((w + 1) * i) // o) - (w * i) // o for w in range(o))
        kernel.append(widest)
        stride.append(exact(Fraction(i, o)))
        if i % o:
            notes.append(
                f"{label(index, layer)}: {S.axis_names(n)[a]} {i} → {o}: "
                f"the windows are not all alike; the receptive field is that of the widest "
                f"({widest}), the jump {exact(Fraction(i, o))}"
            )
    rf, jump, start, eff = _field(state, kernel, stride, (1,) * n, (0,) * (2 * n))
    new = _State(state.channels, size, rf, jump, start, eff)
    step = Step(
        index,
        layer,
        new.shape,
        state.spatial,
        tuple(kernel),
        tuple(int(s) if isinstance(s, int) else 0 for s in stride),
        (1,) * n,
        (0,) * (2 * n),
        rf,
        jump,
        start,
        eff,
        layer.extra_params,
        0,
        state.rf,
        state.jump,
        state.start,
        state.padding,
        (),
        state.channels,
        notes=tuple(notes),
    )
    return step, new


def _fc(index: int, layer: Layer, state: _State, n: int) -> tuple[Step, _State]:
    """A fully connected layer; on a map it flattens it first (as a printed model does)."""
    if layer.out is None:
        raise _fail(index, layer, "needs the number of output features (a bare number: fc 10)")
    if layer.out < 1:
        raise _fail(index, layer, f"needs 1 or more output features, got {layer.out}")
    flat = state
    if not state.flat:
        kernel = state.spatial
        rf, jump, start, eff = _field(state, kernel, kernel, (1,) * n, (0,) * (2 * n))
        features = state.channels * _product(state.spatial)
        flat = _State(state.channels, (), rf, jump, start, eff, flat=True, features=features)
    if layer.in_features is not None and layer.in_features != flat.features:
        msg = f"expects {layer.in_features} input features, gets {flat.features}"
        raise _fail(index, layer, msg)
    macs = flat.features * layer.out
    params = macs + (layer.out if layer.bias else 0) + layer.extra_params
    new = replace(flat, features=layer.out)
    step = Step(
        index,
        layer,
        new.shape,
        state.spatial,
        (1,) * n,
        (1,) * n,
        (1,) * n,
        (0,) * (2 * n),
        new.rf,
        new.jump,
        new.start,
        new.padding,
        params,
        macs,
        state.rf,
        state.jump,
        state.start,
        state.padding,
        (),
        flat.features,
        True,
    )
    return step, new


def _merge(index: int, layer: Layer, ins: list[_State], n: int) -> tuple[Step, _State]:
    """Add (same shapes) or Concat (channels summed): the largest receptive field of the
    paths; a note when the paths' receptive fields are not centred alike (not aligned)."""
    shapes = [s.shape for s in ins]
    if layer.kind == "add":
        if any(s != shapes[0] for s in shapes):
            got = " and ".join("×".join(map(str, s)) for s in shapes)
            raise _fail(index, layer, f"adds tensors of different shapes: {got}")
    elif any(s.flat for s in ins) or any(s.spatial != ins[0].spatial for s in ins):
        got = " and ".join("×".join(map(str, s)) for s in shapes)
        raise _fail(index, layer, f"concatenates maps of different sizes: {got}")
    rf, jump, start, eff = [], [], [], []
    notes: list[str] = []
    words = S.axis_names(n)
    for a in range(n):
        widest = max(ins, key=lambda s: s.rf[a])
        rf.append(widest.rf[a])
        jump.append(widest.jump[a])
        start.append(widest.start[a])
        eff.append(widest.padding[a])
        centres = {s.start[a] for s in ins}
        jumps = {s.jump[a] for s in ins}
        if len(centres) > 1 or len(jumps) > 1:
            listed = ", ".join(str(exact(Fraction(c))) for c in sorted(centres))
            notes.append(
                f"{label(index, layer)}: the paths are not aligned on the "
                f"{words[a]}: their receptive fields are centred at {listed}"
                + (
                    f" with jumps {', '.join(str(j) for j in sorted(jumps))}"
                    if len(jumps) > 1
                    else ""
                )
                + f"; the largest ({widest.rf[a]}) is kept"
            )
    base = ins[0]
    if layer.kind == "concat":
        channels = sum(s.channels for s in ins)
        new = _State(channels, base.spatial, tuple(rf), tuple(jump), tuple(start), tuple(eff))
    else:
        new = replace(base, rf=tuple(rf), jump=tuple(jump), start=tuple(start), padding=tuple(eff))
    step = Step(
        index,
        layer,
        new.shape,
        base.spatial,
        (1,) * n,
        (1,) * n,
        (1,) * n,
        (0,) * (2 * n),
        new.rf,
        new.jump,
        new.start,
        new.padding,
        layer.extra_params,
        0,
        base.rf,
        base.jump,
        base.start,
        base.padding,
        (),
        base.channels,
        new.flat,
        tuple(notes),
    )
    return step, new
