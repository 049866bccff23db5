"""The wire package runs in Pyodide too: it may import only msgspec and the
standard library, and every Struct must round-trip through msgspec JSON."""

from __future__ import annotations

import ast
import sys
from datetime import datetime, timezone
from pathlib import Path

import msgspec

import cutout_wire

WIRE = Path(cutout_wire.__file__).parent


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_wire_imports_only_msgspec_and_the_standard_library():
    allowed = {"msgspec", "cutout_wire", "__future__"} | set(sys.stdlib_module_names)
    for path in WIRE.glob("*.py"):
        assert imported_roots(path) <= allowed, path.name


def test_sync_state_round_trips():
    state = cutout_wire.SyncState(
        signed_in=True, current_agreements=[cutout_wire.AgreementRef("terms", 2)], agreements_to_accept=[],
        entitlements=["preview_export", "hd_export"], server_time=datetime(2026, 6, 1, tzinfo=timezone.utc),
        balance=cutout_wire.Balance(total=1, lots=[]),
    )
    assert msgspec.json.decode(msgspec.json.encode(state), type=cutout_wire.SyncState) == state


def test_spend_request_refuses_anything_but_a_sha256():
    good = {"idempotency_key": "key-000001", "fingerprint": "0" * 64}
    assert msgspec.convert(good, cutout_wire.SpendRequest).fingerprint == "0" * 64
    for fingerprint in ("0" * 63, "G" * 64, "iVBORw0KGgo=" * 6):
        try:
            msgspec.convert({**good, "fingerprint": fingerprint}, cutout_wire.SpendRequest)
        except msgspec.ValidationError:
            continue
        raise AssertionError(f"accepted {fingerprint!r}")
