"""Missing and garbled text layers: the decision that sends a PDF page to OCR."""

from __future__ import annotations

import random

import pytest

from saidao.ingest.textlayer import (
    GARBLED,
    NO_TEXT,
    bad_char_share,
    rare_cjk_share,
    text_layer_problem,
)
from saidao.settings import ReadSettings

CLEAN = "鄂尔多斯市人民政府关于支持鄂尔多斯高新技术产业开发区高质量发展的若干意见。各旗区人民政府，市直各有关部门："
SETTINGS = ReadSettings()


def test_clean_chinese_text_is_usable() -> None:
    assert bad_char_share(CLEAN) == 0.0
    assert text_layer_problem(CLEAN, has_images=True, settings=SETTINGS) == ""


def test_traditional_chinese_is_plausible() -> None:
    text = "鄂爾多斯市人民政府關於支持高新技術產業開發區高質量發展的若干意見，各旗區人民政府。"
    assert text_layer_problem(text, has_images=False, settings=SETTINGS) == ""


def test_too_few_chars_is_missing_only_when_the_page_has_images() -> None:
    assert text_layer_problem(" 3 ", has_images=True, settings=SETTINGS) == NO_TEXT
    assert text_layer_problem(" 3 ", has_images=False, settings=SETTINGS) == ""
    assert text_layer_problem("一二三四五六七八九十", has_images=True, settings=SETTINGS) == ""
    assert text_layer_problem("一二三", has_images=True, settings=SETTINGS.replace(min_text_chars=3)) == ""


@pytest.mark.parametrize(
    "junk",
    [
        "\ue012\ue013\ue014\ue015\ue016" * 6,  # private use
        "(cid:123)(cid:45)(cid:77)" * 5,
        "\ufffd" * 30,
        "".join(chr(c) for c in range(1, 9)) * 4,  # control characters (ToUnicode missing)
        CLEAN.encode("utf-8").decode("latin-1"),  # UTF-8 read as Latin-1
        CLEAN.encode("utf-8").decode("cp1252", errors="replace"),
        CLEAN.encode("gbk").decode("latin-1"),  # GBK read as Latin-1
    ],
)
def test_junk_is_garbled(junk: str) -> None:
    assert text_layer_problem(junk + CLEAN[:10], has_images=False, settings=SETTINGS) == GARBLED


def test_threshold_comes_from_settings() -> None:
    text = CLEAN + "\ue012" * 8  # about 15 % junk
    share = bad_char_share(text)
    assert 0.1 < share < 0.2
    assert text_layer_problem(text, False, SETTINGS.replace(garbled_threshold=0.1)) == GARBLED
    assert text_layer_problem(text, False, SETTINGS.replace(garbled_threshold=0.3)) == ""


def test_wingdings_check_boxes_are_not_junk() -> None:
    assert bad_char_share("\uf0fe是 \uf0a8否") == 0.0


def test_latin_text_with_accents_is_not_mojibake() -> None:
    assert bad_char_share("Müller, café, résumé, naïve, São Paulo") == 0.0


def test_implausible_cjk_is_garbled() -> None:
    rng = random.Random(7)
    noise = "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(200))
    assert rare_cjk_share(noise) > 0.5
    assert rare_cjk_share(CLEAN * 2) < 0.1
    assert text_layer_problem(noise, False, SETTINGS) == GARBLED
