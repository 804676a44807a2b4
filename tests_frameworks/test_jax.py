"""``convcli frameworks``' JAX snippets, run in JAX on the grid of layers of
``tests/framework_cases.py``; each must set ``y`` to convcli's output. Without JAX
installed this module reports itself skipped (.ci/run says it did not run)."""

from __future__ import annotations

import pytest

pytest.importorskip("jax")

from tests.framework_cases import CASES, IDS, Case, check


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_the_jax_snippet_gives_convclis_output(case: Case) -> None:
    check(case, "JAX")
