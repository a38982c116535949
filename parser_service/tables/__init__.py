"""Tables onto any schema: which column holds which field, inferred once per table from
its headers and a sample of its cells, and every row read in code with cell provenance.

``map_columns`` gives a ``TableMapping`` (per field: its columns or none, and a
confidence); ``split_rows`` and ``prefill_row`` make one record per row of it for any
domain (a request's JSON Schema, a plugin's pydantic model)."""

from parser_service.tables.fields import Target, targets_of
from parser_service.tables.mapping import FieldMapping, TableMapping, map_columns
from parser_service.tables.rows import prefill_row, split_rows, table_records

__all__ = [
    "FieldMapping",
    "TableMapping",
    "Target",
    "map_columns",
    "prefill_row",
    "split_rows",
    "table_records",
    "targets_of",
]
