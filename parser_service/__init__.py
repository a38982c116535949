"""parser-service: documents in, schema-valid records out, with a small local model."""

__version__ = "0.1.0"
