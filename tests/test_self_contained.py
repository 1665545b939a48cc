"""The repository stands alone: a clone with nothing beside it installs, runs and tests.

The developers' shared folder is not part of a user's clone, so no tracked file may
point at it; the data the tests need is copied into ``tests/refdata`` (see its README).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Spelt in two parts so that this file does not name what it forbids.
FORBIDDEN = ("../" + "shared", "/work/" + "shared")


def tracked_files() -> list[Path]:
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                             check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout (an unpacked sdist has no shared folder to name)")
    return [ROOT / name for name in out.decode().split("\0") if name]


def test_no_tracked_file_names_the_shared_folder() -> None:
    offenders = []
    for path in tracked_files():
        if not path.is_file() or path.stat().st_size > 5_000_000:
            continue
        data = path.read_bytes()
        if b"\0" in data[:4096]:
            continue  # binary fixtures
        text = data.decode("utf-8", "replace")
        offenders += [f"{path.relative_to(ROOT)}: {word}" for word in FORBIDDEN if word in text]
    assert offenders == []


def test_reference_copies_are_present() -> None:
    refdata = ROOT / "tests" / "refdata"
    assert len(list((refdata / "seeds").glob("*.txt"))) == 5
    for name in ("real_firms.csv", "valid.txt", "invalid.txt"):
        assert (refdata / "reference" / "uscc" / name).stat().st_size > 0
