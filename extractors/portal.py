"""What a saved web page adds around a policy: page chrome and the 政府信息公开 block.

Pages saved from government portals and reprint sites carry, around the text
itself, the site's banner and breadcrumb (首页 > 政务公开 > …), article
statistics (来源/作者/点击/浏览次数/发布时间), tools (打印本页, 关闭窗口, 分享到,
字号 大 中 小, 扫一扫), neighbours (上一篇/下一篇/相关阅读), reprint notes
(本文转载自…, 转载请注明出处) and the site's footer (主办, ICP备案). None of it is
the policy: it must not become the title, the issuer or a clause, but it is
kept aside (``chrome``) so nothing read is thrown away.

Portals also print the 政府信息公开 block — 索引号, 主题分类, 发文机关, 成文日期,
标题, 发文字号, 发布日期, 有效性 … — as ``label：value`` pairs on a few lines
or as a table. It is the best metadata there is; :func:`parse_info` reads it
whatever its spacing (``索 引 号``, ``标　　题``) or layout.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

#: 信息公开 labels (spaces removed) and the key each one fills.
INFO_LABELS: dict[str, str] = {
    "索引号": "index_number", "主题分类": "topic", "公文目录": "topic", "组配分类": "topic",
    "信息分类": "category", "发文机关": "issuer", "发布机构": "issuer", "发文机构": "issuer",
    "发文单位": "issuer", "成文日期": "date_written", "生成日期": "date_written",
    "产生日期": "date_written", "发文日期": "date_issued", "发布日期": "date_published",
    "公开日期": "date_published", "标题": "title", "名称": "title", "文件名称": "title",
    "发文字号": "doc_number", "文号": "doc_number", "有效性": "validity", "时效性": "validity",
    "效力状态": "validity", "生效日期": "effective_from", "生效时间": "effective_from",
    "实施日期": "effective_from", "施行日期": "effective_from", "废止日期": "effective_until",
    "废止时间": "effective_until", "失效日期": "effective_until", "失效时间": "effective_until",
    "主题词": "keywords", "关键词": "keywords", "内容概述": "summary", "公开方式": "open_mode",
    "公开范围": "open_scope", "信息来源": "source", "来源": "source",
}
#: Labels that make a line part of the block (来源 alone is a reprint's chrome).
_STRONG = {"索引号", "主题分类", "发文机关", "发布机构", "发文机构", "成文日期", "生成日期", "发文字号",
           "文号", "发文日期", "有效性", "时效性", "公文目录", "组配分类", "废止日期", "生效日期"}
_LABEL_RE = re.compile(
    "(?P<label>" + "|".join(sorted(("\\s*".join(label) for label in INFO_LABELS), key=len,
                                   reverse=True)) + r")\s*[：:]")


_COMPOUND = re.compile(r"(?:单位|企业|项目|文件|机构|产品|平台)$")


def _labels_in(text: str) -> list[re.Match[str]]:
    """Label matches that start the text, or follow the first one (a page's spacing
    between pairs may have been folded away), but not 名称 inside 单位名称."""
    out: list[re.Match[str]] = []
    for m in _LABEL_RE.finditer(text):
        before = text[: m.start()]
        if not before.strip() or out and not _COMPOUND.search(before):
            out.append(m)
    return out


def info_pairs(text: str) -> dict[str, str] | None:
    """The ``label：value`` pairs of one line or table row of the block, else None.

    >>> info_pairs("索 引 号：306-12-2022-118　　主题分类：科技")
    {'索引号': '306-12-2022-118', '主题分类': '科技'}
    >>> info_pairs("发文机关\\t科学技术部\\t成文日期\\t2022年06月20日")
    {'发文机关': '科学技术部', '成文日期': '2022年06月20日'}
    >>> info_pairs("来源：县政府办") is None
    True
    """
    if "\t" in text and "：" not in text and ":" not in text:
        cells = [c.strip() for c in text.split("\t")]
        pairs = {}
        for label, value in zip(cells[::2], cells[1::2], strict=False):
            key = re.sub(r"\s+", "", label).rstrip("：:")
            if not key and not value:
                continue
            if key not in INFO_LABELS:
                return None
            pairs[key] = value
        return pairs if pairs and _STRONG & pairs.keys() else None
    found = _labels_in(text)
    if not found or text[: found[0].start()].strip():
        return None
    pairs = {}
    for m, nxt in zip(found, [*found[1:], None], strict=True):
        value = text[m.end(): nxt.start() if nxt else len(text)]
        pairs[re.sub(r"\s+", "", m.group("label"))] = value.strip(" \t\u3000|；;")
    return pairs if _STRONG & pairs.keys() or len(pairs) >= 2 else None


@dataclass(slots=True)
class InfoBlock:
    """The block's fields as printed (label → value) and by meaning (key → value)."""

    fields: dict[str, str] = field(default_factory=dict)

    def get(self, key: str) -> str | None:
        for label, value in self.fields.items():
            if INFO_LABELS.get(label) == key and value.strip():
                return value.strip()
        return None


# --------------------------------------------------------------------------- chrome
_BREADCRUMB = re.compile(r"(?:首页|主页|当前位置|您的位置|您现在的位置|所在位置)\s*[：:>＞»›]"
                         r"|(?:^|\s)[^<>\s]{1,12}\s*[>＞»›]\s*[^<>\s/]{1,12}\s*[>＞»›]\s*[^<>\s]")
_STATS = re.compile(r"^(?:【|\[)?\s*(?:来源|作者|点击|点击数|点击率|浏览|浏览次数|阅读|阅读量|阅读次数|访问量|"
                    r"发布时间|发布日期|更新时间|时间|编辑|责任编辑|字号|字体|信息来源|文章来源)\s*[：:]")
_TOOLS = re.compile(r"^原创\s|点击蓝字|关注我们|阅读原文|^分享\s|在看|点赞|长按识别|打印本页|打印此页|打印正文|打印整页|关闭窗口|【\s*关闭\s*】|\[\s*关闭\s*\]|我要打印|"
                    r"分享到|分享：|扫一扫|在手机(?:上)?打开|收藏本页|返回顶部|加入收藏|设为首页|"
                    r"字体\s*[：:]?\s*[【\[]?\s*大\s*中\s*小|字号\s*[：:]?\s*[【\[]?\s*大\s*中\s*小|"
                    r"上一篇|下一篇|相关阅读|相关链接|相关文章|相关文件|网站地图|无障碍|关怀版")
_FOOTER = re.compile(r"ICP\s*备|公网安备|网站标识码|版权所有|主办\s*[：:]|承办\s*[：:]|技术支持\s*[：:]|"
                     r"版权声明|Copyright|©")
_REPRINT = re.compile(r"转载|如有侵权|仅供参考|以原发布单位|原文链接|政策原文")
_SITE = re.compile(r"(?:门户网站|政府网站|网站|官网|资讯网|信息网|研究网|服务网|政策通|[^\s]+网)(?:\s*[—–-]+.*)?$|"
                   r"www\.|https?://|\.com|\.cn\b")


_URL = re.compile(r"www\.|https?://|\.(?:com|cn|net|org)\b")
_BYLINE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}\s*\d{1,2}:\d{2}")
_TITLE_WORDS = re.compile(r"关于|办法|意见|通知|方案|措施|规定|政策|细则|批复|规划|决定")


def is_reprint_note(text: str) -> bool:
    """A page line saying the text is reprinted from elsewhere (本文转载自…, 如有侵权…,
    请以原发布单位公布的为准): the page is a reprint, not the issuer's own publication.

    >>> is_reprint_note("（本文转载自和林格尔县人民政府网站，如有侵权请联系删除）")
    True
    >>> is_reprint_note("来源：内蒙古自治区科学技术厅")
    False
    """
    return bool(_REPRINT.search(text))


def is_chrome(text: str, *, head: bool = False) -> bool:
    """Is this line the page's chrome rather than the document's?

    ``head``: the line stands before the document's title or 信息公开 block,
    where a site's name alone (北方科技资讯网, …门户网站) is chrome too.

    >>> [is_chrome(s) for s in ["首页 > 政务公开 > 通知公告", "【打印本页】【关闭窗口】",
    ...  "来源：包头市人民政府　浏览次数：386", "（本文转载自和林格尔县人民政府网站，如有侵权请联系删除）"]]
    [True, True, True, True]
    >>> [is_chrome(s) for s in ["一、对首次认定的国家高新技术企业，给予20万元奖励。", "包头市人民政府"]]
    [False, False]
    """
    t = text.strip()
    if not t or len(t) > 160 or "\t" in t or "\n" in t or "<" in t:
        return False  # table rows and markup are the document's, not the page's
    if _BREADCRUMB.search(t) or _STATS.match(t) or _TOOLS.search(t) or _FOOTER.search(t):
        return True
    if _BYLINE.search(t) and len(t) <= 60 and not any(ch in t for ch in "。；，"):
        return True  # 原创 高新区发布 2024-05-06 09:12 内蒙古: a post's byline
    if t[0] in "（(" and t[-1] in "）)" and _REPRINT.search(t):
        return True
    if _REPRINT.search(t) and not any(ch in t for ch in "。；"):
        return True
    if head and _URL.search(t):
        return True
    return (head and len(t) <= 40 and bool(_SITE.search(t)) and not t.endswith(("文件", "号"))
            and not _TITLE_WORDS.search(t))


@dataclass(slots=True)
class PageParts:
    """A page split into chrome, the 信息公开 block and the document's own paragraphs."""

    kept: list[int]  # indices of the paragraphs that are the document
    chrome: list[str] = field(default_factory=list)
    info: InfoBlock = field(default_factory=InfoBlock)


def separate(texts: Sequence[str], title_hint: str | None = None) -> PageParts:
    """Sort each paragraph into chrome, info block or document (see the module doc).

    Before the first line of the document proper (a line that is neither
    chrome nor info), site names count as chrome as well.
    """
    parts = PageParts(kept=[])
    head = True
    label: str | None = None  # a label alone on its line waits for its value on the next
    for i, text in enumerate(texts):
        if (bare := bare_label(text)) is not None:
            if label is not None:
                parts.info.fields.setdefault(label, "")
            label = bare
            continue
        if label is not None:
            if len(text) <= 80 and not match_clause_start(text):
                parts.info.fields[label] = text.strip()
                label = None
                continue
            parts.info.fields.setdefault(label, "")
            label = None
        rows = [r for r in text.split("\n") if r.strip()]
        pairs = info_pairs(text) if len(rows) <= 1 else _table_pairs(rows)
        if pairs:
            parts.info.fields.update(pairs)
            continue
        if is_chrome(text, head=head):
            parts.chrome.append(text.strip())
            continue
        if head and _is_site_name_before_info(texts, i):
            parts.chrome.append(text.strip())
            continue
        head = False
        parts.kept.append(i)
    return parts


_BARE_LABEL = re.compile(r"^[\x00-\x1f•·●◆■□\-\s\ue000-\uf8ff]*(?P<label>[\u4e00-\u9fff\s\u3000]{2,10}?)\s*[：:]\s*$")


def bare_label(text: str) -> str | None:
    """``• 索引号:`` alone on its line: a 信息公开 label whose value is on the next line."""
    m = _BARE_LABEL.match(text.strip())
    if not m:
        return None
    key = re.sub(r"\s+", "", m["label"])
    return key if key in INFO_LABELS else None


def match_clause_start(text: str) -> bool:
    """A numbered unit or a title line is the document, not a label's value."""
    return bool(re.match(r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[）)]|第.{1,4}[章条])",
                         text.strip())) or bool(_TITLE_WORDS.search(text) and len(text) > 12)


def _table_pairs(rows: list[str]) -> dict[str, str] | None:
    """A table laid out as the 信息公开 block: every row gives pairs."""
    out: dict[str, str] = {}
    for row in rows:
        pairs = info_pairs(row) or _loose_pairs(row)
        if pairs is None:
            return None
        out.update(pairs)
    return out if _STRONG & out.keys() else None


def _loose_pairs(row: str) -> dict[str, str] | None:
    """A row of label/value cells with no strong label of its own (发布日期 | …)."""
    cells = [c.strip() for c in row.split("\t")]
    pairs = [(re.sub(r"\s+", "", k).rstrip("：:"), v) for k, v in zip(cells[::2], cells[1::2],
                                                                       strict=False) if k or v]
    if not pairs or any(k not in INFO_LABELS for k, _ in pairs):
        return None
    return dict(pairs)


def _is_site_name_before_info(texts: Sequence[str], i: int) -> bool:
    """A short line directly above the 信息公开 block (the portal's banner: 包头市人民政府)."""
    t = texts[i].strip()
    if len(t) > 30 or any(ch in t for ch in "。，；：:"):
        return False
    for nxt in texts[i + 1: i + 4]:
        rows = [r for r in nxt.split("\n") if r.strip()]
        if bare_label(nxt) is not None or (info_pairs(nxt) if len(rows) <= 1 else _table_pairs(rows)):
            return True
        if not is_chrome(nxt, head=True):
            return False
    return False
