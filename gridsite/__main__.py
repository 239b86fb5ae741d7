"""``python -m gridsite …`` runs the command-line interface."""

from gridsite.cli import main

main()
