"""Large inputs: tables show a window with a note, and slow work shows a spinner on a
terminal's stderr (never in a pipe)."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import numpy as np

from tests.conftest import ROOT, Run


def test_a_large_result_is_a_window_with_a_note(run: Run, tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    values = np.arange(1000 * 1000).reshape(1000, 1000) % 97
    np.savetxt(big, values, fmt="%d", delimiter=",")
    text = run("conv", "-i", str(big), "-k", "1", "-f", "table").stdout
    assert "showing rows 0–19 of 1000" in text
    assert "use --format csv or --format json for all of it" in text
    assert "…" not in text
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if "feature map" in line)
    column = lines[at].index("feature map")  # the table may stand beside the kernel's
    rows = [line[column:] for line in lines[at:] if line[column:].startswith("│")]
    header, first = rows[0], rows[1]
    assert [c.strip() for c in header.strip("│").split("│")][1:4] == ["0", "1", "2"]
    cells = [c.strip() for c in first.strip("│").split("│")]
    assert cells[0] == "0"
    assert cells[1:6] == [str(v) for v in values[0, :5]]


def test_medium_matrices_are_shown_whole_in_pages(run: Run) -> None:
    x = "; ".join(" ".join(str(r * 30 + c) for c in range(30)) for r in range(30))
    text = run("conv", "-i", x, "-k", "1", "-f", "table").stdout
    assert "showing" not in text
    for v in (0, 29, 870, 899):
        assert f" {v} " in text


def test_slow_work_shows_a_spinner_on_a_terminal_only(tmp_path: Path) -> None:
    big = tmp_path / "bigints.csv"
    row = ",".join(["123456789012345678901234567890"] * 250)
    big.write_text("\n".join([row] * 250) + "\n")
    args = [sys.executable, "-m", "convcli", "conv", "-i", str(big), "-k", "box-3", "-f", "csv"]
    primary, secondary = pty.openpty()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=secondary, cwd=ROOT)
    os.close(secondary)
    seen = b""
    while proc.poll() is None or select.select([primary], [], [], 0.2)[0]:
        if select.select([primary], [], [], 0.2)[0]:
            try:
                seen += os.read(primary, 65536)
            except OSError:
                break
    os.close(primary)
    assert proc.wait(timeout=60) == 0
    assert b"conv 248" in seen
    piped = subprocess.run(args, capture_output=True, cwd=ROOT, timeout=120, check=False)
    assert piped.returncode == 0
    assert piped.stderr == b""
