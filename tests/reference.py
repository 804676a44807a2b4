"""A naive, loop-by-loop reference for convcli's core, written from the definitions.

This is the independent test oracle: it never imports convcli, numpy or scipy.
Every function takes nested Python lists and returns nested Python lists, and it
computes element by element with whatever numbers it is given (Python ints stay
exact ints, Fractions exact Fractions, floats are floats).  Anything that the
contract calls an error raises :class:`RefInvalid`.

Padding is index arithmetic on the unpadded input (no padded copy for the
modes): ``reflect`` mirrors without repeating the edge (PyTorch, ``np.pad``
``'reflect'``), ``replicate`` clamps, ``circular`` wraps.

>>> ref_conv2d([[1, 2, 0], [0, 1, 3], [2, 2, 1]], [[1, 0], [0, 1]])
[[2, 5], [2, 2]]
>>> ref_conv_transpose2d([[1, 2]], [[1, 1]], stride=2)
[[1, 1, 2, 2]]
>>> ref_pool2d([[2, 5, 4, 4], [2, 3, 9, 7], [2, 1, 0, 0], [3, 4, 0, 8]], 2, op="avg")
[[Fraction(3, 1), Fraction(6, 1)], [Fraction(5, 2), Fraction(2, 1)]]
>>> ref_output_size(4, 3, padding="same", stride=2)
2
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

__all__ = [
    "ND_WORDS",
    "PADDING_MODES",
    "RefInvalid",
    "depth",
    "nd_pads",
    "pad_matrix",
    "ref_conv2d",
    "ref_conv_transpose2d",
    "ref_conv_transposend",
    "ref_convnd",
    "ref_output_size",
    "ref_pool2d",
    "resolve_padding",
    "same_pads",
    "source_index",
]

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
Nested = list[Any]


class RefInvalid(ValueError):
    """The parameters or shapes are invalid: the API under test must raise ConvError."""


# --------------------------------------------------------------------------- helpers


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_seq(v: Any) -> bool:
    return isinstance(v, Sequence) and not isinstance(v, str)


def depth(x: Any) -> int:
    """Nesting depth of a nested list (a scalar has depth 0)."""
    d = 0
    while _is_seq(x):
        if len(x) == 0:
            raise RefInvalid("empty dimension")
        d += 1
        x = x[0]
    return d


def _shape(x: Any) -> tuple[int, ...]:
    """Shape of a rectangular nested list; a ragged one is invalid."""
    if not _is_seq(x):
        return ()
    if len(x) == 0:
        raise RefInvalid("empty dimension")
    inner = [_shape(e) for e in x]
    if any(s != inner[0] for s in inner):
        raise RefInvalid("ragged nested list")
    return (len(x), *inner[0])


def _pair(v: Any, name: str, minimum: int) -> tuple[int, int]:
    """An int or an (h, w) pair of ints, each at least ``minimum``."""
    if _is_int(v):
        h = w = v
    elif _is_seq(v) and len(v) == 2 and all(_is_int(e) for e in v):
        h, w = v
    else:
        raise RefInvalid(f"{name} must be an int or a pair, got {v!r}")
    if h < minimum or w < minimum:
        raise RefInvalid(f"{name} must be >= {minimum}, got {v!r}")
    return h, w


def same_pads(size: int, kernel: int, stride: int, dilation: int) -> tuple[int, int]:
    """TensorFlow's 'same' rule on one axis: (before, after), the extra going after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + dilation * (kernel - 1) + 1 - size, 0)
    return total // 2, total - total // 2


def resolve_padding(
    padding: Any,
    size: tuple[int, int],
    kernel: tuple[int, int],
    stride: tuple[int, int],
    dilation: tuple[int, int],
    *,
    transposed: bool = False,
) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) for an int, (h, w), 4-tuple or word padding."""
    if isinstance(padding, str):
        if padding == "valid":
            return 0, 0, 0, 0
        if transposed:
            raise RefInvalid(f"padding {padding!r} is not allowed for a transposed convolution")
        if padding == "same":
            t, b = same_pads(size[0], kernel[0], stride[0], dilation[0])
            left, r = same_pads(size[1], kernel[1], stride[1], dilation[1])
            return t, b, left, r
        if padding == "full":
            ph = dilation[0] * (kernel[0] - 1)
            pw = dilation[1] * (kernel[1] - 1)
            return ph, ph, pw, pw
        raise RefInvalid(f"unknown padding word {padding!r}")
    if _is_int(padding):
        pads = (padding,) * 4
    elif _is_seq(padding) and len(padding) == 2 and all(_is_int(p) for p in padding):
        pads = (padding[0], padding[0], padding[1], padding[1])
    elif _is_seq(padding) and len(padding) == 4 and all(_is_int(p) for p in padding):
        pads = tuple(padding)
    else:
        raise RefInvalid(f"bad padding {padding!r}")
    if min(pads) < 0:
        raise RefInvalid(f"negative padding {padding!r}")
    return pads[0], pads[1], pads[2], pads[3]


def source_index(i: int, n: int, mode: str) -> int | None:
    """The input index that padded index ``i`` reads on an axis of length ``n`` (None: constant)."""
    if 0 <= i < n:
        return i
    if mode == "zeros":
        return None
    if mode == "reflect":
        j = -i if i < 0 else 2 * (n - 1) - i
        if not 0 <= j < n:
            raise RefInvalid("reflect padding must be smaller than the input")
        return j
    if mode == "replicate":
        return 0 if i < 0 else n - 1
    if mode == "circular":
        return i % n
    raise RefInvalid(f"unknown padding mode {mode!r}")


def _check_mode(mode: str, pads: tuple[int, int, int, int], h: int, w: int) -> None:
    if mode not in PADDING_MODES:
        raise RefInvalid(f"unknown padding mode {mode!r}")
    t, b, left, r = pads
    if mode == "reflect" and (max(t, b) >= h or max(left, r) >= w):
        raise RefInvalid("reflect padding must be smaller than the input size")
    if mode == "circular" and (max(t, b) > h or max(left, r) > w):
        raise RefInvalid("circular padding must be at most the input size")


def pad_matrix(
    x: Nested, pads: tuple[int, int, int, int], mode: str = "zeros", value: Any = 0
) -> Nested:
    """Pad a 2-D nested list by (top, bottom, left, right) with index arithmetic."""
    h, w = len(x), len(x[0])
    _check_mode(mode, pads, h, w)
    t, b, left, r = pads
    out = []
    for i in range(-t, h + b):
        si = source_index(i, h, mode)
        row = []
        for j in range(-left, w + r):
            sj = source_index(j, w, mode)
            row.append(value if si is None or sj is None else x[si][sj])
        out.append(row)
    return out


def _rot180(k: Nested) -> Nested:
    return [list(reversed(row)) for row in reversed(k)]


def _bias_list(bias: Any, n_out: int) -> list[Any]:
    if bias is None:
        return [0] * n_out
    if _is_seq(bias):
        if len(bias) != n_out:
            raise RefInvalid(f"bias has {len(bias)} values for {n_out} output channels")
        return list(bias)
    return [bias] * n_out


def _has_float(*items: Any) -> bool:
    def walk(v: Any) -> bool:
        if _is_seq(v):
            return any(walk(e) for e in v)
        return isinstance(v, float)

    return any(walk(v) for v in items)


# --------------------------------------------------------------------------- output size


def ref_output_size(
    size: int,
    kernel: int,
    stride: int = 1,
    padding: Any = 0,
    dilation: int = 1,
    transposed: bool = False,
    output_padding: int = 0,
) -> int:
    """Output length on one axis; padding is an int (each side), a pair or a word."""
    for name, v, lo in (
        ("size", size, 1),
        ("kernel", kernel, 1),
        ("stride", stride, 1),
        ("dilation", dilation, 1),
        ("output_padding", output_padding, 0),
    ):
        if not _is_int(v) or v < lo:
            raise RefInvalid(f"{name} must be an int >= {lo}, got {v!r}")
    if isinstance(padding, str):
        if padding == "valid":
            pb = pa = 0
        elif transposed:
            raise RefInvalid("only 'valid' padding is allowed for a transposed convolution")
        elif padding == "same":
            pb, pa = same_pads(size, kernel, stride, dilation)
        elif padding == "full":
            pb = pa = dilation * (kernel - 1)
        else:
            raise RefInvalid(f"unknown padding word {padding!r}")
    elif _is_int(padding):
        pb = pa = padding
    elif _is_seq(padding) and len(padding) == 2 and all(_is_int(p) for p in padding):
        pb, pa = padding
    else:
        raise RefInvalid(f"bad padding {padding!r}")
    if pb < 0 or pa < 0:
        raise RefInvalid("negative padding")
    span = dilation * (kernel - 1) + 1
    if transposed:
        if output_padding >= max(stride, dilation):
            raise RefInvalid("output_padding must be smaller than max(stride, dilation)")
        out = (size - 1) * stride - pb - pa + span + output_padding
    else:
        if size + pb + pa < span:
            raise RefInvalid("kernel larger than the padded input")
        out = (size + pb + pa - span) // stride + 1
    if out < 1:
        raise RefInvalid(f"output size {out} < 1")
    return out


# --------------------------------------------------------------------------- conv2d


def ref_conv2d(
    x: Nested,
    kernel: Nested,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
    bias: Any = None,
    padding_mode: str = "zeros",
    pad_value: Any = 0,
    flip: bool = False,
) -> Nested:
    """Cross-correlation (PyTorch conv2d) by the definition, one product at a time."""
    xs = _shape(x)
    ks = _shape(kernel)
    if len(xs) == 2:
        chans = [x]
    elif len(xs) == 3:
        chans = list(x)
    else:
        raise RefInvalid(f"input must be 2-D or 3-D, got shape {xs}")
    if len(ks) == 2:
        weights = [[kernel]]
    elif len(ks) == 3:
        weights = [list(kernel)]
    elif len(ks) == 4:
        weights = [list(k) for k in kernel]
    else:
        raise RefInvalid(f"kernel must be 2-D, 3-D or 4-D, got shape {ks}")
    n_in, h, w = len(chans), len(chans[0]), len(chans[0][0])
    n_out, cg = len(weights), len(weights[0])
    kh, kw = len(weights[0][0]), len(weights[0][0][0])
    if not _is_int(groups) or groups < 1:
        raise RefInvalid(f"groups must be an int >= 1, got {groups!r}")
    if n_in % groups or n_out % groups:
        raise RefInvalid("groups must divide the input and output channels")
    if cg * groups != n_in:
        raise RefInvalid(f"kernel expects {cg * groups} input channels, input has {n_in}")
    sh, sw = _pair(stride, "stride", 1)
    dh, dw = _pair(dilation, "dilation", 1)
    pads = resolve_padding(padding, (h, w), (kh, kw), (sh, sw), (dh, dw))
    _check_mode(padding_mode, pads, h, w)
    t, b, left, r = pads
    span_h, span_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    if h + t + b < span_h or w + left + r < span_w:
        raise RefInvalid("kernel larger than the padded input")
    ho = (h + t + b - span_h) // sh + 1
    wo = (w + left + r - span_w) // sw + 1
    biases = _bias_list(bias, n_out)
    if flip:
        weights = [[_rot180(k) for k in ws] for ws in weights]
    out_per_group = n_out // groups
    result = []
    for o in range(n_out):
        first = (o // out_per_group) * cg
        plane = []
        for i in range(ho):
            row = []
            for j in range(wo):
                acc: Any = 0
                for c in range(cg):
                    xc = chans[first + c]
                    kc = weights[o][c]
                    for a in range(kh):
                        si = source_index(i * sh + a * dh - t, h, padding_mode)
                        for bb in range(kw):
                            sj = source_index(j * sw + bb * dw - left, w, padding_mode)
                            v = pad_value if si is None or sj is None else xc[si][sj]
                            acc = acc + v * kc[a][bb]
                row.append(acc + biases[o])
            plane.append(row)
        result.append(plane)
    return result if len(ks) == 4 else result[0]


# --------------------------------------------------------------------------- conv_transpose2d


def ref_conv_transpose2d(
    x: Nested,
    kernel: Nested,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
    bias: Any = None,
    flip: bool = False,
) -> Nested:
    """Transposed convolution as a scatter: each input cell times its kernel, added in."""
    xs = _shape(x)
    ks = _shape(kernel)
    if len(xs) == 2:
        chans = [x]
    elif len(xs) == 3:
        chans = list(x)
    else:
        raise RefInvalid(f"input must be 2-D or 3-D, got shape {xs}")
    if len(ks) == 2:
        weights = [[kernel]]  # [C_in=1][C_out=1]
    elif len(ks) == 3:
        weights = [[k] for k in kernel]  # [C_in][1]
    elif len(ks) == 4:
        weights = [list(k) for k in kernel]
    else:
        raise RefInvalid(f"kernel must be 2-D, 3-D or 4-D, got shape {ks}")
    n_in, h, w = len(chans), len(chans[0]), len(chans[0][0])
    if len(weights) != n_in:
        raise RefInvalid(f"kernel expects {len(weights)} input channels, input has {n_in}")
    if not _is_int(groups) or groups < 1:
        raise RefInvalid(f"groups must be an int >= 1, got {groups!r}")
    if n_in % groups:
        raise RefInvalid("groups must divide the input channels")
    out_per_group = len(weights[0])
    n_out = out_per_group * groups
    if len(ks) < 4 and n_out != 1:
        raise RefInvalid("a 2-D or 3-D kernel has one output channel")
    kh, kw = len(weights[0][0]), len(weights[0][0][0])
    sh, sw = _pair(stride, "stride", 1)
    dh, dw = _pair(dilation, "dilation", 1)
    oph, opw = _pair(output_padding, "output_padding", 0)
    if oph >= max(sh, dh) or opw >= max(sw, dw):
        raise RefInvalid("output_padding must be smaller than max(stride, dilation)")
    t, b, left, r = resolve_padding(padding, (h, w), (kh, kw), (sh, sw), (dh, dw), transposed=True)
    ho = (h - 1) * sh - t - b + dh * (kh - 1) + oph + 1
    wo = (w - 1) * sw - left - r + dw * (kw - 1) + opw + 1
    if ho < 1 or wo < 1:
        raise RefInvalid(f"output size {ho}x{wo} < 1")
    biases = _bias_list(bias, n_out)
    if flip:
        weights = [[_rot180(k) for k in ws] for ws in weights]
    out: list[Any] = [[[0] * wo for _ in range(ho)] for _ in range(n_out)]
    in_per_group = n_in // groups
    for ci in range(n_in):
        g = ci // in_per_group
        for col in range(out_per_group):
            o = g * out_per_group + col
            k = weights[ci][col]
            plane = out[o]
            for i in range(h):
                for j in range(w):
                    v = chans[ci][i][j]
                    for a in range(kh):
                        oi = i * sh + a * dh - t
                        if not 0 <= oi < ho:
                            continue
                        for bb in range(kw):
                            oj = j * sw + bb * dw - left
                            if 0 <= oj < wo:
                                plane[oi][oj] = plane[oi][oj] + v * k[a][bb]
    for o in range(n_out):
        out[o] = [[cell + biases[o] for cell in row] for row in out[o]]
    return out if len(ks) == 4 else out[0]


# --------------------------------------------------------------------------- pooling


def _pool_size(size: int, k: int, s: int, p: int, ceil_mode: bool) -> int:
    """PyTorch's pooling_output_shape for one axis."""
    num = size + 2 * p - k + (s - 1 if ceil_mode else 0)
    if num < 0:
        raise RefInvalid("pooling window larger than the padded input")
    out = num // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    if out < 1:
        raise RefInvalid(f"pooling output size {out} < 1")
    return out


def ref_pool2d(
    x: Nested,
    window: Any,
    stride: Any = None,
    padding: Any = 0,
    op: str = "max",
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Nested:
    """max/min/avg pooling with PyTorch's max_pool2d/avg_pool2d semantics, per channel."""
    xs = _shape(x)
    if len(xs) == 2:
        chans = [x]
    elif len(xs) == 3:
        chans = list(x)
    else:
        raise RefInvalid(f"input must be 2-D or 3-D, got shape {xs}")
    if op not in ("max", "min", "avg"):
        raise RefInvalid(f"unknown pooling op {op!r}")
    kh, kw = _pair(window, "window", 1)
    sh, sw = (kh, kw) if stride is None else _pair(stride, "stride", 1)
    ph, pw = _pair(padding, "padding", 0)
    if ph > kh - 1 or pw > kw - 1:  # ONNX's limit (SPEC §7); PyTorch's is half the window
        raise RefInvalid("pooling padding must be at most the window minus one")
    h, w = len(chans[0]), len(chans[0][0])
    ho = _pool_size(h, kh, sh, ph, ceil_mode)
    wo = _pool_size(w, kw, sw, pw, ceil_mode)
    floats = _has_float(x)
    result = []
    for xc in chans:
        plane = []
        for i in range(ho):
            row = []
            for j in range(wo):
                h0, w0 = i * sh - ph, j * sw - pw
                h1, w1 = min(h0 + kh, h + ph), min(w0 + kw, w + pw)
                pool_size = (h1 - h0) * (w1 - w0)
                h0, w0, h1, w1 = max(h0, 0), max(w0, 0), min(h1, h), min(w1, w)
                cells = [xc[a][bb] for a in range(h0, h1) for bb in range(w0, w1)]
                if not cells:
                    raise AssertionError("a pooling window without an input cell")
                if op == "max":
                    row.append(max(cells))
                elif op == "min":
                    row.append(min(cells))
                else:
                    total: Any = 0
                    for v in cells:
                        total = total + v
                    n = pool_size if count_include_pad else len(cells)
                    row.append(total / n if floats else Fraction(total) / n)
            plane.append(row)
        result.append(plane)
    return result if len(xs) == 3 else result[0]


# --------------------------------------------------------------------------- N-D (1, 2, 3 axes)
#
# Written from the definitions again, for any number N of spatial axes: one output
# cell at a time, one product at a time, with the padding resolved per axis by index
# arithmetic (source_index above). Layouts are channels first, as PyTorch's.

ND_WORDS = ("valid", "same", "same-lower", "full")


def _axis_values(v: Any, name: str, n: int, minimum: int) -> tuple[int, ...]:
    """An int or N ints, each at least ``minimum``."""
    if _is_int(v):
        values: tuple[int, ...] = (v,) * n
    elif _is_seq(v) and len(v) in (1, n) and all(_is_int(e) for e in v):
        values = tuple(v) * (n if len(v) == 1 else 1)
    else:
        raise RefInvalid(f"{name} must be an int or {n} ints, got {v!r}")
    if min(values) < minimum:
        raise RefInvalid(f"{name} must be >= {minimum}, got {v!r}")
    return values


def nd_pads(
    padding: Any,
    size: Sequence[int],
    kernel: Sequence[int],
    stride: Sequence[int],
    dilation: Sequence[int],
    *,
    transposed: bool = False,
) -> list[tuple[int, int]]:
    """(before, after) per axis for an int, N ints, 2N ints (before, after per axis) or a word.

    ``same``: total = max((ceil(n/s) - 1)*s + d*(k-1) + 1 - n, 0), the extra cell after
    (ONNX SAME_UPPER); ``same-lower`` puts it before (ONNX SAME_LOWER).
    """
    n = len(size)
    if isinstance(padding, str):
        if padding == "valid":
            return [(0, 0)] * n
        if transposed:
            raise RefInvalid(f"padding {padding!r} is not allowed for a transposed convolution")
        if padding not in ND_WORDS:
            raise RefInvalid(f"unknown padding word {padding!r}")
        pads = []
        for a in range(n):
            if padding == "full":
                pads.append((dilation[a] * (kernel[a] - 1),) * 2)
                continue
            out = -(-size[a] // stride[a])
            total = max((out - 1) * stride[a] + dilation[a] * (kernel[a] - 1) + 1 - size[a], 0)
            small, big = total // 2, total - total // 2
            pads.append((small, big) if padding == "same" else (big, small))
        return pads
    if _is_int(padding):
        flat_pads = [padding] * (2 * n)
    elif _is_seq(padding) and all(_is_int(p) for p in padding) and len(padding) in (1, n, 2 * n):
        if len(padding) == 2 * n:
            flat_pads = list(padding)
        elif len(padding) == n:
            flat_pads = [p for p in padding for _ in (0, 1)]
        else:
            flat_pads = list(padding) * (2 * n)
    else:
        raise RefInvalid(f"bad padding {padding!r}")
    if min(flat_pads) < 0:
        raise RefInvalid(f"negative padding {padding!r}")
    return [(flat_pads[2 * a], flat_pads[2 * a + 1]) for a in range(n)]


def _get(nested: Any, index: Sequence[int]) -> Any:
    for i in index:
        nested = nested[i]
    return nested


def _build(shape: Sequence[int], cell: Any) -> Nested:
    """A nested list of ``shape`` whose entry at index t is ``cell(t)``."""

    def level(prefix: tuple[int, ...]) -> Any:
        if len(prefix) == len(shape):
            return cell(prefix)
        return [level((*prefix, i)) for i in range(shape[len(prefix)])]

    return level(())  # type: ignore[no-any-return]


def _indices(shape: Sequence[int]) -> list[tuple[int, ...]]:
    result: list[tuple[int, ...]] = [()]
    for n in shape:
        result = [(*t, i) for t in result for i in range(n)]
    return result


def ref_convnd(
    x: Nested,
    kernel: Nested,
    ndim: int,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
    bias: Any = None,
    padding_mode: str = "zeros",
    pad_value: Any = 0,
    flip: bool = False,
) -> Nested:
    """PyTorch's conv1d/2d/3d (cross-correlation) on N = ``ndim`` spatial axes.

    x: [*spatial] or [C][*spatial]; kernel: [*k], [C][*k] or [O][C/groups][*k].
    y[o][p] = bias[o] + sum over c, t of w[o][c][t] * xpad[g*C/g + c][p*s + t*d].
    """
    xs, ks = _shape(x), _shape(kernel)
    if len(xs) not in (ndim, ndim + 1):
        raise RefInvalid(f"input must have {ndim} or {ndim + 1} axes, got shape {xs}")
    if len(ks) not in (ndim, ndim + 1, ndim + 2):
        raise RefInvalid(f"kernel must have {ndim} to {ndim + 2} axes, got shape {ks}")
    chans = list(x) if len(xs) == ndim + 1 else [x]
    if len(ks) == ndim + 2:
        weights = [list(k) for k in kernel]
    elif len(ks) == ndim + 1:
        weights = [list(kernel)]
    else:
        weights = [[kernel]]
    size = _shape(chans[0])
    ksize = _shape(weights[0][0])
    n_in, n_out, per_group_in = len(chans), len(weights), len(weights[0])
    if not _is_int(groups) or groups < 1:
        raise RefInvalid(f"groups must be an int >= 1, got {groups!r}")
    if n_in % groups or n_out % groups or per_group_in * groups != n_in:
        raise RefInvalid("groups and channels do not fit")
    s = _axis_values(stride, "stride", ndim, 1)
    d = _axis_values(dilation, "dilation", ndim, 1)
    pads = nd_pads(padding, size, ksize, s, d)
    if padding_mode not in PADDING_MODES:
        raise RefInvalid(f"unknown padding mode {padding_mode!r}")
    for (before, after), n in zip(pads, size, strict=True):
        if padding_mode == "reflect" and max(before, after) >= n:
            raise RefInvalid("reflect padding must be smaller than the input size")
        if padding_mode == "circular" and max(before, after) > n:
            raise RefInvalid("circular padding must be at most the input size")
    out_size = []
    for (before, after), n, k, sa, da in zip(pads, size, ksize, s, d, strict=True):
        span = da * (k - 1) + 1
        if n + before + after < span:
            raise RefInvalid("kernel larger than the padded input")
        out_size.append((n + before + after - span) // sa + 1)
    biases = _bias_list(bias, n_out)
    taps = _indices(ksize)
    per_group_out = n_out // groups

    def cell(index: tuple[int, ...]) -> Any:
        o, p = index[0], index[1:]
        first = (o // per_group_out) * per_group_in
        acc: Any = 0
        for c in range(per_group_in):
            for t in taps:
                source = []
                for a in range(ndim):
                    i = p[a] * s[a] + t[a] * d[a] - pads[a][0]
                    source.append(source_index(i, size[a], padding_mode))
                value = pad_value if None in source else _get(chans[first + c], source)
                tap = tuple(k - 1 - i for i, k in zip(t, ksize, strict=True)) if flip else t
                acc = acc + value * _get(weights[o][c], tap)
        return acc + biases[o]

    result = _build([n_out, *out_size], cell)
    return result if len(ks) == ndim + 2 else result[0]


def ref_conv_transposend(
    x: Nested,
    kernel: Nested,
    ndim: int,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
    bias: Any = None,
    flip: bool = False,
) -> Nested:
    """PyTorch's conv_transpose1d/2d/3d on N = ``ndim`` spatial axes, as a gather:
    y[o][q] = bias[o] + sum over input cells p and taps t with p*s + t*d - pad_before = q
    of x[c][p] * w[c][o mod C_out/g][t], c in o's group.

    x: [*spatial] or [C_in][*spatial]; kernel: [*k], [C_in][*k] or [C_in][C_out/groups][*k].
    """
    xs, ks = _shape(x), _shape(kernel)
    if len(xs) not in (ndim, ndim + 1):
        raise RefInvalid(f"input must have {ndim} or {ndim + 1} axes, got shape {xs}")
    if len(ks) not in (ndim, ndim + 1, ndim + 2):
        raise RefInvalid(f"kernel must have {ndim} to {ndim + 2} axes, got shape {ks}")
    chans = list(x) if len(xs) == ndim + 1 else [x]
    if len(ks) == ndim + 2:
        weights = [list(k) for k in kernel]
    elif len(ks) == ndim + 1:
        weights = [[k] for k in kernel]
    else:
        weights = [[kernel]]
    n_in = len(chans)
    if len(weights) != n_in:
        raise RefInvalid(f"kernel expects {len(weights)} input channels, input has {n_in}")
    if not _is_int(groups) or groups < 1 or n_in % groups:
        raise RefInvalid("groups must divide the input channels")
    per_group_out = len(weights[0])
    n_out = per_group_out * groups
    size, ksize = _shape(chans[0]), _shape(weights[0][0])
    s = _axis_values(stride, "stride", ndim, 1)
    d = _axis_values(dilation, "dilation", ndim, 1)
    op = _axis_values(output_padding, "output_padding", ndim, 0)
    if any(o >= max(sa, da) for o, sa, da in zip(op, s, d, strict=True)):
        raise RefInvalid("output_padding must be smaller than max(stride, dilation)")
    pads = nd_pads(padding, size, ksize, s, d, transposed=True)
    out_size = [
        (n - 1) * sa - before - after + da * (k - 1) + o + 1
        for n, sa, (before, after), da, k, o in zip(size, s, pads, d, ksize, op, strict=True)
    ]
    if min(out_size) < 1:
        raise RefInvalid(f"output size {out_size} < 1")
    biases = _bias_list(bias, n_out)
    taps = _indices(ksize)
    per_group_in = n_in // groups

    def cell(index: tuple[int, ...]) -> Any:
        o, q = index[0], index[1:]
        g, col = divmod(o, per_group_out)
        acc: Any = 0
        for c in range(g * per_group_in, (g + 1) * per_group_in):
            for t in taps:
                p = []
                for a in range(ndim):
                    reach = q[a] + pads[a][0] - t[a] * d[a]  # = p*s
                    if reach % s[a] or not 0 <= reach // s[a] < size[a]:
                        break
                    p.append(reach // s[a])
                else:
                    tap = tuple(k - 1 - i for i, k in zip(t, ksize, strict=True)) if flip else t
                    acc = acc + _get(chans[c], p) * _get(weights[c][col], tap)
        return acc + biases[o]

    result = _build([n_out, *out_size], cell)
    return result if len(ks) == ndim + 2 else result[0]


# --------------------------------------------------------------------------- N-D pooling


def _per_axis(v: Any, name: str, dims: int, minimum: int) -> list[int]:
    """An int or ``dims`` ints, each at least ``minimum``."""
    items = [v] if _is_int(v) else list(v) if _is_seq(v) else None
    if items is None or not all(_is_int(e) for e in items):
        raise RefInvalid(f"{name} must be ints, got {v!r}")
    if len(items) == 1:
        items = items * dims
    if len(items) != dims or min(items) < minimum:
        raise RefInvalid(f"{name} must be 1 or {dims} ints >= {minimum}, got {v!r}")
    return items


def _pool_pads(v: Any, dims: int) -> list[tuple[int, int]]:
    """(before, after) per axis from 1, ``dims`` or 2·``dims`` ints."""
    items = [v] if _is_int(v) else list(v) if _is_seq(v) else None
    if items is None or not all(_is_int(e) for e in items) or min(items) < 0:
        raise RefInvalid(f"padding must be ints >= 0, got {v!r}")
    if len(items) == 1:
        return [(items[0], items[0])] * dims
    if len(items) == dims:
        return [(p, p) for p in items]
    if len(items) == 2 * dims:
        return [(items[2 * i], items[2 * i + 1]) for i in range(dims)]
    raise RefInvalid(f"padding takes 1, {dims} or {2 * dims} ints, got {v!r}")


def _product(ranges: list[range]) -> list[tuple[int, ...]]:
    """Every index tuple of ``ranges``, the last varying fastest (row-major)."""
    out: list[tuple[int, ...]] = [()]
    for r in ranges:
        out = [(*prefix, i) for prefix in out for i in r]
    return out


def _get(x: Any, index: tuple[int, ...]) -> Any:
    for i in index:
        x = x[i]
    return x


def _set(nested: Any, index: tuple[int, ...], value: Any) -> None:
    for i in index[:-1]:
        nested = nested[i]
    nested[index[-1]] = value


def _zeros(shape: list[int]) -> Any:
    if len(shape) == 1:
        return [0] * shape[0]
    return [_zeros(shape[1:]) for _ in range(shape[0])]


def ref_pool_nd(
    x: Nested,
    window: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    op: str = "max",
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    norm_type: Any = 2,
    return_indices: bool = False,
    *,
    dims: int,
) -> Any:
    """Pooling over ``dims`` spatial axes, tap by tap, from the definitions (SPEC §1, §7).

    Window o of an axis reads the taps o·s − before + t·d (t < k). A tap is on the padded
    input when −before ≤ p < n + after, and an input cell when 0 ≤ p < n. max and min
    choose among the input cells (the first holding the value, row-major, gives the index:
    the flat position in the input plane); avg divides the sum of the input cells by the
    taps on the padded input (count_include_pad) or by the input cells; lp is
    (Σ |v|^P)^(1/P) over the input cells (padding adds 0), exact when P = 1. Padding is
    at most the window minus one; with ceil_mode the last window starts inside the input
    or the padding before it.
    """
    shape = _shape(x)
    if len(shape) == dims:
        chans, squeeze = [x], True
    elif len(shape) == dims + 1:
        chans, squeeze = list(x), False
    else:
        raise RefInvalid(f"input must be {dims}-D or {dims + 1}-D, got shape {shape}")
    if op not in ("max", "min", "avg", "lp"):
        raise RefInvalid(f"unknown pooling op {op!r}")
    if return_indices and op not in ("max", "min"):
        raise RefInvalid("indices only for max and min")
    k = _per_axis(window, "window", dims, 1)
    s = k if stride is None else _per_axis(stride, "stride", dims, 1)
    d = _per_axis(dilation, "dilation", dims, 1)
    pads = _pool_pads(padding, dims)
    if isinstance(norm_type, bool) or not isinstance(norm_type, int | float) or norm_type <= 0:
        raise RefInvalid(f"norm type must be positive, got {norm_type!r}")
    sizes = list(shape[-dims:])
    outs = []
    for n, ki, si, di, (before, after) in zip(sizes, k, s, d, pads, strict=True):
        if before > ki - 1 or after > ki - 1:
            raise RefInvalid("pooling padding must be at most the window minus one")
        room = n + before + after - (di * (ki - 1) + 1)
        o = -(-room // si) + 1 if ceil_mode else room // si + 1
        if ceil_mode and (o - 1) * si >= n + before:
            o -= 1
        if o < 1:
            raise RefInvalid("pooling window larger than the padded input")
        outs.append(o)
    floats = _has_float(x)
    values_out, indices_out = [], []
    for xc in chans:
        plane, where = _zeros(outs), _zeros(outs)
        for o in _product([range(n) for n in outs]):
            cells, flat_of, on_padded = [], [], 0
            for t in _product([range(ki) for ki in k]):
                p = [o[i] * s[i] - pads[i][0] + t[i] * d[i] for i in range(dims)]
                if all(-pads[i][0] <= p[i] < sizes[i] + pads[i][1] for i in range(dims)):
                    on_padded += 1
                if all(0 <= p[i] < sizes[i] for i in range(dims)):
                    cells.append(_get(xc, tuple(p)))
                    flat = 0
                    for i in range(dims):
                        flat = flat * sizes[i] + p[i]
                    flat_of.append(flat)
            needs_cells = op in ("max", "min") or (op == "avg" and not count_include_pad)
            if needs_cells and not cells:
                raise RefInvalid("a window without an input cell")
            if op in ("max", "min"):
                best = max(cells) if op == "max" else min(cells)
                _set(plane, o, best)
                _set(where, o, flat_of[cells.index(best)])
            elif op == "avg":
                total: Any = 0
                for v in cells:
                    total = total + v
                count = on_padded if count_include_pad else len(cells)
                _set(plane, o, total / count if floats else Fraction(total) / count)
            else:
                power: Any = 0
                for v in cells:
                    power = power + abs(v) ** norm_type
                _set(plane, o, power if norm_type == 1 else float(power) ** (1.0 / norm_type))
        values_out.append(plane)
        indices_out.append(where)
    values = values_out[0] if squeeze else values_out
    if return_indices:
        return values, indices_out[0] if squeeze else indices_out
    return values
