"""The console script's entry (convcli.__main__.run): a Ctrl-C that lands while the
command line is still being imported ends with 130 and no traceback."""

from __future__ import annotations

import builtins
import sys
from typing import Any

import pytest

from convcli import __main__ as entry


def test_ctrl_c_during_the_import_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def interrupted(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "convcli.cli.base":
            raise KeyboardInterrupt
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "convcli.cli.base", raising=False)
    monkeypatch.setattr(builtins, "__import__", interrupted)
    with pytest.raises(SystemExit) as stopped:
        entry.run()
    assert stopped.value.code == 130


def test_the_console_script_is_the_entry() -> None:
    from importlib.metadata import entry_points

    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "convcli"]
    assert script.value == "convcli.__main__:run"
