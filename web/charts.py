"""Server-rendered SVG charts for the home page: no script, no CDN, nothing to load.

Each function takes plain rows and returns escaped ``Markup``: a horizontal bar chart
(stacked when a row has parts) and a small line chart over dates. Sizes are in SVG units;
the page scales the picture to its column (``width: 100%``). Labels are escaped; colours
come from a fixed palette in the order the parts are given.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from markupsafe import Markup, escape

PALETTE = ("#1f5f99", "#d9822b", "#2e8b57", "#8e6bbf", "#b3261e", "#7a8793")
WIDTH = 560
ROW = 26
LABEL = 200
AXIS = 28


def _svg(height: int, body: list[str], title: str) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>")


def _short(text: str, n: int = 13) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def bars(rows: Sequence[tuple[str, Sequence[int]]], parts: Sequence[str], title: str,
         links: Sequence[str | None] | None = None) -> Markup:
    """One bar per row (``(label, counts per part)``), its parts stacked in ``parts``' order,
    the total written at its end; a legend above when there is more than one part."""
    if not rows:
        return Markup("")
    top = AXIS if len(parts) > 1 else 6
    height = top + ROW * len(rows) + 6
    most = max(sum(c) for _, c in rows) or 1
    span = WIDTH - LABEL - 60
    body: list[str] = []
    if len(parts) > 1:
        x = 4
        for i, part in enumerate(parts):
            body.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{PALETTE[i % len(PALETTE)]}"/>'
                        f'<text x="{x + 16}" y="16" class="legend">{escape(part)}</text>')
            x += 28 + 14 * len(part)
    for r, (label, counts) in enumerate(rows):
        y = top + r * ROW
        name = escape(_short(label))
        link = links[r] if links else None
        text = f'<text x="{LABEL - 8}" y="{y + 16}" text-anchor="end" class="label">{name}</text>'
        body.append(f'<a href="{escape(link)}">{text}</a>' if link else text)
        x = float(LABEL)
        for i, count in enumerate(counts):
            if count:
                w = span * count / most
                body.append(f'<rect x="{x:.1f}" y="{y + 4}" width="{max(w, 1):.1f}" height="{ROW - 8}" '
                            f'fill="{PALETTE[i % len(PALETTE)]}"><title>{escape(label)} · '
                            f'{escape(parts[i])}：{count}</title></rect>')
                x += w
        body.append(f'<text x="{x + 6:.1f}" y="{y + 16}" class="value">{sum(counts)}</text>')
    return _svg(height, body, title)


def line(points: Sequence[tuple[str, int]], title: str, unit: str = "") -> Markup:
    """A running total over dates (``(date, count that day)``), dots on the days."""
    if not points:
        return Markup("")
    height, left, bottom, top = 180, 50, 30, 14
    totals, running = [], 0
    for _, n in points:
        running += n
        totals.append(running)
    most = max(totals) or 1
    span_x = WIDTH - left - 20
    span_y = height - top - bottom
    step = span_x / max(len(points) - 1, 1)
    xy = [(left + i * step, top + span_y * (1 - t / most)) for i, t in enumerate(totals)]
    body = [f'<line x1="{left}" y1="{height - bottom}" x2="{WIDTH - 10}" y2="{height - bottom}" class="axis"/>',
            f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" class="axis"/>',
            f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" class="value">{most}</text>',
            f'<text x="{left - 6}" y="{height - bottom}" text-anchor="end" class="value">0</text>']
    if len(xy) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
        body.append(f'<polyline points="{path}" fill="none" stroke="{PALETTE[0]}" stroke-width="2"/>')
    every = max(1, len(points) // 6)
    for i, ((day, n), (x, y), total) in enumerate(zip(points, xy, totals, strict=True)):
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{PALETTE[0]}">'
                    f'<title>{escape(day)}：当天 {n}{escape(unit)}，累计 {total}{escape(unit)}</title></circle>')
        if i % every == 0 or i == len(points) - 1:
            anchor = "start" if i == 0 else "end" if i == len(points) - 1 else "middle"
            body.append(f'<text x="{x:.1f}" y="{height - 10}" text-anchor="{anchor}" class="label">'
                        f'{escape(day[5:])}</text>')  # 12-07, or 12-07 14:11 for a run
    return _svg(height, body, title)


def zone_direction_rows(by_zone: Iterable[dict[str, Any]], directions: Sequence[str]
                        ) -> tuple[list[tuple[str, list[int]]], list[str], list[str | None]]:
    """``overview.tracks_by_zone`` rows as stacked bars: one per zone, a part per direction
    (the form's three, then 未勾选), most tracks first; and each zone's link."""
    parts = [*directions, "未勾选"]
    zones: dict[str, dict[str, Any]] = {}
    for r in by_zone:
        z = zones.setdefault(r["zone_name"], {"id": r["zone_id"], "counts": [0] * len(parts)})
        d = r["direction"] if r["direction"] in parts else "未勾选"
        z["counts"][parts.index(d)] += r["n"]
    ordered = sorted(zones.items(), key=lambda kv: (-sum(kv[1]["counts"]), kv[0]))
    rows = [(name, z["counts"]) for name, z in ordered]
    links = [f"/zone/{z['id']}" if z["id"] else None for _, z in ordered]
    return rows, parts, links
