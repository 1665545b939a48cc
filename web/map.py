"""A server-rendered SVG map of the zones for the home page: no script, no tiles, no CDN.

The region's outline and the seats of its 盟市 come from the bundled data
(``saidao.corpus.places``); each zone is a circle at the seat of the place the registry
gives it, its area in proportion to its number of tracks, orange when it has open review
items, and a link to its filtered tracks page. The plane is longitude/latitude with
longitude shortened by cos(45°) (an equirectangular projection: plain, and true enough
for a region drawn 760 units wide). Circles that would cover each other are pushed apart
and joined to their true point by a thin line; labels take the first free place around
their circle. Zones that cannot be placed are returned to the page, which lists them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from markupsafe import Markup, escape

from saidao.corpus.places import Placement, bounds, outline, place, seats
from saidao.corpus.zones import Zone

WIDTH = 760
PAD = 24
MARGIN = 0.4  # degrees around the outline
COS = math.cos(math.radians(45))
FONT = 16  # zone label size in SVG units (style.css sets the same)
CITY_FONT = 14
MIN_R, MAX_R, EMPTY_R = 5.0, 16.0, 4.0
CALM, BUSY = "#1f5f99", "#d9822b"  # no open items / open review items


@dataclass
class MapZone:
    """One zone as the map and its table show it."""

    id: str | None
    name: str
    tracks: int = 0
    open_items: int = 0
    planned: bool = False
    placement: Placement | None = None
    x: float = 0.0
    y: float = 0.0
    r: float = EMPTY_R
    home: tuple[float, float] = (0.0, 0.0)
    label: str = ""

    @property
    def link(self) -> str | None:
        return f"/tracks?zone={self.id}" if self.id else None


def short_name(name: str) -> str:
    """The label drawn on the map: 包头稀土高新技术产业开发区 → 包头稀土高新区."""
    for long, short in (("高新技术产业开发区", "高新区"), ("经济技术开发区", "经开区"),
                        ("经济开发区", "经开区"), ("自治区级高新区（拟创建）", "（拟建）")):
        name = name.replace(long, short)
    return name.removeprefix("内蒙古")


def zone_rows(zones: Iterable[Zone], by_zone: Iterable[dict[str, Any]],
              open_per_zone: Iterable[tuple[str, str | None, int]]) -> list[MapZone]:
    """Every registry zone, and every zone the index names that the registry does not
    (a form's unrecognised zone, a zone since removed from the registry), with its tracks
    (``overview.tracks_by_zone`` rows) and open review items (``review.open_per_zone``)."""
    rows: dict[tuple[str | None, str], MapZone] = {}
    for z in zones:
        rows[(z.id, z.name)] = MapZone(z.id, z.name, planned=z.is_planned, placement=place(z))
    known = {key[0]: key for key in rows}  # registry ids → their row
    for r in by_zone:
        key = known.get(r["zone_id"]) or (r["zone_id"], r["zone_name"])
        rows.setdefault(key, MapZone(r["zone_id"], r["zone_name"])).tracks += r["n"]
    for name, zid, n in open_per_zone:
        key = known.get(zid) or (zid, name)
        rows.setdefault(key, MapZone(zid, name)).open_items += n
    return sorted(rows.values(), key=lambda z: (-z.tracks, -z.open_items, z.name))


class _Plane:
    """lon/lat → SVG units over the outline's box."""

    def __init__(self) -> None:
        west, south, east, north = bounds()
        self.west, self.north = west - MARGIN, north + MARGIN
        self.east, self.south = east + MARGIN, south - MARGIN
        self.scale = (WIDTH - 2 * PAD) / ((self.east - self.west) * COS)
        self.height = round((self.north - self.south) * self.scale + 2 * PAD)

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        return (PAD + (lon - self.west) * COS * self.scale, PAD + (self.north - lat) * self.scale)


def _radius(tracks: int, most: int) -> float:
    """Circle area in proportion to tracks; a zone without tracks is a small ring."""
    if tracks <= 0:
        return EMPTY_R
    return MIN_R + (MAX_R - MIN_R) * math.sqrt(tracks / max(most, 1))


def _separate(zones: Sequence[MapZone], gap: float = 3.0, rounds: int = 80) -> None:
    """Push overlapping circles apart (pairwise, a few rounds) so each stays clickable;
    each keeps its true point in ``home`` for the leader line."""
    for _ in range(rounds):
        moved = False
        for i, a in enumerate(zones):
            for j in range(i + 1, len(zones)):
                b = zones[j]
                dx, dy = b.x - a.x, b.y - a.y
                dist = math.hypot(dx, dy)
                need = a.r + b.r + gap
                if dist >= need:
                    continue
                if dist < 1e-6:  # the same seat: split them along a fixed direction
                    angle = math.pi / 4 + j * 2.4
                    dx, dy, dist = math.cos(angle), math.sin(angle), 1.0
                push = (need - dist) / 2 + 0.01
                a.x, a.y = a.x - dx / dist * push, a.y - dy / dist * push
                b.x, b.y = b.x + dx / dist * push, b.y + dy / dist * push
                moved = True
        if not moved:
            return


Box = tuple[float, float, float, float]


def _text_width(text: str, size: float = FONT) -> float:
    """Rough width of a label: CJK characters one em, others about half."""
    return sum(size if ord(c) > 0x2E80 else size * 0.58 for c in text)


def _overlap(a: Box, b: Box) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


class Spot(NamedTuple):
    """A label's place: baseline point, text-anchor, box, and how much of the box is
    covered by other labels (``hard``) and by circles (``soft``)."""

    x: float
    y: float
    anchor: str
    box: Box
    hard: float
    soft: float


def _label_spot(x: float, y: float, r: float, width: float, hard: list[Box], soft: list[Box],
                frame: Box, size: float = FONT) -> Spot:
    """The free place around a point for a label (right, left, above, below, the corners),
    else the least covered one; covering a label counts ten times covering a circle."""
    spots = [(x + r + 4, y + size / 2 - 2, "start"), (x - r - 4, y + size / 2 - 2, "end"),
             (x, y - r - 5, "middle"), (x, y + r + size + 2, "middle"),
             (x + r + 2, y - r - 2, "start"), (x + r + 2, y + r + size, "start"),
             (x - r - 2, y - r - 2, "end"), (x - r - 2, y + r + size, "end")]
    best: Spot | None = None
    for tx, ty, anchor in spots:
        left = tx if anchor == "start" else tx - width if anchor == "end" else tx - width / 2
        box = (left - 1, ty - size, left + width + 1, ty + 2)
        outside = box[0] < frame[0] or box[2] > frame[2] or box[1] < frame[1] or box[3] > frame[3]
        spot = Spot(tx, ty, anchor, box, sum(_overlap(box, t) for t in hard) + (1e6 if outside else 0),
                    sum(_overlap(box, t) for t in soft))
        if best is None or spot.hard * 10 + spot.soft < best.hard * 10 + best.soft:
            best = spot
        if spot.hard == spot.soft == 0:
            break
    assert best is not None
    return best


def _tie(z: MapZone, box: Box) -> str:
    """A short line from a circle to its label when the label sits off its side (a corner,
    above, below), so that in a crowd each label is seen to belong to its circle."""
    nx, ny = min(max(z.x, box[0]), box[2]), min(max(z.y, box[1]), box[3])
    gap = math.hypot(nx - z.x, ny - z.y)
    if gap - z.r <= 5:
        return ""
    ex, ey = z.x + (nx - z.x) * z.r / gap, z.y + (ny - z.y) * z.r / gap
    return f'<line x1="{ex:.1f}" y1="{ey:.1f}" x2="{nx:.1f}" y2="{ny:.1f}" class="tie"/>'


def _graticule(plane: _Plane) -> list[str]:
    """Lines every 5° with their 东经/北纬 values at the edges."""
    out: list[str] = []
    bottom = plane.height - PAD
    for lon in range(math.ceil(plane.west / 5) * 5, math.floor(plane.east) + 1, 5):
        x, _ = plane.xy(lon, plane.north)
        out.append(f'<line x1="{x:.1f}" y1="{PAD}" x2="{x:.1f}" y2="{bottom}" class="grid"/>'
                   f'<text x="{x:.1f}" y="{bottom + 16}" text-anchor="middle" class="grid-label">'
                   f"东经{lon}°</text>")
    for lat in range(math.ceil(plane.south / 5) * 5, math.floor(plane.north) + 1, 5):
        _, y = plane.xy(plane.west, lat)
        out.append(f'<line x1="{PAD}" y1="{y:.1f}" x2="{WIDTH - PAD}" y2="{y:.1f}" class="grid"/>'
                   f'<text x="{PAD + 4}" y="{y - 4:.1f}" class="grid-label">北纬{lat}°</text>')
    return out


def _marker(z: MapZone) -> str:
    """One zone's circle (and its leader line when pushed off its seat), a link with a title."""
    hx, hy = z.home
    parts = []
    if math.hypot(z.x - hx, z.y - hy) > 1.5:
        parts.append(f'<line x1="{hx:.1f}" y1="{hy:.1f}" x2="{z.x:.1f}" y2="{z.y:.1f}" class="leader"/>'
                     f'<circle cx="{hx:.1f}" cy="{hy:.1f}" r="1.8" class="seat-dot"/>')
    if z.tracks:
        colour = BUSY if z.open_items else CALM
        circle = (f'<circle cx="{z.x:.1f}" cy="{z.y:.1f}" r="{z.r:.1f}" fill="{colour}" '
                  f'class="zone has-tracks"/>')
    else:
        circle = (f'<circle cx="{z.x:.1f}" cy="{z.y:.1f}" r="{z.r:.1f}" '
                  f'class="zone {"planned" if z.planned else "empty"}"/>')
    assert z.placement is not None
    title = (f"{z.name}：新赛道 {z.tracks} 条，待核条目 {z.open_items} 条"
             f"{'（拟创建）' if z.planned and '拟创建' not in z.name else ''}。"
             f"位置：{z.placement.basis}")
    link = z.link
    body = f"<title>{escape(title)}</title>{circle}"
    parts.append(f'<a href="{escape(link)}" class="zone-link" data-zone="{escape(z.id or "")}">{body}</a>'
                 if link else f"<g>{body}</g>")
    return "".join(parts)


def zone_map(zones: Sequence[MapZone], title: str = "各高新区位置图") -> tuple[Markup, list[MapZone]]:
    """The map as escaped SVG, and the zones it could not place (no seat for their 盟市 or
    旗县区, or not in the registry at all) for the page to list under it."""
    plane = _Plane()
    placed = [z for z in zones if z.placement is not None]
    unplaced = [z for z in zones if z.placement is None]
    most = max((z.tracks for z in placed), default=0)
    for z in placed:
        assert z.placement is not None
        z.x, z.y = plane.xy(z.placement.lon, z.placement.lat)
        z.home, z.r = (z.x, z.y), _radius(z.tracks, most)
        z.label = short_name(z.name) + (f" {z.tracks}" if z.tracks else "")
    # big circles first, so the small ones are drawn (and clicked) on top
    placed.sort(key=lambda z: (-z.r, z.name))
    _separate(placed)
    ring = " ".join(f"{x:.1f},{y:.1f}" for x, y in (plane.xy(lon, lat) for lon, lat in outline()))
    body = [*_graticule(plane), f'<polygon points="{ring}" class="region"/>']
    frame: Box = (2, 2, WIDTH - 2, plane.height - 2)
    circles: list[Box] = [(z.x - z.r, z.y - z.r, z.x + z.r, z.y + z.r) for z in placed]
    taken: list[Box] = [_legend_box()]  # labels placed so far, and the legend
    labels: list[str] = []
    cities = [(s, *plane.xy(s.lon, s.lat)) for s in seats().values() if s.level == "city"]
    body += [f'<rect x="{x - 2:.1f}" y="{y - 2:.1f}" width="4" height="4" class="seat"/>'
             for _, x, y in cities]
    # 盟市 names first, where they touch no circle; zone labels then avoid them when they
    # can, and a name a zone label had to cover is dropped (the zone's label matters more)
    city_boxes: list[tuple[Box, str]] = []
    for s, x, y in cities:
        width = _text_width(s.name, CITY_FONT)
        r = max([z.r for z in placed if math.dist(z.home, (x, y)) < 3] + [3.0])
        spot = _label_spot(x, y, r, width, taken + [b for b, _ in city_boxes], circles, frame,
                           CITY_FONT)
        if spot.hard == 0 and spot.soft <= 0.1 * width * CITY_FONT:
            city_boxes.append((spot.box, f'<text x="{spot.x:.1f}" y="{spot.y:.1f}" '
                               f'text-anchor="{spot.anchor}" class="city-label">{escape(s.name)}</text>'))
    for z in sorted(placed, key=lambda z: (-z.tracks, -z.open_items, z.name)):
        if not z.tracks and not z.open_items:
            continue
        spot = _label_spot(z.x, z.y, z.r, _text_width(z.label), taken,
                           circles + [b for b, _ in city_boxes], frame)
        taken.append(spot.box)
        labels.append(_tie(z, spot.box) + f'<text x="{spot.x:.1f}" y="{spot.y:.1f}" '
                      f'text-anchor="{spot.anchor}" class="zone-label">{escape(z.label)}</text>')
    labels += [text for box, text in city_boxes if not any(_overlap(box, t) for t in taken)]
    body += [_marker(z) for z in placed] + labels + _legend()
    svg = (f'<svg class="zone-map" viewBox="0 0 {WIDTH} {plane.height}" width="{WIDTH}" '
           f'height="{plane.height}" role="group" aria-label="{escape(title)}" '
           f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>{"".join(body)}</svg>')
    return Markup(svg), unplaced


def _legend_box() -> Box:
    """Where the legend sits (labels keep out of it)."""
    return (PAD + 4, PAD + 4, PAD + 38 + _text_width("有新赛道，圆越大赛道越多", 14), PAD + 104)


def _legend() -> list[str]:
    """What the circles mean, in the empty north-west corner (Mongolia's side of the box)."""
    items = [f'<circle cx="{{x}}" cy="{{y}}" r="7" fill="{CALM}"/>', f'<circle cx="{{x}}" cy="{{y}}" r="7" fill="{BUSY}"/>',
             f'<circle cx="{{x}}" cy="{{y}}" r="{EMPTY_R}" class="zone empty"/>',
             f'<circle cx="{{x}}" cy="{{y}}" r="{EMPTY_R}" class="zone planned"/>']
    texts = ["有新赛道，圆越大赛道越多", "有待核条目", "暂无新赛道", "拟创建"]
    x = PAD + 16
    left, top, right, bottom = _legend_box()
    out = [f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" rx="4" class="legend-box"/>']
    for i, (shape, text) in enumerate(zip(items, texts, strict=True)):
        y = PAD + 20 + i * 23
        out.append(shape.replace("{x}", str(x)).replace("{y}", str(y))
                   + f'<text x="{x + 14}" y="{y + 4}" class="legend">{text}</text>')
    return out
