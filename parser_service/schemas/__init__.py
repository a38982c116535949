"""Target schemas given with a request: a JSON Schema compiled into the pydantic model the
pipeline extracts into (``json_schema``), and the domain that carries it (``request``)."""
