"""Shared fixtures: an in-process CLI runner with a fixed terminal and the worked examples."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from convcli.cli import app

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
EXAMPLES = {
    e["name"]: e
    for e in json.loads((Path(__file__).parent / "data" / "worked_examples.json").read_text())[
        "examples"
    ]
}
ENV = {"NO_COLOR": "1", "COLUMNS": "100", "LINES": "50", "TERM": "dumb"}

Run = Callable[..., Result]


@pytest.fixture(autouse=True)
def _numpy_and_opencv_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    """The numba engine stays out unless a test asks for it: once its loops are loaded
    (tests/test_numba_engine.py) it would take every int64 single-channel correlation,
    and the tests of the other paths would test it instead."""
    monkeypatch.setenv("CONVCLI_NO_NUMBA", "1")


@pytest.fixture(scope="session")
def run() -> Run:
    """``run(*args, input=None, env=None)``: convcli in process, colour off, 100 columns."""
    runner = CliRunner()

    def invoke(
        *args: str, input: str | bytes | None = None, env: dict[str, str] | None = None
    ) -> Result:
        return runner.invoke(
            app, list(args), input=input, env={**ENV, **(env or {})}, catch_exceptions=False
        )

    return invoke


def inline(matrix: list[Any]) -> str:
    """A nested list as inline matrix text (';' rows, '|' channels)."""
    if matrix and isinstance(matrix[0][0], list):
        return " | ".join(inline(channel) for channel in matrix)
    return "; ".join(" ".join(str(v) for v in row) for row in matrix)


def json_out(result: Result) -> dict[str, Any]:
    assert result.exit_code == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def assert_error(result: Result, code: int, *needles: str) -> None:
    """A failure: the exit code, nothing on stdout, one Error line naming each needle."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    if code == 1:
        lines = [line for line in result.stderr.splitlines() if not line.startswith("hint:")]
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("Error: "), result.stderr
    for needle in needles:
        assert needle in result.stderr, (needle, result.stderr)
