"""Real processes: pipes, stdin, closed and full stdout, signals, encodings, the safety net."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from convcli import __version__
from tests.conftest import ROOT, SAMPLES, Run

PYTHON = sys.executable


def convcli(
    *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [PYTHON, "-m", "convcli", *args],
        input=stdin,
        capture_output=True,
        cwd=ROOT,
        timeout=60,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
        check=False,
    )


def test_version_and_help() -> None:
    assert convcli("--version").stdout.decode() == f"convcli {__version__}\n"
    listing = convcli("--help").stdout.decode()
    for command in ("conv", "shape", "transpose", "dilate", "pool", "kernels"):
        assert command in listing
        assert "Examples:" in convcli(command, "--help").stdout.decode()


def test_console_script_is_installed() -> None:
    script = Path(PYTHON).parent / "convcli"
    out = subprocess.run(
        [script, "shape", "-w", "4", "-k", "3", "-p", "1"], capture_output=True, check=True
    )
    assert out.stdout == b"4 4\n"


def test_stdin_pipe() -> None:
    result = convcli(
        "conv",
        "-i",
        "-",
        "-k",
        "sobel-x",
        "--format",
        "csv",
        stdin=(SAMPLES / "input.csv").read_bytes(),
    )
    assert result.returncode == 0
    assert result.stdout == b"3,-4\n-3,-6\n"
    assert result.stderr == b""


def test_stdin_that_is_a_terminal_is_refused_not_awaited() -> None:
    primary, secondary = pty.openpty()
    try:
        proc = subprocess.run(
            [PYTHON, "-m", "convcli", "conv", "-i", "-", "-k", "1"],
            stdin=secondary,
            capture_output=True,
            timeout=30,
            cwd=ROOT,
            check=False,
        )
    finally:
        os.close(primary)
        os.close(secondary)
    assert proc.returncode == 1
    assert proc.stdout == b""
    assert b"terminal" in proc.stderr


def test_closed_pipe_is_quiet(tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    big.write_text("\n".join(",".join(["1"] * 300) for _ in range(300)) + "\n")
    proc = subprocess.Popen(
        [PYTHON, "-m", "convcli", "conv", "-i", str(big), "-k", "1", "--format", "csv"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    proc.stdout.close()  # the reader goes away before anything is written
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert err == b""


def test_head_closes_the_pipe_quietly(tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    big.write_text("\n".join(",".join(["1"] * 400) for _ in range(400)) + "\n")
    shell = f"{PYTHON} -m convcli conv -i {big} -k 1 | head -n 1; echo rc=${{PIPESTATUS[0]}} >&2"
    proc = subprocess.run(
        ["bash", "-c", shell], capture_output=True, cwd=ROOT, timeout=60, check=False
    )
    assert proc.stdout.decode().count("\n") == 1
    assert proc.stderr.decode().strip() == "rc=0"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
def test_full_disk_is_an_error() -> None:
    with open("/dev/full", "wb") as full:
        proc = subprocess.run(
            [PYTHON, "-m", "convcli", "conv", "-i", "1 2; 3 4", "-k", "1"],
            stdout=full,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            timeout=60,
            check=False,
        )
    assert proc.returncode == 1
    assert proc.stderr.decode().startswith("Error: cannot write output")
    assert proc.stderr.decode().count("\n") == 1


def test_ctrl_c_exits_130_quietly(tmp_path: Path) -> None:
    big = tmp_path / "slow.csv"
    row = ",".join(["123456789012345678901234567890"] * 300)
    big.write_text("\n".join([row] * 300) + "\n")
    proc = subprocess.Popen(
        [PYTHON, "-m", "convcli", "conv", "-i", str(big), "-k", "box-9", "--format", "csv"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    time.sleep(2.0)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert out == b""
    assert b"Traceback" not in err


def test_ascii_only_stdout_still_prints() -> None:
    result = convcli(
        "conv",
        "-i",
        "1 -2; 3 4",
        "-k",
        "1 1; 1 1",
        "-p",
        "1",
        "--cell",
        "0,0",
        "--format",
        "table",
        env={"PYTHONIOENCODING": "ascii"},
    )
    assert result.returncode == 0, result.stderr
    text = result.stdout.decode("ascii")
    assert "out[0,0] = pad(0)*1 + pad(0)*1 + pad(0)*1 + 1*1 = 1" in text
    shape = convcli(
        "shape",
        "-w",
        "6",
        "-k",
        "3",
        "-s",
        "2",
        "--format",
        "table",
        env={"PYTHONIOENCODING": "ascii"},
    )
    assert shape.returncode == 0
    assert "floor((w + 2p - d*(k-1) - 1) / s) + 1" in shape.stdout.decode("ascii")


def test_narrow_terminal_pages_columns_and_never_cuts_numbers() -> None:
    row = " ".join(str(1000 + c) for c in range(20))
    result = convcli(
        "conv", "-i", f"{row}; {row}", "-k", "1", "--format", "table", env={"COLUMNS": "40"}
    )
    text = result.stdout.decode()
    assert "…" not in text
    assert "columns 0–" in text
    for c in range(20):
        if f"{1000 + c}" not in text:
            assert "use --format csv" in text
            break


def test_colour_follows_the_environment() -> None:
    args = ("conv", "-i", "1 2; 3 4", "-k", "1", "-p", "1", "--format", "table")
    coloured = convcli(*args, env={"FORCE_COLOR": "1", "NO_COLOR": "", "TERM": "xterm-256color"})
    assert b"\x1b[" in coloured.stdout
    plain = convcli(*args, env={"NO_COLOR": "1"})
    assert b"\x1b[" not in plain.stdout
    dumb = convcli(*args, env={"TERM": "dumb", "NO_COLOR": ""})
    assert b"\x1b[" not in dumb.stdout


def test_markup_in_user_text_is_printed_literally(tmp_path: Path) -> None:
    result = convcli("conv", "-i", "in[red]put[/x].csv", "-k", "1")
    assert result.returncode == 1
    assert b"in[red]put[/x].csv" in result.stderr
    table = convcli(
        "conv", "-i", "1 2; 3 4", "-k", "1", "-p", "1", "--pad-value", "[red]", "-f", "table"
    )
    assert table.returncode == 2
    assert b"[red]" in table.stderr


def test_internal_errors_are_one_line_and_exit_70(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    import convcli.core

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(convcli.core, "run_conv", broken)
    result = run("conv", "-i", "1", "-k", "1")
    assert result.exit_code == 70
    assert result.stdout == ""
    assert (
        result.stderr
        == "Error: internal error: RuntimeError: boom; set CONVCLI_DEBUG=1 for the traceback\n"
    )
    debug = run("conv", "-i", "1", "-k", "1", env={"CONVCLI_DEBUG": "1"})
    assert "Traceback" in debug.stderr
    assert debug.exit_code == 70
