"""``python -m gridsite.cli …`` runs the command-line interface (as ``python -m gridsite``)."""

from gridsite.cli.app import main

main()
