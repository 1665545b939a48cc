"""Where the zones are: seat coordinates of the 盟市 and 旗县区, and an outline of the region.

The home page draws a map of the zones from these two bundled files (see SOURCES.md §6):

* ``seats.csv`` — the approximate longitude/latitude of the seat of every 盟市 and of the
  旗县区 a zone is registered in;
* ``inner_mongolia_outline.csv`` — the region's boundary, Natural Earth admin-1 (public
  domain) simplified to a few hundred points.

A zone is placed at the seat of the place the registry gives it: its one 旗县区 when it names
exactly one, otherwise its 盟市. A zone staff add to the registry needs no coordinates of its
own; it lands on its 盟市's seat until a closer seat is added here. A zone whose places have
no seat in the file gets no point (the page lists it under the map instead).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from saidao.corpus._data import data_path, read_csv
from saidao.corpus.zones import Zone


@dataclass(frozen=True)
class Seat:
    """The seat of one division: ``name`` (GB/T 2260), where its government sits, lon/lat."""

    code: str
    name: str
    level: str
    seat: str
    lon: float
    lat: float


@dataclass(frozen=True)
class Placement:
    """Where a zone is drawn and why: ``basis`` says whose seat it is, in Chinese."""

    lon: float
    lat: float
    basis: str


@lru_cache(maxsize=1)
def seats() -> dict[str, Seat]:
    """Seats by division name (呼和浩特市, 五原县 …), from the bundled ``seats.csv``."""
    rows = read_csv(data_path("seats.csv"), ("code", "name", "level", "seat", "lon", "lat"))
    return {r["name"]: Seat(r["code"], r["name"], r["level"], r["seat"], float(r["lon"]),
                            float(r["lat"])) for r in rows}


@lru_cache(maxsize=1)
def outline() -> tuple[tuple[float, float], ...]:
    """The region's boundary as one ring of (lon, lat), not closed (the last point is not
    the first again)."""
    rows = read_csv(data_path("inner_mongolia_outline.csv"), ("lon", "lat"))
    return tuple((float(r["lon"]), float(r["lat"])) for r in rows)


def bounds() -> tuple[float, float, float, float]:
    """(west, south, east, north) of the outline: the box every zone point must fall in."""
    ring = outline()
    lons, lats = [p[0] for p in ring], [p[1] for p in ring]
    return min(lons), min(lats), max(lons), max(lats)


def place(zone: Zone) -> Placement | None:
    """Where ``zone`` is drawn: its one 旗县区's seat, else its 盟市's seat, else None."""
    known = seats()
    if len(zone.counties) == 1 and zone.counties[0] in known:
        s = known[zone.counties[0]]
        return Placement(s.lon, s.lat, _where(s))
    if zone.city in known:
        s = known[zone.city]
        why = "跨几个旗县区，取" if len(zone.counties) > 1 else ""
        return Placement(s.lon, s.lat, why + _where(s))
    return None


def _where(s: Seat) -> str:
    """青山区, 五原县驻地隆兴昌镇, 包头市驻地九原区: the place a point stands for."""
    return s.name if s.seat == s.name else f"{s.name}驻地{s.seat}"
