"""Stored answers follow the code: an edit to any module the duplicate groups depend on,
imported absolutely or relatively, makes the stored groups recompute.

The bug this guards (issue 15): the fingerprint skipped relative imports, so a
release that changed width folding (``text_width.py``, reached relatively from
``normalize.py``) kept serving the old groups. The test edits a *copy* of the
source tree: the fingerprint is pointed at the copies, the installed code is
left alone.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from saidao.index import cache, dupes
from saidao.index.store import Index

SAME = "91150291558112116R"
EDITED = "saidao.extractors.text_width"


@pytest.fixture()
def indexed(index_of_tracks) -> Path:
    return index_of_tracks([[("包头伊利乳业有限责任公司", SAME)], [("包头伊利乳业有限公司", SAME)]])


def copy_sources(tmp_path: Path, *, relative: bool) -> dict[str, Path]:
    """A copy of every module the groups reach; with ``relative`` every import of
    ``text_width`` inside ``saidao.extractors`` is rewritten ``from .text_width import``,
    so the copy reaches it only relatively."""
    copies: dict[str, Path] = {}
    for name, path in cache._source_files(dupes.__name__):
        target = tmp_path / "src" / (name.replace(".", "/") + ".py")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        if relative and name.startswith("saidao.extractors."):
            text = target.read_text(encoding="utf-8")
            target.write_text(re.sub(r"from saidao\.extractors\.text_width import",
                                     "from .text_width import", text), encoding="utf-8")
        copies[name] = target
    return copies


def point_fingerprint_at(monkeypatch: pytest.MonkeyPatch, copies: dict[str, Path]) -> None:
    real = cache._origin

    def origin(module: str) -> str | None:
        return str(copies[module]) if module in copies else real(module)

    monkeypatch.setattr(cache, "_origin", origin)
    cache.code_version.cache_clear()


def regrouped(index_path: Path, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Whether asking for the groups (as a new process would) computes them again."""
    calls: list[int] = []
    real = dupes.compute_groups

    def counting(db: object) -> object:
        calls.append(1)
        return real(db)

    counting.__module__ = real.__module__  # the fingerprint is taken of the real code
    cache._memo.clear()
    cache.code_version.cache_clear()
    with monkeypatch.context() as patch:
        patch.setattr(dupes, "compute_groups", counting)
        with Index.open(index_path) as index:
            [group] = dupes.all_groups(index)
    assert group.name.startswith("包头伊利乳业")
    return bool(calls)


@pytest.mark.parametrize("relative", [False, True], ids=["absolute", "relative"])
def test_an_edited_dependency_recomputes_the_stored_groups(
        indexed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, relative: bool) -> None:
    copies = copy_sources(tmp_path, relative=relative)
    assert EDITED in copies
    if relative:
        assert "from .text_width import" in copies["saidao.extractors.normalize"].read_text(
            encoding="utf-8")
    point_fingerprint_at(monkeypatch, copies)
    reached = {name for name, _ in cache._source_files(dupes.__name__)}
    assert EDITED in reached  # found through the relative imports too
    assert regrouped(indexed, monkeypatch)  # first time: computed and stored
    assert not regrouped(indexed, monkeypatch)  # same code: read back
    with copies[EDITED].open("a", encoding="utf-8") as handle:
        handle.write("\n# a release that changes width folding\nCHANGED = True\n")
    assert regrouped(indexed, monkeypatch)  # edited dependency: recomputed
    assert not regrouped(indexed, monkeypatch)
    cache.code_version.cache_clear()
