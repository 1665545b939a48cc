"""The zone registry (高新区) and the region's administrative divisions (盟市, 旗县区).

The registry is ONE plain CSV (``zones.csv``) that staff can edit; point
``SAIDAO_ZONES`` (or the ``path`` argument) at an edited copy to use it.
Rows have a ``status``: ``existing``, ``planned`` (a zone a policy asks to be
created; placeholder name) or ``not_htz`` (a look-alike that is NOT a high-tech
zone, e.g. 巴彦淖尔国家农业高新技术产业示范区). ``not_htz`` rows are never
returned; they exist so that matching does not map a look-alike onto a real zone.

Names are compared on a normalised key: widths folded (NFKC), spaces dropped,
``（盖章）`` dropped, 内蒙古/国家级/自治区级 qualifiers dropped, committee
suffixes dropped, and 高新技术产业开发区 → 高新区, 经济技术开发区 → 经开区.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from rapidfuzz import fuzz, process

from saidao.corpus._data import data_path, read_csv, split_list
from saidao.errors import SaidaoError

ENV_VAR = "SAIDAO_ZONES"
ZONE_COLUMNS = ("id", "name", "aliases", "level", "city", "county", "status")
STATUSES = ("existing", "planned", "not_htz")

#: Fuzzy cutoff (rapidfuzz ratio, 0-100) for resolve(); a 5-character key with
#: one wrong character scores 80.
FUZZY_CUTOFF = 80.0
#: Two candidates from different zones closer than this are ambiguous.
AMBIGUITY_MARGIN = 4.0

# (pattern, replacement) applied in order to build a comparison key.
_REWRITES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[(\[【]\s*(?:盖章|公章|章|签章)\s*[)\]】]"), ""),
    (re.compile(r"内蒙古自治区|内蒙古"), ""),
    (re.compile(r"国家级|自治区级|国家"), ""),
    (re.compile(r"高新技术产业开发区|高新技术开发区|高新技术产业园区"), "高新区"),
    (re.compile(r"经济技术开发区"), "经开区"),
)
_SUFFIX = re.compile(r"(?:管理委员会|管委会|党工委|工作委员会)$")
# Words that say "a zone" without saying which one.
_GENERIC = re.compile(r"高新区|经开区|开发区|产业园区|园区|示范区|市|盟|[:：]")


def _nfkc_mapped(text: str) -> tuple[str, list[int]]:
    """NFKC-fold each character and drop whitespace, remembering source offsets."""
    out: list[str] = []
    index: list[int] = []
    for pos, char in enumerate(text):
        for folded in unicodedata.normalize("NFKC", char):
            if not folded.isspace():
                out.append(folded)
                index.append(pos)
    return "".join(out), index


def _rewrite_mapped(text: str, index: list[int]) -> tuple[str, list[int]]:
    """Apply the key rewrites; each output character keeps a source offset."""
    for pattern, repl in _REWRITES:
        pieces: list[str] = []
        new_index: list[int] = []
        last = 0
        for match in pattern.finditer(text):
            pieces.append(text[last : match.start()])
            new_index.extend(index[last : match.start()])
            if repl:
                span = index[match.start() : match.end()]
                pieces.append(repl)
                # The first replacement char maps to the match start, the rest to its end.
                new_index.extend([span[0]] + [span[-1]] * (len(repl) - 1))
            last = match.end()
        pieces.append(text[last:])
        new_index.extend(index[last:])
        text, index = "".join(pieces), new_index
    return text, index


def normalise_key(text: str) -> str:
    """Comparison key of a zone name as written (see module docstring)."""
    key, _ = _rewrite_mapped(*_nfkc_mapped(text))
    return _SUFFIX.sub("", key)


@dataclass(frozen=True)
class Zone:
    """One high-tech zone (or planned zone) as listed in the registry."""

    id: str
    name: str
    aliases: tuple[str, ...]
    level: str
    city: str
    counties: tuple[str, ...]
    status: str
    confidence: str
    note: str
    approved_year: int | None = None
    committee: str = ""
    source: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        """The official name followed by every alias."""
        return (self.name, *self.aliases)

    @property
    def is_planned(self) -> bool:
        return self.status == "planned"


class ZoneMatch(NamedTuple):
    """A zone mention found in running text: ``text[start:end]`` names ``zone``."""

    zone: Zone
    start: int
    end: int
    alias: str


def _zone_from_row(row: dict[str, str]) -> Zone:
    year = row.get("approved_year", "")
    status = row.get("status", "") or "existing"
    if status not in STATUSES:
        raise ValueError(f"{row['id']}: 未知状态 unknown status {status!r} (use {'/'.join(STATUSES)})")
    return Zone(
        id=row["id"],
        name=row["name"],
        aliases=split_list(row.get("aliases", "")),
        level=row.get("level", ""),
        city=row.get("city", ""),
        counties=split_list(row.get("county", "")),
        status=status,
        confidence=row.get("confidence", ""),
        note=row.get("note", ""),
        approved_year=int(year) if year.isdigit() else None,
        committee=row.get("committee", ""),
        source=row.get("source", ""),
    )


class ZoneRegistry:
    """Zones with exact, fuzzy and in-text lookup by any of their names."""

    def __init__(self, zones: Iterable[Zone]) -> None:
        self._zones = tuple(zones)
        self._by_key: dict[str, tuple[Zone, str]] = {}
        for zone in self._zones:
            for alias in zone.names:
                self._add_key(zone, alias)
        self._keys = list(self._by_key)
        self._pattern = re.compile(_alternation(self._keys)) if self._keys else None
        self._stems = self._list_stems()
        self._stem_pattern = re.compile(_alternation(self._stems))
        self._list_pattern = _coordination_pattern(self._stems)
        self._stem_cache: dict[str, Zone] | None = None

    def _list_stems(self) -> dict[str, tuple[Zone, str]]:
        """Heads of ``X高新区`` keys (包头稀土, 赤峰 …) for coordinated lists.

        A head that two zones share is left out rather than guessed.
        """
        stems: dict[str, tuple[Zone, str] | None] = {}
        for key, (zone, alias) in self._by_key.items():
            stem = key[: -len("高新区")] if key.endswith("高新区") else ""
            if zone.status == "not_htz" or len(_GENERIC.sub("", stem)) < 2:
                continue
            if stem in stems and (stems[stem] is None or stems[stem][0].id != zone.id):
                stems[stem] = None
            else:
                stems.setdefault(stem, (zone, alias))
        return {k: v for k, v in stems.items() if v is not None}

    def _add_key(self, zone: Zone, alias: str) -> None:
        key = normalise_key(alias)
        if not key:
            return
        other = self._by_key.get(key)
        if other is not None and other[0].id != zone.id:
            raise ValueError(
                f"别名冲突 alias clash: {alias!r} names both {other[0].id} and {zone.id}"
            )
        self._by_key.setdefault(key, (zone, alias))

    # -- listing ---------------------------------------------------------
    def all(self, include_planned: bool = True) -> list[Zone]:
        """Every zone (never the ``not_htz`` look-alikes)."""
        allowed = ("existing", "planned") if include_planned else ("existing",)
        return [z for z in self._zones if z.status in allowed]

    def lookalikes(self) -> list[Zone]:
        """The ``not_htz`` entries: named places that are not high-tech zones (和林格尔新区)."""
        return [z for z in self._zones if z.status == "not_htz"]

    def get(self, zone_id: str) -> Zone | None:
        return next((z for z in self.all() if z.id == zone_id), None)

    def in_city(self, city: str) -> list[Zone]:
        """Zones in a 盟市 (``鄂尔多斯``, ``鄂尔多斯市`` and ``鄂尔多斯市人民政府`` all work)."""
        region = find_division(city)
        name = region[0].name if region else city
        return [z for z in self.all() if z.city == name]

    def in_county(self, county: str) -> list[Zone]:
        """Zones whose listed 旗县区 include ``county`` (empty county cells match nothing)."""
        found = find_division(county)
        name = found[1] if found and found[1] else county
        return [z for z in self.all() if name in z.counties]

    # -- lookup ----------------------------------------------------------
    def resolve(self, text: str) -> Zone | None:
        """The zone a written name means, or None when unknown or ambiguous."""
        key = normalise_key(text)
        if len(_GENERIC.sub("", key)) < 2:
            return None  # "高新区" alone, "开发区", blank …
        hit = self._by_key.get(key)
        if hit is not None:
            return _real(hit[0])
        return self._fuzzy(key)

    def resolve_ocr(self, text: str) -> Zone | None:
        """resolve(), tolerant of OCR damage inside the long words a key shortens.

        ``包头稀土高新技木产业开发区`` defeats the exact rewrite to 高新区 and then
        scores too low against every short alias; here the long words are found
        approximately (:func:`_ocr_key`) before the same exact and fuzzy lookup,
        with the same cutoff and ambiguity margin: still None when two zones fit.
        """
        zone = self.resolve(text)
        if zone is not None:
            return zone
        key = _ocr_key(normalise_key(text))
        if len(_GENERIC.sub("", key)) < 2:
            return None
        hit = self._by_key.get(key)
        if hit is not None:
            return _real(hit[0])
        return self._fuzzy(key) or self._by_stem(key)

    def _by_stem(self, key: str) -> Zone | None:
        """The one zone whose place stem (包头稀土, 鄂尔多斯 …) the key holds, followed by a zone word.

        For keys whose generic words OCR damaged beyond the fuzzy cutoff
        (鄂尔多斯高亲匚): a stem of four or more characters may have one wrong
        character, a shorter one must be exact; what follows the stem must
        still read as a zone word (高新区, 开发区, 园区 … with one character
        wrong). Two zones' stems found, or a look-alike's key close: None.
        """
        if any(fuzz.ratio(key, normalise_key(z.name)) >= FUZZY_CUTOFF for z in self.lookalikes()):
            return None
        found: dict[str, tuple[float, Zone]] = {}
        for stem, zone in self._ocr_stems().items():
            cutoff = 100.0 if len(stem) < 4 else 100 * (len(stem) - 1) / len(stem) - 0.5
            hit = fuzz.partial_ratio_alignment(stem, key, score_cutoff=cutoff)
            if hit is None or hit.dest_end - hit.dest_start < len(stem) - 1:
                continue
            if not set(key[hit.dest_end:hit.dest_end + 4]) & _ZONE_WORD_CHARS:
                continue  # 鄂尔多斯市科技局 names a city, not its zone
            score = hit.score + len(stem)  # the longer stem found wins within a zone
            if zone.id not in found or found[zone.id][0] < score:
                found[zone.id] = (score, zone)
        if len(found) != 1:
            return None
        zone = next(iter(found.values()))[1]
        return None if _names_other_place(key, zone) else _real(zone)

    def _ocr_stems(self) -> dict[str, Zone]:
        """Place stems of the ``X高新区`` keys (with 市/盟 kept), one zone each."""
        if self._stem_cache is None:
            stems: dict[str, Zone | None] = {}
            for key, (zone, _alias) in self._by_key.items():
                stem = _ZONE_WORD_END.sub("", key)
                if zone.status == "not_htz" or stem == key or len(_GENERIC.sub("", stem)) < 2:
                    continue
                other = stems.get(stem, zone)
                stems[stem] = zone if other is not None and other.id == zone.id else None
            self._stem_cache = {k: v for k, v in stems.items() if v is not None}
        return self._stem_cache

    def lookup(self, text: str) -> list[Zone]:
        """Every zone a name people use means, most specific reading first.

        In order: an id or a zone's own name or alias (fuzzy too: one wrong
        character); a 盟市 or 旗县区 named by the whole text, with or without
        市/盟/县/旗 (``鄂尔多斯`` → the zones of 鄂尔多斯市, ``和林格尔`` → the
        zone planned in 和林格尔县); a short name that is part of the names of
        some zones (``金山`` → 呼和浩特金山高新区). Empty when nothing fits.
        """
        text = text.strip()
        if not text:
            return []
        own = self.get(text) or self.resolve(text)
        if own is not None and self.exact(text) is not None:
            return [own]
        division = _whole_division(text)
        if division is not None:
            region, county = division
            found = self.in_county(county) if county else self.in_city(region.name)
            if found:
                return found
        if own is not None:
            return [own]
        key = normalise_key(text)
        if len(_GENERIC.sub("", key)) < 2:
            return []
        seen: dict[str, Zone] = {}
        for alias_key, (zone, _alias) in self._by_key.items():
            if key in alias_key and zone.status != "not_htz":
                seen.setdefault(zone.id, zone)
        return list(seen.values())

    def suggest(self, text: str, limit: int = 5) -> list[Zone]:
        """Zones whose names come closest to ``text`` (for an unknown name's message)."""
        key = normalise_key(text) or text
        scored = process.extract(key, self._keys, scorer=fuzz.WRatio, limit=limit * 4)
        out: dict[str, Zone] = {}
        for alias_key, score, _ in scored:
            zone = self._by_key[alias_key][0]
            if score >= 40 and zone.status != "not_htz":
                out.setdefault(zone.id, zone)
        division = find_division(text)
        if division is not None:
            for zone in self.in_city(division[0].name):
                out.setdefault(zone.id, zone)
        return list(out.values())[:limit]

    def exact(self, text: str) -> Zone | None:
        """The zone whose name or alias equals ``text`` after normalisation (no fuzzy)."""
        hit = self._by_key.get(normalise_key(text))
        return _real(hit[0]) if hit is not None else None

    def _fuzzy(self, key: str) -> Zone | None:
        scored = process.extract(
            key, self._keys, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=8
        )
        if not scored:
            return None
        best_zone = self._by_key[scored[0][0]][0]
        best_score = scored[0][1]
        for cand, score, _ in scored[1:]:
            if self._by_key[cand][0].id != best_zone.id and best_score - score < AMBIGUITY_MARGIN:
                return None
        if _names_other_place(key, best_zone):
            return None
        return _real(best_zone)

    def find_all(self, text: str) -> list[ZoneMatch]:
        """Zone mentions in a clause: longest alias first, non-overlapping, in order.

        Hard line wraps and spaces inside a name are tolerated; offsets refer
        to ``text`` as given.
        """
        if self._pattern is None:
            return []
        norm, index = _rewrite_mapped(*_nfkc_mapped(text))
        taken: list[tuple[int, int]] = []
        matches: list[ZoneMatch] = []
        for m in self._pattern.finditer(norm):
            taken.append(m.span())
            zone, alias = self._by_key[m.group()]
            if zone.status != "not_htz":
                matches.append(ZoneMatch(zone, index[m.start()], index[m.end() - 1] + 1, alias))
        matches += self._coordinated(norm, index, taken)
        return sorted(matches, key=lambda m: m.start)

    def _coordinated(
        self, norm: str, index: list[int], taken: list[tuple[int, int]]
    ) -> list[ZoneMatch]:
        """Zones named in a shared-head list: ``通辽、赤峰、阿拉善高新区``.

        Only the heads not already matched as full names are added.
        """
        if self._list_pattern is None:
            return []
        found: list[ZoneMatch] = []
        for listed in self._list_pattern.finditer(norm):
            for head in self._stem_pattern.finditer(listed.group("heads")):
                start = listed.start("heads") + head.start()
                end = listed.start("heads") + head.end()
                if any(s < end and start < e for s, e in taken):
                    continue
                zone, alias = self._stems[head.group()]
                found.append(ZoneMatch(zone, index[start], index[end - 1] + 1, alias))
        return found


def _alternation(words: Iterable[str]) -> str:
    """Regex alternation trying longer words first (so the longest name wins)."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


def _coordination_pattern(stems: dict[str, tuple[Zone, str]]) -> re.Pattern[str] | None:
    """``A、B和C[三个|等]高新区`` where A, B, C are zone heads (two or more)."""
    if not stems:
        return None
    head = f"(?:{_alternation(stems)})"
    return re.compile(
        rf"(?P<heads>{head}(?:[、,，和及与]{head})+)(?:[一二三四五六七八九十两\d]+[个家所]|等)?高新区"
    )


#: Long words of zone names that the key rewrites shorten or drop, matched
#: approximately on OCR'd text: one wrong character is allowed (in nine it
#: scores 88.9, in five 80), never more (OCR_REWRITE_CUTOFF caps long words).
_OCR_REWRITES = (("高新技术产业开发区", "高新区"), ("高新技术开发区", "高新区"),
                 ("经济技术开发区", "经开区"), ("管理委员会", ""), ("内蒙古自治区", ""))
OCR_REWRITE_CUTOFF = 85.0
#: The word that ends a zone's key after its place stem, and the characters of
#: zone words (an OCR'd zone word keeps at least one of them: 高亲匚, 幵发匚).
_ZONE_WORD_END = re.compile(r"高新区$")  # only 高新区: 经开区/开发区 tell zones of one city apart
_ZONE_WORD_CHARS = frozenset("高新区经开发园示范")


def _ocr_key(key: str) -> str:
    """A key whose OCR-damaged long words (高新技木产业开发区) are shortened as intact ones are."""
    for long, short in _OCR_REWRITES:
        if len(key) < len(long):
            continue
        cutoff = min(OCR_REWRITE_CUTOFF, 100 * (len(long) - 1) / len(long) - 0.5)
        hit = fuzz.partial_ratio_alignment(long, key, score_cutoff=cutoff)
        if hit is not None:
            key = key[:hit.dest_start] + short + key[hit.dest_end:]
    return key


def _real(zone: Zone) -> Zone | None:
    return None if zone.status == "not_htz" else zone


def _names_other_place(key: str, zone: Zone) -> bool:
    """True when the key names a 盟市 other than the zone's (鄂尔多斯… ≠ 包头 zone)."""
    place = find_division(key)
    return place is not None and bool(zone.city) and place[0].name != zone.city


def _registry_path(path: str | os.PathLike[str] | None) -> Path:
    if path is not None:
        return Path(path)
    env = os.environ.get(ENV_VAR)
    return Path(env) if env else data_path("zones.csv")


def registry(path: str | os.PathLike[str] | None = None) -> ZoneRegistry:
    """The zone registry: ``path``, else ``$SAIDAO_ZONES``, else the bundled file."""
    return _load_registry(str(_registry_path(path).resolve()))


@lru_cache(maxsize=8)
def _load_registry(path: str) -> ZoneRegistry:
    """Build a registry; a staff-edited file with clashing aliases or a bad status is bad input."""
    rows = read_csv(Path(path), ZONE_COLUMNS)
    try:
        return ZoneRegistry(_zone_from_row(row) for row in rows if row.get("id"))
    except ValueError as exc:
        raise SaidaoError("corrupt", path, str(exc)) from exc


# ---------------------------------------------------------------------------
# Administrative divisions: the 12 盟市 of Inner Mongolia and their 旗县区.
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Region:
    """One 盟市 with its 旗县区 (GB/T 2260 names, current ones only)."""

    code: str
    name: str
    counties: tuple[str, ...]

    @property
    def short(self) -> str:
        """The name without 市/盟 (鄂尔多斯, 锡林郭勒)."""
        return re.sub(r"[市盟]$", "", self.name)


@lru_cache(maxsize=1)
def regions() -> tuple[Region, ...]:
    """The 12 盟市 with their 旗县区, from the bundled ``regions.csv``."""
    rows = read_csv(data_path("regions.csv"), ("code", "name", "level", "city"))
    counties: dict[str, list[str]] = {}
    cities: list[tuple[str, str]] = []
    for row in rows:
        if row["level"] == "city":
            cities.append((row["code"], row["name"]))
        else:
            counties.setdefault(row["city"], []).append(row["name"])
    return tuple(Region(code, name, tuple(counties.get(name, ()))) for code, name in cities)


def _county_short(name: str) -> str | None:
    """和林格尔县 → 和林格尔: only for 县/旗 names whose stem stays distinctive."""
    stem = re.sub(r"(?:自治旗|县|旗)$", "", name)
    return stem if stem != name and len(stem) >= 2 else None


@lru_cache(maxsize=1)
def _division_names() -> tuple[tuple[str, Region, str | None], ...]:
    """(written form, 盟市, 旗县区 or None), longest form first."""
    forms: list[tuple[str, Region, str | None]] = []
    for region in regions():
        forms += [(region.name, region, None), (region.short, region, None)]
        for county in region.counties:
            forms.append((county, region, county))
            short = _county_short(county)
            if short:
                forms.append((short, region, county))
    return tuple(sorted(forms, key=lambda f: len(f[0]), reverse=True))


def find_division(text: str) -> tuple[Region, str | None] | None:
    """The most specific division a text names: (盟市, 旗县区 or None), or None.

    A county wins over its city (``呼和浩特市和林格尔县`` → 和林格尔县).
    """
    norm, _ = _nfkc_mapped(text)
    found = [(region, county) for form, region, county in _division_names() if form in norm]
    if not found:
        return None
    with_county = [f for f in found if f[1] is not None]
    return with_county[0] if with_county else found[0]


def _whole_division(text: str) -> tuple[Region, str | None] | None:
    """The 盟市 or 旗县区 that ``text`` names as a whole (``包头``, ``包头市``, ``和林格尔``)."""
    norm, _ = _nfkc_mapped(text)
    return next(((region, county) for form, region, county in _division_names()
                 if form == norm), None)


_REGION_WIDE = re.compile(r"内蒙古|自治区|全区")
_NATIONAL = re.compile(
    r"国务院|全国|国家|中华人民共和国|中共中央"
    r"|^(?:工业和信息化|科学技术|科技|财政|商务|教育|自然资源|生态环境|农业农村|工信)部"
)


def jurisdiction_covers(
    jurisdiction: str, zone: Zone, zones: ZoneRegistry | None = None
) -> bool:
    """Whether a policy issued for ``jurisdiction`` applies to ``zone``.

    The most specific area named decides: a zone's own committee covers that
    zone; a 旗县区 covers zones listed in it; a 盟市 covers its zones; the
    region (内蒙古自治区, 自治区…) and national bodies cover every zone.
    Unknown jurisdictions cover nothing. ``zones`` defaults to ``registry()``.
    """
    if not jurisdiction.strip():
        return False
    own = (zones or registry()).exact(jurisdiction)
    if own is not None:
        return own.id == zone.id
    division = find_division(jurisdiction)
    if division is not None:
        region, county = division
        return county in zone.counties if county else region.name == zone.city
    norm, _ = _nfkc_mapped(jurisdiction)
    return bool(_REGION_WIDE.search(norm) or _NATIONAL.search(norm))
