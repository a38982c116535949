import pytest

from parser_service.parsers import builtin_parsers
from parser_service.parsers.sniff import parse_file
from parser_service.text.language import detect_language
from tests.conftest import DATA


@pytest.mark.parametrize(
    ("name", "language"),
    [("oyo.pdf", "en"), ("Facture_FR_BASICWL.pdf", "fr"), ("QualityHosting.pdf", "de"),
     ("CSV_A_20180414_112204.csv", "nl"), ("gls.csv", "de")],
)
def test_real_documents(name, language):
    assert detect_language(parse_file(DATA / name, builtin_parsers()).text) == language


def test_too_little_text_is_left_to_the_model():
    assert detect_language("12.50 EUR 2024-01-01") is None
    assert detect_language("") is None
