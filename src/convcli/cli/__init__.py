"""The command line: ``convcli`` (see :mod:`convcli.cli.app`)."""

from convcli.cli import commands, shape_cmd
from convcli.cli.app import app, main

__all__ = ["app", "main"]
del commands, shape_cmd  # imported for their @app.command registrations
