"""``convcli frameworks``' PyTorch snippets, run in PyTorch on the grid of layers of
``tests/framework_cases.py``; each must set ``y`` to convcli's output. Without PyTorch
installed this module reports itself skipped (.ci/run says it did not run)."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

from tests.framework_cases import CASES, IDS, Case, check

# the snippets use padding='same' at stride 1 with even kernels too, and say that it warns
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_the_pytorch_snippet_gives_convclis_output(case: Case) -> None:
    check(case, "PyTorch")
