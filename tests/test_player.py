"""`explain --animate` driven by keys in a real pseudo-terminal: moving, jumping, no
echo, Ctrl-C, a short terminal; and the key reading of :mod:`convcli.player` itself.

The child gets the pseudo-terminal as its controlling terminal (so a typed Ctrl-C is a
SIGINT from the line discipline, as in a shell) and as stdin, stdout and stderr. What it
draws on the alternate screen is read back screen by screen: every line is placed with
a cursor move ``ESC [ row ; 1 H``, which :func:`screens` turns back into rows.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time

import pytest

from convcli.player import State, press, split_keys, unfinished
from tests.conftest import ROOT

RIGHT, LEFT, HOME, END = b"\x1b[C", b"\x1b[D", b"\x1b[H", b"\x1b[F"
ENTER_ALT, LEAVE_ALT, SHOW_CURSOR = "\x1b[?1049h", "\x1b[?1049l", "\x1b[?25h"
STYLE = re.compile(r"\x1b\[[0-9;?]*[JKhlm]")  # colours, modes, erasing: not cursor moves
PLACE = re.compile(r"\x1b\[(\d+);1H")
# a 12×12 input: its cell step is far taller than 20 rows
TALL = "; ".join(" ".join(str((7 * i + 3 * j) % 10) for j in range(12)) for i in range(12))


class Terminal:
    """A convcli child on a pseudo-terminal of ``rows`` × 100."""

    def __init__(
        self,
        *args: str,
        rows: int = 24,
        stdin_tty: bool = True,
        program: list[str] | None = None,
        term: str = "xterm",
    ) -> None:
        self.primary, self.secondary = pty.openpty()
        fcntl.ioctl(self.secondary, termios.TIOCSWINSZ, struct.pack("HHHH", rows, 100, 0, 0))
        env = {k: v for k, v in os.environ.items() if k not in ("LINES", "NO_COLOR")}
        env.update(COLUMNS="100", TERM=term, PYTHONIOENCODING="utf-8")

        def controlling_terminal() -> None:
            if stdin_tty:
                fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.proc = subprocess.Popen(
            program or [sys.executable, "-m", "convcli", *args],
            stdin=self.secondary if stdin_tty else subprocess.DEVNULL,
            stdout=self.secondary,
            stderr=self.secondary,
            start_new_session=True,
            preexec_fn=controlling_terminal,  # the tests start no threads
            cwd=ROOT,
            env=env,
        )
        self.raw = b""
        self.seen = 0

    @property
    def text(self) -> str:
        return self.raw.decode(errors="replace")

    def pump(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            ready, _, _ = select.select([self.primary], [], [], 0.02)
            if ready:
                self.raw += os.read(self.primary, 65536)

    def expect(self, needle: str, timeout: float = 20.0) -> None:
        """Wait until ``needle`` shows (in the text without styles) after the last one."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            plain = STYLE.sub("", self.text)
            found = plain.find(needle, self.seen)
            if found >= 0:
                self.seen = found + len(needle)
                return
            self.pump(0.05)
        os.killpg(self.proc.pid, signal.SIGKILL)
        pytest.fail(f"{needle!r} never showed; the screen had:\n{STYLE.sub('', self.text)}")

    def send(self, keys: bytes) -> None:
        os.write(self.primary, keys)

    def finish(self, timeout: float = 20.0) -> int:
        end = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < end:
            self.pump(0.05)
        self.pump(0.2)
        code = self.proc.wait(timeout=5)
        self.lflag = termios.tcgetattr(self.secondary)[3]
        os.close(self.primary)
        os.close(self.secondary)
        return code


def screens(text: str) -> list[dict[int, str]]:
    """What the alternate screen showed, draw by draw: row number → text of the row."""
    inside = text.split(ENTER_ALT, 1)[1].split(LEAVE_ALT, 1)[0]
    draws: list[dict[int, str]] = []
    for part in re.split(r"(?=\x1b\[1;1H)", inside):
        rows: dict[int, str] = {}
        pieces = PLACE.split(part)
        for row, chunk in zip(pieces[1::2], pieces[2::2], strict=True):
            rows[int(row)] = STYLE.sub("", chunk).rstrip()
        if rows:
            draws.append(rows)
    return draws


def footers(text: str) -> list[str]:
    return re.findall(r"step \d+/\d+[^\x1b]*", STYLE.sub("", text.split(LEAVE_ALT)[0]))


def after_play(text: str) -> str:
    """What stays on the ordinary screen once the play is over."""
    return STYLE.sub("", text.rsplit(LEAVE_ALT, 1)[1])


# --- in a pseudo-terminal ---------------------------------------------------------------------


def test_arrows_move_through_the_steps_and_q_quits() -> None:
    term = Terminal("explain", "--animate")
    term.expect("step 1/7")
    for key, step in [(RIGHT, 2), (RIGHT, 3), (LEFT, 2)]:
        term.send(key)
        term.expect(f"step {step}/7")
    term.send(b"q")
    assert term.finish() == 0
    assert [f.split(" · ")[0] for f in footers(term.text)] == [
        "step 1/7", "step 2/7", "step 3/7", "step 2/7"
    ]  # fmt: skip
    titles = [next(v for v in s.values() if "Step" in v) for s in screens(term.text)]
    assert [re.search(r"Step \d of 7", t).group() for t in titles] == [  # type: ignore[union-attr]
        "Step 1 of 7", "Step 2 of 7", "Step 3 of 7", "Step 2 of 7"
    ]  # fmt: skip
    assert footers(term.text)[0] == "step 1/7 · ←/→ move · q quit"
    final = after_play(term.text)
    assert final.count("Step 2 of 7 · Align the kernel") == 1
    assert final.count("╭─ Step") == 1  # one panel, one top border
    assert "step 2/7" not in final  # no footer left behind
    assert term.text.rsplit(LEAVE_ALT, 1)[1].startswith(SHOW_CURSOR)


def test_space_enter_and_letters_move_too() -> None:
    term = Terminal("explain", "--animate")
    moves = [(b" ", 2), (b"\r", 3), (b"l", 4), (b"h", 3), (b"\x7f", 2), (b"G", 7), (b"g", 1)]
    moves += [(END, 7), (HOME, 1)]
    for key, step in moves:
        term.send(key)
        term.expect(f"step {step}/7")
    term.send(b"\x1b")  # a lone Esc quits
    assert term.finish() == 0
    shown = [int(m) for m in re.findall(r"step (\d+)/7", " ".join(footers(term.text)))]
    assert shown == [1, *(step for _, step in moves)]


def test_a_number_and_enter_jump_to_that_step() -> None:
    term = Terminal("explain", "--animate", "--lang", "zh")
    term.expect("第1/7步")
    term.send(b"5")
    term.expect("跳到第5_步")
    term.send(b"\r")
    term.expect("第5/7步")
    term.send(b"9\r")  # past the end: the last step
    term.expect("第7/7步")
    term.send(b"q")
    assert term.finish() == 0
    assert "第7步（共7步）" in after_play(term.text)


def test_next_on_the_last_step_ends_the_play() -> None:
    term = Terminal("explain", "--animate", "--step", "7")
    term.expect("step 1/1")
    term.send(RIGHT)
    assert term.finish() == 0
    assert after_play(term.text).count("Step 7 of 7 · The result") == 1


def test_typed_keys_are_not_echoed() -> None:
    term = Terminal("explain", "--animate")
    term.expect("step 1/7")
    term.send(b"xyz")
    term.send(RIGHT)
    term.expect("step 2/7")
    term.send(b"q")
    assert term.finish() == 0
    assert "xyz" not in term.text
    assert "^[" not in term.text  # how a terminal echoes an arrow key


def test_keys_typed_during_the_play_do_not_reach_the_next_program() -> None:
    # a shell-like parent: run the play, then read what is left on the terminal
    script = (
        "import os, select, subprocess, sys\n"
        "subprocess.call([sys.executable, '-m', 'convcli', 'explain', '--animate'])\n"
        "left = os.read(0, 100) if select.select([0], [], [], 1.0)[0] else b''\n"
        "print('left:', left)\n"
    )
    term = Terminal(program=[sys.executable, "-c", script])
    term.expect("step 1/7")
    term.send(b"qrm -rf\r")
    assert term.finish() == 0
    assert "left: b''" in term.text
    assert "rm -rf" not in term.text


def test_ctrl_c_restores_the_terminal_and_leaves_one_frame() -> None:
    term = Terminal("explain", "--animate")
    term.expect("step 1/7")
    term.send(RIGHT)
    term.expect("step 2/7")
    term.send(b"\x03")  # the terminal turns it into SIGINT
    assert term.finish() == 130
    assert term.lflag & termios.ECHO
    assert term.lflag & termios.ICANON
    assert "Traceback" not in term.text
    tail = term.text.rsplit(LEAVE_ALT, 1)[1]
    assert tail.startswith(SHOW_CURSOR)
    final = after_play(term.text)
    assert final.count("Step 2 of 7") == 1
    assert final.count("╭─ Step") == 1  # one panel: one top border


@pytest.mark.parametrize(
    ("cell", "arithmetic", "rows_shown"),
    [
        # TALL[i][j] = (7i + 3j) mod 10; the kernel takes the corners and the centre
        ("0,0", "out[0,0] = 0×1 + 3×0 + 6×1 + 7×0 + 0×1 + 3×0 + 4×1 + 7×0 + 0×1 = 10", "0"),
        ("9,9", "out[9,9] = 0×1 + 3×0 + 6×1 + 7×0 + 0×1 + 3×0 + 4×1 + 7×0 + 0×1 = 10", "9"),
    ],
)
def test_a_20_row_terminal_still_shows_the_arithmetic_line(
    cell: str, arithmetic: str, rows_shown: str
) -> None:
    kernel = "1 0 1; 0 1 0; 1 0 1"
    term = Terminal("explain", "-i", TALL, "-k", kernel, "--cell", cell, "--animate", rows=20)
    term.expect("step 1/")
    term.send(RIGHT + RIGHT)
    term.expect("step 3/")
    term.send(b"q")
    assert term.finish() == 0
    cell_step = next(s for s in screens(term.text) if any("Step 3 of" in v for v in s.values()))
    assert max(cell_step) <= 20
    body = [cell_step[r] for r in sorted(cell_step) if r < 20 and cell_step[r]]
    assert body[0].startswith(f"╭─ Step 3 of 4 · Multiply and add: out[{cell}]")
    assert body[1].startswith("│ The highlighted window is multiplied by the kernel")
    assert any(line.startswith(f"│ {arithmetic} ") for line in body)
    assert any("rows left out to fit the terminal" in line for line in body)
    # the rows kept are the window's (input) and the current cell's (feature map)
    assert sum(re.match(rf"│ │ +{rows_shown} │", line) is not None for line in body) == 2
    assert body[-1].startswith("╰─")
    assert cell_step[20].startswith("step 3/4")
    # the whole step, grids and all, is what stays printed afterwards
    final = after_play(term.text)
    assert "│ 11 │" in final
    assert arithmetic in final


def test_a_step_taller_than_the_terminal_even_without_grids_scrolls() -> None:
    term = Terminal("explain", "--animate", "--step", "3", rows=5)
    term.expect("step 1/1 · ←/→ move · q quit · ↑/↓ scroll")
    term.send(b"j")  # one line down: the title goes, the arithmetic and the border show
    term.expect("step 1/1")
    term.send(b"q")
    assert term.finish() == 0
    first, scrolled = screens(term.text)
    assert first[1].startswith("╭─ Step 3 of 7")
    assert first[4].startswith("│ out[0,0] = 1×0 + 2×1 + 0×(−1)")
    assert scrolled[1].startswith("│ The highlighted window is multiplied")
    assert scrolled[3].startswith("│ out[0,0] = 1×0 + 2×1 + 0×(−1)")
    assert scrolled[4].startswith("╰─")


def test_a_resized_terminal_is_drawn_again_at_its_new_size() -> None:
    kernel = "1 0 1; 0 1 0; 1 0 1"
    term = Terminal("explain", "-i", TALL, "-k", kernel, "--animate", rows=20)
    term.expect("step 1/")
    term.send(RIGHT + RIGHT)
    term.expect("step 3/")
    winsize = struct.pack("HHHH", 40, 100, 0, 0)
    fcntl.ioctl(term.secondary, termios.TIOCSWINSZ, winsize)
    term.expect("step 3/")  # drawn again, the footer on the new last row
    term.send(b"q")
    assert term.finish() == 0
    last = screens(term.text)[-1]
    assert last[40].startswith("step 3/")
    assert not any("rows left out" in line for line in last.values())  # 40 rows: all of it


# a shell's job control, in short: the play in its own foreground process group; when it
# stops, report the terminal's modes, then "fg" it
JOB_CONTROL = """
import os, signal, subprocess, sys, termios

def foreground():
    signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    os.setpgrp()
    os.tcsetpgrp(0, os.getpgrp())
    signal.signal(signal.SIGTTOU, signal.SIG_DFL)

signal.signal(signal.SIGTTOU, signal.SIG_IGN)
play = subprocess.Popen([sys.executable, "-m", "convcli", "explain", "--animate"],
                        preexec_fn=foreground)
_, status = os.waitpid(play.pid, os.WUNTRACED)
os.tcsetpgrp(0, os.getpgrp())
lflag = termios.tcgetattr(0)[3]
print("stopped:", os.WIFSTOPPED(status), "echo:", bool(lflag & termios.ECHO),
      "icanon:", bool(lflag & termios.ICANON), flush=True)
os.tcsetpgrp(0, play.pid)
os.killpg(play.pid, signal.SIGCONT)
print("code:", play.wait(), flush=True)
"""


def test_ctrl_z_gives_the_terminal_back_and_fg_redraws() -> None:
    term = Terminal(program=[sys.executable, "-c", JOB_CONTROL])
    term.expect("step 1/7")
    term.send(RIGHT)
    term.expect("step 2/7")
    term.send(b"\x1a")  # the terminal turns it into SIGTSTP
    term.expect("stopped: True echo: True icanon: True")
    term.expect("step 2/7")  # fg: drawn again
    term.send(b"q")
    term.expect("code: 0")
    assert term.finish() == 0
    assert "Traceback" not in term.text


def test_with_a_delay_the_steps_also_move_by_themselves() -> None:
    term = Terminal("explain", "--animate", "--delay", "0.05")
    assert term.finish() == 0
    shown = [int(m) for m in re.findall(r"step (\d+)/7", " ".join(footers(term.text)))]
    assert shown == [1, 2, 3, 4, 5, 6, 7]
    assert after_play(term.text).count("Step 7 of 7") == 1


def test_without_a_terminal_stdin_the_steps_move_on_a_timer() -> None:
    term = Terminal("explain", "--animate", "--delay", "0.05", stdin_tty=False)
    assert term.finish() == 0
    titles = [v for s in screens(term.text) for v in s.values() if v.startswith("╭─ Step")]
    assert [re.search(r"Step (\d)", t).group(1) for t in titles] == list("1234567")  # type: ignore[union-attr]
    assert "←/→" not in term.text  # no keys to offer


def test_a_dumb_terminal_gets_the_steps_printed_one_after_another() -> None:
    term = Terminal("explain", "--animate", term="dumb")
    assert term.finish() == 0
    assert ENTER_ALT not in term.text
    assert re.findall(r"Step (\d) of 7", term.text) == list("1234567")


# --- the keys ---------------------------------------------------------------------------------


def test_key_bytes_split_into_keys() -> None:
    data = b"\x1b[C \x1b[1~5\r\x1bOD\x1bq"
    assert split_keys(data) == [b"\x1b[C", b" ", b"\x1b[1~", b"5", b"\r", b"\x1bOD", b"\x1b", b"q"]
    assert unfinished(b"\x1b")
    assert unfinished(b"x\x1b[1")
    assert unfinished(b"\x1bO")
    assert not unfinished(b"\x1b[C")
    assert not unfinished(b"abc")


@pytest.mark.parametrize(
    ("keys", "index", "digits"),
    [
        ([RIGHT, RIGHT, LEFT], 1, ""),
        ([LEFT], 0, ""),  # nothing before the first step
        ([b"1", b"2"], 0, "12"),
        ([b"1", b"2", b"\x7f"], 0, "1"),  # Backspace takes back a digit first
        ([b"3", b"\r"], 2, ""),
        ([b"0", b"\r"], 0, ""),  # step 0 is the first
        ([b"3", b"\x1b"], 0, ""),  # Esc forgets the number, and stays
        ([b"x", b"\x1b[A"], 0, ""),  # unknown keys, scrolling a step that fits
    ],
)
def test_keys_move_the_state(keys: list[bytes], index: int, digits: str) -> None:
    state: State | None = State(0, 7)
    for key in keys:
        assert state is not None
        state = press(state, key)
    assert state is not None
    assert (state.index, state.digits) == (index, digits)


@pytest.mark.parametrize("key", [b"q", b"Q", b"\x1b"])
def test_quit_keys(key: bytes) -> None:
    assert press(State(3, 7), key) is None


def test_the_scroll_never_goes_above_the_top() -> None:
    state = press(State(0, 7, offset=1), b"k")
    assert state is not None
    assert state.offset == 0
    down = press(State(0, 7), b"j")
    assert down is not None
    assert down.offset == 1
