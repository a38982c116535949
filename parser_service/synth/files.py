"""Writing synthetic files so that the same seed gives the same bytes.

Office files are zip archives stamped with the time they were saved (in each zip
entry and in ``docProps/core.xml``); ``freeze_zip`` rewrites those stamps to a
fixed moment. PDFs from reportlab are stable with ``invariant=1``. CSVs are
written with an explicit encoding and line ending.
"""

from __future__ import annotations

import os
import re
import tempfile
import zipfile
from pathlib import Path

#: The moment every synthetic office file claims to have been saved at.
FIXED_TIME = (2024, 1, 1, 0, 0, 0)
_STAMP = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def freeze_zip(path: Path) -> None:
    """Rewrite the zip at ``path`` with fixed entry times and fixed document dates."""
    path = Path(path)
    with zipfile.ZipFile(path) as source:
        entries = [(info, source.read(info.filename)) for info in source.infolist()]
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w") as target:
            for info, data in entries:
                if info.filename == "docProps/core.xml":
                    data = _STAMP.sub(rb"\g<1>2024-01-01T00:00:00Z\g<2>", data)
                frozen = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
                frozen.compress_type = zipfile.ZIP_DEFLATED
                frozen.external_attr = info.external_attr
                target.writestr(frozen, data)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def write_text_file(path: Path, text: str, encoding: str, newline: str = "\n") -> None:
    """``text`` (lines joined by "\\n") written with ``encoding`` and ``newline``; "utf-8-sig" adds a BOM."""
    data = text.replace("\n", newline).encode(encoding)
    Path(path).write_bytes(data)
