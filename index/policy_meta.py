"""A policy's id and the metadata its text lacks, taken from the bundled corpus.

Part of ``index.links`` (its public API re-exports these names).
"""

from __future__ import annotations

from typing import Any

from saidao.corpus import policies as policies_corpus


def fill_from_bundled(policy: dict[str, Any]) -> dict[str, Any]:
    """The policy with metadata its text lacks taken from the bundled corpus.

    Seed 003's text has no title line, seed 004's no 文号; ``policies.csv``
    records them. Matched by sha256; returns a new dict, the input is untouched.
    """
    sha = str((policy.get("source") or {}).get("sha256") or "")
    meta = next((b for b in policies_corpus.bundled() if sha and b.sha256 == sha), None)
    if meta is None:
        return policy
    filled = dict(policy)
    for key in ("title", "doc_number", "issuer", "level", "jurisdiction"):
        if not filled.get(key) and getattr(meta, key):
            filled[key] = getattr(meta, key)
    return filled


def policy_id(policy: dict[str, Any], clause: dict[str, Any] | None = None) -> str:
    """The policy's id: its own, else the prefix of its clause ids, else its sha256."""
    if policy.get("policy_id"):
        return str(policy["policy_id"])
    cid = str((clause or {}).get("id") or "")
    if ":" in cid:
        return cid.split(":", 1)[0]
    return str((policy.get("source") or {}).get("sha256") or "")[:16]
