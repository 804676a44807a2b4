"""The README stays true: its examples print what it shows, it names every command and
option, and its Quickstart test command is the one CI runs."""

from __future__ import annotations

import re

import pytest

from convcli.cli import app
from tests.readme_examples import README, ROOT, Example, matches, parse, run

TEXT = README.read_text(encoding="utf-8")
EXAMPLES = parse(TEXT)


def test_the_readme_has_examples() -> None:
    assert len(EXAMPLES) > 30


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.command[:60] for e in EXAMPLES])
def test_example_prints_what_the_readme_shows(example: Example) -> None:
    output = run(example.command)
    assert matches(example, output), f"{example.command}\n--- got ---\n{output}"


def _options() -> list[tuple[str, str]]:
    from typer.main import get_command

    group = get_command(app)
    pairs = []
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        for param in command.params:
            for opt in [*param.opts, *param.secondary_opts]:
                if opt.startswith("--") and opt != "--help":
                    pairs.append((name, opt))
    return pairs


@pytest.mark.parametrize(("command", "option"), _options())
def test_every_command_and_option_is_in_the_readme(command: str, option: str) -> None:
    assert f"## {command}" in TEXT
    assert option in TEXT, f"{command} {option} is not documented in README.md"


def test_quickstart_has_two_commands_and_ci_runs_the_test_one() -> None:
    quickstart = TEXT.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.*?)\n```", quickstart, re.DOTALL)
    assert len(commands) == 2
    assert "samples/" in commands[0]
    assert "pytest" in commands[1]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci
