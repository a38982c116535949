"""Measurements of the running service (not tests): ``python -m parser_service.bench.<name>``."""
