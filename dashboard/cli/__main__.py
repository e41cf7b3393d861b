"""`python -m dashboard.cli`: the same as the `gridboard` console script."""

from dashboard.cli.group import main

main()
