"""``python -m convcli`` and the ``convcli`` console script.

The import of the command line (Typer, Click, Rich's pieces) takes tens of milliseconds;
a Ctrl-C that lands during it ends quietly with 130 like one that lands later, instead of
a traceback from whichever module was being imported.
"""

from __future__ import annotations

import gc
import sys


def run() -> None:
    # Start-up creates some fifty thousand objects that live as long as the process
    # (numpy's, Typer's, ours); the garbage collector would walk them about sixty times
    # while they load, some 10 ms of a 200 ms start, and find nothing to free. It is paused
    # until the command begins its work (convcli.cli.output.resume_collection).
    paused = gc.isenabled()
    gc.disable()
    try:
        try:
            from convcli.cli.base import main
        except KeyboardInterrupt:
            sys.exit(130)
        main()
    finally:
        if paused:
            gc.enable()


if __name__ == "__main__":
    run()
