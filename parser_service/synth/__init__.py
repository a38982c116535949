"""Shared parts of the plugins' synthetic-document generators.

A plugin's ``Domain.synthesize(rng, folder, count)`` renders ``count`` real files
(PDF, CSV, XLSX) into ``folder`` and returns them as ``SyntheticDoc`` objects with
their ground truth; ``parser-service adapters synth`` calls it and writes each
truth beside its document, and ``parser-service adapters dataset`` turns the pairs
into training examples. What every generator needs lives here: the languages'
vocabularies (``languages``), how values are written (``formats``), and the
parties and codes around them (``noise``). Plugins reach these through
``parser_service.plugin_api``.
"""

from parser_service.synth.document import TRUTH_SUFFIX, SyntheticDoc, TruthRecord, find_truths, read_truth
from parser_service.synth.formats import (
    DATE_STYLES,
    MONTH_FIRST,
    NUMBER_STYLES,
    PLACEMENTS,
    Money,
    decimal_mark,
    format_date,
    format_money,
    format_number,
    format_quantity,
)
from parser_service.synth.languages import LANGUAGES, VARIANTS, Language
from parser_service.synth.noise import Party, chance, company, party, person, pick, reference

__all__ = [
    "DATE_STYLES",
    "LANGUAGES",
    "MONTH_FIRST",
    "NUMBER_STYLES",
    "PLACEMENTS",
    "TRUTH_SUFFIX",
    "VARIANTS",
    "Language",
    "Money",
    "Party",
    "SyntheticDoc",
    "TruthRecord",
    "chance",
    "company",
    "decimal_mark",
    "find_truths",
    "format_date",
    "format_money",
    "format_number",
    "format_quantity",
    "party",
    "person",
    "pick",
    "read_truth",
    "reference",
]
