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
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

from saidao.corpus.places import Placement, bounds, outline, place, seats
from saidao.corpus.zones import Zone

WIDTH = 760
PAD = 30
MARGIN = 0.4  # degrees around the outline
COS = math.cos(math.radians(45))
FONT = 13  # label size in SVG units
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
    extra: dict[str, Any] = field(default_factory=dict)

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


def _label_spot(x: float, y: float, r: float, width: float, taken: list[Box],
                frame: Box) -> tuple[float, float, str, Box, float]:
    """The free place around a circle for a label (right, left, above, below …), or the
    least covered one: (x, baseline y, text-anchor, box, covered area)."""
    h = FONT + 2
    spots = [(x + r + 4, y + FONT / 2 - 2, "start"), (x - r - 4, y + FONT / 2 - 2, "end"),
             (x, y - r - 5, "middle"), (x, y + r + FONT + 2, "middle"),
             (x + r + 2, y - r - 2, "start"), (x + r + 2, y + r + FONT, "start"),
             (x - r - 2, y - r - 2, "end"), (x - r - 2, y + r + FONT, "end")]
    best = None
    for tx, ty, anchor in spots:
        left = tx if anchor == "start" else tx - width if anchor == "end" else tx - width / 2
        box = (left - 1, ty - FONT, left + width + 1, ty - FONT + h)
        outside = box[0] < frame[0] or box[2] > frame[2] or box[1] < frame[1] or box[3] > frame[3]
        covered = sum(_overlap(box, t) for t in taken) + (1e6 if outside else 0.0)
        if best is None or covered < best[4]:
            best = (tx, ty, anchor, box, covered)
        if covered == 0:
            break
    assert best is not None
    return best


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
             f"{'（拟创建）' if z.planned and '拟创建' not in z.name else ''}。{z.placement.basis}")
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
    taken: list[Box] = [(z.x - z.r, z.y - z.r, z.x + z.r, z.y + z.r) for z in placed]
    labels: list[str] = []
    for s in seats().values():  # 盟市 names, muted, where nothing sits on them
        if s.level != "city":
            continue
        x, y = plane.xy(s.lon, s.lat)
        body.append(f'<rect x="{x - 2:.1f}" y="{y - 2:.1f}" width="4" height="4" class="seat"/>')
    for z in sorted(placed, key=lambda z: (-z.tracks, -z.open_items, z.name)):
        if not z.tracks and not z.open_items:
            continue
        tx, ty, anchor, box, _ = _label_spot(z.x, z.y, z.r, _text_width(z.label), taken, frame)
        taken.append(box)
        labels.append(f'<text x="{tx:.1f}" y="{ty:.1f}" text-anchor="{anchor}" class="zone-label">'
                      f"{escape(z.label)}</text>")
    for s in seats().values():
        if s.level != "city":
            continue
        x, y = plane.xy(s.lon, s.lat)
        width = _text_width(s.name, FONT - 1)
        tx, ty, anchor, box, covered = _label_spot(x, y, 3, width, taken, frame)
        if covered == 0:  # a city name never hides a zone's label
            taken.append(box)
            labels.append(f'<text x="{tx:.1f}" y="{ty:.1f}" text-anchor="{anchor}" class="city-label">'
                          f"{escape(s.name)}</text>")
    body += [_marker(z) for z in placed] + labels + _legend(plane.height)
    svg = (f'<svg class="zone-map" viewBox="0 0 {WIDTH} {plane.height + 24}" width="{WIDTH}" '
           f'height="{plane.height + 24}" role="group" aria-label="{escape(title)}" '
           f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>{"".join(body)}</svg>')
    return Markup(svg), unplaced


def _legend(height: int) -> list[str]:
    """What the circles mean, along the bottom edge."""
    y = height + 14
    items = [(f'<circle cx="{PAD + 6}" cy="{y - 4}" r="6" fill="{CALM}"/>', "有新赛道（圆越大赛道越多）"),
             (f'<circle cx="{{x}}" cy="{y - 4}" r="6" fill="{BUSY}"/>', "有待核条目"),
             (f'<circle cx="{{x}}" cy="{y - 4}" r="{EMPTY_R}" class="zone empty"/>', "暂无赛道"),
             (f'<circle cx="{{x}}" cy="{y - 4}" r="{EMPTY_R}" class="zone planned"/>', "拟创建")]
    out, x = [], PAD + 6
    for shape, text in items:
        out.append(shape.replace("{x}", f"{x}") + f'<text x="{x + 10}" y="{y}" class="legend">{text}</text>')
        x += 26 + int(_text_width(text, 12))
    return out
