"""--format svg and --format html: the table view, exported by Rich, on every command."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET

import pytest

from tests.conftest import Run

COMMANDS = [
    ("conv", "-i", "1 2 3; 4 5 6; 7 8 9", "-k", "1 0; 0 1"),
    ("transpose", "-i", "1 2; 3 4", "-k", "1 1; 1 1", "-s", "2"),
    ("dilate", "-k", "1 2; 3 4"),
    ("pool", "-i", "1 2; 3 4", "-k", "2"),
    ("kernels",),
    ("kernels", "sobel-x"),
    ("shape", "-w", "4", "-k", "3"),
    ("explain", "--step", "1"),
    ("quiz", "--seed", "1", "-n", "1"),
    ("net", "-i", "3,32,32", "conv 8 k3"),
    ("frameworks", "-w", "5", "-k", "3"),
]


def _text(page: str) -> str:
    """The text inside an HTML export's <pre>, tags dropped."""
    body = re.search(r"<code[^>]*>(.*)</code>", page, re.S)
    assert body is not None
    return html.unescape(re.sub(r"<[^>]+>", "", body.group(1)))


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_every_command_exports_svg_and_html(run: Run, args: tuple[str, ...]) -> None:
    table = run(*args, "-f", "table", env={"COLUMNS": "100"})
    assert table.exit_code == 0, table.stderr
    picture = run(*args, "-f", "svg")
    assert picture.exit_code == 0, picture.stderr
    root = ET.fromstring(picture.stdout)  # well-formed XML
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    title = f"convcli {args[0]}"
    drawn = "".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert drawn.startswith(title.replace(" ", "\xa0"))
    page = run(*args, "-f", "html")
    assert page.exit_code == 0, page.stderr
    assert page.stdout.startswith("<!DOCTYPE html>")
    shown = _text(page.stdout)
    # the words of the table view are all there (without colour the table marks cells with
    # text, so compare words, not layout)
    words = set(re.findall(r"[a-z]{4,}", table.stdout))
    assert words <= set(re.findall(r"[a-z]{4,}", shown)) | {"hint"}
    assert words


def test_html_is_the_table_text_where_no_cell_is_marked(run: Run) -> None:
    args = ("shape", "-w", "4", "-k", "3")
    table = run(*args, "-f", "table", env={"COLUMNS": "100"}).stdout
    assert _text(run(*args, "-f", "html").stdout) == table


def test_export_keeps_the_colours_of_the_window(run: Run) -> None:
    args = ("conv", "-i", "1 2 3; 4 5 6; 7 8 9", "-k", "1 0; 0 1", "--cell", "0,0")
    page = run(*args, "-f", "html").stdout
    # the window (black on yellow) and the current cell (black on green), whatever NO_COLOR
    # says: an export is a picture of a colour terminal
    assert page.count("background-color: #808000") == 4
    assert page.count("background-color: #008000") == 1
    picture = run(*args, "-f", "svg").stdout
    # Rich's SVG theme: yellow #d0b344, green #98a84b
    assert picture.count('fill="#d0b344"') == 4
    assert picture.count('fill="#98a84b"') == 1


def test_format_svg_of_one_dimensional_work(run: Run) -> None:
    result = run("conv", "-i", "1 2", "-k", "1", "-f", "svg", "--dims", "1")
    assert result.exit_code == 0
    assert result.stdout.lstrip().startswith("<svg")
