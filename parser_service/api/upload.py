"""Reading a multipart upload as it arrives, with the size limit enforced on the way.

FastAPI's ``UploadFile`` parameters read the whole body before the route runs, so
an oversized upload would be received in full before anyone could refuse it. Here
the body is fed chunk by chunk to python-multipart's streaming parser; the file
part goes to a spooled temporary file (memory up to ``SPOOL_MEMORY``, disk
beyond), and the moment it passes the limit the request is answered 413 with
``Connection: close``, so the rest of the body is never read and the client stops
sending it.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath, PureWindowsPath
from typing import BinaryIO, cast

from fastapi import HTTPException, Request, status
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

FILE_FIELD = "file"
#: Bytes of an upload kept in memory before the spool moves to disk.
SPOOL_MEMORY = 1 << 20
#: Room for the multipart envelope and the small form fields, on top of the file limit.
ENVELOPE_BYTES = 64 << 10
MAX_FIELD_BYTES = 1024
#: Form fields allowed more than ``MAX_FIELD_BYTES``: a JSON Schema sent with the upload.
LONG_FIELDS = {"schema_json": 32 << 10}
MAX_FIELDS = 8
MAX_FILENAME = 255


@dataclass
class Upload:
    """The file part (spooled, rewound) and the small text fields of one upload."""

    file: BinaryIO | None = None
    filename: str = "upload"
    size: int = 0
    fields: dict[str, str] = field(default_factory=dict)

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


def too_large(max_bytes: int) -> HTTPException:
    limit = f"{max_bytes / (1 << 20):.4g} MB"
    return HTTPException(
        status.HTTP_413_CONTENT_TOO_LARGE,
        f"the file is larger than the upload limit of {limit} (PARSER_SERVICE_MAX_UPLOAD_MB); nothing was stored",
        headers={"Connection": "close"},  # the rest of the body is not wanted: the server hangs up
    )


def bad_request(message: str) -> HTTPException:
    return HTTPException(status.HTTP_400_BAD_REQUEST, message)


class _Reader:
    """python-multipart callbacks that collect one file part and a few small fields."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.upload = Upload()
        self._header_name = b""
        self._header_value = b""
        self._disposition = b""
        self._name = ""
        self._is_file = False
        self._value = bytearray()
        self.ended = False  # the closing boundary was read

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self.on_part_begin,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
            "on_end": self.on_end,
        }

    def on_part_begin(self) -> None:
        self._disposition, self._name, self._is_file = b"", "", False
        self._value = bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        if self._header_name.strip().lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name, self._header_value = b"", b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        if b"name" not in options:
            raise bad_request("a multipart part has no name in its Content-Disposition header")
        self._name = _decode(options[b"name"])
        self._is_file = b"filename" in options or self._name == FILE_FIELD
        if self._is_file:
            self._start_file(options.get(b"filename", b""))
        elif len(self.upload.fields) >= MAX_FIELDS:
            raise bad_request(f"too many form fields (at most {MAX_FIELDS})")

    def _start_file(self, raw_name: bytes) -> None:
        if self._name != FILE_FIELD:
            raise bad_request(f"the file must be sent in the form field {FILE_FIELD!r}, not {self._name!r}")
        if self.upload.file is not None:
            raise bad_request("send one file per upload")
        self.upload.file = cast(BinaryIO, tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY))  # noqa: SIM115
        self.upload.filename = safe_filename(_decode(raw_name))

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if not self._is_file:
            self._value += data[start:end]
            limit = LONG_FIELDS.get(self._name, MAX_FIELD_BYTES)
            if len(self._value) > limit:
                raise bad_request(f"the form field {self._name!r} is longer than {limit} bytes")
            return
        assert self.upload.file is not None
        self.upload.size += end - start
        if self.upload.size > self.max_bytes:
            raise too_large(self.max_bytes)
        self.upload.file.write(data[start:end])

    def on_part_end(self) -> None:
        if not self._is_file:
            self.upload.fields[self._name] = _decode(bytes(self._value))

    def on_end(self) -> None:
        self.ended = True


async def read_upload(request: Request, max_bytes: int) -> Upload:
    """The upload in ``request``; 413 past ``max_bytes``, 400 for a malformed body, 415 if not multipart."""
    boundary = _boundary(request)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes + ENVELOPE_BYTES:
        raise too_large(max_bytes)
    reader = _Reader(max_bytes)
    parser = MultipartParser(boundary, reader.callbacks())  # type: ignore[arg-type]
    try:
        await _feed(parser, request.stream())
        if not reader.ended:  # python-multipart takes a body cut short as it is
            raise bad_request("the multipart body ends without its closing boundary: the upload was cut short; "
                              "nothing was stored")  # fmt: skip
    except BaseException:
        reader.upload.close()
        raise
    if reader.upload.file is None:
        raise bad_request(f"no file: send the document as the multipart form field {FILE_FIELD!r}")
    reader.upload.file.seek(0)
    return reader.upload


async def _feed(parser: MultipartParser, chunks: AsyncIterator[bytes]) -> None:
    try:
        async for chunk in chunks:
            parser.write(chunk)
        parser.finalize()
    except FormParserError as exc:
        raise bad_request(f"malformed multipart body: {exc}") from exc


def _boundary(request: Request) -> bytes:
    content_type, options = parse_options_header(request.headers.get("content-type"))
    if content_type != b"multipart/form-data":
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            f"send the document as multipart/form-data with the file in the field {FILE_FIELD!r}",
        )
    boundary = options.get(b"boundary")
    if not boundary:
        raise bad_request("the multipart Content-Type has no boundary")
    return boundary


def safe_filename(name: str) -> str:
    """The last component of a client's file name (browsers may send a whole path)."""
    name = PureWindowsPath(PurePosixPath(name).name).name.strip().replace("\x00", "")
    return name[:MAX_FILENAME] or "upload"


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")
