"""The bundled classification tables: counts, hierarchy, cross-links and name search."""

from __future__ import annotations

import pytest

from saidao.corpus.classifications import Scheme, load, normalise_name, scheme_of


@pytest.fixture(scope="module")
def gbt():
    return load(Scheme.GBT_4754_2017)


@pytest.fixture(scope="module")
def sei():
    return load(Scheme.SEI_2018)


@pytest.fixture(scope="module")
def isei():
    return load(Scheme.ISEI_2023)


@pytest.fixture(scope="module")
def future():
    return load(Scheme.FUTURE_2024)


def test_counts_match_the_sources(gbt, sei, isei, future):
    assert len(gbt) == 1972
    assert [sum(e.level == lvl for e in gbt.entries) for lvl in ("section", "division", "group", "class")] == [20, 97, 473, 1382]
    assert [sum(e.depth == d for e in sei.entries) for d in (1, 2, 3, 4)] == [9, 40, 189, 166]
    assert len(isei) == 355
    assert len(future) == 34


def test_by_code_and_path(gbt, sei):
    assert gbt.by_code("17").name == "纺织业"
    assert gbt.by_code(" 17 ").name == "纺织业"
    assert sei.by_code("2.1.1").name == "机器人与增材设备制造"
    assert sei.by_code("２．１．１").name == "机器人与增材设备制造"  # full-width digits
    assert gbt.path("3340") == [
        ("C", "制造业"),
        ("33", "金属制品业"),
        ("334", "金属丝绳及其制品制造"),
        ("3340", "金属丝绳及其制品制造"),
    ]
    assert sei.path("2.1.1") == [
        ("2", "高端装备制造产业"),
        ("2.1", "智能制造装备产业"),
        ("2.1.1", "机器人与增材设备制造"),
    ]
    assert gbt.by_code("9999") is None and gbt.path("9999") == []


def test_children_and_ancestors(gbt, sei):
    assert [e.code for e in gbt.children("17")][:2] == ["171", "172"]
    assert len(gbt.children("")) == 20
    assert [e.code for e in sei.ancestors("3.2.7.1")] == ["3", "3.2", "3.2.7"]
    assert sei.ancestors("3") == []


def test_gbt_codes_link_emerging_classes_to_gbt(gbt, sei, isei):
    assert sei.gbt_codes("2.1.1") == ("3491", "3492", "3493", "3964")
    assert "3491" in sei.gbt_codes("2.1")  # union over the leaves
    assert gbt.gbt_codes("17") == ()
    for table in (sei, isei):
        for entry in table.entries:
            for code in entry.gbt_codes:
                assert gbt.by_code(code) is not None, (table.scheme, entry.code, code)
            assert set(entry.gbt_codes_partial) <= set(entry.gbt_codes)


def test_editions_are_not_mixed(sei, isei):
    assert sei.by_code("8").name == "数字创意产业"
    assert isei.by_code("8").name == "航空航天产业"
    assert isei.by_code("6.7").name == "氢能产业"
    assert sei.by_code("6.7") is None


def test_search_prefers_whole_names(gbt, sei):
    assert gbt.search("纺织")[0][:2] == ("17", "纺织业")
    assert gbt.search("纺织业")[0] == ("17", "纺织业", 100.0)
    assert gbt.search("乳制品")[0][0] == "144"
    assert sei.search("机器人与增材设备制造")[0][0] == "2.1.1"
    assert sei.search("  机器人与增材设备制造 ")[0][0] == "2.1.1"
    assert gbt.search("") == []


def test_search_exact_name_prefers_deeper_class(gbt):
    # group 019 and class 0190 are both named 其他农业
    top = gbt.search("其他农业", limit=3)
    assert [c for c, _, s in top if s == 100.0] == ["0190", "019"]


def test_future_industries_keys_and_alias(future):
    assert [e.code for e in future.children("")][:6] == [
        "未来制造", "未来信息", "未来材料", "未来能源", "未来空间", "未来健康",
    ]
    assert future.by_code("未来空天").code == "未来空间"
    assert future.path("未来能源/核能") == [("未来能源", "未来能源"), ("未来能源/核能", "核能")]
    assert future.search("核能")[0][0] == "未来能源/核能"


@pytest.mark.parametrize(
    ("written", "scheme"),
    [
        ("GB/T 4754-2017", Scheme.GBT_4754_2017),
        ("国民经济行业分类（2017版）", Scheme.GBT_4754_2017),
        ("战略性新兴产业分类(2018版)", Scheme.SEI_2018),
        ("战略性新兴产业分类（2018）", Scheme.SEI_2018),
        ("工业战略性新兴产业分类目录（2023）", Scheme.ISEI_2023),
        ("工信部联科〔2024〕12号", Scheme.FUTURE_2024),
        ("未来产业", Scheme.FUTURE_2024),
        ("某某分类", None),
    ],
)
def test_scheme_of(written, scheme):
    assert scheme_of(written) is scheme


def test_load_accepts_written_names_and_caches():
    assert load("战略性新兴产业分类（2018版）") is load(Scheme.SEI_2018)
    with pytest.raises(ValueError):
        load("某某分类")


def test_normalise_name():
    assert normalise_name("三维（3D）打印 技术") == "三维(3D)打印技术"
    assert normalise_name("【人形机器人】") == "(人形机器人)"
