"""Tag policy clauses: units, money, zones, industries, beneficiaries, years, targets.

A rule pipeline on ``spacy.blank("zh")`` with jieba segmentation; no model is
downloaded or trained. Why each piece:

* **jieba + user dictionary.** Zone names and lexicon terms are added to jieba
  so they stay one token; lexicon matching is done on tokens, so an alias never
  matches inside a longer word (``大学`` is not found in ``大学生``).
* **SpanRuler** (not EntityRuler): tags may overlap (``科技服务业示范企业`` is a
  beneficiary and contains the industry ``科技服务业``). Industry and
  beneficiary patterns carry the lexicon term as ``id``.
* **Zones** come from ``saidao.corpus.zones.registry().find_all`` (it folds
  widths and the 国家级/高新技术产业开发区 variants); each span carries the zone id.
* **Money, years, targets** are character patterns (``money``): jieba cuts
  numbers unpredictably.
* **Units** are read first from the ``牵头单位/责任单位`` notes (``units``) and the
  notes are removed from the text the other tags read: ``大数据中心`` is a unit,
  not the big-data industry.

Only explicit mentions are tagged: a city document does not tag its city's zones.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

import jieba
import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from saidao.corpus.lexicon import beneficiaries, industries, jieba_user_dict
from saidao.corpus.zones import registry
from saidao.extractors.money import find_amounts, find_targets, find_years
from saidao.extractors.units import split_units

SPANS_KEY = "saidao"
TAG_KEYS = ("lead_units", "responsible_units", "amounts", "zones", "industries",
            "beneficiaries", "years", "targets")
#: Quote marks are dropped before matching: ``专精特新“小巨人”企业``,
#: ``专精特新"小巨人"企业`` and ``专精特新‘小巨人’企业`` are one term.
_QUOTES = re.compile("[\"'“”‘’「」『』〝〞]")
#: An industry word directly followed by these is part of a school or place
#: name (中国矿业大学, 乳业开发区), not a mention of the industry.
_NAME_SUFFIX = re.compile(r"(?:大学|学院|科学院|开发区|园区|高新区)")
#: Jieba frequency for dictionary terms: high enough to win over the default
#: dictionary's splits of the same characters in running text.
_TERM_FREQ = 200_000
#: The shared tail of a coordinated list of zones: ``呼和浩特金山、包头稀土和
#: 鄂尔多斯国家高新技术产业开发区`` names three zones.
_ZONE_TAIL = re.compile(r"(?:[两三四五六七]个|等)?(?:国家级|国家|自治区级)?(?:高新技术产业开发区|高新区)")
_CONJUNCTIONS = "和及与"


def fold(text: str) -> str:
    """The text the tagger reads: NFKC widths, no quote marks."""
    return _QUOTES.sub("", unicodedata.normalize("NFKC", text))


# --------------------------------------------------------------------------- pipeline
def _load_user_dict() -> None:
    """Keep zone names and lexicon terms whole in jieba (the tokenizer's segmenter)."""
    for word in jieba_user_dict():
        folded = fold(word).strip()
        if len(folded) > 1 and not any(c.isspace() for c in folded):
            jieba.add_word(folded, freq=_TERM_FREQ)


def _lexicon_patterns() -> list[dict[str, str]]:
    """Phrase patterns: every name of every industry and beneficiary term."""
    patterns = []
    for label, terms in (("INDUSTRY", industries()), ("BENEFICIARY", beneficiaries())):
        for term in terms:
            for name in dict.fromkeys(fold(n).strip() for n in term.names):
                if name:
                    patterns.append({"label": label, "pattern": name, "id": term.term})
    return patterns


def _text(doc: Doc) -> str:
    """``doc.text`` is rebuilt from the tokens on every access: build it once per doc."""
    if "text" not in doc.user_data:
        doc.user_data["text"] = doc.text
    return doc.user_data["text"]


def _add_spans(doc: Doc, spans: Iterable[Span]) -> None:
    group = doc.spans.get(SPANS_KEY, [])
    doc.spans[SPANS_KEY] = [*group, *spans]


def _resolve_item(piece: str, first: bool) -> tuple[int, str] | None:
    """Zone id of one list item (``包头稀土``); the first item may carry a lead-in verb."""
    lengths = range(min(len(piece), 8), 1, -1) if first else [len(piece)]
    for n in lengths:
        zone = registry().exact(piece[-n:] + "高新区")
        if zone is not None:
            return len(piece) - n, zone.id
    return None


def _split_list(head: str) -> list[str]:
    """Items of ``A、B和C``; ``和`` splits only where both sides name zones (呼和浩特 stays)."""
    pieces: list[str] = []
    for k, piece in enumerate(head.split("、")):
        for i, char in enumerate(piece):
            if (char in _CONJUNCTIONS and _resolve_item(piece[:i], first=k == 0)
                    and _resolve_item(piece[i + 1:], first=False)):
                pieces += [piece[:i], piece[i + 1:]]
                break
        else:
            pieces.append(piece)
    return pieces


def coordinated_zones(text: str) -> list[tuple[int, int, str]]:
    """Zones named by a list sharing one ``…高新区`` tail: (start, end, zone id)."""
    found = []
    for tail in _ZONE_TAIL.finditer(text):
        head = re.split(r"[,，。;；:\n(（]", text[max(0, tail.start() - 40):tail.start()])[-1]
        pieces = _split_list(head)
        if len(pieces) < 2:
            continue
        start = tail.start() - len(head)
        offsets = [start + sum(len(p) + 1 for p in pieces[:k]) for k in range(len(pieces))]
        for k in range(len(pieces) - 1, -1, -1):
            hit = _resolve_item(pieces[k], first=k == 0)
            if hit is None:
                break
            found.append((offsets[k] + hit[0], offsets[k] + len(pieces[k]), hit[1]))
    return found


@Language.component("saidao_zones")
def zone_component(doc: Doc) -> Doc:
    """ZONE spans for every explicit zone mention, ``span.id_`` = zone id."""
    text = _text(doc)
    mentions = [(m.start, m.end, m.zone.id) for m in registry().find_all(text)]
    spans = []
    for start, end, zone_id in mentions + coordinated_zones(text):
        span = doc.char_span(start, end, label="ZONE", span_id=zone_id, alignment_mode="expand")
        if span is not None:
            spans.append(span)
    _add_spans(doc, spans)
    return doc


@Language.component("saidao_money")
def money_component(doc: Doc) -> Doc:
    """MONEY spans; the parsed amount is ``span._.amount``."""
    spans = []
    for amount in find_amounts(_text(doc)):
        span = doc.char_span(amount.start, amount.end, label="MONEY", alignment_mode="expand")
        if span is not None:
            span._.amount = amount
            spans.append(span)
    _add_spans(doc, spans)
    return doc


@lru_cache(maxsize=1)
def pipeline() -> Language:
    """The tagging pipeline, built once per process (jieba dictionary included)."""
    if not Span.has_extension("amount"):
        Span.set_extension("amount", default=None)
    jieba.setLogLevel(60)
    _load_user_dict()
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    ruler = nlp.add_pipe("span_ruler", config={"spans_key": SPANS_KEY, "overwrite": False})
    ruler.add_patterns(_lexicon_patterns())
    nlp.add_pipe("saidao_zones")
    nlp.add_pipe("saidao_money")
    return nlp


# --------------------------------------------------------------------------- reading spans
def _spans(doc: Doc, label: str) -> list[Span]:
    group = doc.spans.get(SPANS_KEY, [])
    return filter_spans([s for s in group if s.label_ == label])


def _inside(span: Span, others: list[Span]) -> bool:
    return any(o.start_char <= span.start_char and span.end_char <= o.end_char for o in others)


def _is_name_part(span: Span, text: str) -> bool:
    return _NAME_SUFFIX.match(text, span.end_char) is not None


def _terms(spans: Iterable[Span]) -> list[str]:
    return list(dict.fromkeys(s.id_ for s in spans))


def _tags(doc: Doc) -> dict[str, Any]:
    text = _text(doc)
    zones = _spans(doc, "ZONE")
    industry = [s for s in _spans(doc, "INDUSTRY")
                if not _inside(s, zones) and not _is_name_part(s, text)]
    return {
        "amounts": [s._.amount.to_dict() for s in _spans(doc, "MONEY")],
        "zones": _terms(zones),
        "industries": _terms(industry),
        "beneficiaries": _terms(s for s in _spans(doc, "BENEFICIARY") if not _inside(s, zones)),
        "years": find_years(text),
        "targets": find_targets(text),
    }


# --------------------------------------------------------------------------- public
def _prepare(text: str, heading: str = "") -> tuple[dict[str, list[str]], str]:
    """Units of the clause and the folded text (heading first) left for the other tags."""
    units = split_units(fold(text))
    rest = units.rest
    head = fold(heading).strip()
    if head and not rest.startswith(head):
        rest = f"{head}。{rest}"
    return {"lead_units": units.lead, "responsible_units": units.responsible}, rest


def tag_clause(text: str, heading: str = "") -> dict[str, Any]:
    """Tags of one clause: the contract's keys plus ``years`` and ``targets``."""
    return next(tag_clauses([(text, heading)]))


def tag_clauses(items: Iterable[tuple[str, str]], batch_size: int = 256) -> Iterator[dict[str, Any]]:
    """Tags of many ``(text, heading)`` clauses, in order (``nlp.pipe`` batches)."""
    prepared = [_prepare(text, heading) for text, heading in items]
    docs = pipeline().pipe((rest for _, rest in prepared), batch_size=batch_size)
    for (units, _), doc in zip(prepared, docs, strict=True):
        yield {**units, **_tags(doc)}
