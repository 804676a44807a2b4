"""The command line: ``convcli`` (see :mod:`convcli.cli.base`).

``from convcli.cli import app`` gives the application with every command registered
(for tests); the console script, :func:`convcli.cli.base.main`, loads only the
command it runs, so that ``convcli shape`` starts fast.
"""

from __future__ import annotations

from typing import Any

__all__ = ["app", "main"]


def __getattr__(name: str) -> Any:
    import importlib

    base = importlib.import_module("convcli.cli.base")

    if name == "app":
        base.register([])
        return base.app
    if name == "main":
        return base.main
    msg = f"module 'convcli.cli' has no attribute {name!r}"
    raise AttributeError(msg)
