"""Tables behind the credit-code checks (GB 32100-2015, GB 11714-1997, GB/T 2260).

Kept apart from the logic in ``uscc.py`` so the sources of every row stay
visible. The reference is ``shared/reference/uscc/ALGORITHM.md`` (layout, check
formulas, department/category table) and ``confusions.md`` (lookalike pairs).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib.resources import files

#: The 31 characters of GB 32100 in value order (I O S V Z are never used).
#: Source: the standard's Table 1 as quoted in ALGORITHM.md §2; python-stdnum.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

#: Characters that look like code characters but can never occur in a code.
FORBIDDEN = frozenset("IOSVZ")

#: 登记管理部门码 -> (部门, {机构类别码: 类别}).
#: Source: ALGORITHM.md §4 (ntnyq/uscc-utils src/constants.ts USCC_CATEGORY_MAP and
#: three pages quoting the standard, agreeing row for row). Per-row provenance of
#: the rows beyond 1/5/9/Y (amendment XG1-2016 and later assignments) is unverified.
DEPARTMENTS: dict[str, tuple[str, dict[str, str]]] = {
    "1": ("机构编制", {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体", "9": "其他"}),
    "2": ("外交", {"1": "外国常驻新闻机构", "9": "其他"}),
    "3": ("司法行政", {"1": "律师执业机构", "2": "公证处", "3": "基层法律服务所",
                   "4": "司法鉴定机构", "5": "仲裁委员会", "9": "其他"}),
    "4": ("文化", {"1": "外国在华文化中心", "9": "其他"}),
    "5": ("民政", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}),
    "6": ("旅游", {"1": "外国旅游部门常驻代表机构",
                 "2": "港澳台地区旅游部门常驻内地(大陆)代表机构", "9": "其他"}),
    "7": ("宗教", {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"}),
    "8": ("工会", {"1": "基层工会", "9": "其他"}),
    "9": ("工商（市场监管）", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}),
    "A": ("中央军委改革和编制办公室", {"1": "军队事业单位", "9": "其他"}),
    "N": ("农业", {"1": "组级集体经济组织", "2": "村级集体经济组织",
                 "3": "乡镇级集体经济组织", "9": "其他"}),
    "Y": ("其他", {"1": "其他"}),
}

#: Combinations outside the table that real registers use with verifying check
#: characters (ALGORITHM.md §4: 15 codes ``99…`` in 2.99 million, e.g.
#: 99140000MA0H4WRM37). They are plausible, only less so than table rows.
OBSERVED_OUTSIDE_TABLE = frozenset({"99"})

#: Positions 1-2 that make up more than 1 % of real codes: 91 2,763,789, 93 158,830,
#: 92 71,339 of 2,994,692 (ALGORITHM.md §4, kinginsun register data); every
#: other combination occurs fewer than 500 times. A prior, not a rule.
COMMON_CATEGORIES = frozenset({"91", "92", "93"})

#: How many of 2,994,692 real 18-character codes carry each positions 1-2
#: (ALGORITHM.md §4, kinginsun register data): the prior of a candidate's
#: category. Table rows never seen count as half a code.
CATEGORY_COUNTS: dict[str, int] = {
    "91": 2_763_789, "93": 158_830, "92": 71_339, "81": 471, "12": 132, "51": 87,
    "99": 15, "52": 12, "11": 9, "89": 4, "19": 1, "34": 1,
}

#: Registration-authority area codes that are not GB/T 2260 divisions but are
#: really used: the national level and functional zones with their own
#: county-level statistical code. Sources: ALGORITHM.md §6 (100000, 150291,
#: 230199, 610131 seen in the kinginsun register data) and
#: shared/reference/ZONES.md (150271 包头稀土高新区, 150172 呼和浩特经开区,
#: 152971 阿拉善高新区).
EXTRA_AREA_CODES: dict[str, str] = {
    "100000": "国家级",
    "150172": "呼和浩特经济技术开发区",
    "150271": "包头稀土高新技术产业开发区",
    "150291": "包头稀土高新技术产业开发区（登记机关）",
    "152971": "阿拉善高新技术产业开发区",
    "230199": "哈尔滨市功能区",
    "610131": "西安市功能区",
}

#: Print/scan/typing lookalikes (symmetric). Source: confusions.md §1, itself
#: from konstantint/PassportEye ``MRZOCRCleaner`` plus common print lookalikes.
#: Kept beside the measured table (measured_confusions) as the pairs known from
#: the literature and from typed/printed forms: a pair the product's OCR was
#: never seen to make still counts as possible, at a rate of HAND_PSEUDO_COUNT.
CONFUSABLE_PAIRS: tuple[str, ...] = (
    "0O", "DO", "OQ", "0D", "0Q", "DQ", "0C", "0U", "08",
    "1I", "IL", "IT", "1L", "1T", "17", "1J", "7T",
    "2Z", "7Z", "5S", "8S", "56",
    "8B", "38", "3B", "68", "BE", "BR", "3E",
    "6G", "CG", "UV", "VY", "VW", "UY", "UW",
    "4A", "49", "AH", "MN", "HN", "HM", "MW",
    "KX", "XY", "KR", "9P", "9Q", "EF", "FP", "PR",
)

#: The measured confusion table, bundled with the package (see corpus/SOURCES.md §7).
CONFUSIONS_FILE = "uscc_confusions.json"


class MeasuredConfusions:
    """How often the product's OCR read each code character as another (true -> read).

    Counts from ``benchmarks/uscc_ocr_confusions.py``: generated firm lists
    rendered as scans and read through the scan reader. ``trials[c]`` is how
    often ``c`` was printed and aligned, ``subs[(true, read)]`` how often it
    came back as ``read``; reads are compact()ed (upper case, NFKC) as the
    credit-code check sees them.
    """

    def __init__(self, trials: dict[str, int], subs: dict[tuple[str, str], int], meta: dict) -> None:
        self.trials = trials
        self.subs = subs
        self.meta = meta

    def causes(self) -> dict[str, frozenset[str]]:
        """Read character -> the true characters it was measured to stand for."""
        out: dict[str, set[str]] = {}
        for true, read in self.subs:
            out.setdefault(read, set()).add(true)
        return {k: frozenset(v) for k, v in out.items()}


@lru_cache(maxsize=1)
def measured_confusions() -> MeasuredConfusions:
    """The bundled measured table (corpus/uscc_confusions.json).

    Empty (the hand table alone) only while the file does not exist yet: the
    benchmark that measures it imports this module before it has written it.
    """
    path = files("saidao.corpus").joinpath(CONFUSIONS_FILE)
    if not path.is_file():
        return MeasuredConfusions({}, {}, {})
    text = path.read_text(encoding="utf-8")
    data = json.loads(text)
    subs = {(t, r): int(n) for t, r, n in data["substitutions"]}
    meta = {k: v for k, v in data.items() if k not in ("substitutions", "true_chars")}
    return MeasuredConfusions({k: int(v) for k, v in data["true_chars"].items()}, subs, meta)


#: Glyphs seen on Chinese forms in place of code characters (confusions.md §1,
#: "Chinese-form extras").
GLYPHS: dict[str, str] = {
    "〇": "0", "○": "0", "◯": "0", "口": "0",
    "×": "X", "Х": "X", "х": "X", "乙": "2",
}

#: Glyphs that stand either for 1 or for a separator (一 丨 |): read as 1 only
#: when that gives 18 characters.
ONE_OR_DASH = "一丨|"

#: Dash-like separators printed inside codes (after NFKC folding).
SEPARATORS = "-‐‑‒–—―−_"


# --------------------------------------------------------------------------
# GB/T 2260 administrative divisions (python-stdnum's cn/loc.dat)
# --------------------------------------------------------------------------

#: The division table ships with python-stdnum (``stdnum/cn/loc.dat``, compiled
#: by python-stdnum from the Chinese Wikipedia pages 中华人民共和国行政区划代码
#: (1区)…(8区), every GB/T 2260 county-level code with its names over time).
#: Read here with a loader of our own so the table, not stdnum's numdb lookup
#: API, is what the credit-code checks rely on. corpus/regions.csv draws its
#: Inner Mongolia rows from the same file (corpus/SOURCES.md §4).
_LOC_DAT = ("stdnum", "cn/loc.dat")

_PROVINCE_LINE = re.compile(r'^(\d{2}) province="([^"]*)"')
_COUNTY_LINE = re.compile(r'^\s+(\d{4}) county="([^"]*)"')


def _current_name(names: str) -> str:
    """The latest name of an entry like ``[1983-1999]郊区,[2000-]赛罕区``."""
    return re.sub(r"^\[[^\]]*\]", "", names.split(",")[-1])


@lru_cache(maxsize=1)
def divisions() -> dict[str, tuple[str, str]]:
    """Six-digit GB/T 2260 code -> (province name, latest name of the division).

    Retired codes are kept: a credit code keeps the area code of the authority
    that issued it, however the division was renamed or merged since.
    """
    package, name = _LOC_DAT
    text = files(package).joinpath(name).read_text(encoding="utf-8")
    out: dict[str, tuple[str, str]] = {}
    province = ("", "")
    for line in text.splitlines():
        if m := _PROVINCE_LINE.match(line):
            province = (m.group(1), m.group(2))
        elif (m := _COUNTY_LINE.match(line)) and province[0]:
            out[province[0] + m.group(1)] = (province[1], _current_name(m.group(2)))
    return out


#: GB/T 2260 county part 01-20 are districts, 21-70 counties, 81-99 county-level
#: cities; statistical codes of development zones and other functional areas sit
#: under a real prefecture with a county part from 71 up (150271 稀土高新区,
#: 150172 呼和浩特经开区, and the 1508 91 / 1506 93 / 1509 82 … offices of the
#: real firms in tests/refdata, none of them in loc.dat).
ZONE_COUNTY_FROM = 71


def zone_like_area(area: str) -> bool:
    """An area code that is no GB/T 2260 division but has the shape of a zone's office.

    Its prefecture (``xxyy00``) exists and its county part is 71 or more.
    """
    return (len(area) == 6 and area.isdigit() and area not in divisions()
            and f"{area[:4]}00" in divisions() and int(area[4:]) >= ZONE_COUNTY_FROM)
