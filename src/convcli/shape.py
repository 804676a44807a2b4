"""Output-size arithmetic, one axis at a time, with the intermediate terms kept.

Pure integer arithmetic (no numpy), so ``convcli shape`` starts fast and answers
exactly for any size, 10**12 included.

>>> output_size(4, 3, padding=1)
4
>>> output_size(5, 3, stride=2, padding="same")
3
>>> output_size(3, 3, stride=2, padding=1, transposed=True, output_padding=1)
6
"""

from __future__ import annotations

from typing import NamedTuple

from convcli.errors import ParameterError, ShapeError

PaddingSpec = int | tuple[int, int] | str
# "same-lower" last: messages list the classic three first, as they always did
PADDING_WORDS = ("valid", "same", "full", "same-lower")


def ceil_div(a: int, b: int) -> int:
    """⌈a / b⌉ for integers, b > 0."""
    return -(-a // b)


def effective_kernel(kernel: int, dilation: int) -> int:
    """The span a dilated kernel covers: d·(k−1) + 1."""
    return dilation * (kernel - 1) + 1


def resolve_axis_padding(
    padding: PaddingSpec, size: int, kernel: int, stride: int = 1, dilation: int = 1
) -> tuple[int, int]:
    """The (before, after) padding of one axis for an int, a pair or a word.

    ``same`` follows TensorFlow (ONNX ``SAME_UPPER``): total = max((⌈in/s⌉ − 1)·s +
    d·(k−1) + 1 − in, 0), the smaller half before, the extra after; ``same-lower``
    (ONNX ``SAME_LOWER``) puts the extra cell before.

    >>> resolve_axis_padding("same", 4, 4), resolve_axis_padding("same-lower", 4, 4)
    ((1, 2), (2, 1))
    """
    if isinstance(padding, str):
        word = padding.lower()
        if word == "valid":
            return (0, 0)
        if word == "full":
            full = dilation * (kernel - 1)
            return (full, full)
        if word in ("same", "same-lower"):
            total = max(
                (ceil_div(size, stride) - 1) * stride + effective_kernel(kernel, dilation) - size,
                0,
            )
            small, large = total // 2, total - total // 2
            return (small, large) if word == "same" else (large, small)
        msg = f"unknown padding {padding!r}: use a number, 'valid', 'same', 'same-lower' or 'full'"
        raise ParameterError(msg)
    if isinstance(padding, tuple):
        before, after = padding
    else:
        before = after = padding
    if before < 0 or after < 0:
        msg = f"padding must be 0 or more, got {before if before < 0 else after}"
        raise ParameterError(msg)
    return (before, after)


def axis_names(ndim: int) -> tuple[str, ...]:
    """The names of N spatial axes in messages: width; height, width; depth, height, width."""
    return ("depth", "height", "width")[3 - ndim :]


class AxisArithmetic(NamedTuple):
    """One axis of a convolution: the inputs of the formula and what follows from them.

    ``unread`` counts the padded rows/columns at the end that no window reaches
    (the remainder of the division); the result is exact when it is 0.
    """

    size: int
    kernel: int
    stride: int
    dilation: int
    pad_before: int
    pad_after: int
    output: int
    unread: int

    @property
    def padded(self) -> int:
        return self.size + self.pad_before + self.pad_after

    @property
    def span(self) -> int:
        return effective_kernel(self.kernel, self.dilation)

    @property
    def numerator(self) -> int:
        """in + pad_before + pad_after − d·(k−1) − 1: the term divided by the stride."""
        return self.padded - self.span

    @property
    def exact(self) -> bool:
        return self.unread == 0


def conv_axis(
    size: int,
    kernel: int,
    stride: int = 1,
    dilation: int = 1,
    pad_before: int = 0,
    pad_after: int = 0,
    *,
    axis: str = "width",
) -> AxisArithmetic:
    """The convolution arithmetic of one axis; ``ShapeError`` when no output cell fits."""
    _check_positive(size=size, kernel=kernel, stride=stride, dilation=dilation)
    padded = size + pad_before + pad_after
    span = effective_kernel(kernel, dilation)
    if span > padded:
        dilated = f" (dilated to {span})" if dilation > 1 else ""
        msg = (
            f"the kernel {axis} {kernel}{dilated} is larger than the padded input {axis} "
            f"{padded} ({size} + {pad_before} + {pad_after})"
        )
        raise ShapeError(msg)
    quotient, unread = divmod(padded - span, stride)
    return AxisArithmetic(
        size, kernel, stride, dilation, pad_before, pad_after, quotient + 1, unread
    )


class TransposeAxis(NamedTuple):
    """One axis of a transposed convolution: (in − 1)·s − pb − pa + d·(k−1) + op + 1."""

    size: int
    kernel: int
    stride: int
    dilation: int
    pad_before: int
    pad_after: int
    output_padding: int
    output: int

    @property
    def full(self) -> int:
        """The size before cropping the padding: (in − 1)·s + d·(k−1) + 1 + op."""
        return self.output + self.pad_before + self.pad_after


def transpose_axis(
    size: int,
    kernel: int,
    stride: int = 1,
    dilation: int = 1,
    pad_before: int = 0,
    pad_after: int = 0,
    output_padding: int = 0,
    *,
    axis: str = "width",
) -> TransposeAxis:
    """The transposed-convolution arithmetic of one axis, with PyTorch's limits."""
    _check_positive(size=size, kernel=kernel, stride=stride, dilation=dilation)
    if output_padding < 0 or output_padding >= max(stride, dilation):
        msg = (
            f"output padding {output_padding} must be from 0 to {max(stride, dilation) - 1} "
            f"(less than max(stride {stride}, dilation {dilation}))"
        )
        raise ParameterError(msg)
    if pad_before < 0 or pad_after < 0:
        msg = "padding must be 0 or more"
        raise ParameterError(msg)
    out = (
        (size - 1) * stride - pad_before - pad_after + dilation * (kernel - 1) + output_padding + 1
    )
    if out < 1:
        msg = (
            f"the transposed output {axis} would be {out}: "
            f"({size} − 1)·{stride} − {pad_before} − {pad_after} + {dilation}·({kernel} − 1) "
            f"+ {output_padding} + 1; use less padding"
        )
        raise ShapeError(msg)
    return TransposeAxis(size, kernel, stride, dilation, pad_before, pad_after, output_padding, out)


def pool_axis(
    size: int,
    window: int,
    stride: int,
    padding: int = 0,
    *,
    ceil_mode: bool = False,
    axis: str = "width",
    dilation: int = 1,
    pad_after: int | None = None,
) -> AxisArithmetic:
    """The pooling arithmetic of one axis. ``padding`` is before the input and, unless
    ``pad_after`` is given, after it too; each is at most the window minus one (ONNX's
    limit: PyTorch's, half the window, is stricter). With ceil_mode the last window may
    hang over the end but must start inside the input or the padding before it."""
    _check_positive(size=size, window=window, stride=stride, dilation=dilation)
    after = padding if pad_after is None else pad_after
    for pad in (padding, after):
        if pad < 0 or pad > window - 1:
            msg = (
                f"pooling padding {pad} must be from 0 to the window minus one ({window - 1}); "
                f"PyTorch allows at most half the window ({window // 2})"
            )
            raise ParameterError(msg)
    span = effective_kernel(window, dilation)
    padded = size + padding + after
    numerator = padded - span
    out = (ceil_div(numerator, stride) if ceil_mode else numerator // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    if out < 1:
        dilated = f" (dilated to {span})" if dilation > 1 else ""
        msg = f"the window {axis} {window}{dilated} is larger than the padded input {axis} {padded}"
        raise ShapeError(msg)
    unread = max(padded - ((out - 1) * stride + span), 0)
    return AxisArithmetic(size, window, stride, dilation, padding, after, out, unread)


def _check_positive(**values: int) -> None:
    for name, value in values.items():
        if value < 1:
            msg = f"{name} must be 1 or more, got {value}"
            raise ParameterError(msg)


def output_size(
    size: int,
    kernel: int,
    stride: int = 1,
    padding: PaddingSpec = 0,
    dilation: int = 1,
    transposed: bool = False,
    output_padding: int = 0,
) -> int:
    """The output size of one axis (see the module docstring); ``ConvError`` when invalid."""
    if transposed:
        if isinstance(padding, str) and padding.lower() != "valid":
            msg = "a transposed convolution takes a number of padding cells, not 'same' or 'full'"
            raise ParameterError(msg)
        before, after = resolve_axis_padding(padding, size, kernel, stride, dilation)
        return transpose_axis(size, kernel, stride, dilation, before, after, output_padding).output
    before, after = resolve_axis_padding(padding, size, kernel, stride, dilation)
    return conv_axis(size, kernel, stride, dilation, before, after).output


class PaddingSolution(NamedTuple):
    """Paddings of one axis that give a target output size."""

    target: int
    paddings: tuple[tuple[int, int], ...]  # (before, after), symmetric ones first
    output_paddings: tuple[int, ...] = ()  # transposed only: the matching output_padding
    inputs: tuple[int, int] | None = None  # conv: every input size (lo, hi) with that output

    @property
    def possible(self) -> bool:
        return bool(self.paddings)


MAX_SOLUTIONS = 8  # paddings listed per axis by the solvers; the smallest come first


def solve_conv_padding(
    size: int, kernel: int, stride: int, dilation: int, target: int
) -> PaddingSolution:
    """Every total padding P with ⌊(in + P − span) / s⌋ + 1 = target, split as evenly as possible.

    >>> solve_conv_padding(5, 3, 2, 1, 3).paddings
    ((1, 1), (1, 2))
    """
    _check_positive(size=size, kernel=kernel, stride=stride, dilation=dilation, target=target)
    span = effective_kernel(kernel, dilation)
    low = (target - 1) * stride + span - size
    # every total in [low, low + s − 1] works; list only the first few (s may be huge)
    totals = list(range(max(low, 0), min(low + stride, max(low, 0) + MAX_SOLUTIONS)))
    splits = [(p // 2, p - p // 2) for p in totals]
    ordered = sorted(splits, key=lambda ba: (ba[0] != ba[1], ba[0] + ba[1]))
    best = ordered[0] if ordered else (0, 0)
    first_in = (target - 1) * stride + span - sum(best)
    inputs = (max(first_in, 1), first_in + stride - 1) if ordered else None
    return PaddingSolution(target, tuple(ordered), (), inputs)


def solve_transpose_padding(
    size: int, kernel: int, stride: int, dilation: int, target: int
) -> PaddingSolution:
    """Paddings (and output_padding) with (in − 1)·s − P + d·(k−1) + op + 1 = target."""
    _check_positive(size=size, kernel=kernel, stride=stride, dilation=dilation, target=target)
    found: list[tuple[tuple[int, int], int]] = []
    base = (size - 1) * stride + dilation * (kernel - 1) + 1 - target  # the total when op = 0
    first_op = max(-base, 0)  # op must make the total padding non-negative
    for op in range(first_op, min(max(stride, dilation), first_op + MAX_SOLUTIONS)):
        total = base + op
        found.append(((total // 2, total - total // 2), op))
    found.sort(key=lambda item: (item[0][0] != item[0][1], item[1]))
    return PaddingSolution(target, tuple(p for p, _ in found), tuple(op for _, op in found))


def pytorch_takes_transpose(
    before: int, after: int, output_padding: int, stride: int, dilation: int
) -> bool:
    """Whether ``nn.ConvTranspose2d`` can take this axis's padding as it is.

    PyTorch takes one ``padding`` per axis, cropped from both ends alike, and an
    ``output_padding`` below max(stride, dilation); an uneven split needs a crop by hand.

    >>> pytorch_takes_transpose(1, 1, 1, 2, 1), pytorch_takes_transpose(0, 1, 0, 2, 1)
    (True, False)
    """
    return before == after >= 0 and 0 <= output_padding < max(stride, dilation)
