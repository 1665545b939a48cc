"""Short form values read off scans: dates, e-mail addresses, phone numbers, 序号.

OCR misreads a few characters in predictable ways: digits and lookalike
letters (0/O/o, 1/l/I, 2/Z, 5/S, 8/B), 日 as 曰 or 目, 年 as 午, 月 as 冃, a
dot as a comma. Each reader here accepts those misreadings only inside the
shape of the value it reads (a date's year, month and day; a phone number's
digits; an e-mail's @ and domain) and returns a value only when the reading
is *unique* and *plausible*: a calendar date in a plausible year, a phone
number of the right length, one known mail domain that the damaged one can
stand for. Anything else is left as printed for a person to check; a reader
never guesses between two readings.

A typed value reads the same through them as through the strict readers
(``numerals.parse_cn_date``, the shapes in ``declaration``); the numbers and
the e-mail readers run only where the strict shape fails.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import NamedTuple

from rapidfuzz.distance import Levenshtein

from saidao.extractors.numerals import parse_cn_date
from saidao.extractors.text_width import fold_width

#: Letters and glyphs OCR puts where a digit was printed, each with the one
#: digit it stands for. Letters with two likely digits (A: 4, B: 3 or 8?) keep
#: only the reading seen on print scans; the map is single-valued on purpose,
#: so a digit string has at most one reading.
DIGIT_LOOKALIKES: dict[str, str] = {
    "O": "0", "o": "0", "D": "0", "Q": "0", "〇": "0", "○": "0", "◯": "0",
    "l": "1", "I": "1", "i": "1", "|": "1", "!": "1", "丨": "1",
    "Z": "2", "z": "2",
    "S": "5", "s": "5",
    "G": "6", "b": "6",
    "B": "8",
    "g": "9", "q": "9",
}

#: OCR readings of the date words (年 read as 午, 日 as 曰 …); 号 is the
#: spoken-style day word some forms print.
YEAR_WORDS = "年午牛"
MONTH_WORDS = "月冃円"
DAY_WORDS = "日曰目号"

#: Separators of a numeric date (2026.4.28, 2026-04-28, 2026/4/28) and what
#: OCR makes of a dot or a dash (~ for -).
DATE_SEPARATORS = "./-,，。、·．~—–"

#: Years a form date can plausibly carry (the forms exist since 2021; a date
#: beyond the century is a misread).
PLAUSIBLE_YEARS = (2000, 2099)

_D = "[0-9" + re.escape("".join(DIGIT_LOOKALIKES)) + "]"
_OCR_CN_DATE = re.compile(
    rf"(?<![0-9])(?P<y>{_D}{{4}})[{YEAR_WORDS}](?P<m>{_D}{{1,2}})[{MONTH_WORDS}](?P<d>{_D}{{1,2}})(?:[{DAY_WORDS}]|(?!{_D}))"
)
_SEP = f"[{re.escape(DATE_SEPARATORS)}]"
_OCR_NUMERIC_DATE = re.compile(
    rf"(?<![0-9.])(?P<y>{_D}{{4}}){_SEP}(?P<m>{_D}{{1,2}}){_SEP}(?P<d>{_D}{{1,2}})(?!{_D})"
)
_CJK_NUMERAL_RUN = re.compile(r"[〇○◯Oo0一二三四五六七八九十]{2,}")


def digits_of(text: str) -> str:
    """Map digit lookalikes to digits; other characters unchanged.

    >>> digits_of("2O2B")
    '2028'
    """
    return "".join(DIGIT_LOOKALIKES.get(ch, ch) for ch in text)


def _real_digits(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def _plausible(year: str, month: str, day: str, years: tuple[int, int]) -> dt.date | None:
    y, m, d = (int(digits_of(part)) for part in (year, month, day))
    if not years[0] <= y <= years[1]:
        return None
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


_NUMERAL_THEN_WORD = re.compile(r"(?<=[〇一二三四五六七八九十])([午牛冃円曰目])")
_WORD_OF = {"午": "年", "牛": "年", "冃": "月", "円": "月", "曰": "日", "目": "日"}


def _cjk_zero_folded(text: str) -> str:
    """二O二六午四月二十八曰 → 二〇二六年四月二十八日: OCR's O and date words among Chinese numerals."""
    text = _CJK_NUMERAL_RUN.sub(lambda m: re.sub("[○◯Oo0]", "〇", m.group()), text)
    return _NUMERAL_THEN_WORD.sub(lambda m: _WORD_OF[m.group(1)], text)


def parse_ocr_date(text: str, years: tuple[int, int] = PLAUSIBLE_YEARS) -> dt.date | None:
    """The first plausible date in (possibly OCR'd) text, or None.

    Reads the Chinese form and the numeric forms with misread digits, date
    words and separators first: the strict reader would stop at a misread
    digit and return a wrong day (``2027.5.2S`` → the 2nd). Chinese-numeral
    dates (二〇二六年…, with O for 〇) go through the strict reader. Every
    reading must be a real calendar date with a year in ``years``; a year's
    four characters must hold at least two real digits (``ZOlS年`` is no year).

    >>> [parse_ocr_date(s) for s in ("2026年4月28曰", "2O26午4月2B日", "2026.4,28", "二O二六年四月二十八日")]
    [datetime.date(2026, 4, 28), datetime.date(2026, 4, 28), datetime.date(2026, 4, 28), datetime.date(2026, 4, 28)]
    >>> [parse_ocr_date(s) for s in ("2026年2月30日", "1826年4月28日", "ZOlS年l月l日", "2027.5.2S", "")]
    [None, None, None, datetime.date(2027, 5, 25), None]
    """
    folded = re.sub(r"\s+", "", fold_width(text or ""))
    found: list[tuple[int, dt.date | None]] = []
    for pattern in (_OCR_CN_DATE, _OCR_NUMERIC_DATE):
        for match in pattern.finditer(folded):
            if _real_digits(match["y"]) >= 2:
                found.append((match.start(), _plausible(match["y"], match["m"], match["d"], years)))
                break
    if found:
        return min(found, key=lambda item: item[0])[1]  # the first date written, right or not
    strict = parse_cn_date(_cjk_zero_folded(folded))
    return strict if strict is not None and years[0] <= strict.year <= years[1] else None


# --------------------------------------------------------------------- numbers
_PHONE_NOISE = re.compile(r"[\s()（）\-—－–_·.．]")


class Repair(NamedTuple):
    """A value repaired from its printed form, with the reason (Chinese, for staff)."""

    value: str
    printed: str
    why: str


def repair_digits(printed: str, shape: re.Pattern[str], *, keep: str = "") -> Repair | None:
    """A number whose lookalike letters, spaces or dashes broke its shape.

    ``shape`` is the pattern the repaired value must match (a mobile number,
    a postcode); ``keep`` lists separators that are part of the shape (the
    dash of ``0472-1234567``). None when the printed value already fits, or
    when no single reading fits.

    >>> import re
    >>> repair_digits("l39 1234 S678", re.compile(r"^1[3-9]\\d{9}$")).value
    '13912345678'
    """
    text = fold_width(printed).strip()
    if not text or shape.match(re.sub(r"\s+", "", text)):
        return None  # fits (spaces between digit groups are the writer's, not damage)
    if "-" in keep:
        text = re.sub("[—－–−]", "-", text)
    noise = _PHONE_NOISE if not keep else re.compile(
        "[" + "".join(re.escape(c) for c in "\t ()（）_·．" if c not in keep) + "]")
    mapped = re.sub(r"\s+", "", digits_of(noise.sub("", text)))
    if mapped != text and shape.match(mapped):
        return Repair(mapped, printed, "按数字形近字符更正")
    return None


# --------------------------------------------------------------------- e-mail
#: Mail domains common on Chinese forms. A damaged domain is repaired to one
#: of these only when exactly one of them can be read into it.
KNOWN_MAIL_DOMAINS = (
    "163.com", "126.com", "yeah.net", "vip.163.com", "vip.126.com", "188.com",
    "qq.com", "vip.qq.com", "foxmail.com", "sina.com", "sina.cn", "vip.sina.com",
    "sohu.com", "139.com", "189.cn", "wo.cn", "aliyun.com", "tom.com", "21cn.com",
    "gmail.com", "outlook.com", "hotmail.com", "live.com", "yahoo.com", "icloud.com",
)
#: Top-level labels a damaged last label may stand for.
KNOWN_TLDS = ("com", "cn", "net", "org", "gov", "edu")

_EMAIL_SHAPE = re.compile(r"^[\w.+-]+@[\w-]+(?:\.[\w-]+)+$", re.ASCII)
_AT_LOOKALIKES = ("(at)", "[at]", "(a)", "＠", "#", "©", "®")
_DOT_LOOKALIKES = re.compile(r"[,，。·．、]")
#: Letter groups OCR reads one for the other inside a mail address.
_SKELETON = (("rn", "m"), ("vv", "w"), ("cl", "d"), ("0", "o"), ("1", "l"), ("i", "l"),
             ("|", "l"), ("5", "s"), ("2", "z"), ("6", "g"), ("9", "g"), ("8", "b"))


def _skeleton(text: str) -> str:
    """A form that erases the lookalikes: l63.corn and 163.com share it."""
    text = text.lower()
    for a, b in _SKELETON:
        text = text.replace(a, b)
    return text


def _unique_known(label: str, known: tuple[str, ...]) -> str | None:
    if label in known:
        return label
    hits = {k for k in known if _skeleton(k) == _skeleton(label)}
    return hits.pop() if len(hits) == 1 else None


_DOMAIN_TAIL_JUNK = re.compile(r"[^A-Za-z0-9.-]+$")


def _completed(domain: str) -> str:
    """A known domain whose end OCR lost or garbled (``126.c☑``, ``163.co``): the domain
    cut at its first character that cannot be in one, completed when exactly one known
    domain starts so (its last label begun, so ``126.`` alone is not completed)."""
    cut = _DOMAIN_TAIL_JUNK.sub("", domain).lower()
    if cut in KNOWN_MAIL_DOMAINS or "." not in cut or cut.endswith("."):
        return domain if cut == domain.lower() else cut
    starts = [k for k in KNOWN_MAIL_DOMAINS if k.startswith(cut) and k != cut]
    return starts[0] if len(starts) == 1 else domain


#: A lone upright stroke between two lower-case letters of an OCR'd local part: printed
#: it is the letter l far more often than the digit 1 (or a capital I) inside a word.
_STROKE_IN_WORD = re.compile(r"(?<=[a-z])[1I|!丨](?=[a-z])")


def letter_l_in_local_part(address: str) -> Repair | None:
    """An OCR'd address whose local part has a lone 1 (or I, |) inside a lower-case word: l.

    In the fonts forms are printed in, l, 1 and I are one upright stroke, and the
    recogniser's choice between them is close to a coin toss; the shape of the
    address decides it. A Chinese mailbox name is pinyin or initials followed by
    digits (tongliaokj779, nmgkjt2019); a single digit *inside* a run of lower-case
    letters, with no digit beside it, is not how such names are made. So
    ``tong1iaokj779`` is read as ``tongliaokj779``, while ``li.ming2026`` (the 1 in a
    run of digits), ``a1@x.com`` (nothing after it) and ``ABC1DEF`` (capitals: not
    the lower-case word the rule reads) stay as printed. For OCR'd values only: a
    typed address is what its writer typed.

    >>> letter_l_in_local_part("tong1iaokj779@126.com").value
    'tongliaokj779@126.com'
    >>> letter_l_in_local_part("a1xakj375@163.com").value, letter_l_in_local_part("zhangIei@qq.com").value
    ('alxakj375@163.com', 'zhanglei@qq.com')
    >>> [letter_l_in_local_part(a) for a in ("li.ming2026@163.com", "kj1@163.com", "a12b@qq.com", "AB1CD@qq.com")]
    [None, None, None, None]
    """
    local, at, domain = address.partition("@")
    if not at:
        return None
    fixed = _STROKE_IN_WORD.sub("l", local)
    if fixed == local:
        return None
    return Repair(f"{fixed}@{domain}", address, "电子邮箱用户名中夹在小写字母间的“1”按形近字母“l”读")


def repair_email(printed: str) -> Repair | None:
    """An e-mail address whose @, dots or domain OCR damaged; None when not uniquely repairable.

    >>> repair_email("zhang san@l63.corn").value
    'zhangsan@163.com'
    >>> repair_email("nmgkj#126，com").value
    'nmgkj@126.com'
    >>> repair_email("chifengkj373@126.c☑").value, repair_email("kj@163.co").value
    ('chifengkj373@126.com', 'kj@163.com')
    >>> repair_email("kj@sina.c") is None  # sina.com or sina.cn: not unique
    True
    >>> repair_email("kjj@nmg.gov.cn") is None, repair_email("KJJ@QQ.COM") is None, repair_email("kj j@@x") is None
    (True, True, True)
    """
    text = re.sub(r"\s+", "", fold_width(printed)).rstrip(".。;；,，")
    if "@" not in text:
        tokens = [t for t in _AT_LOOKALIKES if t in text]
        if len(tokens) != 1 or text.count(tokens[0]) != 1:
            return None
        text = text.replace(tokens[0], "@")
    if text.count("@") != 1:
        return None
    local, domain = text.split("@")
    domain = _DOT_LOOKALIKES.sub(".", domain)
    domain = _completed(domain)
    known = _unique_known(domain.lower(), KNOWN_MAIL_DOMAINS)
    if known is not None and known != domain.lower():
        domain = known
    elif known is None and "." in domain:
        head, _, tld = domain.rpartition(".")
        fixed = _unique_known(tld.lower(), KNOWN_TLDS)
        domain = f"{head}.{fixed}" if fixed and fixed != tld.lower() else domain
    value = f"{local}@{domain}"
    if value == printed or not _EMAIL_SHAPE.match(value):
        return None
    if value == re.sub(r"\s+", "", printed):
        return Repair(value, printed, "去除空格")
    return Repair(value, printed, "按电子邮箱格式与常见邮箱域名更正形近字符")


# --------------------------------------------------------------------- 序号
def seq_number(text: str) -> int | None:
    """The number in a 序号 cell: ``7``, ``7.``, ``（7）``, and OCR's ``l``/``O`` for 1/0.

    >>> [seq_number(s) for s in ("7", "1O.", "（l2）", "l", "", "合计", "12345", "|", "0")]
    [7, 10, 12, 1, None, None, None, None, None]
    """
    core = re.sub(r"[\s.．、,，:：()（）\[\]【】]", "", fold_width(text or ""))
    if not core or len(core) > 4:
        return None
    mapped = digits_of(core)
    # a lone letter is a number only when it reads as one (l, I for 1); a
    # rule's | or ! alone is no row number
    if not mapped.isdigit() or (_real_digits(core) == 0 and core not in "lIZSB"):
        return None
    return int(mapped) or None


def one_glyph_off(read: str, true: str, *, added: bool = False) -> bool:
    """``read`` is ``true`` with one character misread or lost, OCR's usual slip (with
    ``added``, also one character too many): Levenshtein distance 1, the read never
    longer than the true text unless ``added``.

    >>> one_glyph_off("口县", "磴口县"), one_glyph_off("达翰尔族", "达斡尔族")
    (True, True)
    >>> one_glyph_off("磴口县县", "磴口县"), one_glyph_off("磴口县县", "磴口县", added=True)
    (False, True)
    >>> one_glyph_off("磴口县", "磴口县"), one_glyph_off("口", "磴口县")
    (False, False)
    """
    if len(read) > len(true) and not added:
        return False
    return Levenshtein.distance(read, true, score_cutoff=1) == 1
