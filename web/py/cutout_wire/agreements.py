"""Agreement documents (terms of service, privacy policy) and their versions."""

from datetime import datetime

import msgspec

from cutout_wire.common import AgreementRef

__all__ = ["AgreementRef", "AgreementVersion", "CurrentAgreements"]


class AgreementVersion(msgspec.Struct):
    document: str
    version: int
    title: str
    content: str
    sha256: str
    effective_at: datetime


class CurrentAgreements(msgspec.Struct):
    """The versions in effect now, one per document, with their texts."""

    documents: list[AgreementVersion]
