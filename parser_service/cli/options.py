"""Options more than one command takes, defined once."""

from __future__ import annotations

import argparse


def add_domain_option(parser: argparse.ArgumentParser, help: str, *, required: bool = False) -> None:
    """``--domain NAME``: the kind of document to extract (``parser-service plugins`` lists the
    installed ones). ``--plugin`` is its old name, still accepted so that scripts keep working."""
    parser.add_argument("--domain", "--plugin", dest="domain", metavar="NAME", required=required, help=help)
