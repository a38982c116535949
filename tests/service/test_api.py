"""The HTTP API against real databases: SQLite and PostgreSQL, through FastAPI's TestClient,
and once end to end (a uvicorn process, a real Celery worker, PostgreSQL) with the
deterministic test backend, which answers from the schema alone (no model)."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import re
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from parser_service.api import create_app
from parser_service.api.auth import MISSING, REJECTED
from parser_service.api.corrections import MAX_BODY_BYTES, MAX_VALUE_BYTES
from parser_service.bench.server import running_api
from parser_service.db import Annotation, Database, Job, StoredDocument, StoredRecord
from parser_service.db.migrate import upgrade
from parser_service.service import apikeys
from parser_service.service.jobs import Service
from parser_service.settings import Settings
from tests.conftest import BANK_EXAMPLES
from tests.service.conftest import REDIS, ROOT, settings_env, wait_for, write_bank_csv

BANK_CSV = BANK_EXAMPLES / "gls.csv"
PUBLIC_PATHS = {"/health", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
UNKNOWN_ID = "00000000-0000-0000-0000-000000000000"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"


@dataclass
class Api:
    """An app on a migrated database, a client carrying a valid key, and the ids it enqueued."""

    app: FastAPI
    client: TestClient
    key: str
    sent: list[str] = field(default_factory=list)

    @property
    def service(self) -> Service:
        return self.app.state.api.service

    @property
    def settings(self) -> Settings:
        return self.app.state.api.settings

    @property
    def db(self) -> Database:
        return self.service.db

    def anonymous(self) -> TestClient:
        return TestClient(self.app)

    def upload(self, name: str, body: bytes, **form: str) -> httpx.Response:
        return self.client.post("/documents", files={"file": (name, body)}, data=form)

    def count(self, model: type[Any]) -> int:
        with self.db.session() as session:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url"))


@pytest.fixture
def make_api(database_url: str, tmp_path: Path, queue_name: str) -> Iterator[Callable[..., Api]]:
    """Factory: ``make_api(**settings)`` builds an app (queue replaced by a list) on this test's
    database, with a queue (and Redis key prefix) of its own."""
    with ExitStack() as stack:

        def build(enqueue: Callable[[str], Any] | None = None, **overrides: Any) -> Api:
            values: dict[str, Any] = {"backend": "deterministic", "data_dir": tmp_path / "data", "queue": queue_name,
                                      "DATABASE_URL": database_url, "REDIS_URL": REDIS} | overrides  # fmt: skip
            sent: list[str] = []
            app = create_app(Settings(**values), enqueue=enqueue or sent.append)
            client = stack.enter_context(TestClient(app))  # runs the migrations at start-up
            _, key = apikeys.create_key(app.state.api.service.db, "tester")
            client.headers["X-API-Key"] = key
            return Api(app, client, key, sent)

        yield build


@pytest.fixture
def api(make_api: Callable[..., Api]) -> Api:
    return make_api()


def job_with_records(api: Api, statuses: list[str], data: Callable[[int], dict[str, Any] | None]) -> str:
    """A job (through a real upload) whose records are these, stored directly; a record that is
    not ok has its amount flagged for review (and, from the third on, its payee too)."""
    job_id = api.upload("gls.csv", BANK_CSV.read_bytes(), domain="bank_transactions").json()["job_id"]
    with api.db.session() as session:
        for index, status in enumerate(statuses):
            errors = [] if status == "ok" else [{"field": "amount", "message": f"{status} here"}]
            flagged = [] if status == "ok" else ["amount", "payee"][: 1 + (index >= 2)]
            session.add(StoredRecord(job_id=job_id, index=index, status=status, data=data(index), errors=errors,
                               provenance={"record": [{"line_start": index + 2}]}, confidence={"date": 1.0},
                               review=bool(flagged), review_fields=flagged))  # fmt: skip
    return job_id


# --- authentication -----------------------------------------------------------------------


def api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    """Every APIRoute, also inside included routers (newer FastAPI wraps those)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from api_routes(inner.routes)


def protected_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) of the app that is not public, with ids filled in."""
    found = []
    for route in api_routes(app.routes):
        if route.path not in PUBLIC_PATHS:
            path = re.sub(r"\{[^}]+\}", UNKNOWN_ID, route.path)
            found += [(method, path) for method in sorted(route.methods)]
    in_schema = {path for path in app.openapi()["paths"] if path not in PUBLIC_PATHS}
    assert in_schema == {route.path for route in api_routes(app.routes)} - PUBLIC_PATHS
    return found


def test_every_protected_route_refuses_a_missing_wrong_or_revoked_key(api: Api):
    revoked_key, revoked = apikeys.create_key(api.db, "former")
    apikeys.revoke(api.db, revoked_key.id)
    attempts = [
        ({}, MISSING),
        ({"Authorization": f"Basic {api.key}"}, MISSING),
        ({"X-API-Key": "psk_wrong"}, REJECTED),
        ({"Authorization": "Bearer psk_wrong"}, REJECTED),
        ({"X-API-Key": revoked}, REJECTED),
        ({"Authorization": f"Bearer {revoked}"}, REJECTED),
    ]
    routes = protected_routes(api.app)
    assert {path.split("/")[1] for _, path in routes} == {"documents", "jobs", "records", "plugins", "schemas"}
    assert len(routes) >= 9
    anonymous = api.anonymous()
    for method, path in routes:
        for headers, message in attempts:
            response = anonymous.request(method, path, headers=headers)
            assert response.status_code == 401, (method, path, headers)
            assert response.json() == {"detail": message}
            assert response.headers["www-authenticate"] == "Bearer"
        for good in ({"Authorization": f"Bearer {api.key}"}, {"X-API-Key": api.key}):
            assert anonymous.request(method, path, headers=good).status_code != 401, (method, path)


def test_health_and_the_openapi_pages_need_no_key(api: Api):
    anonymous = api.anonymous()
    for path in ("/openapi.json", "/docs", "/redoc", "/docs/oauth2-redirect", "/docs/assets/swagger-ui.css"):
        assert anonymous.get(path).status_code == 200, path
    assert anonymous.get("/health").status_code in (200, 503)
    schema = anonymous.get("/openapi.json").json()
    assert {"HTTPBearer", "APIKeyHeader"} <= set(schema["components"]["securitySchemes"])
    upload = schema["paths"]["/documents"]["post"]
    assert "file" in upload["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]
    assert {"202", "200", "413", "415", "422"} <= set(upload["responses"])


ASSET_TYPES = {".js": "javascript", ".css": "text/css", ".png": "image/png"}


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_pages_load_only_local_assets_and_those_are_served(api: Api, page: str):
    """Offline, a page that loads Swagger UI or ReDoc from a CDN is blank."""
    anonymous = api.anonymous()
    html = anonymous.get(page).text
    assert "http://" not in html and "https://" not in html and "//cdn" not in html
    linked = re.findall(r"""(?:src|href|spec-url)=["']([^"']+)["']|url: ?'([^']+)'""", html)
    urls = {first or second for first, second in linked}
    assets = {url for url in urls if Path(url).suffix in ASSET_TYPES}
    expected = {"/docs": {"swagger-ui-bundle.js", "swagger-ui.css"}, "/redoc": {"redoc.standalone.js"}}[page]
    assert {Path(url).name for url in assets} >= expected | {"favicon.png"}
    assert "/openapi.json" in urls
    for url in urls:
        assert url.startswith("/") and not url.startswith("//"), url
        response = anonymous.get(url)
        assert response.status_code == 200, url
        if url in assets:
            assert ASSET_TYPES[Path(url).suffix] in response.headers["content-type"], url
            assert len(response.content) > 1000, url
    assert anonymous.get("/openapi.json").json()["info"]["title"] == "parser-service"


def test_the_docs_can_be_turned_off(make_api: Callable[..., Api]):
    api = make_api(api_docs=False)
    anonymous = api.anonymous()
    for path in ("/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect", "/docs/assets/swagger-ui.css"):
        assert anonymous.get(path).status_code == 404, path
    assert api.client.get("/plugins").status_code == 200  # the API itself is unchanged
    assert anonymous.get("/plugins").status_code == 401


# --- uploads ----------------------------------------------------------------------------------


def test_an_upload_becomes_a_pending_job_on_the_queue(api: Api):
    body = BANK_CSV.read_bytes()
    response = api.upload("gls.csv", body, domain="bank_transactions")
    assert response.status_code == 202
    out = response.json()
    assert (out["duplicate"], out["queued"]) == (False, True)
    assert api.sent == [out["job_id"]]
    assert out["document"]["sha256"] == hashlib.sha256(body).hexdigest()
    assert (out["document"]["size"], out["document"]["media_type"]) == (len(body), "text/csv")
    job = api.client.get(f"/jobs/{out['job_id']}").json()
    assert (job["status"], job["domain"], job["records_done"], job["document_id"]) == (
        "pending", "bank_transactions", 0, out["document_id"])  # fmt: skip
    document = api.client.get(f"/documents/{out['document_id']}").json()
    assert document["filename"] == "gls.csv"
    assert [j["id"] for j in document["jobs"]] == [out["job_id"]]


def test_a_duplicate_upload_is_the_same_document_and_job_unless_reprocessed(api: Api):
    body = BANK_CSV.read_bytes()
    first = api.upload("gls.csv", body, domain="bank_transactions").json()
    again = api.upload("renamed.csv", body, domain="bank_transactions")
    assert again.status_code == 200
    assert (again.json()["document_id"], again.json()["job_id"]) == (first["document_id"], first["job_id"])
    assert (again.json()["duplicate"], again.json()["queued"]) == (True, False)
    assert api.sent == [first["job_id"]]  # not enqueued twice
    redo = api.client.post("/documents?reprocess=true", files={"file": ("gls.csv", body)},
                           data={"domain": "bank_transactions"})  # fmt: skip
    assert redo.status_code == 202 and redo.json()["document_id"] == first["document_id"]
    assert redo.json()["job_id"] != first["job_id"]
    assert api.sent == [first["job_id"], redo.json()["job_id"]]
    jobs = api.client.get(f"/documents/{first['document_id']}").json()["jobs"]
    assert [job["id"] for job in jobs] == [first["job_id"], redo.json()["job_id"]]
    assert api.count(StoredDocument) == 1


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("uploads", [20, 50])
def test_identical_uploads_at_the_same_instant_make_one_document_and_one_job(api: Api, uploads: int):
    """Issue 25: 20 and 50 uploads of the same bytes at once gave one document but up to 8 and
    13 jobs (each racer saw no job yet and made its own)."""
    import threading

    body = BANK_CSV.read_bytes()
    start = threading.Barrier(uploads)
    answers: list[httpx.Response] = []

    def upload() -> None:
        start.wait()
        answers.append(api.upload("gls.csv", body, domain="bank_transactions"))

    threads = [threading.Thread(target=upload) for _ in range(uploads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answer.status_code for answer in answers) == [200] * (uploads - 1) + [202]
    assert len({answer.json()["job_id"] for answer in answers}) == 1
    assert (api.count(StoredDocument), api.count(Job)) == (1, 1)
    assert api.sent == [answers[0].json()["job_id"]]  # queued once


def blob_files(api: Api) -> list[Path]:
    root = api.settings.blobs()
    return [path for path in root.rglob("*") if path.is_file() and not path.name.startswith(".")] if root.exists() else []


def test_a_refused_upload_leaves_no_file_behind(api: Api):
    """Issue 25: a 415 left the refused bytes in the blob store."""
    response = api.upload("image.png", PNG)
    assert response.status_code == 415
    assert blob_files(api) == [] and api.count(StoredDocument) == 0
    assert api.upload("gls.csv", BANK_CSV.read_bytes()).status_code == 202
    assert len(blob_files(api)) == 1


def test_a_multipart_body_cut_before_its_closing_boundary_is_refused(api: Api):
    """Issue 25: a body without its closing boundary (an upload cut short) was taken whole."""
    body = (b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"gls.csv\"\r\n"
            b"Content-Type: text/csv\r\n\r\n" + BANK_CSV.read_bytes()[:200])  # fmt: skip
    response = api.client.post("/documents", content=body,
                               headers={"Content-Type": "multipart/form-data; boundary=XyZ"})  # fmt: skip
    assert response.status_code == 400
    assert "without its closing boundary" in response.json()["detail"]
    assert api.count(StoredDocument) == 0 and blob_files(api) == []
    whole = body + b"\r\n--XyZ--\r\n"
    assert api.client.post("/documents", content=whole,
                           headers={"Content-Type": "multipart/form-data; boundary=XyZ"}).status_code == 202  # fmt: skip


@pytest.mark.parametrize("offset", [2**31, 2**63, 2**64 + 5])
def test_an_offset_out_of_range_is_422_not_500(api: Api, offset: int):
    """Issue 25: an offset of 2^63 or more reached the database and gave a 500."""
    job_id = api.upload("gls.csv", BANK_CSV.read_bytes(), domain="bank_transactions").json()["job_id"]
    response = api.client.get(f"/jobs/{job_id}/records?offset={offset}")
    assert response.status_code == 422, response.text
    assert api.client.get(f"/jobs/{job_id}/records?offset={2**31 - 1}").json()["items"] == []


def test_a_stored_document_can_be_processed_again_without_uploading_it(api: Api):
    first = api.upload("gls.csv", BANK_CSV.read_bytes()).json()
    redo = api.client.post(f"/documents/{first['document_id']}/jobs", json={"domain": "bank_transactions"})
    assert redo.status_code == 202
    assert redo.json()["job"]["domain"] == "bank_transactions" and redo.json()["job_id"] != first["job_id"]
    assert api.sent == [first["job_id"], redo.json()["job_id"]]
    assert api.client.post(f"/documents/{UNKNOWN_ID}/jobs").status_code == 404


def test_an_unsupported_file_is_415_and_nothing_is_recorded(api: Api):
    response = api.upload("picture.png", PNG)
    assert response.status_code == 415
    assert "picture.png: unsupported file type" in response.json()["detail"]
    not_multipart = api.client.post("/documents", content=b"hello", headers={"Content-Type": "text/plain"})
    assert not_multipart.status_code == 415 and "multipart/form-data" in not_multipart.json()["detail"]
    assert api.count(StoredDocument) == 0 and api.sent == []


def test_bad_uploads_get_clear_errors(api: Api):
    unknown = api.upload("gls.csv", BANK_CSV.read_bytes(), domain="payslips")
    assert unknown.status_code == 422
    assert "unknown domain 'payslips'" in unknown.json()["detail"] and "bank_transactions" in unknown.json()["detail"]
    empty = api.upload("empty.csv", b"")
    assert empty.status_code == 400 and "empty" in empty.json()["detail"]
    no_file = api.client.post("/documents", data={"domain": "invoices"}, files={"other": ("x.csv", b"a,b")})
    assert no_file.status_code == 400 and "'file'" in no_file.json()["detail"]
    flag = api.upload("gls.csv", BANK_CSV.read_bytes(), reprocess="perhaps")
    assert flag.status_code == 422
    assert api.count(StoredDocument) == 0 and api.sent == []


def test_an_unknown_form_field_is_refused_not_ignored(api: Api):
    misspelt = api.upload("gls.csv", BANK_CSV.read_bytes(), plugins="invoices")
    assert misspelt.status_code == 422
    assert misspelt.json()["detail"] == "unknown form field 'plugins'; an upload takes file, domain, plugin, reprocess, schema, schema_hash, schema_json"
    assert api.count(StoredDocument) == 0 and api.sent == []
    fine = api.upload("gls.csv", BANK_CSV.read_bytes(), domain="bank_transactions", reprocess="false")
    assert fine.status_code == 202, fine.text



def test_plugin_is_still_accepted_as_the_old_name_of_domain(api: Api):
    """Clients written before the rename send ``plugin``, in the form or in the body of a new
    job: it chooses the domain as ``domain`` does. Both, disagreeing, is a 422."""
    body = BANK_CSV.read_bytes()
    old = api.upload("gls.csv", body, plugin="bank_transactions")
    assert old.status_code == 202, old.text
    assert old.json()["job"]["domain"] == "bank_transactions"
    assert api.upload("gls.csv", body, domain="bank_transactions").json()["job_id"] == old.json()["job_id"]
    both = api.upload("gls.csv", body, domain="bank_transactions", plugin="bank_transactions")
    assert both.status_code == 200 and both.json()["job_id"] == old.json()["job_id"]
    disagree = api.upload("gls.csv", body, domain="bank_transactions", plugin="invoices")
    assert disagree.status_code == 422 and "disagree" in disagree.json()["detail"]
    unknown = api.upload("gls.csv", body, plugin="payslips")
    assert unknown.status_code == 422 and "unknown domain 'payslips'" in unknown.json()["detail"]
    again = api.client.post(f"/documents/{old.json()['document_id']}/jobs", json={"plugin": "bank_transactions"})
    assert again.status_code == 202 and again.json()["job"]["domain"] == "bank_transactions"
    mixed = api.client.post(f"/documents/{old.json()['document_id']}/jobs",
                            json={"domain": "invoices", "plugin": "bank_transactions"})  # fmt: skip
    assert mixed.status_code == 422
    assert api.sent == [old.json()["job_id"], again.json()["job_id"]]


def test_an_upload_over_the_limit_is_refused(make_api: Callable[..., Api]):
    api = make_api(max_upload_mb=0.25)
    response = api.upload("big.txt", b"word " * 60_000)  # 300 kB, declared in Content-Length
    assert response.status_code == 413
    assert "upload limit of 0.25 MB" in response.json()["detail"]
    assert api.upload("small.txt", b"word " * 40_000).status_code == 202  # 200 kB is fine
    assert api.count(StoredDocument) == 1


def test_an_upload_over_the_limit_is_cut_off_while_streaming(make_api: Callable[..., Api]):
    """A chunked body (no Content-Length): the API stops reading soon after the limit."""
    api = make_api(max_upload_mb=0.25)
    chunk, chunks = 64 * 1024, 160  # 10 MiB offered
    boundary = "streamingboundary"
    read = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal read
        yield (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\n'
               "Content-Type: text/plain\r\n\r\n").encode()  # fmt: skip
        for _ in range(chunks):
            read += 1
            yield b"x" * chunk
        yield f"\r\n--{boundary}--\r\n".encode()

    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=api.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", "X-API-Key": api.key}
            return await client.post("/documents", content=body(), headers=headers)

    response = asyncio.run(post())
    assert response.status_code == 413 and "upload limit" in response.json()["detail"]
    assert read <= 6, f"read {read} chunks of {chunks} before refusing"  # 0.25 MiB = 4 chunks
    assert api.count(StoredDocument) == 0


def test_a_real_server_hangs_up_on_an_oversized_upload(sqlite_url: str, tmp_path: Path):
    """Over a socket (uvicorn): the 413 comes while the client is still sending, and the
    connection is closed, so the client stops sending instead of pushing the rest."""
    upgrade(sqlite_url)
    db = Database(sqlite_url)
    _, key = apikeys.create_key(db, "big sender")
    db.dispose()
    offered, read = 3200, 0  # 200 MiB in 64 KiB chunks

    def body() -> Iterator[bytes]:
        nonlocal read
        yield b'--bb\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\n\r\n'
        for _ in range(offered):
            read += 1
            yield b"x" * 65536
        yield b"\r\n--bb--\r\n"

    env = {"DATABASE_URL": sqlite_url, "PARSER_SERVICE_DATA_DIR": str(tmp_path / "data"),
           "PARSER_SERVICE_MAX_UPLOAD_MB": "1", "PYTHONPATH": str(ROOT)}  # fmt: skip
    with running_api(env, log=tmp_path / "api.log") as base_url:
        headers = {"X-API-Key": key, "Content-Type": "multipart/form-data; boundary=bb"}
        response = httpx.post(f"{base_url}/documents", content=body(), headers=headers, timeout=30)
    assert response.status_code == 413 and response.headers["connection"] == "close"
    assert read < offered // 10, f"the client sent {read} of {offered} chunks"


def test_an_upload_is_kept_when_the_queue_is_down(make_api: Callable[..., Api]):
    def broken(_job_id: str) -> None:
        raise ConnectionError("Redis is down")

    api = make_api(enqueue=broken)
    response = api.upload("gls.csv", BANK_CSV.read_bytes())
    assert response.status_code == 202 and response.json()["queued"] is False
    assert api.client.get(f"/jobs/{response.json()['job_id']}").json()["status"] == "pending"


# --- records, exports, corrections ------------------------------------------------------------


def test_records_are_paginated_with_a_total_and_filtered_by_status(api: Api):
    statuses = ["ok", "invalid", "ok", "failed", "ok", "invalid", "ok"]
    job_id = job_with_records(api, statuses, lambda i: {"amount": float(i)})

    def page(**params: Any) -> tuple[int, list[int]]:
        response = api.client.get(f"/jobs/{job_id}/records", params=params)
        assert response.status_code == 200, response.text
        return response.json()["total"], [item["index"] for item in response.json()["items"]]

    assert page(limit=3) == (7, [0, 1, 2])
    assert page(offset=3, limit=3) == (7, [3, 4, 5])
    assert page(offset=6, limit=3) == (7, [6])
    assert page(offset=10) == (7, [])
    assert page(status="ok") == (4, [0, 2, 4, 6])
    assert page(status="invalid", offset=1, limit=1) == (2, [5])
    assert page(status="failed") == (1, [3])
    item = api.client.get(f"/jobs/{job_id}/records", params={"limit": 1}).json()["items"][0]
    assert (item["data"], item["confidence"], item["job_id"]) == ({"amount": 0.0}, {"date": 1.0}, job_id)
    for bad in ({"status": "done"}, {"limit": 0}, {"limit": 501}, {"offset": -1}):
        assert api.client.get(f"/jobs/{job_id}/records", params=bad).status_code == 422, bad
    assert api.client.get(f"/jobs/{UNKNOWN_ID}/records").status_code == 404


def exported_data(index: int) -> dict[str, Any] | None:
    """Keys in neither the schema's order nor PostgreSQL's (JSONB sorts by length, then bytes)."""
    if index == 2:
        return None
    payee = '=HYPERLINK("http://evil.example","click")' if index == 0 else f"Payee {index}"
    return {"tags": ["a", "@b"], "payee": payee, "memo": "+31 20 555 0100" if index == 1 else None,
            "amount": -12.5 * (index + 1), "date": "2024-01-0" + str(index + 1)}  # fmt: skip


#: The bank plugin's schema order, then the keys it does not name, as they came.
SCHEMA_COLUMNS = ["date", "amount", "payee", "memo", "tags"]
META = ["record_index", "record_status", "record_review", "record_review_fields"]


def test_records_say_which_fields_to_review(api: Api):
    job_id = job_with_records(api, ["ok", "invalid", "failed"], exported_data)
    items = api.client.get(f"/jobs/{job_id}/records").json()["items"]
    assert [(r["review"], r["review_fields"]) for r in items] == [(False, []), (True, ["amount"]),
                                                                  (True, ["amount", "payee"])]  # fmt: skip
    record = api.client.get(f"/records/{items[2]['id']}").json()
    assert record["review_fields"] == ["amount", "payee"]
    schema = api.client.get("/openapi.json").json()["components"]["schemas"]["RecordOut"]
    assert "review_fields" in schema["required"]


def test_a_correction_takes_its_field_off_the_review_list(api: Api):
    job_id = job_with_records(api, ["ok", "invalid", "failed"], exported_data)
    record_id = api.client.get(f"/jobs/{job_id}/records").json()["items"][2]["id"]
    url = f"/records/{record_id}/annotations"
    assert api.client.post(url, json={"field": "payee", "new_value": "ACME"}).status_code == 201
    record = api.client.get(f"/records/{record_id}").json()
    assert record["review_fields"] == ["amount"] and record["review"] is True
    assert api.client.post(url, json={"field": "amount", "new_value": "-1.00"}).status_code == 201
    record = api.client.get(f"/records/{record_id}").json()
    assert record["review_fields"] == [] and record["review"] is True  # still "failed": a person decides


def test_export_in_all_four_formats_parses_back(api: Api):
    """Run on SQLite and PostgreSQL: columns follow the plugin's schema whatever key order the
    database gives the data back in."""
    job_id = job_with_records(api, ["ok", "invalid", "failed"], exported_data)

    def get(fmt: str) -> httpx.Response:
        response = api.client.get(f"/jobs/{job_id}/export", params={"format": fmt})
        assert response.status_code == 200, response.text
        assert f'filename="job-{job_id}.{fmt}"' in response.headers["content-disposition"]
        assert response.headers["x-job-status"] == "pending"
        return response

    whole = get("json").json()
    assert whole["job"]["id"] == job_id
    assert [(r["index"], r["status"], r["data"]) for r in whole["records"]] == [
        (i, s, exported_data(i)) for i, s in enumerate(["ok", "invalid", "failed"])]  # fmt: skip
    assert list(whole["records"][0]["data"]) == SCHEMA_COLUMNS
    assert [r["review_fields"] for r in whole["records"]] == [[], ["amount"], ["amount", "payee"]]
    lines = [json.loads(line) for line in get("jsonl").text.splitlines()]
    assert lines == whole["records"]

    text = get("csv").content.decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(text))) == [*META, *SCHEMA_COLUMNS, "record_errors"]
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["record_status"] for row in rows] == ["ok", "invalid", "failed"]
    assert [row["record_review_fields"] for row in rows] == ["", "amount", "amount; payee"]
    assert rows[0]["payee"] == """'=HYPERLINK("http://evil.example","click")"""
    assert rows[0]["amount"] == "-12.5" and rows[0]["tags"] == "a; @b"
    assert rows[1]["memo"] == "'+31 20 555 0100" and rows[1]["record_errors"] == "amount: invalid here"
    assert rows[2]["payee"] == "" and rows[2]["record_errors"] == "amount: failed here"

    sheet = openpyxl.load_workbook(io.BytesIO(get("xlsx").content)).active
    assert sheet is not None
    table = list(sheet.iter_rows(values_only=True))
    assert list(table[0]) == [*META, *SCHEMA_COLUMNS, "record_errors"]
    cells = [dict(zip(table[0], row)) for row in table[1:]]
    assert [c["record_index"] for c in cells] == [0, 1, 2]
    assert [c["record_review_fields"] for c in cells] == [None, "amount", "amount; payee"]
    assert cells[0]["payee"] == rows[0]["payee"] and cells[0]["amount"] == -12.5
    assert cells[1]["memo"] == "'+31 20 555 0100"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_export_errors(api: Api):
    job_id = job_with_records(api, ["ok"], exported_data)
    assert api.client.get(f"/jobs/{job_id}/export", params={"format": "pdf"}).status_code == 422
    assert api.client.get(f"/jobs/{UNKNOWN_ID}/export").status_code == 404


def test_a_correction_updates_the_record_and_keeps_the_old_value(api: Api):
    job_id = job_with_records(api, ["invalid"], lambda i: {"date": None, "amount": -98.76, "payee": "ACME"})
    record_id = api.client.get(f"/jobs/{job_id}/records").json()["items"][0]["id"]
    response = api.client.post(f"/records/{record_id}/annotations", json={"field": "date", "new_value": "13.11.2017"})
    assert response.status_code == 201, response.text
    note = response.json()
    assert (note["field"], note["old_value"], note["new_value"], note["author"]) == (
        "date", None, "2017-11-13", "tester")  # normalised by the plugin's schema  # fmt: skip
    record = api.client.get(f"/records/{record_id}").json()
    assert record["data"]["date"] == "2017-11-13" and record["data"]["payee"] == "ACME"
    assert [a["id"] for a in record["annotations"]] == [note["id"]]
    again = api.client.post(f"/records/{record_id}/annotations", json={"field": "payee", "new_value": "Acme GmbH"})
    assert again.json()["old_value"] == "ACME"
    assert api.count(Annotation) == 2


def test_a_bad_correction_is_refused_and_changes_nothing(api: Api):
    job_id = job_with_records(api, ["ok"], lambda i: {"date": "2024-01-01", "amount": 1.0})
    record_id = api.client.get(f"/jobs/{job_id}/records").json()["items"][0]["id"]
    url = f"/records/{record_id}/annotations"
    unknown = api.client.post(url, json={"field": "colour", "new_value": "red"})
    assert unknown.status_code == 422 and "no field 'colour'" in unknown.json()["detail"]
    refused = api.client.post(url, json={"field": "amount", "new_value": "lots"})
    assert refused.status_code == 422 and "cannot read 'lots' as a number" in refused.json()["detail"]
    assert api.client.post(url, json={"value": 1}).status_code == 422
    assert api.client.post(f"/records/{UNKNOWN_ID}/annotations", json={"field": "a", "new_value": 1}).status_code == 404
    assert api.client.get(f"/records/{record_id}").json()["data"] == {"date": "2024-01-01", "amount": 1.0}
    assert api.count(Annotation) == 0


def test_a_correction_past_the_size_limits_is_refused_and_changes_nothing(api: Api):
    """A value past 64 KiB as JSON is a 422 naming new_value; a body past 68 KiB a 413, told by
    its declared length or, sent in chunks, as it is read (before, a 60 MB value was stored)."""
    job_id = job_with_records(api, ["ok"], lambda i: {"date": "2024-01-01", "amount": 1.0, "payee": "ACME"})
    record_id = api.client.get(f"/jobs/{job_id}/records").json()["items"][0]["id"]
    url = f"/records/{record_id}/annotations"
    fits = api.client.post(url, json={"field": "payee", "new_value": "x" * (MAX_VALUE_BYTES - 2)})
    assert fits.status_code == 201, fits.text  # the value and its quotes: the limit exactly
    over = api.client.post(url, json={"field": "payee", "new_value": "é" * (MAX_VALUE_BYTES // 2)})
    assert over.status_code == 422 and "new_value takes 65,538 bytes" in over.json()["detail"]
    assert "limit of 64 KiB" in over.json()["detail"]
    body = json.dumps({"field": "payee", "new_value": "x" * (MAX_BODY_BYTES + 1)}).encode()
    for sent in ({"content": body}, {"content": iter([body[:1000], body[1000:]])}):  # declared length, chunked
        refused = api.client.post(url, headers={"Content-Type": "application/json"}, **sent)
        assert refused.status_code == 413, refused.text
        assert "limit of 68 KiB" in refused.json()["detail"] and "new_value" in refused.json()["detail"]
    assert api.client.get(f"/records/{record_id}").json()["data"]["payee"] == "x" * (MAX_VALUE_BYTES - 2)
    assert api.count(Annotation) == 1


def test_plugins_are_listed_with_their_fields(api: Api):
    plugins = {p["name"]: p for p in api.client.get("/plugins").json()}
    assert {"invoices", "bank_transactions"} <= set(plugins)
    assert {"date", "amount", "payee"} <= set(plugins["bank_transactions"]["fields"])


def test_unknown_ids_are_404(api: Api):
    for path in (f"/jobs/{UNKNOWN_ID}", f"/documents/{UNKNOWN_ID}", f"/records/{UNKNOWN_ID}"):
        response = api.client.get(path)
        assert response.status_code == 404 and UNKNOWN_ID in response.json()["detail"], path


# --- health -----------------------------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again when the block ends


def test_health_reports_a_down_redis_as_503(make_api: Callable[..., Api]):
    api = make_api(REDIS_URL=f"redis://127.0.0.1:{closed_port()}/0")
    response = api.anonymous().get("/health")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert response.json()["status"] == "error"
    assert checks["redis"]["status"] == "error" and "ConnectionError" in checks["redis"]["detail"]
    assert checks["database"]["status"] == "ok" and checks["backend"]["status"] == "ok"


def test_health_reports_a_misconfigured_backend(make_api: Callable[..., Api]):
    api = make_api(backend="transformers", model="/nowhere/model")
    backend = api.anonymous().get("/health").json()["checks"]["backend"]
    assert backend["status"] == "error" and "not a model folder" in backend["detail"]


def health_of(api: Api) -> tuple[int, dict[str, Any]]:
    response = api.anonymous().get("/health")
    return response.status_code, response.json()


def test_health_reports_a_broken_plugin_and_a_foreign_blob_store(make_api: Callable[..., Api]):
    """Issue 25: misconfigurations that keep jobs pending are said in /health."""
    from parser_service.db import ServiceInfo
    from parser_service.service.jobs import BLOB_STORE_KEY

    api = make_api()
    api.service.pipeline.host.broken["ghost"] = "ModuleNotFoundError: No module named 'ghost_dependency'"
    with api.db.session() as session:  # the database's documents are in another store
        session.merge(ServiceInfo(key=BLOB_STORE_KEY, value={"id": "another-store", "path": "/srv/elsewhere"}))
    code, body = health_of(api)
    assert code == 503
    plugins, store = body["checks"]["plugins"], body["checks"]["blob_store"]
    assert plugins["status"] == "error" and "plugin 'ghost' failed to load" in plugins["detail"]
    assert "jobs that need it stay pending" in plugins["detail"]
    assert store["status"] == "error" and "/srv/elsewhere" in store["detail"]


def test_health_without_a_worker_is_503_and_says_so(make_api: Callable[..., Api], redis_url: str):
    api = make_api(REDIS_URL=redis_url)
    code, body = health_of(api)
    assert code == 503 and body["status"] == "error" and body["workers"] == 0
    workers = body["checks"]["workers"]
    assert workers["status"] == "error" and workers["count"] == 0
    assert f"no worker of queue {api.settings.queue!r} answered within 1 s" in workers["detail"]
    assert "parser-service worker" in workers["detail"]
    others = {name: check["status"] for name, check in body["checks"].items() if name != "workers"}
    assert others == {"database": "ok", "redis": "ok", "backend": "ok", "plugins": "ok", "blob_store": "ok"}


def test_health_is_ok_with_a_worker_even_a_busy_one(make_api: Callable[..., Api], redis_url: str, worker, tmp_path):
    """A real Celery worker (prefork, as ``parser-service worker`` runs it) answers while its pool
    runs a job; once it stops, /health is 503 again."""
    from parser_service.service.queue import JobQueue

    api = make_api(REDIS_URL=redis_url)
    consumer = worker(api.settings, pool="prefork", delay_s=0.5).wait_ready()
    code, body = health_of(api)
    assert code == 200, body
    assert body["status"] == "ok" and body["workers"] == 1
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "database": "ok", "redis": "ok", "workers": "ok", "backend": "ok", "plugins": "ok", "blob_store": "ok"}  # fmt: skip
    assert body["checks"]["workers"]["count"] == 1

    queue = JobQueue.for_settings(api.settings, api.service)
    try:
        bank = write_bank_csv(tmp_path / "long.csv", rows=80)
        job_id = api.upload("long.csv", bank.read_bytes(), domain="bank_transactions").json()["job_id"]
        queue.enqueue(job_id)
        wait_for(lambda: api.service.job(job_id).records_done >= 8, 60, interval=0.05, what="the job to run")
        code, body = health_of(api)
        assert api.service.job(job_id).status == "running"  # still busy when it answered
        assert code == 200 and body["workers"] == 1, body
    finally:
        queue.celery.close()
    consumer.stop()
    code, body = health_of(api)
    assert code == 503 and body["workers"] == 0


# --- end to end -----------------------------------------------------------------------------


def test_upload_through_a_real_worker_to_postgres_and_export(service_settings: Settings, worker, tmp_path: Path):
    """uvicorn (the real app, its own migrations and its Celery queue) -> a Celery worker
    process -> records in PostgreSQL -> export. Deterministic backend: no model loaded."""
    upgrade(service_settings.database())
    db = Database(service_settings.database())
    _, key = apikeys.create_key(db, "e2e")
    consumer = worker(service_settings)
    env = {**settings_env(service_settings), "PYTHONPATH": str(ROOT)}
    with running_api(env, log=tmp_path / "api.log") as base_url, httpx.Client(
        base_url=base_url, headers={"Authorization": f"Bearer {key}"}, timeout=30
    ) as client:
        consumer.wait_ready()
        body = BANK_CSV.read_bytes()
        response = client.post("/documents", files={"file": ("gls.csv", body)}, data={"domain": "bank_transactions"})
        assert response.status_code == 202, response.text
        assert response.json()["queued"] is True
        job_id = response.json()["job_id"]

        def finished() -> dict[str, Any] | None:
            job = client.get(f"/jobs/{job_id}").json()
            return job if job["status"] in ("succeeded", "failed") else None

        job = wait_for(finished, 120, what=f"job {job_id} to finish")
        assert job["status"] == "succeeded", job["error"]
        assert job["records_total"] == job["records_done"] > 0
        assert job["model_version"] and "deterministic" in job["model_version"]
        with db.session() as session:
            stored = list(session.scalars(select(StoredRecord).where(StoredRecord.job_id == job_id).order_by(StoredRecord.index)))
        assert len(stored) == job["records_total"]
        exported = [json.loads(line) for line in client.get(f"/jobs/{job_id}/export?format=jsonl").text.splitlines()]
        assert [(r["id"], r["data"]) for r in exported] == [(r.id, r.data) for r in stored]
        rows = list(csv.DictReader(io.StringIO(client.get(f"/jobs/{job_id}/export?format=csv").text.lstrip("\ufeff"))))
        assert len(rows) == len(stored) and rows[0]["date"] == stored[0].data["date"]  # type: ignore[index]
        duplicate = client.post("/documents", files={"file": ("again.csv", body)}, data={"domain": "bank_transactions"})
        assert duplicate.status_code == 200 and duplicate.json()["job"]["status"] == "succeeded"
    db.dispose()


def test_the_readme_documents_every_upload_field_and_health_check():
    from parser_service.api.routes.documents import UPLOAD_BODY

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### The API") : readme.index("## vLLM")]
    fields = UPLOAD_BODY["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]
    for name in fields:
        assert f"`{name}`" in section, name
    for word in ("`/docs`", "`/redoc`", "`/openapi.json`", "`review_fields`", "`record_review_fields`", "workers"):
        assert word in section, word
