"""Domains and where they come from: the ``Domain`` a plugin registers (schema, splitter,
validators, adapter), the hook specifications, the built-in parsers, and the plugin
host that loads every installed plugin once (``host``)."""
