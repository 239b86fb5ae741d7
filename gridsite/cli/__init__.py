"""The ``gridsite`` command line (interfaces layer): parses options, calls the engine, prints; no modelling here."""

from gridsite.cli.app import app, main

__all__ = ["app", "main"]
