"""Duplicate groups as the index stores them (``cached_answers``): a compact
encoding (:func:`encode_groups`) and groups decoded lazily on read (:class:`StoredGroup`).

A page shows a hundred groups of tens of thousands, so members are kept as JSON
text in compressed blocks and decoded when a group is first read.
"""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any

from saidao.index.cache import Codec
from saidao.index.dupe_model import Group, Mention, gc_paused


class _Blocks:
    """The stored members' text, compressed in blocks of :data:`BLOCK_GROUPS` groups and
    decompressed one block at a time, when a group of it is first read."""

    def __init__(self, compressed: list[bytes]) -> None:
        self._compressed = compressed
        self._texts: dict[int, str] = {}
        self._upper: dict[int, str] = {}

    def text(self, block: int) -> str:
        found = self._texts.get(block)
        if found is None:  # two threads may both decompress: same text, either kept
            found = self._texts[block] = zlib.decompress(self._compressed[block]).decode("utf-8")
        return found

    def upper(self, block: int) -> str:
        found = self._upper.get(block)
        if found is None:
            found = self._upper[block] = self.text(block).upper()
        return found


class StoredGroup(Group):
    """A group read back from the index: its members decoded on first use.

    A page shows a hundred groups, a filter reads the names and zones: decoding
    every member of tens of thousands of groups would cost seconds.
    """

    def __init__(self, header: list[Any], strings: list[str], places: list[tuple[str, str, str]],
                 blocks: _Blocks, block: int) -> None:
        gid, name, uscc, confidence, evidence, confirmed, zones, start, end = header
        self.group_id, self.name, self.uscc = gid, name, uscc
        self.confidence, self.confirmed = confidence, confirmed
        self.evidence = [strings[e] for e in evidence]
        self._zones = [strings[z] for z in zones]
        self._places, self._blocks, self._where = places, blocks, (block, start, end)
        self._members: list[Mention] | None = None

    @property  # type: ignore[override]
    def members(self) -> list[Mention]:
        if self._members is None:
            block, start, end = self._where
            places = self._places
            self._members = [
                Mention(track, seq, name, printed, printed if fixed == 1 else fixed,
                        *places[place], name if key == 1 else key)
                for track, seq, name, printed, fixed, key, place
                in json.loads(self._blocks.text(block)[start:end])]
        return self._members

    @members.setter
    def members(self, value: list[Mention]) -> None:
        self._members = value

    @property
    def zones(self) -> list[str]:
        return self._zones

    def may_contain(self, text: str) -> bool:
        # the stored rows hold every name and code verbatim (JSON escapes only quotes,
        # backslashes and control characters, so any other text is found as typed)
        if self._members is not None or any(c in text for c in '"\\') or not text.isprintable():
            return True
        block, start, end = self._where
        return self._blocks.upper(block).find(text, start, end) >= 0


#: Groups per compressed block of stored members: a page of groups reads one or two.
BLOCK_GROUPS = 128

_LENGTH = struct.Struct("<I")


def encode_groups(groups: list[Group]) -> bytes:
    """Groups for the index: a compressed JSON header per group (evidence and zones
    numbered once), then the members' rows as JSON text in compressed blocks, each
    group's rows found by their place in the block. A row's zone, file and hash are
    one numbered place (they are its track's); a corrected code equal to the printed
    one, and a name key equal to the name, are written ``1``."""
    with gc_paused():  # millions of short-lived lists: the collector's passes doubled the time
        return _encode(groups)


def _encode(groups: list[Group]) -> bytes:
    strings: dict[str, int] = {}
    places: dict[tuple[str, str, str], int] = {}
    headers: list[list[Any]] = []
    blocks: list[bytes] = []
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    for first in range(0, len(groups), BLOCK_GROUPS):
        parts: list[str] = []
        size = 0
        for g in groups[first:first + BLOCK_GROUPS]:
            rows = dumps([[m.track_id, m.seq, m.name, m.uscc_printed,
                           1 if m.uscc == m.uscc_printed else m.uscc,
                           1 if m.name_key == m.name else m.name_key,
                           places.setdefault((m.zone, m.file, m.sha256), len(places))]
                          for m in g.members])
            headers.append([g.group_id, g.name, g.uscc, g.confidence,
                            [strings.setdefault(e, len(strings)) for e in g.evidence],
                            g.confirmed, [strings.setdefault(z, len(strings)) for z in g.zones],
                            size, size + len(rows)])
            parts.append(rows)
            size += len(rows)
        blocks.append(zlib.compress("".join(parts).encode("utf-8"), 1))
    head = {"format": 3, "block_groups": BLOCK_GROUPS, "strings": list(strings),
            "places": list(places), "groups": headers}
    out = [zlib.compress(json.dumps(head, ensure_ascii=False).encode("utf-8"), 1), *blocks]
    return b"".join(_LENGTH.pack(len(part)) + part for part in out)


def _split_parts(payload: bytes) -> list[bytes]:
    parts, at = [], 0
    while at < len(payload):
        (size,) = _LENGTH.unpack_from(payload, at)
        parts.append(payload[at + _LENGTH.size: at + _LENGTH.size + size])
        at += _LENGTH.size + size
    return parts


def decode_groups(payload: bytes) -> list[Group]:
    head_bytes, *compressed = _split_parts(payload)
    head = json.loads(zlib.decompress(head_bytes))
    if head.get("format") != 3:
        raise ValueError("unknown stored groups format")
    strings, per_block, blocks = head["strings"], head["block_groups"], _Blocks(compressed)
    places = [tuple(p) for p in head["places"]]
    with gc_paused():
        return [StoredGroup(header, strings, places, blocks, i // per_block)
                for i, header in enumerate(head["groups"])]


def groups_codec() -> Codec[list[Group]]:
    """How groups are stored in the index (a ``cache.Codec``)."""
    return Codec(encode_groups, decode_groups)
