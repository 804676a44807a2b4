"""``convcli frameworks``' OpenCV snippets, run in OpenCV on the grid of layers of
``tests/framework_cases.py``; each must set ``y`` to convcli's output. Without OpenCV
installed this module reports itself skipped (.ci/run says it did not run)."""

from __future__ import annotations

import pytest

pytest.importorskip("cv2")

from tests.framework_cases import CASES, IDS, Case, check


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_the_opencv_snippet_gives_convclis_output(case: Case) -> None:
    check(case, "OpenCV")
