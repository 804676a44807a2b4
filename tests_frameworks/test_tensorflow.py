"""``convcli frameworks``' TensorFlow snippets, run in TensorFlow on the grid of layers of
``tests/framework_cases.py``; each must set ``y`` to convcli's output. Without TensorFlow
installed this module reports itself skipped (.ci/run says it did not run)."""

from __future__ import annotations

import pytest

pytest.importorskip("tensorflow")

from tests.framework_cases import CASES, IDS, Case, check


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_the_tensorflow_snippet_gives_convclis_output(case: Case) -> None:
    check(case, "TensorFlow")


def test_the_readme_walk_through_from_tensorflow_same_to_pytorch_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """README's Python block (frameworks section): Keras' SAME at stride 2 equals the
    PyTorch snippet convcli writes, with the kernel moved from HWIO to OIHW."""
    import os
    import re
    import sys
    from pathlib import Path

    pytest.importorskip("torch")
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## frameworks\n", 1)[1].split("\n## ", 1)[0]
    (code,) = re.findall(r"```python\n(.*?)```", section, re.DOTALL)
    bin_dir = str(Path(sys.executable).parent)
    monkeypatch.setenv("PATH", bin_dir + os.pathsep + os.environ.get("PATH", ""))
    scope: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), scope)
    assert "y" in scope["scope"]  # type: ignore[operator]
