from parser_service.evaluation.scoring import field_matches, score_fields


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
