"""The same layer in PyTorch, TensorFlow, JAX, ONNX, SciPy and OpenCV, as code that
reproduces convcli's numbers. Pure: the snippets are generated text, no framework is
imported here (the tests run them, each in its framework).

Every snippet takes ``x`` (convcli's input, channels first), ``w`` (convcli's kernel
layout) and, for a convolution, an optional ``b`` (bias) and sets ``y``, a float64 numpy
array in convcli's output layout.

>>> layer = describe("conv", (5, 5), (3, 3), stride=(2, 2), padding="same")
>>> layer.output
(3, 3)
>>> [row.name for row in rows(layer)]
['PyTorch', 'TensorFlow', 'JAX', 'ONNX', 'SciPy', 'OpenCV']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from convcli import params as P
from convcli import shape as S
from convcli.errors import ParameterError

NAMES = ("PyTorch", "TensorFlow", "JAX", "ONNX", "SciPy", "OpenCV")
KEYS = {name.lower(): name for name in NAMES}
OPS = ("conv", "transpose", "pool")
POOL_OPS = ("max", "avg", "min")
NUMPY_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}
ONNX_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}
CV_BORDERS = {
    "zeros": "cv2.BORDER_CONSTANT",
    "reflect": "cv2.BORDER_REFLECT_101",
    "replicate": "cv2.BORDER_REPLICATE",
    "circular": "cv2.BORDER_WRAP",
}
TF_MODES = {"zeros": "CONSTANT", "reflect": "REFLECT"}  # tf.pad has no edge nor wrap
LETTERS = {1: "W", 2: "HW", 3: "DHW"}


@dataclass(frozen=True)
class Layer:
    """One layer, resolved to numbers: per-axis tuples in axis order (d, h, w)."""

    op: str  # conv, transpose or pool
    sizes: tuple[int, ...]
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    pads: tuple[int, ...]  # before, after of each axis
    output: tuple[int, ...]
    word: str | None = None  # the padding word, when one was given
    groups: int = 1
    channels: tuple[int, int] | None = None  # None: one channel, plain matrices
    output_padding: tuple[int, ...] = ()
    pool_op: str = "max"
    ceil_mode: bool = False
    flip: bool = False
    padding_mode: str = "zeros"

    @property
    def dims(self) -> int:
        return len(self.sizes)

    @property
    def c_in(self) -> int:
        return self.channels[0] if self.channels else 1

    @property
    def c_out(self) -> int:
        if self.op == "pool":
            return self.c_in
        return self.channels[1] if self.channels else 1

    @property
    def before(self) -> tuple[int, ...]:
        return self.pads[0::2]

    @property
    def after(self) -> tuple[int, ...]:
        return self.pads[1::2]

    @property
    def symmetric(self) -> bool:
        return self.before == self.after

    @property
    def span(self) -> tuple[int, ...]:
        """The dilated kernel's size per axis: d·(k−1) + 1."""
        return tuple(
            S.effective_kernel(k, d) for k, d in zip(self.kernel, self.dilation, strict=False)
        )

    @property
    def y_shape(self) -> tuple[int, ...]:
        """convcli's output shape: channels first when channels were given."""
        return (self.c_out, *self.output) if self.channels else self.output

    @property
    def x_shape(self) -> tuple[int, ...]:
        return (self.c_in, *self.sizes)

    @property
    def w_shape(self) -> tuple[int, ...]:
        if self.op == "transpose":
            return (self.c_in, self.c_out // self.groups, *self.kernel)
        return (self.c_out, self.c_in // self.groups, *self.kernel)

    @property
    def ceil_extra(self) -> tuple[int, ...]:
        """Cells a ceil-mode pool reads past the padding after (filled as padding is not)."""
        return tuple(
            max((o - 1) * s + k - (n + pb + pa), 0)
            for o, s, k, n, pb, pa in zip(
                self.output,
                self.stride,
                self.kernel,
                self.sizes,
                self.before,
                self.after,
                strict=False,
            )
        )

    @property
    def full(self) -> tuple[int, ...]:
        """A transposed convolution's size before cropping: (in − 1)·s + d·(k−1) + 1."""
        return tuple(
            (n - 1) * s + e for n, s, e in zip(self.sizes, self.stride, self.span, strict=False)
        )


@dataclass(frozen=True)
class Row:
    """One framework's answer: whether it has the layer, its output size, the code, notes."""

    name: str
    native: bool
    output: tuple[int, ...] | None
    code: str | None
    notes: tuple[str, ...]

    def payload(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "native": self.native,
            "output": list(self.output) if self.output is not None else None,
            "code": self.code,
            "notes": list(self.notes),
        }


# --- describing a layer -------------------------------------------------------------------


def describe(
    op: str,
    sizes: Sequence[int],
    kernel: Sequence[int],
    *,
    stride: Sequence[int] | None = None,
    dilation: Sequence[int] | None = None,
    padding: P.AxisPadding = "valid",
    groups: int = 1,
    channels: tuple[int, int] | None = None,
    output_padding: Sequence[int] | None = None,
    pool_op: str = "max",
    ceil_mode: bool = False,
    flip: bool = False,
    padding_mode: str = "zeros",
) -> Layer:
    """Check a layer as convcli would and resolve it to numbers (``ConvError`` if invalid)."""
    n = len(sizes)
    size, k = tuple(sizes), tuple(kernel)
    s = tuple(stride) if stride is not None else (k if op == "pool" else (1,) * n)
    d = tuple(dilation) if dilation is not None else (1,) * n
    op_pad = tuple(output_padding) if output_padding is not None else (0,) * n
    padding = P.as_axis_padding(padding, n)
    word = padding if isinstance(padding, str) else None
    if op != "conv" and word not in (None, "valid"):
        what = "a transposed convolution" if op == "transpose" else "a pool"
        msg = f"{what} takes a number of padding cells, not '{word}'"
        raise ParameterError(msg, option="--padding")
    pads = P.resolve_axis_paddings(padding, size, k, s, d)
    _check_channels(op, channels, groups)
    names = S.axis_names(n)
    if op == "conv":
        out = tuple(
            S.conv_axis(size[i], k[i], s[i], d[i], pads[2 * i], pads[2 * i + 1], axis=names[i])
            .output
            for i in range(n)
        )  # fmt: skip
    elif op == "transpose":
        out = tuple(
            S.transpose_axis(
                size[i], k[i], s[i], d[i], pads[2 * i], pads[2 * i + 1], op_pad[i], axis=names[i]
            ).output
            for i in range(n)
        )
    else:
        out = tuple(
            S.pool_axis(
                size[i], k[i], s[i], pads[2 * i], ceil_mode=ceil_mode, axis=names[i],
                pad_after=pads[2 * i + 1],
            ).output
            for i in range(n)
        )  # fmt: skip
    return Layer(
        op, size, k, s, d, pads, out, word, groups, channels, op_pad if op == "transpose" else (),
        pool_op, ceil_mode, flip, padding_mode,
    )  # fmt: skip


def _check_channels(op: str, channels: tuple[int, int] | None, groups: int) -> None:
    c_in, c_out = channels or (1, 1)
    if min(c_in, c_out, groups) < 1:
        msg = "channels and groups must be 1 or more"
        raise ParameterError(msg, option="--channels")
    if op == "pool":
        return
    if c_in % groups or c_out % groups:
        msg = f"groups {groups} must divide the input channels {c_in} and output channels {c_out}"
        raise ParameterError(msg, option="--groups")


# --- text helpers -------------------------------------------------------------------------


def _t(values: Sequence[int]) -> str:
    """A tuple literal: (2,) for one value."""
    items = ", ".join(map(str, values))
    return f"({items},)" if len(values) == 1 else f"({items})"


def _l(values: Sequence[int]) -> str:
    return "[" + ", ".join(map(str, values)) + "]"


def _spatial(dims: int, lead: int = 2) -> str:
    return _t(range(lead, lead + dims))


def _slices(strides: Sequence[int], stops: Sequence[int], lead: str = ":, :") -> str:
    parts = [
        f"{0}:{(o - 1) * s + 1}:{s}" if s > 1 else f":{o}"
        for s, o in zip(strides, stops, strict=False)
    ]
    return f"[{lead}, " + ", ".join(parts) + "]"


def _np_pads(layer: Layer, extra: Sequence[int] | None = None, lead: int = 2) -> str:
    extra = extra or (0,) * layer.dims
    pairs = [
        f"({pb}, {pa + e})" for pb, pa, e in zip(layer.before, layer.after, extra, strict=False)
    ]
    return "(" + "(0, 0), " * lead + ", ".join(pairs) + ")"


def _bias_lines(layer: Layer, var: str = "y") -> list[str]:
    shape = _t((-1, *(1,) * layer.dims))
    return [
        "if b is not None:  # one number, or one per output channel",
        f"    {var} = {var} + np.asarray(b, dtype=np.float64).reshape{shape}",
    ]


def _inputs(layer: Layer, dtype: str = "np.float64", lead: str = "1, ") -> list[str]:
    lines = [f"x_ = np.asarray(x, dtype={dtype}).reshape({lead}{_t(layer.x_shape)[1:-1]})"]
    if layer.op != "pool":
        lines.append(f"w_ = np.asarray(w, dtype={dtype}).reshape{_t(layer.w_shape)}")
    return lines


def _flip_line(layer: Layer, var: str = "w_") -> list[str]:
    flipped = ", ".join([":", ":"] + ["::-1"] * layer.dims)
    return [f"{var} = np.ascontiguousarray({var}[{flipped}])  # --flip: true convolution"]


def _dilate_lines(layer: Layer, var: str = "w_") -> list[str]:
    if all(d == 1 for d in layer.dilation):
        return []
    steps = ", ".join(f"::{d}" for d in layer.dilation)
    return [
        f"wd = np.zeros({var}.shape[:2] + {_t(layer.span)})  # the dilated kernel: holes are 0",
        f"wd[:, :, {steps}] = {var}",
        f"{var} = wd",
    ]


def _finish(layer: Layer, var: str = "y") -> str:
    return f"y = np.asarray({var}, dtype=np.float64).reshape{_t(layer.y_shape)}"


def _code(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"


# --- the rows -----------------------------------------------------------------------------


def rows(layer: Layer) -> list[Row]:
    return [
        pytorch(layer),
        tensorflow(layer),
        jax(layer),
        onnx(layer),
        scipy(layer),
        opencv(layer),
    ]


def pytorch(layer: Layer) -> Row:
    n = layer.dims
    lines = ["import numpy as np", "import torch", "import torch.nn.functional as F", ""]
    notes: list[str] = []
    if layer.op != "pool":
        lines.append('b = globals().get("b")  # optional bias: one number or one per channel')
    lines += [f"xt = torch.from_numpy(np.asarray(x, dtype=np.float64).reshape(1, "
              f"{_t(layer.x_shape)[1:-1]}))"]  # fmt: skip
    torch_pads = ", ".join(
        f"{pb}, {pa}" for pb, pa in zip(reversed(layer.before), reversed(layer.after), strict=False)
    )
    if layer.op == "pool":
        return _pytorch_pool(layer, lines, torch_pads)
    lines.append(
        f"wt = torch.from_numpy(np.asarray(w, dtype=np.float64).reshape{_t(layer.w_shape)})"
    )
    lines.append(
        f"bt = None if b is None else torch.from_numpy("
        f"np.broadcast_to(np.asarray(b, dtype=np.float64), ({layer.c_out},)).copy())"
    )
    if layer.flip:
        lines.append(f"wt = torch.flip(wt, dims={_spatial(n)})  # --flip: true convolution")
        notes.append("PyTorch cross-correlates: --flip is torch.flip of the kernel")
    args = f"stride={_t(layer.stride)}"
    if layer.op == "conv":
        native = layer.symmetric or (layer.word == "same" and set(layer.stride) == {1})
        if layer.padding_mode == "zeros" and layer.symmetric:
            padding = _t(layer.before)
        elif layer.padding_mode == "zeros" and native:
            padding = '"same"'
            notes.append("padding='same' (stride 1 only: PyTorch refuses it at stride > 1)")
            notes.append("an uneven 'same' gets its extra cell after, with a UserWarning")
        else:
            mode = "constant" if layer.padding_mode == "zeros" else layer.padding_mode
            lines.append(f'xt = F.pad(xt, ({torch_pads}), mode="{mode}")  # last axis first')
            padding = "0"
            if not layer.symmetric:
                notes.append("uneven padding: F.pad first (padding= pads both sides alike)")
            if layer.padding_mode != "zeros":
                notes.append(f"nn.Conv{n}d(padding_mode='{layer.padding_mode}') is the module form")
        if layer.word == "same" and set(layer.stride) != {1}:
            notes.append(
                "padding='same' refuses stride > 1: F.pad with TensorFlow's split "
                "(extra cell bottom/right)"
            )
        lines.append(
            f"yt = F.conv{n}d(xt, wt, bt, {args}, padding={padding}, "
            f"dilation={_t(layer.dilation)}, groups={layer.groups})"
        )
        lines.append(_finish(layer, "yt.numpy()"))
        return Row("PyTorch", native, layer.output, _code(lines), tuple(notes))
    native = layer.symmetric
    padding = _t(layer.before) if native else "0"
    lines.append(
        f"yt = F.conv_transpose{n}d(xt, wt, bt, {args}, padding={padding}, "
        f"output_padding={_t(layer.output_padding)}, groups={layer.groups}, "
        f"dilation={_t(layer.dilation)})"
    )
    if not native:
        crop = ", ".join(
            f"{pb}:yt.shape[{i + 2}] - {pa}"
            for i, (pb, pa) in enumerate(zip(layer.before, layer.after, strict=False))
        )
        lines.append(f"yt = yt[:, :, {crop}]  # uneven padding: crop by hand")
        notes.append("padding= crops both sides alike: uneven padding is a crop by hand")
    notes.append("output_padding adds cells at the end (TensorFlow takes output_shape)")
    lines.append(_finish(layer, "yt.numpy()"))
    return Row("PyTorch", native, layer.output, _code(lines), tuple(notes))


def _pytorch_pool(layer: Layer, lines: list[str], torch_pads: str) -> Row:
    n = layer.dims
    notes: list[str] = []
    k, s = _t(layer.kernel), _t(layer.stride)
    native = layer.symmetric and all(
        p <= k_ // 2 for p, k_ in zip(layer.before, layer.kernel, strict=False)
    )
    sign = "-" if layer.pool_op == "min" else ""
    if layer.pool_op == "min":
        notes.append("PyTorch has no min pool: -max_pool(-x)")
    kind = "avg" if layer.pool_op == "avg" else "max"
    if native:
        extra = ", count_include_pad=True" if kind == "avg" else ""
        lines.append(
            f"yt = {sign}F.{kind}_pool{n}d({sign}xt, {k}, {s}, padding={_t(layer.before)}, "
            f"ceil_mode={layer.ceil_mode}{extra})"
        )
    else:
        notes.append(
            "PyTorch pads both sides alike, at most half the window: F.pad by hand "
            "(and the cells a ceil-mode window reads past it)"
        )
        extra_pads = ", ".join(f"0, {e}" for e in reversed(layer.ceil_extra))
        if kind == "max":
            lines += [
                f"xt = F.pad({sign}xt, ({torch_pads}), value=-float('inf'))",
                f"xt = F.pad(xt, ({extra_pads}), value=-float('inf'))",
                f"yt = {sign}F.max_pool{n}d(xt, {k}, {s})",
            ]
        else:
            lines += [
                "# sums / counts: padding counts in the average, the ceil overhang does not",
                f"ones = F.pad(F.pad(torch.ones_like(xt), ({torch_pads}), value=1.0), "
                f"({extra_pads}))",
                f"xt = F.pad(F.pad(xt, ({torch_pads})), ({extra_pads}))",
                f"yt = F.avg_pool{n}d(xt, {k}, {s}) / F.avg_pool{n}d(ones, {k}, {s})",
            ]
    if layer.ceil_mode:
        notes.append("ceil_mode: a last window must start inside the input or the padding before")
    lines.append(_finish(layer, "yt.numpy()"))
    return Row("PyTorch", native, layer.output, _code(lines), tuple(notes))


def _tf_pad_list(layer: Layer, extra: Sequence[int] | None = None) -> str:
    extra = extra or (0,) * layer.dims
    pairs = [
        f"[{pb}, {pa + e}]" for pb, pa, e in zip(layer.before, layer.after, extra, strict=False)
    ]
    return "[[0, 0], " + ", ".join(pairs) + ", [0, 0]]"


def tensorflow(layer: Layer) -> Row:
    n = layer.dims
    notes: list[str] = []
    float32 = layer.op == "pool" and n == 3
    dtype = "np.float32" if float32 else "np.float64"
    lines = ["import numpy as np", "import tensorflow as tf", ""]
    if layer.op != "pool":
        lines.append('b = globals().get("b")  # optional bias: one number or one per channel')
    lines += _inputs(layer, dtype)
    full = f"[1, {', '.join(map(str, layer.stride))}, 1]"
    if layer.op == "pool":
        return _tf_pool(layer, lines, notes, float32)
    if layer.flip:
        lines += _flip_line(layer)
        notes.append("TensorFlow cross-correlates: --flip reverses the kernel first")
    native = True
    dil = layer.dilation
    if any(d > 1 for d in dil) and (n == 3 or layer.op == "transpose"):
        lines += _dilate_lines(layer)
        dil = (1,) * n
        native = False
        notes.append("TensorFlow's CPU kernels refuse this dilation: the kernel is dilated first")
    perm = _t((*range(2, n + 2), 1, 0))
    layout = {1: "OIW -> WIO", 2: "OIHW -> HWIO", 3: "OIDHW -> DHWIO"}[n]
    if layer.op == "transpose":
        layout = layout.replace("I", "o").replace("O", "I").replace("o", "O")
    if layer.padding_mode in ("replicate", "circular"):
        lines.append(
            f'x_ = np.pad(x_, {_np_pads(layer)}, mode="{NUMPY_MODES[layer.padding_mode]}")'
            "  # tf.pad has no edge nor wrap mode"
        )
        native = False
        notes.append(f"tf.pad has no '{layer.padding_mode}' mode: NumPy pads first")
    lines += [
        "xt = tf.constant(np.moveaxis(x_, 1, -1))  # channels last: NC... -> N...C",
        f"wt = tf.constant(np.transpose(w_, {perm}))  # {layout}",
    ]
    notes.append(f"kernels are {layout.split(' -> ')[1]} in TensorFlow, channels last")
    dils = f"[1, {', '.join(map(str, dil))}, 1]"
    if layer.op == "transpose":
        return _tf_transpose(layer, lines, notes, native, full, dils)
    padding = '"VALID"'
    if layer.padding_mode in ("replicate", "circular") or not any(layer.pads):
        pass
    elif layer.padding_mode == "zeros" and layer.word == "same":
        padding = '"SAME"'
        notes.append("padding='SAME' puts the extra cell bottom/right, as convcli's same")
    elif layer.padding_mode == "zeros" and n == 2:
        padding = _tf_pad_list(layer)
    else:
        mode = TF_MODES[layer.padding_mode]
        lines.append(f'xt = tf.pad(xt, {_tf_pad_list(layer)}, mode="{mode}")')
        native = False
        if layer.padding_mode == "reflect":
            notes.append("tf.pad REFLECT is PyTorch's reflect (SYMMETRIC repeats the edge)")
        else:
            notes.append(f"tf.nn.conv{n}d takes explicit padding in 2-D only: tf.pad first")
    if layer.word == "same-lower":
        notes.append("TensorFlow's SAME puts the extra cell after: same-lower is explicit")
    call = f"tf.nn.conv{n}d(xt{{i}}, wt{{o}}, {full}, {padding}, dilations={dils})"
    if layer.groups > 1 and n == 3:
        cg, og = layer.c_in // layer.groups, layer.c_out // layer.groups
        part = call.format(i=f"[..., i * {cg}:(i + 1) * {cg}]", o=f"[..., i * {og}:(i + 1) * {og}]")
        lines.append(f"yt = tf.concat([{part} for i in range({layer.groups})], axis=-1)")
        notes.append("CPU Conv3D has no groups: one call per group, concatenated")
        native = False
    else:
        lines.append("yt = " + call.format(i="", o=""))
    if layer.groups > 1 and n < 3:
        notes.append("groups: the kernel's input channels are C/groups (grouped convolution)")
    lines += ["y = np.moveaxis(yt.numpy(), -1, 1)", *_bias_lines(layer), _finish(layer)]
    return Row("TensorFlow", native, layer.output, _code(lines), tuple(notes))


def _tf_transpose(
    layer: Layer, lines: list[str], notes: list[str], native: bool, strides: str, dils: str
) -> Row:
    n, g = layer.dims, layer.groups
    cg, og = layer.c_in // g, layer.c_out // g
    fits = all(o < s for o, s in zip(layer.output_padding, layer.stride, strict=False))
    shape = [f + (o if fits else 0) for f, o in zip(layer.full, layer.output_padding, strict=False)]
    out_shape = f"[1, {', '.join(map(str, shape))}, {og}]"
    call = f"tf.nn.conv{n}d_transpose(xt{{i}}, wt{{i}}, {out_shape}, {strides}, "
    call += f'"VALID", dilations={dils})'
    if g == 1:
        lines.append("yt = " + call.format(i=""))
    else:
        part = call.format(i=f"[..., i * {cg}:(i + 1) * {cg}]")
        lines.append(f"yt = tf.concat([{part} for i in range({g})], axis=-1)")
        notes.append("tf.nn.conv_transpose has no groups: one call per group, concatenated")
        native = False
    lines.append("y = np.moveaxis(yt.numpy(), -1, 1)")
    notes.append("TensorFlow takes output_shape where PyTorch takes output_padding")
    if not fits:
        ends = ", ".join(f"(0, {o})" for o in layer.output_padding)
        lines.append(f"y = np.pad(y, ((0, 0), (0, 0), {ends}))  # output padding ≥ stride")
        native = False
    if any(layer.pads):
        crop = ", ".join(
            f"{pb}:y.shape[{i + 2}] - {pa}"
            for i, (pb, pa) in enumerate(zip(layer.before, layer.after, strict=False))
        )
        lines.append(f"y = y[:, :, {crop}]  # padding crops the VALID result")
        notes.append("padding is a crop of the VALID result (SAME means something else here)")
        native = False
    lines += [*_bias_lines(layer), _finish(layer)]
    return Row("TensorFlow", native, layer.output, _code(lines), tuple(notes))


def _tf_pool(layer: Layer, lines: list[str], notes: list[str], float32: bool) -> Row:
    n = layer.dims
    k, s = _l(layer.kernel), _l(layer.stride)
    extra = layer.ceil_extra
    padded = any(layer.pads) or any(extra)
    sign = "-" if layer.pool_op == "min" else ""
    native = not padded and layer.pool_op != "min"
    lines.append(f"xt = tf.constant(np.moveaxis({sign}x_, 1, -1))  # channels last")
    if layer.pool_op == "min":
        notes.append("TensorFlow has no min pool: -max_pool(-x)")
    if layer.pool_op == "avg" and padded:
        lines += [
            "# sums / counts: padding counts in the average, the ceil overhang does not",
            f"ones = tf.pad(tf.ones_like(xt), {_tf_pad_list(layer)}, constant_values=1)",
            f"ones = tf.pad(ones, {_tf_pad_list(_no_pads(layer), extra)})",
            f"xt = tf.pad(xt, {_tf_pad_list(layer, extra)})",
            f'yt = tf.nn.avg_pool{n}d(xt, {k}, {s}, "VALID") / '
            f'tf.nn.avg_pool{n}d(ones, {k}, {s}, "VALID")',
        ]
    elif layer.pool_op == "avg":
        lines.append(f'yt = tf.nn.avg_pool{n}d(xt, {k}, {s}, "VALID")')
    else:
        if padded:
            lines.append(f"xt = tf.pad(xt, {_tf_pad_list(layer, extra)}, constant_values=-np.inf)")
        lines.append(f'yt = {sign}tf.nn.max_pool{n}d(xt, {k}, {s}, "VALID")')
    if padded:
        notes.append(
            "TensorFlow pools take VALID or SAME only: tf.pad by hand "
            "(and the cells a ceil-mode window reads past it)"
        )
    if float32:
        notes.append("TensorFlow's CPU 3-D pools have no float64: float32")
    lines += ["y = np.moveaxis(yt.numpy(), -1, 1)", _finish(layer)]
    return Row("TensorFlow", native, layer.output, _code(lines), tuple(notes))


def _no_pads(layer: Layer) -> Layer:
    from dataclasses import replace

    return replace(layer, pads=(0,) * (2 * layer.dims))


def _dimension_numbers(n: int) -> str:
    sp = LETTERS[n]
    return f'("NC{sp}", "OI{sp}", "NC{sp}")'


def jax(layer: Layer) -> Row:
    n = layer.dims
    notes = ["JAX computes in float32 unless jax_enable_x64 is set"]
    lines = ["import jax.numpy as jnp", "import numpy as np", "from jax import lax", ""]
    if layer.op != "pool":
        lines.append('b = globals().get("b")  # optional bias: one number or one per channel')
    lines += _inputs(layer, "np.float32")
    if layer.op == "pool":
        return _jax_pool(layer, lines, notes)
    native = layer.padding_mode == "zeros"
    if layer.padding_mode != "zeros":
        mode = NUMPY_MODES[layer.padding_mode]
        lines.append(f'x_ = jnp.pad(x_, {_np_pads(layer)}, mode="{mode}")')
        notes.append(f"lax convolutions pad with zeros: jnp.pad(mode='{mode}') first")
    if layer.op == "transpose":
        g, cg, og = layer.groups, layer.c_in // layer.groups, layer.c_out // layer.groups
        lines.append(
            f"w_ = w_.reshape({g}, {cg}, {og}, *w_.shape[2:]).swapaxes(1, 2)"
            f".reshape({layer.c_out}, {cg}, *w_.shape[2:])  # (in, out/g) -> (out, in/g)"
        )
        if not layer.flip:
            lines += _flip_line(layer)
            lines[-1] = lines[-1].split("  #")[0] + "  # a transposed conv is a direct one, flipped"
        else:
            notes.append("--flip cancels the flip of the transposed-as-direct kernel")
        pairs = [
            (e - 1 - pb, e - 1 - pa + op)
            for e, pb, pa, op in zip(
                layer.span, layer.before, layer.after, layer.output_padding, strict=False
            )
        ]
        padding = "[" + ", ".join(f"({a}, {b_})" for a, b_ in pairs) + "]"
        lines.append(
            f"yt = lax.conv_general_dilated(x_, w_, {_t((1,) * n)}, {padding}, "
            f"lhs_dilation={_t(layer.stride)}, rhs_dilation={_t(layer.dilation)}, "
            f"dimension_numbers={_dimension_numbers(n)}, feature_group_count={g}, "
            "precision=lax.Precision.HIGHEST)"
        )
        notes.append(
            "transposed: lhs_dilation = stride, the kernel flipped and its channels swapped, "
            "padding d·(k−1) − p (negative crops) and + output_padding after"
        )
    else:
        if layer.flip:
            lines += _flip_line(layer)
            notes.append("lax cross-correlates: --flip reverses the kernel first")
        if layer.padding_mode != "zeros":
            padding = '"VALID"'
        elif layer.word in ("same", "same-lower", "valid"):
            padding = '"' + layer.word.upper().replace("-", "_") + '"'
        else:
            padding = (
                "["
                + ", ".join(
                    f"({a}, {b_})" for a, b_ in zip(layer.before, layer.after, strict=False)
                )
                + "]"
            )
        if layer.word in ("same", "same-lower"):
            notes.append("lax has SAME (extra cell after) and SAME_LOWER (extra cell before)")
        lines.append(
            f"yt = lax.conv_general_dilated(x_, w_, {_t(layer.stride)}, {padding}, "
            f"rhs_dilation={_t(layer.dilation)}, dimension_numbers={_dimension_numbers(n)}, "
            f"feature_group_count={layer.groups}, precision=lax.Precision.HIGHEST)"
        )
    lines += ["y = np.asarray(yt, dtype=np.float64)", *_bias_lines(layer), _finish(layer)]
    return Row("JAX", native, layer.output, _code(lines), tuple(notes))


def _jax_pool(layer: Layer, lines: list[str], notes: list[str]) -> Row:
    window, strides = _t((1, 1, *layer.kernel)), _t((1, 1, *layer.stride))
    extra = layer.ceil_extra
    pad_all = (
        "((0, 0), (0, 0), "
        + ", ".join(
            f"({pb}, {pa + e})" for pb, pa, e in zip(layer.before, layer.after, extra, strict=False)
        )
        + ")"
    )
    native = layer.pool_op == "max" or (
        layer.pool_op == "avg" and not any(layer.pads) and not any(extra)
    )
    if layer.pool_op == "avg":
        ends = "((0, 0), (0, 0), " + ", ".join(f"(0, {e})" for e in extra) + ")"
        lines += [
            "# sums / counts: padding counts in the average, the ceil overhang does not",
            f"ones = jnp.pad(jnp.ones_like(x_), {_np_pads(layer)}, constant_values=1.0)",
            f"sums = lax.reduce_window(x_, 0.0, lax.add, {window}, {strides}, {pad_all})",
            f"counts = lax.reduce_window(ones, 0.0, lax.add, {window}, {strides}, {ends})",
            "yt = sums / counts",
        ]
    else:
        how = "lax.max" if layer.pool_op == "max" else "lax.min"
        init = "-jnp.inf" if layer.pool_op == "max" else "jnp.inf"
        lines.append(f"yt = lax.reduce_window(x_, {init}, {how}, {window}, {strides}, {pad_all})")
        if layer.pool_op == "min":
            native = True
            notes.append("reduce_window takes any reduction: lax.min is a min pool")
    if layer.ceil_mode:
        notes.append("no ceil_mode: the cells a last window reads are padded after by hand")
    lines += ["y = np.asarray(yt, dtype=np.float64)", _finish(layer)]
    return Row("JAX", native, layer.output, _code(lines), tuple(notes))


def onnx(layer: Layer) -> Row:
    n = layer.dims
    notes: list[str] = []
    lines = [
        "import numpy as np",
        "from onnx import TensorProto, helper",
        "from onnx.reference import ReferenceEvaluator",
        "",
    ]
    if layer.op != "pool":
        lines.append('b = globals().get("b")  # optional bias: one number or one per channel')
    lines += _inputs(layer, "np.float32")
    native = True
    feeds = '{"X": x_}' if layer.op == "pool" else '{"X": x_, "W": w_}'
    if layer.flip and layer.op != "pool":
        lines += _flip_line(layer)
        notes.append("ONNX's Conv cross-correlates: --flip reverses the kernel first")
    lines += [f"feeds = {feeds}", "nodes, initializers = [], []"]
    source = "X"
    pads = _l(layer.before + layer.after)
    attrs = f"kernel_shape={_l(layer.kernel)}, strides={_l(layer.stride)}"
    if layer.op != "pool":
        lines += [
            "if b is not None:",
            f'    feeds["B"] = np.broadcast_to(np.asarray(b, dtype=np.float32), '
            f"({layer.c_out},)).copy()",
        ]
        attrs += f", dilations={_l(layer.dilation)}, group={layer.groups}"
    if layer.op == "conv":
        if layer.padding_mode != "zeros":
            mode = ONNX_MODES[layer.padding_mode]
            values = _l((0, 0, *layer.before, 0, 0, *layer.after))
            lines += [
                f'initializers.append(helper.make_tensor("pads", TensorProto.INT64, '
                f"[{2 * n + 4}], {values}))",
                f'nodes.append(helper.make_node("Pad", ["X", "pads"], ["Xp"], mode="{mode}"))',
            ]
            source, native = "Xp", False
            notes.append(f"Conv pads with zeros: a Pad node (mode='{mode}') comes first")
            attrs += f", pads={_l((0,) * 2 * n)}"
        elif layer.word in ("same", "same-lower") and any(d > 1 for d in layer.dilation):
            attrs += f", pads={pads}"
            notes.append("onnxruntime refuses auto_pad SAME with dilation: explicit pads")
        elif layer.word in ("same", "same-lower"):
            auto = "SAME_UPPER" if layer.word == "same" else "SAME_LOWER"
            attrs += f', auto_pad="{auto}"'
            notes.append("auto_pad SAME_UPPER puts the extra cell after, SAME_LOWER before")
        else:
            attrs += f", pads={pads}"
            notes.append("pads lists every start, then every end: [top, left, bottom, right]")
        inputs = f'["{source}", "W"] + (["B"] if b is not None else [])'
        lines.append(f'nodes.append(helper.make_node("Conv", {inputs}, ["Y"], {attrs}))')
    elif layer.op == "transpose" and all(
        o < s for o, s in zip(layer.output_padding, layer.stride, strict=True)
    ):
        attrs += f", pads={pads}, output_padding={_l(layer.output_padding)}"
        inputs = '["X", "W"] + (["B"] if b is not None else [])'
        lines.append(f'nodes.append(helper.make_node("ConvTranspose", {inputs}, ["Y"], {attrs}))')
        notes.append("ConvTranspose takes pads per side and output_padding, as PyTorch")
    elif layer.op == "transpose":
        native = False
        lines += _onnx_late_output_padding(layer, attrs, pads)
        notes.append(
            "output_padding ≥ stride (dilation > stride): onnxruntime and onnx.reference "
            "refuse it, so the end is cropped less, a Pad node adds the rest, an Add the bias"
        )
    else:
        name = "AveragePool" if layer.pool_op == "avg" else "MaxPool"
        attrs += f", pads={pads}, ceil_mode={int(layer.ceil_mode)}"
        if layer.pool_op == "avg":
            attrs += ", count_include_pad=1"
            notes.append("AveragePool counts padding only with count_include_pad=1")
        if layer.pool_op == "min":
            lines += [
                'nodes.append(helper.make_node("Neg", ["X"], ["Xn"]))',
                f'nodes.append(helper.make_node("MaxPool", ["Xn"], ["Yn"], {attrs}))',
                'nodes.append(helper.make_node("Neg", ["Yn"], ["Y"]))',
            ]
            native = False
            notes.append("ONNX has no min pool: Neg, MaxPool, Neg")
        else:
            lines.append(f'nodes.append(helper.make_node("{name}", ["X"], ["Y"], {attrs}))')
    lines += [
        "graph = helper.make_graph(",
        '    nodes, "layer",',
        "    [helper.make_tensor_value_info(k, TensorProto.FLOAT, v.shape)",
        "     for k, v in feeds.items()],",
        '    [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)],',
        "    initializers,",
        ")",
        'opset = [helper.make_opsetid("", 19)]  # 19: Pad has wrap (circular)',
        "model = helper.make_model(graph, opset_imports=opset, ir_version=9)",
        "try:  # onnxruntime where it is installed, else ONNX's reference implementation",
        "    import onnxruntime",
        "",
        "    options = onnxruntime.SessionOptions()",
        "    options.log_severity_level = 3  # its shape inference warns on ceil_mode pools",
        "    session = onnxruntime.InferenceSession(model.SerializeToString(), options)",
        "    y = session.run(None, feeds)[0]",
        "except ImportError:",
        "    y = ReferenceEvaluator(model).run(None, feeds)[0]",
        _finish(layer),
    ]
    if layer.op == "transpose" and layer.groups > 1:
        notes.append("onnx.reference fails on a grouped ConvTranspose: use onnxruntime")
    if layer.op == "pool" and (any(layer.pads) or layer.ceil_mode):
        notes.append("onnx.reference gets some padded or ceil-mode pools wrong: use onnxruntime")
    notes.append("float32: the tensors of this model are FLOAT")
    return Row("ONNX", native, layer.output, _code(lines), tuple(notes))


def _channel_sum(layer: Layer, call: str) -> str:
    """One output channel per kernel, summed over its group's input channels."""
    g = layer.groups
    og, cg = layer.c_out // g, layer.c_in // g
    return (
        f"y = np.stack([sum({call.format(c=f'o // {og} * {cg} + c', o='o', oc=f'o % {og}')}"
        f" for c in range({cg})) for o in range({layer.c_out})])"
    )


def scipy(layer: Layer) -> Row:
    notes: list[str] = []
    if layer.op == "pool":
        return _numpy_pool(layer)
    lines = ["import numpy as np", "from scipy import signal", ""]
    lines.append('b = globals().get("b")  # optional bias: one number or one per channel')
    lines += _inputs(layer, lead="")
    single = layer.c_in == layer.c_out == 1
    if layer.op == "transpose":
        notes.append("SciPy has no transposed convolution: zeros inserted, then a full convolve")
        ups = _t(
            tuple((size - 1) * s + 1 for size, s in zip(layer.sizes, layer.stride, strict=False))
        )
        steps = ", ".join(f"::{s}" for s in layer.stride)
        lines += _dilate_lines(layer)
        lines += [
            f"xu = np.zeros(({layer.c_in},) + {ups})  # stride: zeros between the cells",
            f"xu[:, {steps}] = x_",
        ]
        how = "signal.correlate" if layer.flip else "signal.convolve"
        call = f'{how}(xu[{{c}}], w_[{{c}}, {{oc}}], mode="full", method="direct")'
        lines.append(_channel_sum(layer, call))
        if any(layer.output_padding):
            ends = ", ".join(f"(0, {o})" for o in layer.output_padding)
            lines.append(f"y = np.pad(y, ((0, 0), {ends}))  # output padding: zeros after")
        if any(layer.pads):
            crop = ", ".join(
                f"{pb}:y.shape[{i + 1}] - {pa}"
                for i, (pb, pa) in enumerate(zip(layer.before, layer.after, strict=False))
            )
            lines.append(f"y = y[:, {crop}]  # padding crops the full result")
        lines += [*_bias_lines(layer), _finish(layer)]
        return Row("SciPy", False, layer.output, _code(lines), tuple(notes))
    plain = single and layer.groups == 1 and set(layer.stride) == {1} and set(layer.dilation) == {1}
    mode = None
    if plain and layer.padding_mode == "zeros":
        if not any(layer.pads):
            mode = "valid"
        elif layer.word == "full":
            mode = "full"
        elif layer.word == "same-lower" or (
            layer.word == "same" and all(k % 2 for k in layer.kernel)
        ):
            mode = "same"
    if layer.word == "same" and any(k % 2 == 0 for k in layer.kernel):
        notes.append(
            "mode='same' centres an even kernel on the other side (extra cell before): "
            "np.pad with TensorFlow's split instead"
        )
    if mode is None:
        np_mode = NUMPY_MODES[layer.padding_mode]
        if any(layer.pads):
            lines.append(f'x_ = np.pad(x_, {_np_pads(layer, lead=1)}, mode="{np_mode}")')
        if layer.padding_mode != "zeros":
            notes.append(f"np.pad mode='{np_mode}' is PyTorch's {layer.padding_mode}")
        mode = "valid"
    lines += _dilate_lines(layer)
    how = "signal.convolve" if layer.flip else "signal.correlate"
    notes.append(
        "signal.convolve flips the kernel (as MATLAB's conv2): --flip"
        if layer.flip
        else "signal.correlate does not flip (signal.convolve and MATLAB's conv2 do)"
    )
    call = f'{how}(x_[{{c}}], w_[{{o}}, c], mode="{mode}", method="direct")'
    lines.append(_channel_sum(layer, call))
    if any(s > 1 for s in layer.stride):
        lines.append(f"y = y{_slices(layer.stride, layer.output, ':')}  # stride: every s-th cell")
        notes.append("no stride in SciPy: every s-th cell of the stride-1 result")
    if any(d > 1 for d in layer.dilation):
        notes.append("no dilation in SciPy: the kernel is dilated with zeros")
    if not single or layer.groups > 1:
        notes.append("one channel at a time: the sum over input channels is a loop")
    lines += [*_bias_lines(layer), _finish(layer)]
    return Row("SciPy", mode != "valid" or (plain and not any(layer.pads)), layer.output,
               _code(lines), tuple(notes))  # fmt: skip


def _numpy_pool(layer: Layer) -> Row:
    n = layer.dims
    axes = _t(range(1, n + 1))
    last = _t(range(-n, 0))
    k = _t(layer.kernel)
    extra = layer.ceil_extra
    view = (
        "sliding_window_view({v}, "
        + k
        + ", axis="
        + axes
        + ")"
        + _slices(layer.stride, layer.output, ":")
    )
    lines = [
        "import numpy as np",
        "from numpy.lib.stride_tricks import sliding_window_view",
        "",
        *_inputs(layer, lead=""),
    ]
    if layer.pool_op == "avg":
        lines += [
            "# sums / counts: padding counts in the average, the ceil overhang does not",
            f"ones = np.pad(np.ones_like(x_), {_np_pads(layer, lead=1)}, constant_values=1.0)",
            f"ones = np.pad(ones, {_np_pads(_no_pads(layer), extra, lead=1)})",
            f"xp = np.pad(x_, {_np_pads(layer, extra, lead=1)})",
            f"y = {view.format(v='xp')}.sum(axis={last})",
            f"y = y / {view.format(v='ones')}.sum(axis={last})",
        ]
    else:
        fill = "-np.inf" if layer.pool_op == "max" else "np.inf"
        lines += [
            f"xp = np.pad(x_, {_np_pads(layer, extra, lead=1)}, constant_values={fill})",
            f"y = {view.format(v='xp')}.{layer.pool_op}(axis={last})",
        ]
    lines.append(_finish(layer))
    notes = ("SciPy has no pooling layer: NumPy's sliding_window_view, padded by hand",)
    return Row("SciPy", False, layer.output, _code(lines), notes)


def _as_2d(layer: Layer) -> Layer:
    """A 1-D layer as an image one row high (OpenCV works on images)."""
    from dataclasses import replace

    if layer.dims == 2:
        return layer
    return replace(
        layer,
        sizes=(1, *layer.sizes),
        kernel=(1, *layer.kernel),
        stride=(1, *layer.stride),
        dilation=(1, *layer.dilation),
        pads=(0, 0, *layer.pads),
        output=(1, *layer.output),
        output_padding=(0, *layer.output_padding) if layer.output_padding else (),
    )


def opencv(layer: Layer) -> Row:
    if layer.dims == 3:
        return Row(
            "OpenCV", False, None, None,
            ("OpenCV cannot express this: filter2D and its pools are 2-D only",),
        )  # fmt: skip
    flat = _as_2d(layer)
    notes: list[str] = []
    if layer.dims == 1:
        notes.append("a 1-D signal is an image one row high")
    lines = ["import cv2", "import numpy as np", ""]
    if flat.op != "pool":
        lines.append('b = globals().get("b")  # optional bias: one number or one per channel')
    lines += _inputs(flat, lead="")
    (t, bo, le, r), c_in = flat.pads, flat.c_in
    if flat.op == "pool":
        return _opencv_pool(layer, flat, lines, notes)
    native = False
    if flat.op == "transpose":
        ups = _t(
            tuple((size - 1) * s + 1 for size, s in zip(flat.sizes, flat.stride, strict=False))
        )
        steps = ", ".join(f"::{s}" for s in flat.stride)
        lines += [
            f"xu = np.zeros(({c_in},) + {ups})  # stride: zeros between the cells",
            f"xu[:, {steps}] = x_",
        ]
        if not flat.flip:
            lines += _flip_line(flat)
            lines[-1] = lines[-1].split("  #")[0] + "  # a transposed conv is a direct one, flipped"
        lines += _dilate_lines(flat)
        eh, ew = (e - 1 for e in flat.span)
        lines.append(
            f"planes = [cv2.copyMakeBorder(xu[c], {eh}, {eh}, {ew}, {ew}, cv2.BORDER_CONSTANT, "
            f"value=0) for c in range({c_in})]"
        )
        rows_, cols = flat.full
        call = (
            "cv2.filter2D(planes[{c}], cv2.CV_64F, w_[{c}, {oc}], anchor=(0, 0), "
            f"borderType=cv2.BORDER_CONSTANT)[:{rows_}, :{cols}]"
        )
        lines.append(_channel_sum(flat, call))
        if any(flat.output_padding):
            ends = ", ".join(f"(0, {o})" for o in flat.output_padding)
            lines.append(f"y = np.pad(y, ((0, 0), {ends}))  # output padding: zeros after")
        if any(flat.pads):
            crop = ", ".join(
                f"{pb}:y.shape[{i + 1}] - {pa}"
                for i, (pb, pa) in enumerate(zip(flat.before, flat.after, strict=False))
            )
            lines.append(f"y = y[:, {crop}]  # padding crops the full result")
        notes.append("no transposed filter: zeros inserted, padded, the kernel flipped, filter2D")
    else:
        border = CV_BORDERS[flat.padding_mode]
        if flat.flip:
            lines += _flip_line(flat)
            notes.append("filter2D cross-correlates: --flip is cv2.flip(kernel, -1)")
        lines += _dilate_lines(flat)
        lines.append(
            f"planes = [cv2.copyMakeBorder(x_[c], {t}, {bo}, {le}, {r}, {border}"
            f"{', value=0' if flat.padding_mode == 'zeros' else ''}) for c in range({c_in})]"
        )
        if flat.padding_mode == "reflect":
            notes.append("BORDER_REFLECT_101 is PyTorch's reflect; BORDER_REFLECT repeats the edge")
        elif flat.padding_mode == "circular":
            notes.append("BORDER_WRAP is PyTorch's circular")
        rows_, cols = (
            n + pb + pa - e + 1
            for n, pb, pa, e in zip(flat.sizes, flat.before, flat.after, flat.span, strict=True)
        )
        call = (
            "cv2.filter2D(planes[{c}], cv2.CV_64F, w_[{o}, c], anchor=(0, 0), "
            f"borderType=cv2.BORDER_CONSTANT)[:{rows_}, :{cols}]"
        )
        lines.append(_channel_sum(flat, call))
        if any(s > 1 for s in flat.stride):
            lines.append(
                f"y = y{_slices(flat.stride, flat.output, ':')}  # stride: every s-th cell"
            )
            notes.append("no stride in filter2D: every s-th cell of the result")
        native = (
            flat.c_in == flat.c_out == 1 and set(flat.stride) == {1} and set(flat.dilation) == {1}
        )
        notes.append("filter2D with anchor (0, 0) on the padded image, cropped to the valid part")
        if max(flat.span) >= 11:
            notes.append("filter2D switches to a DFT from 11×11: floats differ in the last bits")
    lines += [*_bias_lines(flat), _finish(layer)]
    return Row("OpenCV", native, layer.output, _code(lines), tuple(notes))


def _opencv_pool(layer: Layer, flat: Layer, lines: list[str], notes: list[str]) -> Row:
    kh, kw = flat.kernel
    (t, bo, le, r), c_in = flat.pads, flat.c_in
    eh, ew = flat.ceil_extra
    rows_ = flat.sizes[0] + t + bo + eh - kh + 1
    cols = flat.sizes[1] + le + r + ew - kw + 1
    crop = f"[:{rows_}, :{cols}]"
    if flat.pool_op == "avg":
        lines += [
            "# sums / counts: padding counts in the average, the ceil overhang does not",
            f"sums = [cv2.boxFilter(cv2.copyMakeBorder(x_[c], {t}, {bo + eh}, {le}, {r + ew}, "
            f"cv2.BORDER_CONSTANT, value=0), cv2.CV_64F, ({kw}, {kh}), anchor=(0, 0), "
            f"normalize=False, borderType=cv2.BORDER_CONSTANT){crop} for c in range({c_in})]",
            f"ones = cv2.copyMakeBorder(np.ones(x_.shape[1:]), {t}, {bo}, {le}, {r}, "
            "cv2.BORDER_CONSTANT, value=1)",
            f"ones = cv2.copyMakeBorder(ones, 0, {eh}, 0, {ew}, cv2.BORDER_CONSTANT, value=0)",
            f"counts = cv2.boxFilter(ones, cv2.CV_64F, ({kw}, {kh}), anchor=(0, 0), "
            f"normalize=False, borderType=cv2.BORDER_CONSTANT){crop}",
            "y = np.stack(sums) / counts",
        ]
        notes.append("cv2.boxFilter(normalize=False) sums each window; counts divide")
    else:
        how, fill = ("cv2.dilate", "-np.inf") if flat.pool_op == "max" else ("cv2.erode", "np.inf")
        lines += [
            f"kernel = np.ones(({kh}, {kw}), np.uint8)",
            f"y = np.stack([{how}(cv2.copyMakeBorder(x_[c], {t}, {bo + eh}, {le}, {r + ew}, "
            f"cv2.BORDER_CONSTANT, value={fill}), kernel, anchor=(0, 0), "
            f"borderType=cv2.BORDER_CONSTANT, borderValue={fill}){crop} for c in range({c_in})])",
        ]
        notes.append(f"{how} with a {kh}×{kw} box is a {flat.pool_op} filter")
    lines.append(f"y = y{_slices(flat.stride, flat.output, ':')}  # stride: every s-th window")
    notes.append("no pooling layer: a filter, then every s-th window")
    lines.append(_finish(layer))
    return Row("OpenCV", False, layer.output, _code(lines), tuple(notes))


def _onnx_late_output_padding(layer: Layer, attrs: str, pads: str) -> list[str]:
    """ConvTranspose without output_padding, then a Pad node and the bias added."""
    n = layer.dims
    zeros = _l(zeros_n(n))
    # output padding comes before the crop: it uncrops the end first, then adds zeros
    kept = tuple(max(pa - o, 0) for pa, o in zip(layer.after, layer.output_padding, strict=True))
    grown = tuple(max(o - pa, 0) for pa, o in zip(layer.after, layer.output_padding, strict=True))
    pads = _l(layer.before + kept)
    ends = _l((0, 0, *zeros_n(n), 0, 0, *grown))
    bias_shape = _t((1, layer.c_out, *(1,) * n))
    return [
        f"attrs = dict({attrs}, pads={pads}, output_padding={zeros})",
        'nodes.append(helper.make_node("ConvTranspose", ["X", "W"], ["Yt"], **attrs))',
        f'initializers.append(helper.make_tensor("ends", TensorProto.INT64, [{2 * n + 4}], '
        f"{ends}))",
        'nodes.append(helper.make_node("Pad", ["Yt", "ends"], ["Yp"]))',
        "if b is not None:",
        f'    feeds["B"] = feeds["B"].reshape{bias_shape}',
        '    nodes.append(helper.make_node("Add", ["Yp", "B"], ["Y"]))',
        "else:",
        '    nodes.append(helper.make_node("Identity", ["Yp"], ["Y"]))',
    ]


def zeros_n(n: int) -> tuple[int, ...]:
    return (0,) * n
