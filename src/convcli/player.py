"""A lesson's steps on a terminal, driven by keys and, when asked, by a timer.

The player owns the terminal while it runs: the alternate screen (so nothing of the
animation stays in the scrollback), no cursor, no line wrap, and with keys read from a
terminal stdin, no echo and no line editing (so keys typed never show in the panel nor
reach the shell afterwards). Everything is given back in a ``finally``, on ``q``, at the
end, on Ctrl-C and on an error alike; then the step on screen is printed once on the
ordinary screen, so the scrollback holds one clean frame.

Keys: → space l Enter next · ← h Backspace back · Home g first · End G last · digits then
Enter go to that step · ↑ ↓ (k j) scroll a step taller than the screen · q Esc quit.

The player knows nothing of lessons: it is given the number of steps and a function that
draws step ``i`` as lines for a width and a height (``None``: the whole step).
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import sys
import termios
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from types import FrameType
from typing import TextIO

from convcli.phrases import phrase
from convcli.typography import for_stream

Frame = Callable[[int, int, int | None], list[str]]  # step, width, height (None: whole)

TIMED_DELAY = 1.5  # seconds per step when no key can be read (stdin is no terminal)
POLL = 0.25  # seconds between looks at the terminal's size
ESC_WAIT = 0.05  # a lone Esc is a key when nothing follows it this soon

ENTER_SCREEN = "\x1b[?1049h\x1b[?25l\x1b[?7l"  # alternate screen, no cursor, no wrap
LEAVE_SCREEN = "\x1b[?7h\x1b[?1049l\x1b[?25h"

# what each key does; anything else is ignored
KEYS: dict[bytes, str] = {
    b"\x1b[C": "next", b"\x1bOC": "next", b" ": "next", b"l": "next",
    b"\r": "enter", b"\n": "enter",
    b"\x1b[D": "back", b"\x1bOD": "back", b"h": "back",
    b"\x7f": "backspace", b"\x08": "backspace",
    b"\x1b[H": "first", b"\x1bOH": "first", b"\x1b[1~": "first", b"\x1b[7~": "first",
    b"g": "first",
    b"\x1b[F": "last", b"\x1bOF": "last", b"\x1b[4~": "last", b"\x1b[8~": "last", b"G": "last",
    b"\x1b[A": "up", b"\x1bOA": "up", b"k": "up",
    b"\x1b[B": "down", b"\x1bOB": "down", b"j": "down",
    b"q": "quit", b"Q": "quit", b"\x1b": "escape",
    **{str(d).encode(): "digit" for d in range(10)},
}  # fmt: skip


def split_keys(data: bytes) -> list[bytes]:
    """The keys in ``data``: escape sequences (CSI ``ESC [ … final``, SS3 ``ESC O x``)
    whole, every other byte alone."""
    keys: list[bytes] = []
    i = 0
    while i < len(data):
        if data[i] != 0x1B or i + 1 >= len(data) or data[i + 1] not in b"[O":
            keys.append(data[i : i + 1])
            i += 1
            continue
        end = i + 2
        if data[i + 1] == ord("["):
            while end < len(data) and not 0x40 <= data[end] <= 0x7E:
                end += 1
        keys.append(data[i : end + 1])
        i = end + 1
    return keys


def unfinished(data: bytes) -> bool:
    """Whether ``data`` ends inside an escape sequence (or with an Esc that may start one)."""
    start = data.rfind(b"\x1b")
    if start < 0:
        return False
    tail = data[start:]
    if len(tail) == 1:
        return True
    if tail[1:2] == b"O":
        return len(tail) < 3
    if tail[1:2] == b"[":
        return not any(0x40 <= b <= 0x7E for b in tail[2:])
    return False


@dataclass(frozen=True)
class State:
    """Where the player is: the step (from 0), the digits typed so far, the scroll."""

    index: int
    total: int
    digits: str = ""
    offset: int = 0


def press(state: State, key: bytes) -> State | None:
    """The state after ``key``; ``None`` to stop (q, Esc, or next past the last step)."""
    action = KEYS.get(key)
    last = state.total - 1
    if action == "digit":
        return replace(state, digits=(state.digits + key.decode())[-6:])
    if state.digits:
        if action == "enter":
            wanted = min(max(int(state.digits), 1), state.total) - 1
            return State(wanted, state.total)
        if action == "backspace":
            return replace(state, digits=state.digits[:-1])
        if action == "escape":
            return replace(state, digits="")
    moves = {"next": state.index + 1, "enter": state.index + 1, "back": state.index - 1,
             "backspace": state.index - 1, "first": 0, "last": last}  # fmt: skip
    if action in moves:
        target = moves[action]
        if target > last:
            return None
        return State(max(target, 0), state.total)
    if action == "up":
        return replace(state, offset=max(state.offset - 1, 0))
    if action == "down":
        return replace(state, offset=state.offset + 1)
    if action in ("quit", "escape"):
        return None
    return state


def play(total: int, frame: Frame, *, lang: str, delay: float | None = None) -> None:
    """Show steps ``0 … total-1`` on the terminal of stdout until q, Esc or the end.

    Keys are read when stdin is a terminal; with ``delay`` (or when no key can be read,
    every :data:`TIMED_DELAY` seconds) the steps also move on by themselves and the last
    one ends the play. Ctrl-C raises :class:`KeyboardInterrupt` after the terminal is
    restored and the step on screen printed.
    """
    if total < 1:
        return
    keys_fd = sys.stdin.fileno() if sys.stdin is not None and sys.stdin.isatty() else None
    if keys_fd is None and delay is None:
        delay = TIMED_DELAY
    screen = _Screen(sys.stdout, frame, lang, keys=keys_fd is not None)
    try:
        with _quiet_keys(keys_fd, screen), screen.shown():
            _run(screen, State(0, total), keys_fd, delay)
    finally:
        screen.print_final()


def _run(screen: _Screen, state: State, keys_fd: int | None, delay: float | None) -> None:
    deadline = None if delay is None else time.monotonic() + delay
    state = screen.draw(state)
    while True:
        wait = POLL if deadline is None else min(POLL, max(deadline - time.monotonic(), 0.0))
        data = _read(keys_fd, wait)
        if data == b"":  # the terminal hung up
            return
        for key in split_keys(data or b""):
            moved = press(state, key)
            if moved is None:
                return
            if moved.index != state.index and delay is not None:
                deadline = time.monotonic() + delay  # a step chosen by hand gets its time
            state = moved
        if delay is not None and deadline is not None and time.monotonic() >= deadline:
            if state.index == state.total - 1:
                return
            state = State(state.index + 1, state.total)
            deadline = max(deadline + delay, time.monotonic())
        state = screen.draw(state)


def _read(fd: int | None, wait: float) -> bytes | None:
    """The bytes typed within ``wait`` seconds (None: nothing; b"": hung up)."""
    if fd is None:
        time.sleep(wait)
        return None
    ready, _, _ = select.select([fd], [], [], wait)
    if not ready:
        return None
    try:
        data = os.read(fd, 1024)
    except OSError:
        return b""
    while data and unfinished(data) and select.select([fd], [], [], ESC_WAIT)[0]:
        more = os.read(fd, 1024)
        if not more:
            break
        data += more
    return data


@contextmanager
def _quiet_keys(fd: int | None, screen: _Screen) -> Iterator[None]:
    """Keys one at a time and not echoed; input not yet read is dropped at the end, so
    no key typed during the play reaches the shell. Ctrl-Z gives the shell its terminal
    back, and ``fg`` takes it again."""
    if fd is None:
        yield
        return
    saved = termios.tcgetattr(fd)
    quiet = termios.tcgetattr(fd)
    quiet[3] &= ~(termios.ECHO | termios.ICANON)  # ISIG stays: Ctrl-C is still SIGINT
    quiet[6][termios.VMIN] = 1
    quiet[6][termios.VTIME] = 0

    def suspend(signum: int, frame: FrameType | None) -> None:
        screen.leave()
        termios.tcsetattr(fd, termios.TCSAFLUSH, saved)
        signal.signal(signal.SIGTSTP, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTSTP)  # stopped here until the shell's fg
        signal.signal(signal.SIGTSTP, suspend)
        termios.tcsetattr(fd, termios.TCSANOW, quiet)
        screen.enter()

    termios.tcsetattr(fd, termios.TCSANOW, quiet)
    before = signal.signal(signal.SIGTSTP, suspend)
    try:
        yield
    finally:
        signal.signal(signal.SIGTSTP, before)
        termios.tcsetattr(fd, termios.TCSAFLUSH, saved)


def _write(out: TextIO, text: str) -> None:
    out.write(for_stream(text, out.encoding))
    out.flush()


class _Screen:
    """The alternate screen: one step's lines, a footer, and what was last drawn."""

    def __init__(self, out: TextIO, frame: Frame, lang: str, *, keys: bool) -> None:
        self.out, self.frame, self.lang, self.keys = out, frame, lang, keys
        self.state: State | None = None  # the step on screen, printed at the end
        self.drawn: tuple[State, int, int] | None = None
        self.cache: dict[tuple[int, int, int], list[str]] = {}

    def enter(self) -> None:
        _write(self.out, ENTER_SCREEN)
        self.drawn = None
        if self.state is not None:
            self.draw(self.state)

    def leave(self) -> None:
        _write(self.out, LEAVE_SCREEN)

    @contextmanager
    def shown(self) -> Iterator[None]:
        self.enter()
        try:
            yield
        finally:
            with suppress(OSError):
                self.leave()

    def draw(self, state: State) -> State:
        """Show ``state`` (unless it is on screen already), its scroll kept within the
        step; the state as shown."""
        width, height = shutil.get_terminal_size()
        width, height = max(width, 20), max(height, 3)
        rows = height - 1 if self.keys else height
        key = (state.index, width, rows)
        if key not in self.cache:
            self.cache = {key: self.frame(state.index, width, rows)}
        lines = self.cache[key]
        overflow = max(len(lines) - rows, 0)
        state = replace(state, offset=min(state.offset, overflow))
        self.state = state
        if (state, width, height) == self.drawn:
            return state
        self.drawn = (state, width, height)
        shown = lines[state.offset : state.offset + rows]
        # each line placed by its row: no reliance on the terminal's newline handling
        text = "".join(f"\x1b[{i};1H{line}\x1b[0m\x1b[K" for i, line in enumerate(shown, 1))
        text += f"\x1b[{len(shown) + 1};1H\x1b[J"
        if self.keys:
            footer = self.footer(state, scrolls=overflow > 0)
            text += f"\x1b[{height};1H{footer[: width - 1]}\x1b[K"
        _write(self.out, text)
        return state

    def footer(self, state: State, *, scrolls: bool) -> str:
        parts = [phrase(self.lang, "player_keys", n=state.index + 1, total=state.total)]
        if scrolls:
            parts.append(phrase(self.lang, "player_scroll"))
        if state.digits:
            parts.append(phrase(self.lang, "player_jump", digits=state.digits))
        return " · ".join(parts)

    def print_final(self) -> None:
        """The step on screen, whole, once, on the ordinary screen."""
        if self.state is None:
            return
        width = max(shutil.get_terminal_size().columns, 20)
        _write(self.out, "".join(line + "\n" for line in self.frame(self.state.index, width, None)))
