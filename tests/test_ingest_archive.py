"""Zip archives in a batch: member names in any encoding, nesting, hostile archives."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from saidao.ingest.archive import expand, member_name
from saidao.ingest.bulk import Options, ingest
from saidao.settings import ReadSettings

NO_OCR = Options(workers=1, settings=ReadSettings(ocr=False))
TEXT = "关于开展高新区新赛道申报工作的通知\n请各盟市科技局组织申报。\n"


class _RawNameInfo(zipfile.ZipInfo):
    """A member whose name is stored as given bytes without the UTF-8 flag (old archivers)."""

    raw: bytes = b""

    def _encodeFilenameFlags(self) -> tuple[bytes, int]:  # noqa: N802 (zipfile's name)
        return self.raw, self.flag_bits & ~0x800


def _raw_member(zf: zipfile.ZipFile, name: str, encoding: str, data: bytes) -> None:
    info = _RawNameInfo(name)
    info.raw = name.encode(encoding)
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)


def _zip(path: Path, members: dict[str, bytes], encoding: str | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            if encoding is None:
                zf.writestr(name, data)  # zipfile sets the UTF-8 flag for non-ASCII names
            else:
                _raw_member(zf, name, encoding, data)
    return path


@pytest.mark.parametrize("encoding", ["gbk", "utf-8", None])
def test_member_names_decoded_whatever_the_archiver(tmp_path: Path, encoding: str | None) -> None:
    names = ["材料/包头稀土高新区申报表.txt", "说明（二〇二六年）.txt"]
    archive = _zip(tmp_path / "批量.zip", {n: (TEXT + n).encode() for n in names}, encoding)
    with zipfile.ZipFile(archive) as zf:
        assert sorted(member_name(i) for i in zf.infolist()) == sorted(names)
    summary = ingest([archive], tmp_path / "a.db", NO_OCR)
    assert summary.counts["imported"] == 2
    origins = sorted(f.origin for f in summary.files)
    assert origins == sorted(f"{archive.resolve()}!{n}" for n in names)


def test_unicode_path_extra_field_wins(tmp_path: Path) -> None:
    """7-Zip/WinRAR store a UTF-8 copy of a legacy-encoded name in field 0x7075."""
    import struct
    import zlib

    name = "申报表.txt"
    raw = name.encode("gbk")
    body = b"\x01" + struct.pack("<I", zlib.crc32(raw)) + name.encode("utf-8")
    info = zipfile.ZipInfo(raw.decode("cp437"))
    info.extra = struct.pack("<HH", 0x7075, len(body)) + body
    assert member_name(info) == name


def test_nested_zip_one_level_and_no_deeper(tmp_path: Path) -> None:
    innermost = io.BytesIO()
    with zipfile.ZipFile(innermost, "w") as zf:
        zf.writestr("deep.txt", TEXT + "deep")
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("inner.txt", TEXT + "inner")
        zf.writestr("deeper.zip", innermost.getvalue())
    archive = _zip(tmp_path / "outer.zip", {"outer.txt": (TEXT + "outer").encode(),
                                            "inner.zip": inner.getvalue()})
    summary = ingest([archive], tmp_path / "n.db", NO_OCR)
    by_origin = {f.origin.split("!", 1)[1]: f for f in summary.files}
    assert by_origin["outer.txt"].outcome == "imported"
    assert by_origin["inner.zip!inner.txt"].outcome == "imported"
    assert by_origin["inner.zip!deeper.zip"].reason == "nested_archive"
    assert len(summary.files) == 3


def test_zip_slip_member_refused_good_files_kept_nothing_written_outside(tmp_path: Path) -> None:
    outside = tmp_path / "evil.txt"
    work = tmp_path / "work"
    work.mkdir()
    archive = _zip(work / "slip.zip", {"ok.txt": TEXT.encode(), "../evil.txt": b"pwned"})
    summary = ingest([archive], tmp_path / "z.db", NO_OCR)
    outcomes = {f.origin.split("!", 1)[1]: (f.outcome, f.reason) for f in summary.files}
    assert outcomes == {"../evil.txt": ("failed", "unsafe_path"), "ok.txt": ("imported", None)}
    bad = next(f for f in summary.files if f.reason == "unsafe_path")
    assert "../evil.txt" in (bad.message or "")
    assert not outside.exists()
    assert sorted(p.name for p in work.iterdir()) == ["slip.zip"]
    members = list(expand(archive, tmp_path / "x", ReadSettings()))
    assert [(m.path is None, m.error.reason if m.error else None) for m in members] == [
        (True, "unsafe_path"), (False, None)]
    assert [p.name for p in (tmp_path / "x").iterdir()] == [members[1].path.name]


def test_gbk_name_cannot_smuggle_a_parent_path(tmp_path: Path) -> None:
    archive = tmp_path / "s.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        _raw_member(zf, "..\\..\\申报.txt", "gbk", b"x")
    members = list(expand(archive, tmp_path / "x", ReadSettings()))
    assert [m.error.reason for m in members if m.error] == ["unsafe_path"]
    assert all(m.path is None for m in members)


def test_encrypted_and_corrupt_archives_have_reasons(tmp_path: Path) -> None:
    good = _zip(tmp_path / "good.zip", {"a.txt": TEXT.encode()})
    data = bytearray(good.read_bytes())
    data[6] |= 0x1  # general purpose flag of the local header
    cd = data.rfind(b"PK\x01\x02")
    data[cd + 8] |= 0x1  # and of the central directory entry
    locked = tmp_path / "locked.zip"
    locked.write_bytes(bytes(data))
    broken = tmp_path / "broken.zip"
    broken.write_bytes(good.read_bytes()[:40] + b"PK\x05\x06" + b"\x00" * 8)
    summary = ingest([locked, broken], tmp_path / "e.db", NO_OCR)
    reasons = {Path(f.path).name: f.reason for f in summary.files}
    assert reasons["locked.zip"] == "encrypted"
    assert reasons["broken.zip"] == "corrupt"


def test_damaged_member_fails_alone_and_is_kept(tmp_path: Path) -> None:
    archive = tmp_path / "damaged.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("good.txt", TEXT.encode())
        zf.writestr("bad.txt", (TEXT * 3).encode())
    data = bytearray(archive.read_bytes())
    at = data.find((TEXT * 3).encode()) + 5
    data[at] ^= 0xFF  # the stored bytes no longer match their CRC
    archive.write_bytes(bytes(data))
    db = tmp_path / "d.db"
    first = ingest([archive], db, NO_OCR)
    outcomes = {f.origin.rsplit("!", 1)[1]: (f.outcome, f.reason) for f in first.files}
    assert outcomes == {"good.txt": ("imported", None), "bad.txt": ("failed", "corrupt")}
    second = ingest([archive], db, NO_OCR)
    assert second.counts == {"unchanged": 1, "failed": 1}
    import sqlite3

    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT status, origin FROM files ORDER BY status").fetchall()
    assert [r[0] for r in rows] == ["failed", "imported"]  # the damaged member is on record
    assert rows[0][1].endswith("!bad.txt")
