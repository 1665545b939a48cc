"""MHTML (``.mhtml``/``.mht``, a browser's "save as single file"): the page inside.

An MHTML file is a MIME ``multipart/related`` message (RFC 2557): the page's
HTML and its images, style sheets and frames as parts. The stdlib ``email``
package parses it and undoes the transfer encodings (quoted-printable,
base64); the main part is the one the root names (``Snapshot-Content-Location``
in Chrome's files, the ``start`` parameter, or else the first ``text/html``
part). Only that part is read — nothing the archive refers to is fetched, and
the other parts (images, scripts) are never decoded.
"""

from __future__ import annotations

import email
import email.policy
from email.message import Message
from pathlib import Path

from saidao.errors import SaidaoError

#: More parts than this is not a saved page (a page with every image inlined
#: has a few hundred at most).
MAX_PARTS = 5_000
#: A saved page with its pictures is a few MB; the stdlib parser holds the whole message.
MAX_MHTML_BYTES = 64 * 1024 * 1024


def main_html_part(data: bytes, path: Path | str) -> tuple[bytes, str | None]:
    """The main HTML part's bytes and the charset its headers declare."""
    if len(data) > MAX_MHTML_BYTES:
        raise SaidaoError("too_large", path, f"MHTML 文件超过 {MAX_MHTML_BYTES // (1024 * 1024)} MB")
    message = email.message_from_bytes(data, policy=email.policy.compat32)
    if not message.is_multipart():
        if message.get_content_type() == "text/html":
            return _payload(message, path), message.get_content_charset()
        raise SaidaoError("corrupt", path, "MHTML 文件不含网页部分")
    parts = []
    for count, part in enumerate(message.walk(), 1):
        if count > MAX_PARTS:
            raise SaidaoError("too_large", path, f"MHTML 部分超过 {MAX_PARTS} 个")
        if not part.is_multipart():
            parts.append(part)
    html_parts = [p for p in parts if p.get_content_type() in ("text/html", "application/xhtml+xml")]
    if not html_parts:
        raise SaidaoError("corrupt", path, "MHTML 文件不含网页部分")
    main = _named_main(message, html_parts) or html_parts[0]
    return _payload(main, path), main.get_content_charset()


def _named_main(root: Message, parts: list[Message]) -> Message | None:
    """The part the root names: Snapshot-Content-Location (Chrome) or the ``start`` id."""
    location = (root.get("Snapshot-Content-Location") or "").strip()
    start = (root.get_param("start") or "").strip().strip("<>") if root.get_param("start") else ""
    for part in parts:
        if location and (part.get("Content-Location") or "").strip() == location:
            return part
        if start and (part.get("Content-ID") or "").strip().strip("<>") == start:
            return part
    return None


def _payload(part: Message, path: Path | str) -> bytes:
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes) or not data.strip():
        raise SaidaoError("empty", path, "MHTML 的网页部分为空")
    return data
