import pytest

from parser_service.evaluation.scoring import RowCounts, field_matches, match_rows, score_fields, score_list


def test_rules_fit_the_type():
    assert field_matches("amount", 4.11, 4.115)
    assert not field_matches("amount", 4.11, 4.2)
    assert not field_matches("amount", 4.11, None)
    assert field_matches("issuer", "Amazon Web Services", "Amazon Web Services, Inc.")
    assert field_matches("issuer", "NETPRESSE", "Netpresse")
    assert not field_matches("issuer", "OYO", "Oravel Stays")
    assert field_matches("invoice_number", "IBZY 2087", "ibzy2087")
    assert not field_matches("date", "2017-12-31", "2017-12-30")


def test_only_labelled_fields_are_scored():
    scores = score_fields({"amount": 1.0, "desc": "x"}, {"amount": 1.0}, ["amount", "currency"])
    assert scores == {"amount": True}


def test_codes_compare_without_a_number_sign_and_the_tax_as_an_amount() -> None:
    from parser_service.evaluation.scoring import field_matches

    assert field_matches("invoice_number", "#BLR_WFLD2015", "BLR_WFLD2015")
    assert not field_matches("invoice_number", "#BLR_WFLD2015", "OD3041")
    assert field_matches("amount_tax", 0, 0.0) and not field_matches("amount_tax", 14.99, 10.0)


# Lists scored by row -----------------------------------------------------------

ITEM = ["name", "qty", "price_subtotal"]
TRUTH = [
    {"name": "Design (hours)", "qty": 1, "price_subtotal": 160},
    {"name": "Ballons", "qty": 400, "price_subtotal": 316},
    {"sectionheader": "--- Food ---"},  # labels no item field: no row
    {"name": "Hot air", "qty": 800, "price_subtotal": 20},
]


def test_rows_are_matched_on_their_fields_whatever_their_order():
    got = [{"name": "Hot air", "qty": 800.0, "price_subtotal": 20.0}, {"name": "Design (hours)", "qty": 1.0, "price_subtotal": 160.0}]
    pairs = match_rows([t for t in TRUTH if "name" in t], got, ITEM)
    assert (TRUTH[0], got[1]) in pairs and (TRUTH[3], got[0]) in pairs and (TRUTH[1], None) in pairs


def test_list_precision_recall_and_f1_by_row_and_by_field():
    got = [
        {"name": "Design (hours)", "qty": 1.0, "price_subtotal": 160.0},
        {"name": "Ballons", "qty": 316.0, "price_subtotal": 316.0},  # qty wrong: not an exact row
        {"name": "Net total", "qty": None, "price_subtotal": 496.0},  # a totals row: spurious
    ]
    counts, rows = score_list(TRUTH, got, ITEM)
    assert rows == RowCounts(expected=3, extracted=3, matched=2, exact=1)
    assert rows.precision == rows.recall == pytest.approx(1 / 3)
    assert counts["qty"].correct == 1 and counts["qty"].wrong == 1 and counts["qty"].missing == 1
    assert counts["name"].spurious == 1 and counts["price_subtotal"].spurious == 1
    assert counts["price_subtotal"].correct == 2


def test_an_empty_list_scores_zero_recall_and_no_truth_no_score():
    counts, rows = score_list(TRUTH, [], ITEM)
    assert rows.recall == 0 and rows.f1 == 0 and counts["name"].missing == 3
    _, none = score_list([], [], ITEM)
    assert none.f1 is None
