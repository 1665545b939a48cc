"""A policy's metadata: title, 文号, issuer, dates, level, jurisdiction, cited documents.

Every function takes plain strings (repaired paragraphs) so each rule can be
tested on its own; ``extract_meta`` puts them together for ``extract_policy``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from saidao.corpus.divisions import find_in
from saidao.extractors.clauses import (
    DATE_LINE,
    ISSUED_LINE,
    MONGOLIAN,
    ORG_SUFFIX,
    TERMINAL,
    is_signature,
    match_number,
)
from saidao.extractors.numerals import cn_to_int, parse_cn_date
from saidao.extractors.portal import InfoBlock

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
    """The lines before the body: letterhead, 文号, title, addressee (which ends it).

    The body begins at a sentence, a long line or a numbered unit (一、总则).
    """
    front: list[str] = []
    for line in paras:
        t = line.strip()
        if _is_addressee(t):
            front.append(t)
            break
        if len(t) > 60 or t[-1] in TERMINAL or (front and match_number(t)):
            break
        front.append(t)
    return front


def _letterhead_lines(front: Sequence[str]) -> int:
    """How many lines the 发文机关标志 takes: up to its …文件 line, with the organs above it."""
    for i, line in enumerate(front[:6]):
        if _is_letterhead(line):
            return i + 1
    return 0


def title(front: Sequence[str]) -> str | None:
    """The title: the title-like lines of the front matter, joined without wrap spaces.

    In the GB/T 9704 layout the title follows the 文号; on a web page it comes
    first and the 文号 below it. Title lines after a 文号 line win.
    """
    front = list(front[_letterhead_lines(front):])
    numbered = [i for i, t in enumerate(front) if doc_number([t])]

    def keep(t: str) -> bool:
        return (not _is_letterhead(t) and not _is_addressee(t) and not doc_number([t])
                and not DATE_LINE.match(t) and not match_number(t))

    after = [t for t in front[numbered[0] + 1:] if keep(t)] if numbered else []
    lines = after or [t for t in front if keep(t)]
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


_ORG_SPLIT = re.compile(r"[\s\u3000、，,]+")


def split_orgs(line: str) -> list[str]:
    """Joint issuers printed on one line: ``中共清水河县委员会　　清水河县人民政府``.

    >>> split_orgs("内蒙古自治区科学技术厅　　内蒙古自治区财政厅")
    ['内蒙古自治区科学技术厅', '内蒙古自治区财政厅']
    """
    pieces = [p for p in _ORG_SPLIT.split(line.strip()) if p]
    if len(pieces) > 1 and all(ORG_SUFFIX.search(p) or p.startswith("中共") for p in pieces):
        return pieces
    compact = re.sub(r"\s+", "", line)
    return _split_joined(compact) if compact else []


_ORGAN_END = re.compile(r"(?:人民政府|委员会|管委会|行政公署|办公厅|办公室|县委|市委|旗委|区委|盟委|党委|厅|局|部)$")


def _split_joined(text: str) -> list[str]:
    """Organs whose names were printed side by side with the space folded away:
    cut after an organ's ending where a place name or 中共 starts the next organ."""
    for end in range(2, len(text) - 3):
        if not _ORGAN_END.search(text[:end]):
            continue
        rest = text[end:]
        if (rest.startswith("中共") or find_in(rest)) and ORG_SUFFIX.search(rest):
            return [text[:end], *_split_joined(rest)]
    return [text]


def signature_block(paras: Sequence[str]) -> list[str]:
    """The organs signing above the first date line (joint issuers on one line or stacked)."""
    for j, line in enumerate(paras):
        if not DATE_LINE.match(line.strip()) or j == 0:
            continue
        orgs: list[str] = []
        i = j - 1
        while i >= 0 and j - i <= 3 and is_signature(paras[i].strip()):
            orgs = split_orgs(paras[i]) + orgs
            i -= 1
        if orgs:
            return orgs
    return []


def letterhead_orgs(front: Sequence[str]) -> list[str]:
    """Organs named by the 发文机关标志: ``XX人民政府文件`` or organ lines above ``文件``."""
    n = _letterhead_lines(front)
    orgs: list[str] = []
    for line in front[:n]:
        compact = re.sub(r"\s+", "", line)
        if MONGOLIAN.search(line):
            continue
        compact = compact.removesuffix("文件")
        if compact:
            orgs.extend(split_orgs(compact) if " " not in line else split_orgs(line.replace("文件", "")))
    return [o for o in orgs if ORG_SUFFIX.search(o)]


def issuers(info: InfoBlock | None, front: Sequence[str], paras: Sequence[str],
            title_text: str | None) -> list[str]:
    """Every issuing organ, best evidence first: the 信息公开 block's 发文机关, the
    signature, the 发文机关标志, the title's ``XX关于``."""
    if info and (named := info.get("issuer")):
        orgs = [o for o in _ORG_SPLIT.split(named) if o]
        if orgs:
            return orgs
    if orgs := signature_block(paras):
        return orgs
    if orgs := letterhead_orgs(front):
        return orgs
    found = issuer(title_text, [])
    return [found] if found else []


# --------------------------------------------------------------------------- dates
_DATE = re.compile(r"(?P<y>[\d〇零一二三四五六七八九]{4})\s*年\s*(?P<m>[\d一二三四五六七八九十]{1,3})\s*月"
                   r"\s*(?P<d>[\d一二三四五六七八九十]{1,3})\s*日")


def _int(numeral: str) -> int:
    value = cn_to_int(numeral)  # 二〇二一 digit by digit, 十三 as a number
    if value is None:
        raise ValueError(f"not a numeral: {numeral}")
    return value


_ZERO_LOOKALIKES = re.compile(r"[○ΟOо](?=[〇零一二三四五六七八九○ΟOо]*年)")


def parse_date(text: str) -> str | None:
    """ISO date of the first date in ``text``: ``YYYY年M月D日`` in Arabic or Chinese numerals
    (二○二三年, with the circle or letter O for 〇), ``2023-02-08``, ``2023.2.8``, ``2023/2/8``.

    >>> [parse_date(s) for s in ["二○一○年八月十一日", "2023-02-08", "2022.6.8", "2023年2月8日"]]
    ['2010-08-11', '2023-02-08', '2022-06-08', '2023-02-08']
    """
    text = _ZERO_LOOKALIKES.sub("〇", text)
    m = _DATE.search(text)
    if m:
        try:
            y, mo, d = _int(m.group("y")), _int(m.group("m")), _int(m.group("d"))
        except (ValueError, KeyError):
            y = mo = d = 0
        try:
            return dt.date(y, mo, d).isoformat()
        except ValueError:
            pass  # 2月30日, 年 月 日: not a day
    found = parse_cn_date(text)
    return found.isoformat() if found else None


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


_LEVEL_OF = {"province": "region", "city": "city", "county": "county"}


def _from_name(name: str) -> tuple[str | None, str | None]:
    if _NATIONAL_ISSUER.match(name):
        return "national", "全国"
    chain = find_in(name)
    if chain:
        return _LEVEL_OF[chain[-1].level], chain[-1].name
    if zone := _zone_of(name):
        return ("city", zone.city) if zone.city else (None, None)
    return _from_name_inner_mongolia(name)


def _zone_of(name: str) -> object | None:
    """A zone's 管委会 as issuer (包头稀土高新区管委会): the zone from the registry."""
    from saidao.corpus.zones import registry

    m = re.match(r"^(?P<zone>.{2,30}?(?:高新区|开发区|园区|新区))", name)
    if not m:
        return None
    zone = registry().resolve(m.group("zone"))
    return zone


def _from_name_inner_mongolia(name: str) -> tuple[str | None, str | None]:
    """The region's own short forms (自治区科技厅, 兴安盟) the division table does not spell."""
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
    issuers: list[str] = field(default_factory=list)
    date_written: str | None = None
    date_issued: str | None = None
    date_published: str | None = None
    level: str | None = None
    jurisdiction: str | None = None
    references: list[str] = field(default_factory=list)
    cited_titles: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # field -> where it was read

    @property
    def date(self) -> str | None:
        """The contract's ``date``: 成文日期 when present, else 印发日期."""
        return self.date_written or self.date_issued


def extract_meta(paras: Sequence[str], info: InfoBlock | None = None) -> PolicyMeta:
    """Metadata from the document's repaired paragraphs, in reading order.

    ``info``: the page's 政府信息公开 block, the best evidence where present;
    each value says where it came from in ``sources`` (``info`` or ``text``).
    """
    paras = [p for p in paras if p.strip()]
    info = info or InfoBlock()
    front = front_matter(paras)
    meta = PolicyMeta(title=title(front), doc_number=doc_number(front))
    meta.sources = {k: "text" for k in ("title", "doc_number", "issuer", "date")}
    if found := info.get("title"):
        meta.title, meta.sources["title"] = re.sub(r"\s+", "", found), "info"
    if (found := info.get("doc_number")) and (nums := find_doc_numbers(re.sub(r"\s+", "", found))):
        meta.doc_number, meta.sources["doc_number"] = nums[0], "info"
    meta.issuers = issuers(info, front, paras, meta.title)
    if info.get("issuer"):
        meta.sources["issuer"] = "info"
    meta.issuer = meta.issuers[0] if meta.issuers else issuer(meta.title, signatures(paras))
    meta.date_written, meta.date_issued = written_date(paras), issued_date(paras)
    if (found := info.get("date_written")) and (day := parse_date(found)):
        meta.date_written, meta.sources["date"] = day, "info"
    if (found := info.get("date_published")) and (day := parse_date(found)):
        meta.date_published = day
    meta.level, meta.jurisdiction = level_and_jurisdiction(meta.issuer, meta.doc_number, meta.title)
    body = "\n".join(p.strip() for p in paras)
    meta.references = [n for n in find_doc_numbers(body) if n != meta.doc_number]
    meta.cited_titles = cited_titles(body, meta.title)
    return meta
