"""OCR-damaged form values (issue 12, item 3): dates, zone names, e-mail, phones, firm rows.

Test strings come from a small damage generator (``damage``) applied to values
built here, and from hand-written misreads; none is taken from the fixtures.
Every reader must return the true value or nothing: a repair is never a guess.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

import pytest

from saidao.corpus.zones import registry
from saidao.document import Cell, Document, Provenance, Table
from saidao.extractors.declaration import (
    _MOBILE,
    _PHONE,
    _POSTCODE,
    UNIT_FIELDS,
    _Found,
    _repair_unit,
    _Result,
    read_firms,
)
from saidao.extractors.ocr_values import (
    letter_l_in_local_part,
    parse_ocr_date,
    repair_digits,
    repair_email,
    seq_number,
)

# --------------------------------------------------------------------------
# the damage generator: what print OCR does to a short value
# --------------------------------------------------------------------------

#: true character -> what OCR reads instead (one-way: a generator, not the reader's table)
OCR_MISREADS: dict[str, str | tuple[str, ...]] = {
    "0": "OoD", "1": "lI|", "2": "Z", "5": "S", "6": "G", "8": "B", "9": "g",
    "年": "午", "月": "冃", "日": "曰目", ".": ",，。", "@": "#",
    "m": ("rn",), "w": ("vv",),
    # zone names: glyphs one stroke apart
    "术": "木", "开": "幵", "技": "枝", "员": "贝", "土": "士", "新": "亲", "区": "匚",
    "业": "亚", "产": "严", "头": "斗", "高": "髙",
}


def damage(text: str, rng: random.Random, errors: int = 1, spaces: bool = True) -> str:
    """``errors`` misreads at random damageable positions, and maybe a stray space."""
    chars = list(text)
    spots = [i for i, ch in enumerate(chars) if ch in OCR_MISREADS]
    for i in rng.sample(spots, min(errors, len(spots))):
        chars[i] = rng.choice(OCR_MISREADS[chars[i]])
    if spaces and rng.random() < 0.3 and len(chars) > 2:
        chars.insert(rng.randrange(1, len(chars)), " ")
    return "".join(chars)


def test_damage_generator_damages() -> None:
    rng = random.Random(1)
    out = {damage("2026年4月28日", rng, spaces=False) for _ in range(50)}
    assert "2026年4月28日" not in out and len(out) > 5


# --------------------------------------------------------------------------
# dates
# --------------------------------------------------------------------------


def _date_forms(d: dt.date) -> list[str]:
    """Every written form a form's date takes."""
    return [f"{d.year}年{d.month}月{d.day}日", f"{d.year}年{d.month:02d}月{d.day:02d}日",
            f"{d.year}.{d.month}.{d.day}", f"{d.year}-{d.month:02d}-{d.day:02d}",
            f"{d.year}/{d.month}/{d.day}", f"{d.year} 年 {d.month} 月 {d.day} 日",
            f"日期：{d.year}年{d.month}月{d.day}日"]


@pytest.mark.parametrize("printed, true", [
    ("2026年4月28曰", (2026, 4, 28)),
    ("2O26年4月2B日", (2026, 4, 28)),
    ("2026午4月28日", (2026, 4, 28)),
    ("2026年4冃28日", (2026, 4, 28)),
    ("2026年l2月l日", (2026, 12, 1)),
    ("2026年4月28", (2026, 4, 28)),  # 日 lost at the cell's edge
    ("ZO26年O4月O8日", (2026, 4, 8)),
    ("2026,4.28", (2026, 4, 28)),
    ("2026。4。28", (2026, 4, 28)),
    ("2O26-O4-2S", (2026, 4, 25)),
    ("二O二六年四月二十八日", (2026, 4, 28)),
    ("二〇二六午四冃二十八曰", (2026, 4, 28)),
    ("（盖章）  2026 年 4 月 2 8 日", (2026, 4, 28)),
])
def test_hand_made_misread_dates(printed: str, true: tuple[int, int, int]) -> None:
    assert parse_ocr_date(printed) == dt.date(*true)


@pytest.mark.parametrize("printed", [
    "2026年2月30日",  # no such day
    "2026年13月1日",
    "1826年4月28日",  # implausible year
    "ZOlS年l月l日",  # a "year" with no real digit in it
    "年月日", "", "版本1.2026.4.20",
])
def test_implausible_or_unreadable_dates_are_none(printed: str) -> None:
    assert parse_ocr_date(printed) is None


def test_generated_damaged_dates_never_misread() -> None:
    rng = random.Random(20260428)
    total = right = wrong = 0
    for _ in range(300):
        true = dt.date(2021, 1, 1) + dt.timedelta(days=rng.randrange(2500))
        for form in _date_forms(true):
            for errors in (1, 2):
                got = parse_ocr_date(damage(form, rng, errors))
                total += 1
                right += got == true
                wrong += got not in (None, true)
    print(f"\nOCR dates: {total} damaged dates (1-2 misreads), read right {right / total:.2%}, "
          f"wrong {wrong}")
    assert wrong == 0
    assert right / total >= 0.97


def test_strict_dates_are_unchanged() -> None:
    for form in _date_forms(dt.date(2026, 4, 20)):
        assert parse_ocr_date(form) == dt.date(2026, 4, 20)


# --------------------------------------------------------------------------
# zone names
# --------------------------------------------------------------------------


def test_generated_damaged_zone_names_resolve_or_stay_unknown() -> None:
    zones = registry()
    rng = random.Random(12)
    total = right = wrong = 0
    for zone in zones.all(include_planned=False):
        for name in zone.names:
            for _ in range(6):
                printed = damage(name + rng.choice(["", "（盖章）", "管理委员会"]), rng,
                                 rng.choice([1, 1, 2]))
                got = zones.resolve_ocr(printed)
                total += 1
                right += got is not None and got.id == zone.id
                if got is not None and got.id != zone.id:
                    wrong += 1
                    print("wrong:", printed, got.id, zone.id)
    print(f"\nOCR zone names: {total} damaged names, resolved right {right / total:.2%}, wrong {wrong}")
    assert wrong == 0
    assert right / total >= 0.9


@pytest.mark.parametrize("printed, zone_id", [
    ("包头稀土高新技木产业开发区", "baotou-rare-earth"),
    ("鄂尔多斯高新技术产业开发区管理委贝会", "ordos"),
    ("乌海高新技术产业幵发区（盖章）", "wuhai"),
    ("阿拉善高亲匚（盖章）", "alxa"),
])
def test_hand_made_zone_misreads(printed: str, zone_id: str) -> None:
    assert registry().resolve(printed) is None  # the strict lookup misses them
    zone = registry().resolve_ocr(printed)
    assert zone is not None and zone.id == zone_id


def test_ocr_zone_lookup_stays_strict_where_it_must() -> None:
    zones = registry()
    assert zones.resolve_ocr("高新技术产业开发区") is None  # which one?
    assert zones.resolve_ocr("巴彦淖尔国家农业高新技术产业示范区") is None  # a look-alike, no zone


# --------------------------------------------------------------------------
# e-mail and phone numbers
# --------------------------------------------------------------------------

LOCALS = ("zhangsan", "nmg_kjj", "li.ming2026", "gxq.office", "wangwei88")
DOMAINS = ("163.com", "126.com", "qq.com", "sina.com", "foxmail.com", "139.com", "nmg.gov.cn")


def test_hand_made_email_misreads() -> None:
    assert repair_email("zhangsan@l63.com").value == "zhangsan@163.com"
    assert repair_email("zhangsan@163.corn").value == "zhangsan@163.com"
    assert repair_email("zhang san @ qq . com").value == "zhangsan@qq.com"
    assert repair_email("nmgkj#126，com").value == "nmgkj@126.com"
    assert repair_email("kjj@nmg.gov.cn") is None  # fits: nothing to repair
    assert repair_email("kjj#a(a)b.com") is None  # two @ lookalikes: which one?
    assert repair_email("张三@163.com") is None  # no repair makes a Chinese local part valid


def _unit_read(email: str, origin: str) -> tuple[dict[str, str], _Result]:
    result = _Result()
    result.basic["email"] = _Found(email, Provenance("form.pdf", page=1, origin=origin, confidence=0.9))
    unit = {key: "" for key in UNIT_FIELDS} | {"email": email}
    _repair_unit(unit, result)
    return unit, result


def test_a_stroke_inside_an_ocr_read_mailbox_name_is_the_letter_l() -> None:
    """OCR reads l as 1 in an address's local part (tong1iaokj779): read as l, printed kept.
    A typed address is never changed, and a 1 among digits or at a word's end stays."""
    unit, result = _unit_read("tong1iaokj779@l26.com", "ocr")
    assert unit["email"] == "tongliaokj779@126.com"
    assert result.repairs["email"].printed == "tong1iaokj779@l26.com"
    assert "形近字母" in result.repairs["email"].why and "域名" in result.repairs["email"].why
    unit, result = _unit_read("tong1iaokj779@126.com", "text")
    assert unit["email"] == "tong1iaokj779@126.com" and "email" not in result.repairs
    for kept in ("li.ming2026@163.com", "kj1@163.com", "a12b@qq.com", "wang_1@163.com"):
        assert letter_l_in_local_part(kept) is None, kept


def test_an_ocr_read_contact_gets_back_the_surname_its_first_glyph_stands_for() -> None:
    """阁 begins no surname, its one-stroke lookalike 阎 does: 阁志海 is 阎志海 (OCR'd only)."""
    result = _Result()
    prov = Provenance("form.pdf", page=1, origin="ocr", confidence=0.9)
    result.basic["contact"] = _Found("阁志海", prov)
    unit = {key: "" for key in UNIT_FIELDS} | {"contact": "阁志海"}
    _repair_unit(unit, result)
    assert unit["contact"] == "阎志海" and result.repairs["contact"].printed == "阁志海"
    for kept in ("巴特尔", "乌云其其格", "王芳", "欧阳明", "阎志海"):
        unit = {key: "" for key in UNIT_FIELDS} | {"contact": kept}
        result.basic["contact"] = _Found(kept, prov)
        _repair_unit(unit, result)
        assert unit["contact"] == kept
    result = _Result()
    result.basic["contact"] = _Found("阁志海", Provenance("form.docx", origin="text"))
    unit = {key: "" for key in UNIT_FIELDS} | {"contact": "阁志海"}
    _repair_unit(unit, result)
    assert unit["contact"] == "阁志海"  # typed: as written


def test_generated_damaged_emails_never_repaired_wrongly() -> None:
    rng = random.Random(3)
    total = right = wrong = 0
    for local in LOCALS:
        for domain in DOMAINS:
            true = f"{local}@{domain}"
            for _ in range(10):
                printed = _damage_mail(true, rng)
                fixed = repair_email(printed)
                total += 1
                if fixed is not None:
                    right += fixed.value == true
                    wrong += fixed.value != true
    print(f"\nOCR e-mail: {total} damaged addresses, repaired right {right / total:.2%}, wrong {wrong}")
    assert wrong == 0
    assert right / total >= 0.6


def _damage_mail(address: str, rng: random.Random) -> str:
    """One misread in the @ or the domain.

    A misread inside the local part is out of reach: nothing to check it against.
    """
    local, domain = address.split("@")
    if rng.random() < 0.3:
        at = rng.choice(["#", "＠", " @ ", "(a)"])
        return f"{local}{at}{domain}"
    return f"{local}@{damage(domain, rng, 1, spaces=False)}"


def test_generated_damaged_phone_numbers() -> None:
    rng = random.Random(5)
    total = right = wrong = 0
    for _ in range(300):
        mobile = "1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9))
        phone = "0" + "".join(rng.choice("0123456789") for _ in range(3)) + "-" + \
            "".join(rng.choice("0123456789") for _ in range(7))
        postcode = "0" + "".join(rng.choice("0123456789") for _ in range(5))
        for true, shape, keep in ((mobile, _MOBILE, ""), (phone, _PHONE, "-转"), (postcode, _POSTCODE, "")):
            printed = damage(true, rng, rng.choice([1, 2]))
            fixed = repair_digits(printed, shape, keep=keep)
            total += 1
            got = fixed.value if fixed else printed.replace(" ", "")
            right += got == true
            wrong += fixed is not None and fixed.value != true
    print(f"\nOCR numbers: {total} damaged numbers, right after repair {right / total:.2%}, wrong {wrong}")
    assert wrong == 0
    assert right / total >= 0.95


def test_numbers_that_fit_are_left_alone() -> None:
    assert repair_digits("139 1234 5678", _MOBILE) is None
    assert repair_digits("0472-5123456", _PHONE, keep="-转") is None
    assert repair_digits("1391234567", _MOBILE) is None  # a digit lost: no unique repair


# --------------------------------------------------------------------------
# firm rows: the 序号 column counts them
# --------------------------------------------------------------------------

REAL_FIRMS = Path(__file__).resolve().parent / "refdata" / "reference" / "uscc" / "real_firms.csv"
CODES = [row["uscc"] for row in csv.DictReader(REAL_FIRMS.open(encoding="utf-8"))][:12]


def _firm_doc(rows: list[tuple[str, str, str]], split_after: int = 4) -> Document:
    """A firm table split over two pages, as a scan reads it: (序号, name, code) per row."""
    tables = []
    for t, (chunk, page) in enumerate(((rows[:split_after], 1), (rows[split_after:], 2))):
        prov = Provenance("scan.pdf", page=page, origin="ocr", confidence=0.9)
        body = ([("序号", "企业名称", "统一社会信用代码")] if t == 0 else []) + chunk
        cells = [Cell(r, c, text, prov.at(table=t, cell=(r, c)))
                 for r, row in enumerate(body) for c, text in enumerate(row)]
        tables.append(Table(len(body), 3, cells, prov.at(table=t), pages=[page]))
    return Document(path="scan.pdf", sha256="x", format="pdf", blocks=tables)


def _rows(numbers: list[str]) -> list[tuple[str, str, str]]:
    return [(n, f"内蒙古测试企业{i}有限公司", CODES[i % len(CODES)]) for i, n in enumerate(numbers)]


def test_ocr_misread_row_numbers_still_count() -> None:
    result = _Result()
    firms = read_firms(_firm_doc(_rows(["l", "2", "3.", "4", "S", "（6）", "7"])), result)
    assert [f["seq"] for f in firms] == [1, 2, 3, 4, 5, 6, 7]
    assert not [p for p in result.problems if p["code"] == "seq_gap"]


def test_a_gap_in_the_numbers_is_a_problem_with_its_page() -> None:
    result = _Result()
    firms = read_firms(_firm_doc(_rows(["1", "2", "3", "4", "6", "7"])), result)
    assert len(firms) == 6
    gap = next(p for p in result.problems if p["code"] == "seq_gap")
    assert "缺少序号 5（第1、2页）" in gap["message"] and "读出6行" in gap["message"]


def test_a_numbered_row_read_empty_is_never_dropped_silently() -> None:
    rows = _rows(["1", "2", "3", "4", "5", "6"])
    rows[4] = ("5", "", "")  # OCR read the number but neither name nor code
    result = _Result()
    firms = read_firms(_firm_doc(rows), result)
    assert len(firms) == 5
    unread = next(p for p in result.problems if p["code"] == "firm_row_unread")
    assert "序号 5" in unread["message"] and "第2页" in unread["message"]


def test_unread_numbers_follow_a_plain_sequence() -> None:
    """A photo's lone digits go unread; the rows keep their places, so the numbers read
    (2, 5) fix the others. ``seq_read`` keeps what was read, ``sources.seq`` the reason."""
    result = _Result()
    firms = read_firms(_firm_doc(_rows(["", "2", "", "", "5", ""])), result)
    assert [f["seq"] for f in firms] == [1, 2, 3, 4, 5, 6]
    assert [f["seq_read"] for f in firms] == [None, 2, None, None, 5, None]
    assert firms[0]["sources"]["seq"]["inferred"] == "position" and "seq" not in firms[1]["sources"]
    assert not [p for p in result.problems if p["code"] == "seq_gap"]


@pytest.mark.parametrize("numbers", [["", "3", "", "5"], ["", "", "", ""], ["1", "", "2", "3"]])
def test_numbers_out_of_place_are_not_guessed(numbers: list[str]) -> None:
    """Numbers that do not match their rows' places (a row lost or added), or none at all:
    the unread stay unread (and a gap is reported where the numbers say so)."""
    firms = read_firms(_firm_doc(_rows(numbers)), _Result())
    assert [f["seq"] for f in firms] == [int(n) if n else None for n in numbers]


def test_place_names_in_ocr_firm_names_are_restored_and_the_reading_kept() -> None:
    rows = [("1", "中国邮政集团公司内蒙古自治区口县补隆淖代办所", CODES[0]),
            ("2", "砼口县富华农机服务农民专业合作社", CODES[1]),
            ("3", "内蒙古测试企业有限公司", CODES[2])]
    firms = read_firms(_firm_doc(rows, split_after=3), _Result())
    assert [f["name"] for f in firms] == ["中国邮政集团公司内蒙古自治区磴口县补隆淖代办所",
                                         "磴口县富华农机服务农民专业合作社", "内蒙古测试企业有限公司"]
    assert [f["name_printed"] for f in firms] == [r[1] for r in rows]
    fix = firms[0]["name_fix"]
    assert fix["kind"] == "place_name" and fix["places"] == [
        {"printed": "口县", "restored": "磴口县", "code": "150822"}] and "GB/T 2260" in fix["why"]
    assert firms[2]["name_fix"] is None


def test_seq_number_forms() -> None:
    assert [seq_number(s) for s in ("12", "l2", "1O", "（3）", "4、", "B")] == [12, 12, 10, 3, 4, 8]


def test_rows_ocr_merged_into_one_are_split() -> None:
    rows = _rows(["1", "2", "3", "4", "5", "6", "7"])
    merged = ("5\n6", f"{rows[4][1]}\n{rows[5][1]}", f"{rows[4][2]}\n{rows[5][2]}")
    result = _Result()
    firms = read_firms(_firm_doc([*rows[:4], merged, rows[6]]), result)
    assert [f["seq"] for f in firms] == [1, 2, 3, 4, 5, 6, 7]
    assert [f["uscc"] for f in firms] == [r[2] for r in rows]
    assert not [p for p in result.problems if p["code"] in ("seq_gap", "uscc_length")]


def test_a_wrapped_name_is_not_taken_for_merged_rows() -> None:
    rows = _rows(["1", "2", "3", "4", "5"])
    rows[2] = ("3", "内蒙古测试企业\n有限公司", rows[2][2])
    firms = read_firms(_firm_doc(rows), _Result())
    assert len(firms) == 5 and firms[2]["uscc"] == rows[2][2]


# --------------------------------------------------------------------------
# end to end: typed forms read, then damaged as OCR damages them, then extracted
# --------------------------------------------------------------------------

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "declarations"


def _replace_in_doc(doc: Document, old: str, new: str) -> int:
    """Replace ``old`` by ``new`` in every paragraph, line and cell text holding it."""
    hits = 0
    for para in doc.paragraphs:
        if old in para.text:
            para.text = para.text.replace(old, new)
            for line in para.lines:
                line.text = line.text.replace(old, new)
            hits += 1
    for table in doc.tables:
        for cell in table.cells:
            if old in cell.text:
                cell.text = cell.text.replace(old, new)
                for line in cell.lines:
                    line.text = line.text.replace(old, new)
                hits += 1
    return hits


def _printed_date(iso: str) -> str:
    d = dt.date.fromisoformat(iso)
    return f"{d.year}年{d.month}月{d.day}日"


DOCX_GOLDS = [p for p in sorted(FIXTURES.glob("*.gold.json")) if p.name.replace(".gold.json", ".docx")
              in {q.name for q in FIXTURES.glob("*.docx")}]


@pytest.mark.parametrize("gold_path", DOCX_GOLDS, ids=lambda p: p.stem)
def test_typed_forms_damaged_like_a_scan_still_extract_right(gold_path: Path) -> None:
    import json

    from saidao.extractors.extract import extract_document
    from saidao.ingest.read import read

    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    expected, entry = gold["expected"], gold["files"][0]
    rng = random.Random(gold_path.stem)
    doc = read(FIXTURES / entry["path"])
    damaged: list[str] = []
    unit = expected["unit"]
    for key in ("mobile", "phone", "fax", "postcode"):
        if unit[key] and _replace_in_doc(doc, unit[key], damage(unit[key], rng, 1, spaces=False)):
            damaged.append(f"unit.{key}")
    if unit["email"]:
        _replace_in_doc(doc, unit["email"], _damage_mail(unit["email"], rng))
        damaged.append("unit.email")
    for iso in {expected["filled_at"], expected["attestation"]["date"]} - {None}:
        printed = _printed_date(iso)
        if _replace_in_doc(doc, printed, damage(printed, rng, 2, spaces=False)):
            damaged.append(f"date {iso}")
    zone = expected["zone"]["printed"]
    if expected["zone"]["id"] and zone:
        _replace_in_doc(doc, zone, damage(zone, rng, 1, spaces=False))
    got = extract_document(doc, "declaration")
    assert damaged
    for key in ("mobile", "phone", "fax", "postcode", "email"):
        assert got["unit"][key] == unit[key], (key, got["unit"][key], got["sources"].get(key))
    assert got["filled_at"] == expected["filled_at"]
    assert got["attestation"]["date"] == expected["attestation"]["date"]
    assert got["zone"]["id"] == expected["zone"]["id"]
    repaired = [k for k, s in got["sources"].items() if s and "printed" in s]
    assert repaired, "the repairs keep the printed values in their sources"


def test_platform_years_read_through_ocr_lookalikes() -> None:
    from saidao.extractors.declaration import _year

    assert [_year(t) for t in ("2021", "2O21年", "2Ol9", "2021年（自治区级）", "二〇二一年")] == [
        2021, 2021, 2019, 2021, 2021]
    assert _year("认定中") is None
