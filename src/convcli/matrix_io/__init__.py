r"""Read matrices from standard input, files and inline text; write csv, json, markdown, latex.

>>> parse_text("1 2 0; −1 3/4 2", label="--input (inline)", inline=True).tolist()
[[1, 2, 0], [-1, Fraction(3, 4), 2]]
>>> parse_text("1,2\n3", label="--input 'm.csv'", inline=False)
Traceback (most recent call last):
...
convcli.errors.ParseError: --input 'm.csv': line 2, column 2: row 2 has 1 value, row 1 has 2
>>> print(format_csv(parse_json('[[1, "1/2"], [2.5, -3]]', label="--kernel (inline)")), end="")
1.0,0.5
2.5,-3.0

Where a matrix comes from (``load_matrix``), in this order:

- ``-`` is standard input. A terminal is refused at once (never a silent wait).
- An existing path is a file; a directory or an unreadable file is an error.
- With ``--kernel``, a preset name (``sobel-x``, ``box-5``, ``gaussian:7,1.5``). A file of
  the same name wins; ``notes`` (when given) then receives a note saying so.
- Anything else is inline text: a JSON literal when it starts with ``[`` or ``{``, else rows
  separated by ``;`` or newlines, cells by spaces and/or one comma, channels by ``|``.
  When inline text cannot be read and it looks like a path (``x.csv``, ``data/img``), the
  error is ``no such file``; a plain word is ``neither a file nor a matrix``.

Policies (each one is tested in ``tests/test_matrix_io.py``):

- Files ``.json`` are JSON, ``.npy`` (or any bytes starting with the npy magic) are numpy
  arrays, ``.csv``/``.tsv``/``.txt`` are text; standard input and files with any other
  extension are sniffed: npy magic, then JSON when the first non-blank character is ``[`` or
  ``{``, else text.
- Size limit: at most 256 MiB are read from a file or standard input; set
  ``CONVCLI_MAX_INPUT_BYTES`` (a whole number of bytes) to change it. A larger input is
  refused before it is parsed (a regular file before it is read).
- Encoding: UTF-8, with or without a BOM. UTF-16/UTF-32 (a BOM, or every other byte NUL) is
  refused with advice to convert it to UTF-8; a NUL byte or an invalid UTF-8 byte is an error
  naming its line and column. CRLF, LF and a lone CR all end a line.
- ``#`` starts a comment up to the end of the line, in files and inline text.
- Cells in a file: the delimiter is sniffed once per source, comments aside: ``,`` if any
  line has a comma, else tab if a tab stands between two values on some line, else ``;``,
  else runs of spaces and tabs. Spaces and tabs around a delimited cell are ignored.
- An empty field (``1,,2``, a leading ``,``) is an error naming its column; so is a trailing
  delimiter (``1,2,``: "empty field after the last ','"). Runs of spaces are one separator.
- Inline rows: empty rows (``;;``, a trailing ``;``, blank lines) are skipped.
- A file or standard input may be written in the inline syntax: it is read so when a ``|``
  stands beside values on a line, or a ``;`` part holds two values with blanks between
  them (``1 2; 3 4``). Blank lines still separate channels there. Otherwise ``;`` between
  single values is a cell delimiter (a semicolon CSV), and ``1,5;2,5`` stays an error.
- Channels: in a file, blank lines (only spaces or tabs) between rows separate channels;
  several blank lines are one separator; leading and trailing blank lines are ignored. A line
  holding only a comment is not blank. A line holding only ``|`` also separates channels.
  Inline, ``|`` separates channels and an empty channel is an error.
- Every row of a channel has the same number of values (else "row 3 has 2 values, row 1 has
  3") and every channel the same shape; a text without any number is an error
  ("no numbers in …").
- Numbers are ASCII: integers (exact, any size up to 4300 digits), decimals and scientific
  notation (float64), fractions ``a/b`` (exact), and a Unicode minus ``−``. Full-width or
  other non-ASCII digits are refused, never normalised; full-width punctuation (``，``,
  ``；``, ``－``, …) and the ideographic space, outside comments, are errors naming the
  character, its code point and the ASCII one to use. ``1e400`` (out of range) and
  ``1e-400`` (would round to 0) are errors. ``nan``, ``inf`` and ``Infinity`` (and JSON
  ``NaN``/``Infinity``) are errors unless ``--allow-nan``. A huge integer in a matrix that
  also holds floats is an error (it has no float64 value). One float makes the whole matrix
  float64; the integer ``-0`` is 0 (``0.0`` there), while ``-0.0`` stays ``-0.0``.
- JSON: a nested list of numbers, 1-D to 5-D, whose layout the chosen ``--dims`` gives
  (SPEC §7; ``fit_layout``): in 2-D a vector is one row, 3-D ``[C][H][W]``, 4-D
  ``[O][C][kh][kw]`` for kernels only, or an object whose ``"data"`` is one. JSON integers
  are exact, JSON decimals float64; a string is a number when it reads as one (``"3/16"``,
  ``"−1"``), so convcli's own JSON reads back. ``true``, ``null``, other strings, objects,
  ragged lists, ``[]``, ``[[]]`` and a bare scalar are errors naming the JSON path
  (``[2][0]``); syntax errors name the line and column.
- ``.npy``: integer and float dtypes (any width; uint64 above int64 stays exact), 0-D to 5-D;
  a 0-D array is a 1×1 matrix and a 1-D array a vector. bool, complex, string, structured,
  datetime and pickled object arrays are refused; NaN or infinity unless ``--allow-nan``.
- Vectors: inline text on one line (no ``;``, no newline), a flat JSON list and a 1-D
  ``.npy`` stay 1-D (``load_array``), and an input of vectors infers ``--dims 1``
  (``infer_dims``); the 2-D commands read a vector as one row.
- In 2-D a 4-D matrix is a stack of kernels: accepted for ``--kernel``, refused for
  ``--input``; ``--dims 3`` takes 3-D and 4-D inputs and 3-D to 5-D kernels.
- Several sources (``load_stack``): ``-`` at most once. Inputs are stacked as channels (a 3-D
  source adds all of its channels), kernels as output kernels (a 4-D source adds all of its
  kernels); shapes must match and the kinds are unified (int < fraction < float).

Writers (pure, deterministic, no colour): csv writes ints plainly, fractions ``a/b`` and floats
with ``repr``, channels (and the matrices of a 4-D array, in order) one blank line apart, and
reads back to the identical array (a 3-D array of one channel reads back 2-D); json
writes one object on one line in ASCII (other characters escaped), keys in insertion order,
integral fractions as ints and others as ``"a/b"``, non-finite floats as the strings
``"NaN"``, ``"Infinity"`` and ``"-Infinity"`` (JSON has no such numbers; they read back
with ``--allow-nan``); markdown writes one GitHub table per channel with
0-based row and column indices; latex writes one ``bmatrix`` per channel, fractions as
``\frac{a}{b}``, NaN as ``\mathrm{NaN}`` and infinities as ``\infty``. 3-D arrays are
titled ``channel k`` and 4-D ones ``kernel o, channel c`` (0-based), in markdown and latex.

Speed: files and standard input in clean ASCII (one delimiter, integers or decimals) are
checked and converted in bulk by numpy; anything else, and every error, goes through the exact
tokenizer, which gives the identical array (a property test holds them to it).
"""

from __future__ import annotations

from convcli.matrix_io.common import DEFAULT_MAX_INPUT_BYTES, MAX_INPUT_ENV, MAX_TOKEN_CHARS
from convcli.matrix_io.json_npy import parse_json
from convcli.matrix_io.sources import (
    decode_text,
    fit_layout,
    infer_dims,
    load_array,
    load_arrays,
    load_matrix,
    load_stack,
    max_input_bytes,
    stack_arrays,
)
from convcli.matrix_io.text import parse_text
from convcli.matrix_io.writers import format_csv, format_json, format_latex, format_markdown

__all__ = [
    "DEFAULT_MAX_INPUT_BYTES",
    "MAX_INPUT_ENV",
    "MAX_TOKEN_CHARS",
    "decode_text",
    "fit_layout",
    "format_csv",
    "format_json",
    "format_latex",
    "format_markdown",
    "infer_dims",
    "load_array",
    "load_arrays",
    "load_matrix",
    "load_stack",
    "max_input_bytes",
    "parse_json",
    "parse_text",
    "stack_arrays",
]
