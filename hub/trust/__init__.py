"""Trust: what makes the hub's records and exchanges provable after the fact.

One concept per module:

``signing``        the hub's Ed25519 key (environment, PEM file, or the embedded default)
``manifest``       signed manifests for outbound artefacts (reports, notices, recommendations — the manifest's
                   ``kind``): :func:`sign_artifact`, :func:`write_signed` / :func:`verify_artifact`
``checkpoints``    signed checkpoints over the audit chain head, and the full verification walk
``agency_keys``    agencies' registered public keys with validity periods; inbound signature checks
``rotation``       re-encryption of personal data to a new key, in resumable batches
``log_redaction``  a logging filter that keeps ID numbers, phone numbers and secrets out of logs

The names re-exported here are the stable API other packages call. They are loaded
lazily, so ``import hub.trust`` (done by the CLI on every start) costs nothing.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "AgencySignatureError": "hub.trust.agency_keys",
    "verify_agency_signature": "hub.trust.agency_keys",
    "install_redaction": "hub.trust.log_redaction",
    "ArtifactVerification": "hub.trust.manifest",
    "sign_artifact": "hub.trust.manifest",
    "verify_artifact": "hub.trust.manifest",
    "write_signed": "hub.trust.manifest",
    "rotate": "hub.trust.rotation",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'hub.trust' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
