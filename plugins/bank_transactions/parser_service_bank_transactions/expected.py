"""Readers for the expected outputs shipped with the examples.

* ``read_ofx``: the ``STMTTRN`` entries of an OFX file (SGML or XML style; closing
  tags optional): DTPOSTED -> ``date``, TRNAMT -> ``amount``, NAME -> ``payee``,
  MEMO -> ``memo``, plus ``type`` (TRNTYPE) and ``id`` (FITID).
* ``read_qif``: the transactions of a QIF file: D -> ``date`` (month first:
  MM/DD/YYYY, M/D'YY), T (or U) -> ``amount``, P -> ``payee``, M -> ``memo``,
  N -> ``number``, L -> ``category``, with the ``account`` of the preceding
  ``!Account`` block and the split lines (S/E/$) in ``splits``.
* ``read_mapping_ini``: a bank2ynab ``*.mapping.ini`` (one bank's config section).
* ``read_expected``: by file name.

Every transaction dict has the keys ``date`` (a ``datetime.date``), ``amount``
(float), ``payee`` and ``memo`` (str or None), the schema's field names.
"""

from __future__ import annotations

import configparser
import datetime
import html
import re
from pathlib import Path
from typing import Any

_STMTTRN = re.compile(r"<STMTTRN>(.*?)(?:</STMTTRN>|(?=<STMTTRN>)|(?=</BANKTRANLIST>)|\Z)", re.DOTALL | re.IGNORECASE)
_TAG = re.compile(r"<([A-Za-z0-9.]+)>([^<\r\n]*)")


def read_ofx(path: Path | str) -> list[dict[str, Any]]:
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    out = []
    for block in _STMTTRN.findall(text):
        tags = {name.upper(): html.unescape(value.strip()) for name, value in _TAG.findall(block)}
        out.append(
            {
                "date": ofx_date(tags["DTPOSTED"]) if tags.get("DTPOSTED") else None,
                "amount": float(tags["TRNAMT"].replace(",", ".")) if tags.get("TRNAMT") else None,
                "payee": tags.get("NAME") or None,
                "memo": tags.get("MEMO") or None,
                "type": tags.get("TRNTYPE") or None,
                "id": tags.get("FITID") or None,
            }
        )
    return out


def ofx_date(value: str) -> datetime.date:
    """"20210503123146[-5:EST]" -> 2021-05-03."""
    digits = re.match(r"\d{8}", value.strip())
    if digits is None:
        raise ValueError(f"not an OFX date: {value!r}")
    return datetime.datetime.strptime(digits[0], "%Y%m%d").date()


_QIF_DATE = re.compile(r"^\s*(\d{1,2})[/\-.](\d{1,2})(?:[/\-.']|'\s*)(\d{2}|\d{4})\s*$")


def qif_date(value: str) -> datetime.date:
    """QIF dates are month first: "02/08/2015", "2/8'15", "2/8/15"."""
    m = _QIF_DATE.match(value.replace("' ", "'"))
    if m is None:
        raise ValueError(f"not a QIF date: {value!r}")
    year = int(m[3])
    if len(m[3]) == 2:
        year += 2000 if year < 70 else 1900
    return datetime.date(year, int(m[1]), int(m[2]))


def _qif_amount(value: str) -> float:
    return float(value.replace(",", "").strip())


def read_qif(path: Path | str) -> list[dict[str, Any]]:
    lines = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
    out: list[dict[str, Any]] = []
    account: str | None = None
    in_account = False
    entry: dict[str, Any] = {}
    for raw in lines:
        line = raw.rstrip("\r")
        if not line.strip():
            continue
        if line.startswith("!"):
            in_account = line.strip().lower() == "!account"
            continue
        code, value = line[0], line[1:].strip()
        if in_account:
            if code == "N":
                account = value
            elif code == "^":
                in_account = False
            continue
        if code == "^":
            if entry:
                out.append(_qif_entry(entry, account))
            entry = {}
        elif code == "S":
            entry.setdefault("splits", []).append({"category": value, "memo": None, "amount": None})
        elif code == "E" and entry.get("splits"):
            entry["splits"][-1]["memo"] = value or None
        elif code == "$" and entry.get("splits"):
            entry["splits"][-1]["amount"] = _qif_amount(value)
        else:
            entry.setdefault(code, value)
    if entry:
        out.append(_qif_entry(entry, account))
    return out


def _qif_entry(entry: dict[str, Any], account: str | None) -> dict[str, Any]:
    amount = entry.get("T") or entry.get("U")
    return {
        "date": qif_date(entry["D"]) if entry.get("D") else None,
        "amount": _qif_amount(amount) if amount else None,
        "payee": entry.get("P") or None,
        "memo": entry.get("M") or None,
        "number": entry.get("N") or None,
        "category": entry.get("L") or None,
        "account": account,
        "splits": entry.get("splits", []),
    }


def read_mapping_ini(path: Path | str) -> dict[str, Any]:
    """A bank2ynab section: ``input_columns`` (role per column position, "skip" for
    none), ``date_format`` (a strptime format, or None where the bank's is unknown),
    ``delimiter``, ``header_rows`` and the section ``name``."""
    parser = configparser.ConfigParser(interpolation=None, comment_prefixes=("#", ";"))
    parser.optionxform = str  # type: ignore[assignment]
    parser.read_string(Path(path).read_text(encoding="utf-8", errors="replace"))
    name = parser.sections()[0]
    section = parser[name]
    columns = [c.strip() for c in section.get("Input Columns", "").split(",")]
    header_rows = section.get("Header Rows")
    return {
        "name": name,
        "input_columns": columns,
        "date_format": section.get("Date Format") or None,
        "delimiter": section.get("Source CSV Delimiter") or None,
        "header_rows": int(header_rows) if header_rows else None,
    }


def read_expected(path: Path | str) -> Any:
    """Transactions (OFX/QIF) or a column mapping (bank2ynab ini), by file name."""
    name = str(path).lower()
    if name.endswith(".ofx"):
        return read_ofx(path)
    if name.endswith(".qif"):
        return read_qif(path)
    if name.endswith(".mapping.ini"):
        return read_mapping_ini(path)
    raise ValueError(f"unknown expected-output format: {path}")
