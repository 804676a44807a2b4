"""``python -m convcli``."""

from convcli.cli.base import main

main()
