"""``python -m convcli`` and the ``convcli`` console script.

The import of the command line (Typer, Click, Rich's pieces) takes tens of milliseconds;
a Ctrl-C that lands during it ends quietly with 130 like one that lands later, instead of
a traceback from whichever module was being imported.
"""

from __future__ import annotations

import sys


def run() -> None:
    try:
        from convcli.cli.base import main
    except KeyboardInterrupt:
        sys.exit(130)
    main()


if __name__ == "__main__":
    run()
