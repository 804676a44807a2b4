"""Validated convolution parameters, from Python values or from option text.

``parse_*`` functions read what a user typed (``"2,1"``, ``"same"``, ``"1,0,1,0"``);
``as_*`` functions accept what the Python API accepts (ints, tuples, words).
All raise :class:`ParameterError` with a sentence that names the option.

>>> parse_pair("2,1", "stride"), parse_padding("1,2"), parse_padding("SAME")
((2, 1), (1, 1, 2, 2), 'same')
>>> as_axes(2, "stride", 3), parse_axis_padding("1,2,3", 3), as_axis_padding((1, 2), 1)
((2, 2, 2), (1, 1, 2, 2, 3, 3), (1, 2))
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Real
from typing import TYPE_CHECKING, Any, NamedTuple, TypeAlias

from convcli.errors import ParameterError
from convcli.shape import PADDING_WORDS, resolve_axis_padding

if TYPE_CHECKING:
    from fractions import Fraction

Pair: TypeAlias = tuple[int, int]
Pads: TypeAlias = tuple[int, int, int, int]
Padding: TypeAlias = str | Pads
AxisPadding: TypeAlias = str | tuple[int, ...]  # a word or (before, after) per axis
PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
POOL_OPS = ("max", "avg", "min", "lp")


def parse_ints(text: str, name: str) -> tuple[int, ...]:
    """Whole numbers separated by commas (``"2,1,1"``), a Unicode minus allowed."""
    parts = [p.strip() for p in text.replace("\u2212", "-").split(",")]
    try:
        values = tuple(int(p) for p in parts if p.isascii())
    except ValueError:
        values = ()
    if len(values) != len(parts) or not parts:
        msg = f"{name} must be whole numbers separated by commas, got {text!r}"
        raise ParameterError(msg, option=_option(name))
    return values


def parse_pair(text: str, name: str, *, minimum: int = 1) -> Pair:
    """``"2"`` → (2, 2), ``"2,1"`` → (2, 1); each at least ``minimum``."""
    return as_pair(parse_ints(text, name), name, minimum=minimum)


def as_pair(value: Any, name: str, *, minimum: int = 1) -> Pair:
    """An int or a sequence of one or two ints as an (h, w) pair, each ≥ ``minimum``."""
    items = _sequence(value, name)
    if len(items) == 1:
        items = (items[0], items[0])
    if len(items) != 2:
        msg = f"{name} takes one number or an H,W pair, got {len(items)} numbers"
        raise ParameterError(msg, option=_option(name))
    for item in items:
        if item < minimum:
            msg = f"{name} must be {minimum} or more, got {item}"
            raise ParameterError(msg, option=_option(name))
    return (items[0], items[1])


def _option(name: str) -> str:
    """The command-line option a parameter comes from: "output padding" → --output-padding."""
    return name if name.startswith("--") else "--" + name.replace(" ", "-")


def _sequence(value: Any, name: str) -> tuple[int, ...]:
    raw = (value,) if not isinstance(value, Sequence) or isinstance(value, str) else value
    items: list[int] = []
    for item in raw:
        if isinstance(item, bool) or not hasattr(item, "__index__"):
            msg = f"{name} must be whole numbers, got {item!r}"
            raise ParameterError(msg, option=_option(name))
        items.append(int(item))
    return tuple(items)


_AXES = {1: "W", 2: "H,W", 3: "D,H,W"}
_SIDES = {1: "LEFT,RIGHT", 2: "TOP,BOTTOM,LEFT,RIGHT", 3: "FRONT,BACK,TOP,BOTTOM,LEFT,RIGHT"}


def _check_ndim(ndim: int) -> None:
    if ndim not in _AXES:
        msg = f"dims must be 1, 2 or 3, got {ndim}"
        raise ParameterError(msg, option="--dims")


def as_axes(value: Any, name: str, ndim: int, *, minimum: int = 1) -> tuple[int, ...]:
    """One int or N ints (one per spatial axis, in axis order), each ≥ ``minimum``."""
    _check_ndim(ndim)
    if ndim == 2:
        return as_pair(value, name, minimum=minimum)
    items = _sequence(value, name)
    if len(items) == 1:
        items = items * ndim
    if len(items) != ndim:
        counts = (
            "one number with --dims 1" if ndim == 1 else f"one number or {ndim} ({_AXES[ndim]})"
        )
        msg = f"{name} takes {counts}, got {len(items)} numbers"
        raise ParameterError(msg, option=_option(name))
    for item in items:
        if item < minimum:
            msg = f"{name} must be {minimum} or more, got {item}"
            raise ParameterError(msg, option=_option(name))
    return items


def parse_padding(text: str) -> Padding:
    """A word (valid, same, same-lower, full) or 1, 2 (H,W) or 4 (top,bottom,left,right)
    numbers."""
    return _two_d(parse_axis_padding(text, 2))


def parse_axis_padding(text: str, ndim: int) -> AxisPadding:
    """Padding text for N spatial axes: a word, or 1, N or 2N numbers (see
    :func:`as_axis_padding`)."""
    word = text.strip().lower()
    if word in PADDING_WORDS:
        return word
    if word.replace(",", "").replace(" ", "").replace("-", "").isalpha():
        words = ", ".join(PADDING_WORDS)
        forms = "N" if ndim == 1 else f"N, {_AXES[ndim]}"
        msg = f"padding must be {forms}, {_SIDES[ndim]} or one of {words}; got {text!r}"
        raise ParameterError(msg, option="--padding")
    return as_axis_padding(parse_ints(text, "padding"), ndim)


def as_padding(value: Any) -> Padding:
    """Padding as a word or a (top, bottom, left, right) tuple of non-negative ints."""
    return _two_d(as_axis_padding(value, 2))


def _two_d(padding: AxisPadding) -> Padding:
    if isinstance(padding, str):
        return padding
    top, bottom, left, right = padding
    return (top, bottom, left, right)


def as_axis_padding(value: Any, ndim: int) -> AxisPadding:
    """Padding of N spatial axes as a word or 2N non-negative ints (before, after per axis
    in axis order). One number pads every side; N numbers pad both sides of each axis."""
    _check_ndim(ndim)
    if isinstance(value, str):
        word = value.strip().lower()
        if word not in PADDING_WORDS:
            return parse_axis_padding(value, ndim)
        return word
    items = _sequence(value, "padding")
    if len(items) == 1:
        items = items * (2 * ndim)
    elif len(items) == ndim:
        items = tuple(p for p in items for _ in (0, 1))
    elif len(items) != 2 * ndim:
        counts = "1 or 2" if ndim == 1 else f"1, {ndim} ({_AXES[ndim]}) or {2 * ndim}"
        msg = (
            f"padding takes {counts} ({_SIDES[ndim].lower()}) numbers, got {len(items)}"
            if ndim != 2
            else f"padding takes 1, 2 (H,W) or 4 (top,bottom,left,right) numbers, got {len(items)}"
        )
        raise ParameterError(msg, option="--padding")
    if min(items) < 0:
        msg = f"padding must be 0 or more, got {min(items)}"
        raise ParameterError(msg, option="--padding")
    return items


def as_transpose_padding(value: Any) -> Pads:
    """A transposed convolution's padding: cells cropped, never a word but 'valid'."""
    top, bottom, left, right = as_transpose_axis_padding(value, 2)
    return (top, bottom, left, right)


def as_transpose_axis_padding(value: Any, ndim: int) -> tuple[int, ...]:
    """The padding of N axes of a transposed convolution: 2N cells cropped ('valid': 0)."""
    padding = as_axis_padding(value, ndim)
    if isinstance(padding, str):
        if padding != "valid":
            msg = "a transposed convolution takes a number of padding cells, not 'same' or 'full'"
            raise ParameterError(msg, option="--padding")
        return (0,) * (2 * ndim)
    return padding


def as_pool_padding(value: Any) -> Pair:
    """Pooling padding: the same on both sides of an axis, as (h, w)."""
    pads = as_padding(value)
    if isinstance(pads, str) or pads[0] != pads[1] or pads[2] != pads[3]:
        msg = "pooling padding must be a number or an H,W pair (the same on both sides)"
        raise ParameterError(msg, option="--padding")
    return (pads[0], pads[2])


def resolve_padding(
    padding: Padding, size: Pair, kernel: Pair, stride: Pair = (1, 1), dilation: Pair = (1, 1)
) -> Pads:
    """Concrete (top, bottom, left, right) padding for an input and kernel size."""
    top, bottom, left, right = resolve_axis_paddings(padding, size, kernel, stride, dilation)
    return (top, bottom, left, right)


def resolve_axis_paddings(
    padding: AxisPadding,
    size: Sequence[int],
    kernel: Sequence[int],
    stride: Sequence[int] | None = None,
    dilation: Sequence[int] | None = None,
) -> tuple[int, ...]:
    """Concrete (before, after) padding of every axis, flattened: 2N ints."""
    if not isinstance(padding, str):
        return padding
    ones = (1,) * len(size)
    return tuple(
        side
        for n, k, s, d in zip(size, kernel, stride or ones, dilation or ones, strict=True)
        for side in resolve_axis_padding(padding, n, k, s, d)
    )


def as_padding_mode(value: str) -> str:
    mode = value.strip().lower()
    if mode not in PADDING_MODES:
        msg = f"padding mode {value!r} is not one of {', '.join(PADDING_MODES)}"
        raise ParameterError(msg, option="--padding-mode")
    return mode


def as_pool_op(value: str) -> str:
    op = value.strip().lower()
    if op not in POOL_OPS:
        msg = f"pooling op {value!r} is not one of {', '.join(POOL_OPS)}"
        raise ParameterError(msg, option="--op")
    return op


def parse_cell(text: str) -> tuple[int, ...]:
    """``"R,C"`` or ``"O,R,C"`` (0-based) for ``--cell``; ``C``/``O,C`` in 1-D and
    ``D,R,C``/``O,D,R,C`` in 3-D (the count is checked against the output)."""
    cell = parse_ints(text, "--cell")
    if not 1 <= len(cell) <= 4 or min(cell) < 0:
        msg = f"--cell takes R,C or O,R,C with 0-based indices, got {text!r}"
        raise ParameterError(msg, option="--cell")
    return cell


def parse_numbers(text: str, name: str) -> tuple[int | Fraction | float, ...]:
    """Comma-separated numbers (``--bias 1,0.5``, ``--pad-value -1``), exact where possible."""
    from convcli.numbers import parse_number

    try:
        return tuple(parse_number(part) for part in text.split(","))
    except ValueError as exc:
        raise ParameterError(str(exc), option=name) from None


class ConvParams(NamedTuple):
    """Every parameter of a convolution except the matrices, validated."""

    stride: Pair = (1, 1)
    padding: Padding = (0, 0, 0, 0)
    dilation: Pair = (1, 1)
    groups: int = 1
    padding_mode: str = "zeros"
    pad_value: int | Fraction | float = 0
    flip: bool = False

    @classmethod
    def build(
        cls,
        *,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: Any = 1,
        padding_mode: str = "zeros",
        pad_value: Any = 0,
        flip: bool = False,
    ) -> ConvParams:
        (group_count,) = _sequence(groups, "groups")
        if group_count < 1:
            msg = f"groups must be 1 or more, got {group_count}"
            raise ParameterError(msg, option="--groups")
        mode = as_padding_mode(padding_mode)
        if mode != "zeros" and pad_value != 0:
            msg = f"a pad value applies to constant padding, not to padding mode {mode!r}"
            raise ParameterError(msg, option="--pad-value")
        return cls(
            stride=as_pair(stride, "stride"),
            padding=as_padding(padding),
            dilation=as_pair(dilation, "dilation"),
            groups=group_count,
            padding_mode=mode,
            pad_value=pad_value,
            flip=bool(flip),
        )


class PoolParams(NamedTuple):
    """Every parameter of an N-D pooling except the input, validated.

    Per-axis values have N entries in axis order; ``padding`` has 2N, (before, after)
    for each axis in turn (2-D: top, bottom, left, right), as ONNX's ``pads`` regrouped.
    """

    window: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[int, ...]  # before, after of each axis in turn
    op: str = "max"
    ceil_mode: bool = False
    count_include_pad: bool = True
    dilation: tuple[int, ...] = ()
    norm_type: int | float = 2
    return_indices: bool = False

    @property
    def dims(self) -> int:
        return len(self.window)

    @classmethod
    def build(
        cls,
        window: Any,
        *,
        stride: Any = None,
        padding: Any = 0,
        dilation: Any = 1,
        op: str = "max",
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        norm_type: Any = 2,
        return_indices: bool = False,
        dims: int = 2,
    ) -> PoolParams:
        kernel = as_axes(window, "window", dims)
        pool_op = as_pool_op(op)
        if return_indices and pool_op not in ("max", "min"):
            msg = f"indices apply to max and min pooling, not to {pool_op}"
            raise ParameterError(msg, option="--indices")
        return cls(
            kernel,
            as_axes(stride if stride is not None else kernel, "stride", dims),
            as_pool_pads(padding, dims),
            pool_op,
            bool(ceil_mode),
            bool(count_include_pad),
            as_axes(dilation, "dilation", dims),
            as_norm_type(norm_type),
            bool(return_indices),
        )


def as_pool_pads(value: Any, dims: int) -> tuple[int, ...]:
    """N-D pooling padding as (before, after) per axis: 1 number, N (the same on both sides
    of each axis) or 2N (before,after of each axis in turn); ``valid`` is 0."""
    if isinstance(value, str) and value.strip().lower() == "valid":
        return (0,) * (2 * dims)
    if isinstance(value, str):
        msg = f"pooling padding takes numbers or 'valid', got {value!r}"
        raise ParameterError(msg, option="--padding")
    items = _sequence(value, "padding")
    if len(items) == 1:
        items = items * (2 * dims)
    elif len(items) == dims:
        items = tuple(p for item in items for p in (item, item))
    elif len(items) != 2 * dims:
        msg = (
            f"pooling padding takes 1, {dims} (one per axis) or {2 * dims} "
            f"(before,after per axis) numbers, got {len(items)}"
        )
        raise ParameterError(msg, option="--padding")
    if min(items) < 0:
        msg = f"padding must be 0 or more, got {min(items)}"
        raise ParameterError(msg, option="--padding")
    return items


def as_norm_type(value: Any) -> int | float:
    """Lp pooling's P: a positive finite number; a whole float becomes an int (exact path)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Real):
        msg = f"norm type must be a positive number, got {value!r}"
        raise ParameterError(msg, option="--norm-type")
    value = float(value) if not hasattr(value, "__index__") else int(value)
    if not 0 < value < float("inf"):
        msg = f"norm type must be a positive finite number, got {value!r}"
        raise ParameterError(msg, option="--norm-type")
    return int(value) if float(value).is_integer() else float(value)
