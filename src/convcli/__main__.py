"""``python -m convcli``."""

from convcli.cli import main

main()
