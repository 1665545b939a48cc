"""Lookalike glyphs in OCR'd running text (``extractors.ocr_words``, issue 12).

Two sides: slips the recogniser makes (one glyph for its one-stroke neighbour)
are put back, in sentences written here by hand; and no correct text the project
holds changes at all — the seed policies, the bundled corpus, the generated policy
set and every declaration's gold texts (with the form's own firm and platform names
protected, as the extractor protects them).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from saidao.document import Provenance
from saidao.extractors.declaration import _Found, _prose_restored, _Result
from saidao.extractors.ocr_words import LOOKALIKES, restore_words

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"


@pytest.mark.parametrize(("read", "true"), [
    ("园区建成标准化厂房，盘活闲置士地120亩。", "园区建成标准化厂房，盘活闲置土地120亩。"),
    ("相关企业己经完成技术改造。", "相关企业已经完成技术改造。"),
    ("面向末来产业布局一批重点项目", "面向未来产业布局一批重点项目"),
    ("加大高层次入才引进力度", "加大高层次人才引进力度"),
    ("依托龙头企业开展技术攻关，加决推进成果转化", "依托龙头企业开展技术攻关，加决推进成果转化"),  # not a pair
])
def test_one_stroke_slips_are_put_back(read: str, true: str) -> None:
    fixed, fixes = restore_words(read)
    assert fixed == true
    assert len(fixes) == (read != true)
    for fix in fixes:
        assert read[fix.at] == fix.printed and true[fix.at] == fix.restored and fix.restored in fix.word


def test_real_words_and_names_are_left_as_read() -> None:
    for text in ("博士地位", "自己的事", "末端治理", "人工智能产业", "输入输出", "天然气管道", "千亿级产业集群"):
        assert restore_words(text)[0] == text, text
    # a name the form prints in its firm table wins over a likelier word
    text = "依托黑老夭信用社开展普惠金融"
    assert restore_words(text)[0] != text
    assert restore_words(text, keep=["黑老夭信用社"]) == (text, [])


def test_every_pair_is_symmetric_and_never_maps_a_glyph_to_itself() -> None:
    for glyph, others in LOOKALIKES.items():
        assert glyph not in others
        assert all(glyph in LOOKALIKES[o] for o in others)


def _correct_texts() -> list[tuple[str, str, list[str]]]:
    """(where, text, names to keep) for every correct Chinese text the repository holds."""
    out: list[tuple[str, str, list[str]]] = []
    for folder in (TESTS / "refdata" / "seeds", ROOT / "corpus" / "policies",
                   TESTS / "fixtures" / "policy_set" / "out", TESTS / "fixtures" / "policies_unseen"):
        out += [(p.name, p.read_text("utf-8"), []) for p in sorted(folder.glob("*.txt"))]
    for folder in (TESTS / "fixtures" / "declarations", TESTS / "fixtures" / "scan_set2"):
        for gold_path in sorted(folder.glob("*.gold.json")):
            gold = json.loads(gold_path.read_text("utf-8"))["expected"]
            names = [x["name"] for x in (*gold["firms"], *gold.get("platforms", [])) if x.get("name")]
            out.append((gold_path.name, gold["measures"]["text"] + "\n" + gold["plan"]["text"], names))
    return out


def test_no_correct_text_changes() -> None:
    texts = _correct_texts()
    chars = sum(len(t) for _, t, _ in texts)
    assert chars > 200_000 and len(texts) > 100
    changed = [(where, fix) for where, text, names in texts for fix in restore_words(text, keep=names)[1]]
    print(f"\n{len(texts)} correct texts, {chars} characters: {len(changed)} changed")
    assert changed == []


def test_only_ocr_read_long_texts_are_restored_and_the_reading_is_kept() -> None:
    read = "对重点项目给予士地、能耗等要素保障。"
    for origin, want in (("ocr", "对重点项目给予土地、能耗等要素保障。"), ("text", read)):
        result = _Result()
        found = _prose_restored(_Found(read, Provenance("f.pdf", page=3, origin=origin)), "plan", result, [])
        assert found.value == want
        if origin == "ocr":
            repair = result.repairs["plan"]
            assert repair.printed == read and "土地" in repair.why and "形近字" in repair.why
        else:
            assert "plan" not in result.repairs


def test_the_word_counts_score_as_jieba_does() -> None:
    """``corpus.words.WordFrequencies.best`` is jieba's model without its prefix dictionary:
    the same score and the same words as ``get_DAG`` + ``calc`` on every phrase of the seeds."""
    import re

    from saidao.corpus.words import new_tokenizer, word_frequencies

    tok, model = new_tokenizer(), word_frequencies()
    assert model.total == tok.total
    phrases = [m.group() for p in sorted((TESTS / "refdata" / "seeds").glob("*.txt"))
               for m in re.finditer(r"[^\s，。、；：,.;:（）()“”《》]+", p.read_text("utf-8"))]
    assert len(phrases) > 2000
    for phrase in phrases:
        dag, route = tok.get_DAG(phrase), {}
        tok.calc(phrase, dag, route)
        spans, i = [], 0
        while i < len(phrase):
            spans.append((i, route[i][1] + 1))
            i = route[i][1] + 1
        score, words = model.best(phrase)
        assert words == spans and abs(score - route[0][0]) < 1e-9, phrase
