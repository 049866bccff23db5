"""Signed HD-export grants. The grant names a pseudonymous subject (not the
account id, not the email), the image fingerprint the client sent and the
time; the app keeps it as proof the export was paid for. Anyone holding the
server key can verify it; nobody can forge or re-target it."""

from __future__ import annotations

import msgspec
from cutout_wire import SpendGrant

from server.security import new_token, sign, verify_signature

GRANT_KIND = "hd_export"


def _payload(grant_id: str, subject: str, fingerprint: str, kind: str, issued_at: int) -> bytes:
    # A JSON array, not a joined string: no choice of field values can make
    # two different grants sign the same bytes.
    return msgspec.json.encode(["cutout-grant-v1", grant_id, subject, fingerprint, kind, issued_at])


def issue_grant(key: bytes, subject: str, fingerprint: str, issued_at: int, balance: int) -> SpendGrant:
    grant_id = new_token(12)
    signature = sign(key, _payload(grant_id, subject, fingerprint, GRANT_KIND, issued_at))
    return SpendGrant(
        grant_id=grant_id, subject=subject, fingerprint=fingerprint, kind=GRANT_KIND,
        issued_at=issued_at, signature=signature, balance=balance,
    )


def grant_is_valid(key: bytes, grant: SpendGrant) -> bool:
    payload = _payload(grant.grant_id, grant.subject, grant.fingerprint, grant.kind, grant.issued_at)
    return verify_signature(key, payload, grant.signature)
