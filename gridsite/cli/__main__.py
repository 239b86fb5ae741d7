"""``python -m gridsite.cli …`` runs the command-line interface (as ``python -m gridsite`` does)."""

from gridsite.cli import main

main()
