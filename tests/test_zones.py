"""The zone registry resolves the names people write, finds zones in clauses,
and answers whether a policy's jurisdiction covers a zone."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from saidao.corpus import zones as zones_mod
from saidao.corpus.policies import bundled
from saidao.corpus.zones import (
    find_division,
    jurisdiction_covers,
    normalise_key,
    regions,
    registry,
)
from saidao.errors import SaidaoError

BUNDLED = Path(zones_mod.__file__).with_name("zones.csv")


@pytest.fixture(scope="module")
def reg():
    return registry(BUNDLED)


def _rows() -> list[dict[str, str]]:
    with BUNDLED.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("row", _rows(), ids=lambda r: r["id"])
def test_every_name_and_alias_resolves_to_its_row(reg, row):
    names = [row["name"], *[a for a in row["aliases"].split("|") if a]]
    for name in names:
        zone = reg.resolve(name)
        if row["status"] == "not_htz":
            assert zone is None, name  # a look-alike is never a zone
        else:
            assert zone is not None and zone.id == row["id"], name


@pytest.mark.parametrize(
    ("written", "zone_id"),
    [
        ("稀土高新区", "baotou-rare-earth"),
        ("包头国家级稀土高新区", "baotou-rare-earth"),
        ("包头稀土高新区（盖章）", "baotou-rare-earth"),
        ("包头稀土高新区(盖章)", "baotou-rare-earth"),
        ("内蒙古包头稀土高新技术产业开发区管理委员会", "baotou-rare-earth"),
        ("鄂尔多斯高新区", "ordos"),
        ("鄂尔多斯 国家级 高新区", "ordos"),
        ("鄂尔多斯国家高新技术产业开发区", "ordos"),
        ("鄂尔多斯高新技术产业开发区管委会", "ordos"),
        ("呼和浩特金山高新区", "hohhot-jinshan"),
        ("内蒙古阿拉善高新技术产业开发区", "alxa"),
        ("\u3000赤峰高新区\u3000", "chifeng"),
        ("鄂尔多斯高新匹", "ordos"),  # one OCR-damaged character
        ("乌兰察布高新区", "ulanqab-planned"),
    ],
)
def test_resolve_written_forms(reg, written, zone_id):
    zone = reg.resolve(written)
    assert zone is not None and zone.id == zone_id


@pytest.mark.parametrize(
    "written",
    [
        "高新区",
        "高新区（盖章）",
        "国家级高新区",
        "开发区",
        "",
        "巴彦淖尔国家农业高新技术产业示范区",  # a 农高区, not bayannur-agri
        "和林格尔新区",
        "呼包鄂国家自主创新示范区",
        "满洲里高新区",  # no such zone
        "通辽经济技术开发区",  # candidate never shown to be an HTZ
    ],
)
def test_resolve_refuses_generic_unknown_and_lookalikes(reg, written):
    assert reg.resolve(written) is None


def test_fuzzy_does_not_cross_cities(reg):
    # "赤峰" and "通辽" share the generic part only
    assert reg.resolve("赤峰高新区").id == "chifeng"
    assert reg.resolve("通辽高新区").id == "tongliao"
    assert reg.resolve("包头高新匹") is not None and reg.resolve("包头高新匹").id == "baotou-rare-earth"


def test_normalise_key_folds_widths_qualifiers_and_expansions():
    assert normalise_key("包头 国家级 稀土高新技术产业开发区（盖章）") == "包头稀土高新区"
    assert normalise_key("内蒙古鄂托克经济技术开发区") == "鄂托克经开区"


def test_find_all_in_seed_clause_with_hard_wraps(reg):
    text = next(p for p in bundled() if p.doc_number == "内政发〔2021〕13号").text()
    start = text.index("（三）推动国家级高新区提质进位")
    clause = text[start : text.index("（四）", start)]
    found = reg.find_all(clause)
    assert [m.zone.id for m in found] == [
        "hohhot-jinshan", "baotou-rare-earth", "ordos",
        "chifeng", "alxa", "tongliao", "wuhai",
    ]
    for match in found:
        surface = re.sub(r"\s", "", clause[match.start : match.end])
        assert reg.resolve(surface).id == match.zone.id
    # the wrapped "包头国家级稀土\n\n高新区" is one mention
    baotou = found[1]
    assert "\n" in clause[baotou.start : baotou.end]


def test_find_all_longest_first_and_skips_lookalikes(reg):
    text = "建设巴彦淖尔国家农业高新技术产业示范区，支持巴彦淖尔农业高新区和包头稀土高新区发展。"
    found = reg.find_all(text)
    assert [(m.zone.id, text[m.start : m.end]) for m in found] == [
        ("bayannur-agri", "巴彦淖尔农业高新区"),
        ("baotou-rare-earth", "包头稀土高新区"),
    ]


def test_find_all_city_document_short_form(reg):
    text = next(p for p in bundled() if p.doc_number == "鄂府发〔2025〕36号").text()
    ids = {m.zone.id for m in reg.find_all(text)}
    assert ids == {"ordos"}


def test_in_city_and_in_county(reg):
    assert {z.id for z in reg.in_city("鄂尔多斯市")} == {"ordos", "ordos-otog"}
    assert {z.id for z in reg.in_city("鄂尔多斯")} == {"ordos", "ordos-otog"}
    assert {z.id for z in reg.in_county("和林格尔县")} == {"horinger-planned"}
    assert {z.id for z in reg.in_county("青山区")} == {"baotou-equipment"}
    assert all(z.status != "not_htz" for z in reg.all())
    assert {z.id for z in reg.all()} >= {"baotou-rare-earth", "hohhot-jinshan", "ordos"}
    assert all(z.status == "existing" for z in reg.all(include_planned=False))


def test_planned_zones_are_flagged_not_invented(reg):
    planned = {z.id: z for z in reg.all() if z.is_planned}
    assert set(planned) == {"ulanqab-planned", "hulunbuir-planned", "xilingol-planned", "horinger-planned"}
    assert all(z.confidence == "low" and z.note for z in planned.values())
    assert reg.get("xingan-etdz").status == "existing"  # 兴安盟 got its zone in 2023


def test_jurisdiction_city_county_region(reg):
    ordos, baotou = reg.get("ordos"), reg.get("baotou-rare-earth")
    horinger, jinshan = reg.get("horinger-planned"), reg.get("hohhot-jinshan")
    assert jurisdiction_covers("鄂尔多斯市", ordos, reg)
    assert jurisdiction_covers("鄂尔多斯市人民政府", ordos, reg)
    assert not jurisdiction_covers("鄂尔多斯市", baotou, reg)
    covered = [z.id for z in reg.all() if jurisdiction_covers("和林格尔县", z, reg)]
    assert covered == ["horinger-planned"]
    assert horinger.is_planned
    assert not jurisdiction_covers("和林格尔县", jinshan, reg)
    assert jurisdiction_covers("呼和浩特市", jinshan, reg)
    for issuer in ("内蒙古自治区", "内蒙古自治区科学技术厅", "自治区人民政府", "国务院", "工业和信息化部"):
        assert all(jurisdiction_covers(issuer, z, reg) for z in reg.all()), issuer
    assert jurisdiction_covers("鄂尔多斯高新区管委会", ordos, reg)
    assert not jurisdiction_covers("鄂尔多斯高新区管委会", reg.get("ordos-otog"), reg)
    assert not jurisdiction_covers("", ordos, reg)
    assert not jurisdiction_covers("某某公司", ordos, reg)


def test_divisions_from_gbt2260():
    cities = regions()
    assert len(cities) == 12
    assert sum(len(c.counties) for c in cities) == 103
    region, county = find_division("呼和浩特市和林格尔县人民政府")
    assert (region.name, county) == ("呼和浩特市", "和林格尔县")
    assert find_division("锡林郭勒")[0].name == "锡林郭勒盟"
    assert find_division("科学技术厅") is None


def test_bundled_regions_match_stdnum_loc_dat():
    """regions.csv was derived from python-stdnum's GB/T 2260 table: keep them in step."""
    import stdnum

    loc = Path(stdnum.__file__).parent / "cn" / "loc.dat"
    current: set[str] = set()
    in_region = False
    for line in loc.read_text(encoding="utf-8").splitlines():
        if not line.startswith(" "):
            in_region = line.startswith("15 ")
            continue
        code, _, rest = line.strip().partition(" ")
        if not in_region or code == "0000":
            continue
        value = re.search(r'county="(.*)"', rest).group(1)
        for part in value.split(","):
            m = re.fullmatch(r"(?:\[(\d*)-(\d*)\])?(.*)", part)
            if (m.group(1) is None or m.group(2) == "") and m.group(3) != "市辖区":
                current.add(m.group(3))
    bundled_names = {n for c in regions() for n in (c.name, *c.counties)}
    assert bundled_names == current


def test_env_var_points_at_an_edited_copy(tmp_path, monkeypatch):
    edited = tmp_path / "zones.csv"
    rows = _rows()
    with edited.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            if row["id"] == "chifeng":
                row["aliases"] += "|赤峰红山高新园"
            writer.writerow(row)
    monkeypatch.setenv("SAIDAO_ZONES", str(edited))
    assert registry().resolve("赤峰红山高新园").id == "chifeng"
    monkeypatch.delenv("SAIDAO_ZONES")
    assert registry().resolve("赤峰红山高新园") is None


def test_bad_registry_files_raise_saidao_error(tmp_path):
    with pytest.raises(SaidaoError) as missing:
        registry(tmp_path / "nope.csv")
    assert missing.value.reason == "not_found"
    broken = tmp_path / "broken.csv"
    broken.write_text("id,name\nx,某高新区\n", encoding="utf-8")
    with pytest.raises(SaidaoError) as corrupt:
        registry(broken)
    assert corrupt.value.reason == "corrupt"


def test_alias_clash_is_reported(tmp_path):
    clash = tmp_path / "clash.csv"
    clash.write_text(
        "id,name,aliases,level,city,county,status\n"
        "a,甲高新区,共同名,region,包头市,,existing\n"
        "b,乙高新区,共同名,region,包头市,,existing\n",
        encoding="utf-8",
    )
    with pytest.raises(SaidaoError) as error:
        registry(clash)
    assert error.value.reason == "corrupt" and "共同名" in error.value.detail


def test_unknown_status_is_reported(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "id,name,aliases,level,city,county,status\na,甲高新区,,region,包头市,,maybe\n",
        encoding="utf-8",
    )
    with pytest.raises(SaidaoError) as error:
        registry(bad)
    assert "maybe" in error.value.detail


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "依托呼和浩特金山、包头稀土和鄂尔多斯国家高新技术产业开发区，在稀土新材料",
            [("hohhot-jinshan", "呼和浩特金山"), ("baotou-rare-earth", "包头稀土"),
             ("ordos", "鄂尔多斯国家高新技术产业开发区")],
        ),
        (
            "推动呼和浩特金山、包头稀土、鄂尔多斯三个国家高新区深化科技体制改革",
            [("hohhot-jinshan", "呼和浩特金山"), ("baotou-rare-earth", "包头稀土"), ("ordos", "鄂尔多斯")],
        ),
        (
            "推动通辽、赤峰、阿拉善高新区升级国家级高新区",
            [("tongliao", "通辽"), ("chifeng", "赤峰"), ("alxa", "阿拉善高新区")],
        ),
        ("支持包头、鄂尔多斯等地发展", []),  # cities, not zones
    ],
)
def test_find_all_shared_head_lists(reg, text, expected):
    assert [(m.zone.id, text[m.start : m.end]) for m in reg.find_all(text)] == expected
