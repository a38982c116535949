"""The command line, ``parser-service``: ``entry`` holds the argument parser, ``main`` and
``extract``/``eval``; the service, adapter, training, model and bench commands live in
modules of their own."""

from parser_service.cli.entry import main

__all__ = ["main"]
