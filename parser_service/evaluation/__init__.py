"""Measuring extraction against expected outputs: ``evaluate`` runs a folder of documents,
``scoring`` compares fields and records, ``report`` prints the table, ``chart`` draws it."""
