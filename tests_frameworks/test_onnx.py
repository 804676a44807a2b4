"""``convcli frameworks``' ONNX snippets, run by onnxruntime on the grid of layers of
``tests/framework_cases.py``; each must set ``y`` to convcli's output. (The same snippets
through ``onnx.reference``, where onnxruntime is absent, are run by tests/test_frameworks.py.)
Without onnxruntime installed this module reports itself skipped."""

from __future__ import annotations

import pytest

pytest.importorskip("onnxruntime")

from tests.framework_cases import CASES, IDS, Case, check


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_the_onnx_snippet_gives_convclis_output_in_onnxruntime(case: Case) -> None:
    check(case, "ONNX")
