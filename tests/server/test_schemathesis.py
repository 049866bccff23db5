"""Property-based fuzzing of the OpenAPI schema against a real server
process: no 5xx, and every response matches its documented status, media
type, headers and schema. Calls are made as a signed-in admin with a valid
CSRF token, so the handlers behind authentication are reached too."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from server.app import create_app
from server.settings import Settings
from tests.server.conftest import free_port
from tests.server.live import start_server
from tests.server.support import PASSWORD, Browser, signed_up

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]
EXAMPLES = int(os.environ.get("CUTOUT_FUZZ_EXAMPLES", "40"))  # per operation; about a minute on 2 cores
DERANDOMIZE = "CUTOUT_FUZZ_EXAMPLES" not in os.environ  # CI runs the same cases every time


class Fuzzer:
    def __init__(self, url: str, email: str) -> None:
        self.url, self.email = url, email
        self.session = requests.Session()

    def sign_in(self) -> None:
        b = Browser(httpx.Client(base_url=self.url))
        assert b.post("/api/sessions", json={"email": self.email, "password": PASSWORD}).status_code == 200
        self.session.cookies.clear()
        for cookie in b.cookies.jar:
            self.session.cookies.set(cookie.name, cookie.value)
        self.session.headers["X-CSRF-Token"] = b.cookie("cutout_csrf")


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory, smtp_server):
    controller, inbox = smtp_server
    db = tmp_path_factory.mktemp("fuzz") / "fuzz.sqlite3"
    server = start_server(db, free_port(), controller.port, free_credits=50)
    email = "fuzz-admin@example.org"
    signed_up(Browser(httpx.Client(base_url=server.url)), inbox, email)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE users SET role = 'admin' WHERE email = ?", (email,))
    fuzzer = Fuzzer(server.url, email)
    fuzzer.sign_in()
    yield server, fuzzer
    server.stop()


def _schema_document() -> dict:
    """The OpenAPI document, generated in-process (no server needed) so that
    pytest can list one test per operation at collection time. The server
    under test serves the same document; a test below checks that."""
    return create_app(Settings(db_path=Path("unused.sqlite3"))).openapi_schema.to_schema()


SCHEMA = schemathesis.openapi.from_dict(_schema_document())
OPERATIONS = {f"{op.method.upper()} {op.path}": op for op in (r.ok() for r in SCHEMA.get_all_operations())}


def test_served_schema_is_the_fuzzed_one(fuzz_server):
    server, _ = fuzz_server
    assert httpx.get(server.url + "/schema/openapi.json").json() == _schema_document()


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_api_matches_its_schema(label, fuzz_server):
    server, fuzzer = fuzz_server
    operation = OPERATIONS[label]

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=DERANDOMIZE,
              database=None)
    @given(case=operation.as_strategy())
    def fuzz(case) -> None:
        case.call_and_validate(base_url=server.url, session=fuzzer.session, checks=CHECKS)
        if case.method.upper() in ("DELETE", "POST") and case.path.startswith(("/api/sessions", "/api/account/password")):
            fuzzer.sign_in()  # stay signed in after a fuzzed logout, revocation or password change

    fuzz()
