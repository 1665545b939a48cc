"""``python -m saidao``: the same command as the ``saidao`` entry point."""

from saidao.cli import main

main()
