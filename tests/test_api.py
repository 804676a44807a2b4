"""The Python API's shape and type rules at their corners, against the naive reference."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import pytest

import convcli
from convcli import ConvError, conv2d, conv_transpose2d, output_size, pool2d
from tests.reference import ref_conv2d


def test_a_2d_input_with_a_4d_kernel_gives_channels() -> None:
    kernel = [[[[1]]], [[[2]]]]
    got = conv2d([[1, 2], [3, 4]], kernel)
    assert got.tolist() == ref_conv2d([[[1, 2], [3, 4]]], kernel)
    assert got.shape == (2, 2, 2)


def test_a_one_channel_3d_input_takes_a_2d_kernel() -> None:
    assert conv2d([[[1, 2], [3, 4]]], [[1, 1]]).tolist() == ref_conv2d([[1, 2], [3, 4]], [[1, 1]])


def test_fraction_and_float_pad_values_choose_the_arithmetic() -> None:
    exact = conv2d([[1, 2], [3, 4]], [[1, 1]], padding=1, pad_value=Fraction(1, 2))
    assert exact.dtype == object
    assert exact.tolist() == ref_conv2d(
        [[1, 2], [3, 4]], [[1, 1]], padding=1, pad_value=Fraction(1, 2)
    )
    floats = conv2d([[1, 2], [3, 4]], [[1, 1]], padding=1, pad_value=0.5)
    assert floats.dtype == np.float64
    assert floats[1, 0] == 1.5


def test_one_bias_serves_every_output_channel() -> None:
    got = conv2d([[1, 2], [3, 4]], [[[[1]]], [[[2]]]], bias=[7])
    assert got.tolist() == ref_conv2d([[1, 2], [3, 4]], [[[[1]]], [[[2]]]], bias=7)


def test_the_api_is_lazy_and_complete() -> None:
    assert set(convcli.__all__) >= {
        "conv2d",
        "conv_transpose2d",
        "pool2d",
        "output_size",
        "ConvError",
    }
    assert convcli.conv_transpose2d is conv_transpose2d
    assert convcli.pool2d is pool2d
    with pytest.raises(AttributeError):
        _ = convcli.nothing_here  # type: ignore[attr-defined]


def test_errors_are_conv_errors() -> None:
    with pytest.raises(ConvError, match="larger than the padded input"):
        conv2d([[1]], [[1, 1]])
    with pytest.raises(ConvError, match="ragged"):
        conv2d([[1, 2], [3]], [[1]])
    with pytest.raises(ConvError):
        output_size(2, 3)
    with pytest.raises(ConvError, match="boolean"):
        conv2d([[True]], [[1]])


@pytest.mark.parametrize(
    "call",
    [
        lambda: conv2d([[10**400]], [[0.5]]),
        lambda: conv2d([[1]], [[0.5]], bias=10**400),
        lambda: conv2d([[1]], [[0.5]], padding=1, pad_value=10**400),
        lambda: conv_transpose2d([[1]], [[0.5]], bias=10**400),
    ],
)
def test_huge_integers_meeting_floats_are_a_clear_error(call: Any) -> None:
    with pytest.raises(ConvError, match="too large for float64"):
        call()


def test_huge_integers_meeting_fractions_stay_exact() -> None:
    assert conv2d([[10**400]], [[Fraction(1, 2)]]).tolist() == [[Fraction(10**400, 2)]]
