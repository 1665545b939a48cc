"""A policy's metadata: title, 文号, issuer, dates, level, jurisdiction, cited documents.

Every function takes plain strings (repaired paragraphs) so each rule can be
tested on its own; ``extract_meta`` puts them together for ``extract_policy``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import cn2an

from saidao.extractors.clauses import DATE_LINE, ISSUED_LINE, MONGOLIAN, TERMINAL, is_signature

# --------------------------------------------------------------------------- 文号
_OPEN = "〔[［（(【"
_CLOSE = "〕]］）)】"
DOC_NUMBER = re.compile(
    rf"(?P<prefix>[\u4e00-\u9fff]{{1,12}}?)\s*"
    rf"(?:[{re.escape(_OPEN)}]\s*(?P<year>\d{{4}})\s*[{re.escape(_CLOSE)}]|(?P<year2>\d{{4}})\s*年)"
    r"\s*第?\s*(?P<n>\d{1,4})\s*号"
)
#: Words that precede a 文号 in running text but are not part of its prefix.
_LEADING_WORDS = re.compile(r"^.*?(?:根据|按照|依据|依照|落实|印发|转发|关于|参照|执行|见|和|及|与|、)")


def canonical_doc_number(prefix: str, year: str, number: str) -> str:
    """``内政发〔2021〕13号`` whatever brackets or spacing the source used."""
    return f"{prefix}〔{year}〕{int(number)}号"


def find_doc_numbers(text: str) -> list[str]:
    """Every 文号 in ``text``, canonical, in order of first appearance."""
    found: list[str] = []
    for m in DOC_NUMBER.finditer(text):
        prefix = _LEADING_WORDS.sub("", m.group("prefix"))
        if len(prefix) < 2 and not prefix.endswith("发"):
            continue
        num = canonical_doc_number(prefix, m.group("year") or m.group("year2"), m.group("n"))
        if num not in found:
            found.append(num)
    return found


def doc_number(front: Sequence[str]) -> str | None:
    """The document's own 文号: a front-matter line that is (almost) only a 文号."""
    for line in front:
        compact = re.sub(r"\s+", "", line)
        nums = find_doc_numbers(compact)
        if nums and len(compact) <= len(nums[0]) + 4:
            return nums[0]
    return None


# --------------------------------------------------------------------------- title and issuer
def _is_letterhead(line: str) -> bool:
    compact = re.sub(r"\s+", "", line)
    return bool(MONGOLIAN.search(line)) or compact.endswith("文件") and len(compact) <= 30


def _is_addressee(line: str) -> bool:
    return line.rstrip().endswith(("：", ":")) and len(line) <= 120


def front_matter(paras: Sequence[str]) -> list[str]:
    """The lines before the body: letterhead, 文号, title, addressee (which ends it)."""
    front: list[str] = []
    for line in paras:
        t = line.strip()
        if _is_addressee(t):
            front.append(t)
            break
        if len(t) > 60 or t[-1] in TERMINAL:
            break
        front.append(t)
    return front


def title(front: Sequence[str]) -> str | None:
    """The title: the title-like lines of the front matter, joined without wrap spaces."""
    lines = [t for t in front if not _is_letterhead(t) and not _is_addressee(t)
             and not doc_number([t]) and not DATE_LINE.match(t)]
    return re.sub(r"\s+", "", "".join(lines)) or None


ISSUER_IN_TITLE = re.compile(r"^(?P<org>.{2,40}?)关于")


def issuer(title_text: str | None, signatures: Sequence[str]) -> str | None:
    """The issuing body: ``XX关于…`` in the title, else the signature line."""
    if title_text:
        m = ISSUER_IN_TITLE.match(title_text)
        if m and not m.group("org").startswith("《"):
            return m.group("org")
    return re.sub(r"\s+", "", signatures[0]) if signatures else None


def signatures(paras: Sequence[str]) -> list[str]:
    """Signature lines: an organisation's name directly above a date line."""
    out: list[str] = []
    for a, b in zip(paras, paras[1:], strict=False):
        if is_signature(a.strip()) and DATE_LINE.match(b.strip()):
            out.append(a.strip())
    return out


# --------------------------------------------------------------------------- dates
_DATE = re.compile(r"(?P<y>[\d〇零一二三四五六七八九]{4})\s*年\s*(?P<m>[\d一二三四五六七八九十]{1,3})\s*月"
                   r"\s*(?P<d>[\d一二三四五六七八九十]{1,3})\s*日")


def _int(numeral: str) -> int:
    if numeral.isdigit():
        return int(numeral)
    if len(numeral) == 4:  # 二〇二一: digit by digit
        return int("".join(str(cn2an.cn2an(c, "smart")) if c not in "〇零" else "0" for c in numeral))
    return int(cn2an.cn2an(numeral, "smart"))


def parse_date(text: str) -> str | None:
    """ISO date of the first ``YYYY年M月D日`` in ``text`` (Arabic or Chinese numerals)."""
    m = _DATE.search(text)
    if not m:
        return None
    try:
        y, mo, d = _int(m.group("y")), _int(m.group("m")), _int(m.group("d"))
    except (ValueError, KeyError):
        return None
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}"


def written_date(paras: Sequence[str]) -> str | None:
    """成文日期: the first date standing alone on its line (the one under the signature)."""
    for line in paras:
        if DATE_LINE.match(line.strip()):
            return parse_date(line)
    return None


def issued_date(paras: Sequence[str]) -> str | None:
    """印发日期: ``…办公厅 2021年10月28日印发``."""
    for line in paras:
        if ISSUED_LINE.search(line.strip()):
            return parse_date(line)
    return None


# --------------------------------------------------------------------------- level and jurisdiction
REGION = "内蒙古自治区"
_NATIONAL_ISSUER = re.compile(r"^(国务院|中共中央|全国|国家|中华人民共和国|(工业和信息化|科学技术|科技|财政|"
                              r"教育|商务|农业农村|生态环境|自然资源|人力资源和社会保障|交通运输)部)")
_NATIONAL_NUMBER = re.compile(r"^(国发|国办发|国函|国办函|中发|工信部|科技部|财政部|发改|国科发)")
_REGION_NUMBER = re.compile(r"^内")
_COUNTY = re.compile(r"(?P<place>[\u4e00-\u9fff]{2,6}?[县旗])")
_DISTRICT = re.compile(r"(?P<place>[\u4e00-\u9fff]{2,4}?区)人民政府")
_CITY = re.compile(r"(?P<place>[\u4e00-\u9fff]{2,6}?[市盟])")
#: City-level 文号 prefixes seen in the region's documents.
_CITY_NUMBER = {"鄂府": "鄂尔多斯市", "呼政": "呼和浩特市", "包府": "包头市", "赤政": "赤峰市",
                "通政": "通辽市", "乌海": "乌海市", "呼党": "呼和浩特市"}


def level_and_jurisdiction(issuer_text: str | None, number: str | None = None,
                           title_text: str | None = None) -> tuple[str | None, str | None]:
    """(national|region|city|county, the area bound) from the issuer, else the title or 文号."""
    for source in (issuer_text, title_text):
        if source:
            found = _from_name(re.sub(r"\s+", "", source))
            if found[0]:
                return found
    return _from_number(number)


def _from_name(name: str) -> tuple[str | None, str | None]:
    if _NATIONAL_ISSUER.match(name):
        return "national", "全国"
    local = name.removeprefix(REGION).removeprefix("自治区")
    if m := _COUNTY.match(local) or _COUNTY.search(local.split("关于")[0]):
        return "county", m.group("place").split("市")[-1]
    if m := _DISTRICT.search(local):
        return "county", m.group("place").split("市")[-1]
    if (m := _CITY.match(local)) and not m.group("place").endswith("城市"):
        return "city", m.group("place")
    if name.startswith((REGION, "自治区")):
        return "region", REGION
    return None, None


def _from_number(number: str | None) -> tuple[str | None, str | None]:
    if not number:
        return None, None
    if _NATIONAL_NUMBER.match(number):
        return "national", "全国"
    for prefix, city in _CITY_NUMBER.items():
        if number.startswith(prefix):
            return "city", city
    if _REGION_NUMBER.match(number):
        return "region", REGION
    return None, None


# --------------------------------------------------------------------------- cited documents
_CITED = re.compile(r"《(?P<t>[^《》]{2,80})》")


def cited_titles(text: str, own_title: str | None = None) -> list[str]:
    """Titles cited in 《》, in order, without abbreviations (以下简称《…》) or the document itself."""
    abbreviations = {m.group("t") for m in re.finditer(r"简称\s*《(?P<t>[^《》]+)》", text)}
    own = re.sub(r"\s+", "", own_title or "")
    out: list[str] = []
    for m in _CITED.finditer(text):
        t = m.group("t").strip()
        if t in abbreviations or t in out or (own and re.sub(r"\s+", "", t) in own):
            continue
        out.append(t)
    return out


# --------------------------------------------------------------------------- all together
@dataclass(slots=True)
class PolicyMeta:
    title: str | None = None
    doc_number: str | None = None
    issuer: str | None = None
    date_written: str | None = None
    date_issued: str | None = None
    level: str | None = None
    jurisdiction: str | None = None
    references: list[str] = field(default_factory=list)
    cited_titles: list[str] = field(default_factory=list)

    @property
    def date(self) -> str | None:
        """The contract's ``date``: 成文日期 when present, else 印发日期."""
        return self.date_written or self.date_issued


def extract_meta(paras: Sequence[str]) -> PolicyMeta:
    """Metadata from the document's repaired paragraphs, in reading order."""
    paras = [p for p in paras if p.strip()]
    front = front_matter(paras)
    meta = PolicyMeta(title=title(front), doc_number=doc_number(front))
    meta.issuer = issuer(meta.title, signatures(paras))
    meta.date_written, meta.date_issued = written_date(paras), issued_date(paras)
    meta.level, meta.jurisdiction = level_and_jurisdiction(meta.issuer, meta.doc_number, meta.title)
    body = "\n".join(p.strip() for p in paras)
    meta.references = [n for n in find_doc_numbers(body) if n != meta.doc_number]
    meta.cited_titles = cited_titles(body, meta.title)
    return meta
