"""shape --pool with padding on one side of an axis (ONNX) and a dilated window, against
the shape of the naive pooling loop's output (tests/reference.py)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Run
from tests.reference import RefInvalid, ref_pool_nd


def shape_of(nested: object) -> list[int]:
    sizes = []
    while isinstance(nested, list):
        sizes.append(len(nested))
        nested = nested[0]
    return sizes


@pytest.mark.parametrize("pads", [(0, 1, 0, 0), (2, 0, 1, 2), (1, 1, 0, 2)])
@pytest.mark.parametrize("dilation", [1, 2])
@pytest.mark.parametrize("ceil_mode", [False, True])
def test_one_sided_padding_and_dilation(
    run: Run, pads: tuple[int, ...], dilation: int, ceil_mode: bool
) -> None:
    h, w, k, s = 7, 9, 3, 2
    args = ["shape", "--pool", "-H", str(h), "-w", str(w), "-k", str(k), "-s", str(s),
            "-p", ",".join(map(str, pads)), "-d", str(dilation), "-f", "json"]  # fmt: skip
    if ceil_mode:
        args.append("--ceil-mode")
    zeros = [[0] * w for _ in range(h)]
    try:
        expected = shape_of(
            ref_pool_nd(zeros, k, s, list(pads), dilation, ceil_mode=ceil_mode, dims=2)
        )
    except RefInvalid:
        assert run(*args).exit_code in (1, 2)
        return
    result = run(*args)
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["output"] == expected
    assert out["padding"] == list(pads)
    assert out["dilation"] == [dilation, dilation]


def test_a_padding_word_is_refused_for_pooling(run: Run) -> None:
    result = run("shape", "--pool", "-w", "8", "-k", "2", "-p", "full")
    assert result.exit_code == 2
    assert "pooling padding is a number of cells (1, 2 or 4 numbers), not 'full'" in result.stderr
