"""The committed fixtures and their gold files agree with each other and with the specs."""

from __future__ import annotations

import importlib
import json
import sys
import zipfile
from pathlib import Path

import pytest
from stdnum.cn import uscc

FIXTURES = Path(__file__).parent / "fixtures"
DECLARATIONS = FIXTURES / "declarations"
POLICIES = FIXTURES / "policies"
GOLDS = sorted(DECLARATIONS.glob("*.gold.json"))
FORMATS = {"docx", "doc", "pdf", "image"}


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _spec_module():
    sys.path.insert(0, str(FIXTURES))
    try:
        return importlib.import_module("spec")
    finally:
        sys.path.remove(str(FIXTURES))


@pytest.fixture(scope="module")
def specs_by_id() -> dict:
    return {s.id: s for s in _spec_module().make_specs()}


def test_there_are_enough_declarations() -> None:
    assert len(GOLDS) >= 40
    formats = {f["format"] for g in map(_load, GOLDS) for f in g["files"]}
    assert formats == FORMATS


@pytest.mark.parametrize("gold_path", GOLDS, ids=lambda p: p.name.split(".")[0])
def test_declaration_gold_is_consistent(gold_path: Path, specs_by_id: dict) -> None:
    gold = _load(gold_path)
    exp = gold["expected"]
    assert gold["files"], "every spec produced a file"
    for f in gold["files"]:
        assert f["format"] in FORMATS
        assert (DECLARATIONS / f["path"]).stat().st_size > 0
    firm_table = gold["tables"][1]
    assert len(firm_table) - 1 == len(exp["firms"]) >= 5
    assert [row[2] for row in firm_table[1:]] == [f["uscc_printed"] for f in exp["firms"]]
    assert [f["seq"] for f in exp["firms"]] == list(range(1, len(exp["firms"]) + 1))
    assert sum(c["checked"] for c in gold["checkboxes"]) == 1
    assert exp["track"]["direction"] == next(c["label"] for c in gold["checkboxes"] if c["checked"])
    assert exp["measures"]["chars"] == sum(not ch.isspace() for ch in exp["measures"]["text"])
    assert exp["measures"]["over_limit"] == (exp["measures"]["chars"] > 500)
    assert exp["plan"]["over_limit"] == (exp["plan"]["chars"] > 3000)
    assert exp["track_name"] in gold["text"]
    # the spec regenerates the same truth (the generator is deterministic)
    assert _spec_module().gold(specs_by_id[gold["id"]])["expected"] == exp


@pytest.mark.parametrize("gold_path", GOLDS, ids=lambda p: p.name.split(".")[0])
def test_credit_codes(gold_path: Path) -> None:
    exp = _load(gold_path)["expected"]
    flagged = {p["field"] for p in exp["problems"] if p["code"].startswith("uscc")}
    for i, firm in enumerate(exp["firms"]):
        assert uscc.is_valid(firm["uscc"]), firm
        if firm["uscc_printed"] == firm["uscc"]:
            assert firm["uscc_valid"]
            continue
        assert not uscc.is_valid(firm["uscc_printed"])
        diffs = [a != b for a, b in zip(firm["uscc_printed"], firm["uscc"], strict=True)]
        assert sum(diffs) == 1
        assert f"firms[{i}].uscc" in flagged


def test_some_codes_are_misprinted() -> None:
    firms = [f for g in map(_load, GOLDS) for f in g["expected"]["firms"]]
    bad = sum(f["uscc_printed"] != f["uscc"] for f in firms)
    assert 0.02 < bad / len(firms) < 0.10


def test_scans_record_their_seals() -> None:
    scans = [g for g in map(_load, GOLDS) if "scan" in g]
    assert scans
    for g in scans:
        assert g["scan"]["pages_with_seal"], g["id"]
        if not g["scan"].get("photo"):
            assert len(g["page_texts"]) <= 5


def test_docx_has_the_planted_markup() -> None:
    """The .docx fixtures carry the Word features readers must handle."""
    xml = {p.name: zipfile.ZipFile(p).read("word/document.xml").decode() for p in DECLARATIONS.glob("*.docx")}
    joined = "\n".join(xml.values())
    for marker in ("w:gridSpan", 'w:vMerge w:val="restart"', "w14:checkbox", 'w:char="F0FE"', "w:tblHeader"):
        assert marker in joined, marker


def test_policy_golds() -> None:
    golds = sorted(POLICIES.glob("*.gold.json"))
    assert len(golds) == 5
    for path in golds:
        stem = path.name.removesuffix(".gold.json")
        assert (POLICIES / f"{stem}.docx").is_file() and (POLICIES / f"{stem}.pdf").is_file()
        paragraphs = _load(path)["paragraphs"]
        assert len(paragraphs) > 10 and all(p.strip() == p and p for p in paragraphs)


def test_bad_inputs_are_listed() -> None:
    readme = (FIXTURES / "bad" / "README.md").read_text(encoding="utf-8")
    for name in ("empty.docx", "corrupt.pdf", "corrupt.docx", "encrypted.pdf", "bomb.docx",
                 "unknown.xyz", "pages600.pdf", "fake.pdf"):
        assert (FIXTURES / "bad" / name).exists()
        assert f"`{name}`" in readme
    assert (FIXTURES / "bad" / "bomb.docx").stat().st_size < 1 << 20
    with zipfile.ZipFile(FIXTURES / "bad" / "bomb.docx") as zf:
        assert zf.getinfo("word/document.xml").file_size > 500 * 1024 * 1024
