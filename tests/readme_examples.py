"""The README's console examples: parse them, run them, and (``--update``) rewrite their output.

A block is a fenced ``console`` block of ``$ command`` lines, each followed by the
output it prints. A last output line of ``...`` means "the output starts like this".
Commands run with bash from the repository root, colour off, 100 columns, with this
Python's ``bin`` folder first on PATH (so ``convcli`` is the one under test).

    python -m tests.readme_examples --update   # rewrite README.md's outputs
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BLOCK = re.compile(r"```console\n(.*?)```", re.DOTALL)


@dataclass
class Example:
    command: str
    expected: list[str]

    @property
    def prefix_only(self) -> bool:
        return bool(self.expected) and self.expected[-1] == "..."


def parse(text: str) -> list[Example]:
    examples: list[Example] = []
    for block in BLOCK.findall(text):
        for line in block.splitlines():
            if line.startswith("$ "):
                examples.append(Example(line[2:], []))
            elif examples:
                examples[-1].expected.append(line)
    return examples


def run(command: str) -> str:
    env = {
        **os.environ,
        "NO_COLOR": "1",
        "COLUMNS": "100",
        "TERM": "dumb",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    env.pop("FORCE_COLOR", None)
    proc = subprocess.run(
        ["bash", "-c", command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    return proc.stdout


def matches(example: Example, output: str) -> bool:
    lines = [line.rstrip() for line in output.rstrip("\n").splitlines()]
    if example.prefix_only:
        head = example.expected[:-1]
        return lines[: len(head)] == head
    return lines == example.expected


def update() -> None:
    """Rewrite each example's output with what the command prints now (keeps ``...`` cuts)."""
    text = README.read_text(encoding="utf-8")

    def fill(block: re.Match[str]) -> str:
        out: list[str] = []
        for example in parse(f"```console\n{block.group(1)}```"):
            lines = [line.rstrip() for line in run(example.command).rstrip("\n").splitlines()]
            if example.prefix_only:
                lines = [*lines[: len(example.expected) - 1], "..."]
            out += [f"$ {example.command}", *lines]
        return "```console\n" + "\n".join(out) + "\n```"

    README.write_text(BLOCK.sub(fill, text), encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:] == ["--update"]:
        update()
    else:
        print(__doc__)
