"""The bundled corpus: seed policies with their metadata, lexicons tied to real
codes, and loaders that read only files shipped inside the package."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import date
from pathlib import Path

import pytest

import saidao.corpus as corpus_pkg
from saidao.corpus import classifications, lexicon, policies, zones
from saidao.corpus.classifications import load

PACKAGE_DIR = Path(corpus_pkg.__file__).resolve().parent


def _flat(text: str) -> str:
    return re.sub(r"\s", "", text)


@pytest.fixture(scope="module")
def seed_text() -> str:
    return "".join(_flat(p.text()) for p in policies.bundled())


def _clear_caches() -> None:
    for cached in (
        policies._load, classifications._load, zones._load_registry, zones.regions,
        zones._division_names, lexicon._industries, lexicon._beneficiaries,
    ):
        cached.cache_clear()


def test_loaders_read_only_package_files(monkeypatch):
    """Nothing outside the package (e.g. the project's shared folder) is opened, so a wheel works alone."""
    opened: list[Path] = []
    real_open = io.open

    def spy(file, *args, **kwargs):
        if isinstance(file, (str, Path)):
            opened.append(Path(file).resolve())
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(io, "open", spy)
    monkeypatch.delenv("SAIDAO_ZONES", raising=False)
    _clear_caches()
    try:
        for policy in policies.bundled():
            policy.text()
        for scheme in classifications.Scheme:
            load(scheme)
        zones.registry().resolve("稀土高新区")
        zones.regions()
        lexicon.jieba_user_dict()
    finally:
        monkeypatch.undo()
        _clear_caches()
    assert opened, "the spy saw no file opens"
    outside = [p for p in opened if PACKAGE_DIR not in p.parents]
    assert outside == []


def test_bundled_policies_metadata():
    bundle = {p.seed_stem: p for p in policies.bundled()}
    assert len(bundle) == 5
    first = bundle["000_85343553a506e6d7"]
    assert first.doc_number == "内科高字〔2026〕11号"
    assert first.issuer == "内蒙古自治区科学技术厅"
    assert first.signed_date == date(2026, 3, 17) and first.printed_date is None
    opinions = bundle["001_e594227e6f39871e"]
    assert (opinions.signed_date, opinions.printed_date) == (date(2021, 10, 15), date(2021, 10, 28))
    assert bundle["003_c4eb0391d8a3dfe8"].level == "city"
    assert bundle["003_c4eb0391d8a3dfe8"].jurisdiction == "鄂尔多斯市"
    county = bundle["004_77c083acec178a4c"]
    assert (county.level, county.jurisdiction, county.doc_number) == ("county", "和林格尔县", "")
    assert policies.by_doc_number("内政发〔2021〕13 号") is opinions


def test_bundled_policy_files_are_intact_and_match_their_metadata():
    for policy in policies.bundled():
        assert PACKAGE_DIR in policy.path.resolve().parents
        assert hashlib.sha256(policy.path.read_bytes()).hexdigest() == policy.sha256
        assert policy.level in policies.LEVELS
        text = _flat(policy.text())
        if policy.doc_number:
            assert policy.doc_number in text
        if policy.signed_date:
            d = policy.signed_date
            assert f"{d.year}年{d.month}月{d.day}日" in text
        if policy.printed_date:
            d = policy.printed_date
            assert f"{d.year}年{d.month}月{d.day}日印发" in text


def test_every_lexicon_code_exists_in_its_table():
    checked = 0
    for term in lexicon.industries():
        for scheme, code in term.codes:
            assert load(scheme).by_code(code) is not None, (term.term, scheme, code)
            checked += 1
    assert checked > 100


def test_terms_without_codes_say_why():
    for term in lexicon.industries():
        if not term.codes:
            assert "no class" in term.note, term.term


def test_lexicon_terms_come_from_the_seeds(seed_text):
    """A term whose note cites a seed is written (as term or alias) in the bundled texts."""
    for entry in [*lexicon.industries(), *lexicon.beneficiaries()]:
        if re.match(r"seeds? \d", entry.note):
            assert any(_flat(n) in seed_text for n in entry.names), entry.term


def test_lexicon_lookups():
    assert lexicon.industry("中医药").term == "蒙中医药"
    assert lexicon.industry("稀土").codes[0] == (classifications.Scheme.GBT_4754_2017, "0932")
    assert lexicon.industry("不存在的产业") is None
    assert lexicon.beneficiary("小巨人").term == "专精特新“小巨人”企业"
    assert lexicon.beneficiary("孵化器").kind == "platform"
    kinds = {b.kind for b in lexicon.beneficiaries()}
    assert kinds == {"firm", "platform", "talent", "institution"}


def test_parse_codes_rejects_unknown_schemes():
    assert lexicon.parse_codes("GB/T 4754-2017:17;未来产业:未来能源/核能") == (
        (classifications.Scheme.GBT_4754_2017, "17"),
        (classifications.Scheme.FUTURE_2024, "未来能源/核能"),
    )
    with pytest.raises(ValueError):
        lexicon.parse_codes("某分类:17")


def test_jieba_user_dict():
    words = lexicon.jieba_user_dict()
    assert len(words) == len(set(words))
    for expected in ("稀土高新区", "鄂尔多斯高新区", "稀土", "氢能", "高新技术企业", "科技型中小企业"):
        assert expected in words
    assert not any(len(w) < 2 or re.search(r"\s", w) for w in words)
