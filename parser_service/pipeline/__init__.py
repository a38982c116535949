"""A document's run: parsed pages in, records out. ``run`` holds the ``Pipeline``
(parse, metadata, split, extract, validate); ``metadata`` infers the type, language,
title and parties; ``extraction`` turns a record's text into the schema's fields under
a generation schema (``generation_schema``), reads the answers (``answers``) and scores
each field (``confidence``)."""
