"""A single amount column's sign convention: the holder's, or a card statement's
(charges positive), from the balance, the common sign and card words."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "plugins" / "bank_transactions"))

from parser_service_bank_transactions.signs import (  # noqa: E402
    AS_WRITTEN,
    CHARGES_POSITIVE,
    names_card,
    sign_convention,
)


def test_mostly_positive_amounts_with_some_negative_are_charges() -> None:
    assert sign_convention([3.5, 20.0, -100.0, 12.0], None, "") == CHARGES_POSITIVE


def test_mostly_negative_amounts_are_the_holders() -> None:
    assert sign_convention([-3.5, -20.0, 1500.0, -12.0], None, "Card #") == AS_WRITTEN


def test_all_positive_amounts_are_charges_only_on_a_card() -> None:
    assert sign_convention([3.5, 20.0, 12.0], None, "Date Amount Description") == AS_WRITTEN
    assert sign_convention([3.5, 20.0, 12.0], None, "Kreditkarte Abrechnung") == CHARGES_POSITIVE
    assert sign_convention([3.5, 20.0, 12.0], None, "卡号: 1234") == CHARGES_POSITIVE


def test_a_running_balance_decides_before_the_common_sign() -> None:
    # mostly positive, but the balance moves with the amounts: a savings account's deposits
    assert sign_convention([100.0, 50.0, -20.0], [1100.0, 1150.0, 1130.0], "") == AS_WRITTEN
    # the balance moves against them: the holder's balance, the issuer's amounts
    assert sign_convention([-3.0, -20.0, 100.0], [997.0, 1017.0, 917.0], "") == CHARGES_POSITIVE


def test_card_words_are_whole_words_or_in_scripts_without_spaces() -> None:
    assert names_card("Card #") and names_card("カード番号") and names_card("信用卡账单")
    assert not names_card("Cardiff branch") and not names_card("Date Amount")


def test_no_amounts_read_as_written() -> None:
    assert sign_convention([None, 0.0], None, "card") == AS_WRITTEN


def test_a_journals_legs_half_positive_are_no_card() -> None:
    assert sign_convention([36000.0, 113000.0, -36000.0, -113000.0, 30000.0, -15000.0, 15000.0], None, "") == AS_WRITTEN
