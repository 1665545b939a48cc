"""The home page's map of the zones: the bundled seats and outline, the SVG drawn from them,
and the page that shows it (issue 16, point 7)."""

from __future__ import annotations

import math
import re
import shutil
from pathlib import Path

import pytest
from browser.webdata import build_index
from starlette.testclient import TestClient

from saidao.corpus.places import bounds, outline, place, seats
from saidao.corpus.zones import Zone, regions, registry
from saidao.index import overview
from saidao.index.review import open_per_zone
from saidao.index.store import Index
from saidao.web import create_app
from saidao.web.map import MapZone, short_name, zone_map, zone_rows

MARKER = re.compile(r'<a href="([^"]+)" class="zone-link" data-zone="([^"]*)"><title>([^<]*)</title>'
                    r'<circle cx="([\d.]+)" cy="([\d.]+)" r="([\d.]+)"[^>]*class="zone ([\w -]+)"/>')


def inside(point: tuple[float, float], ring: tuple[tuple[float, float], ...]) -> bool:
    """Ray casting: is ``point`` inside the polygon ``ring``?"""
    x, y = point
    hit = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            hit = not hit
    return hit


# ---------------------------------------------------------------- the bundled data


def test_outline_is_the_region_and_a_simple_ring() -> None:
    ring = outline()
    assert 150 <= len(ring) <= 500  # simplified, not the full boundary
    west, south, east, north = bounds()
    # the region's published extent: 97°12′–126°04′ E, 37°24′–53°23′ N
    assert abs(west - 97.2) < 0.1 and abs(east - 126.07) < 0.1
    assert abs(south - 37.4) < 0.1 and abs(north - 53.38) < 0.1
    edges = list(zip(ring, ring[1:] + ring[:1], strict=True))

    def cross(a, b, c, d) -> bool:  # proper crossing of segments ab and cd
        def o(p, q, r):
            return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])
        return (o(a, b, c) > 0) != (o(a, b, d) > 0) and (o(c, d, a) > 0) != (o(c, d, b) > 0)

    n = len(edges)
    assert not [(i, j) for i in range(n) for j in range(i + 2, n) if not (i == 0 and j == n - 1)
                and cross(*edges[i], *edges[j])]


def test_every_seat_is_a_division_of_the_region_and_lies_inside_it() -> None:
    codes = {r.code: r.name for r in regions()}
    counties = {c: r.name for r in regions() for c in r.counties}
    ring = outline()
    for s in seats().values():
        assert s.level in ("city", "county")
        if s.level == "city":
            assert codes.get(s.code) == s.name
        else:
            assert s.name in counties
        assert inside((s.lon, s.lat), ring), s.name  # catches swapped or mistyped figures
    assert {s.name for s in seats().values() if s.level == "city"} == set(codes.values())


def test_every_registry_zone_is_placed_inside_the_region() -> None:
    west, south, east, north = bounds()
    for zone in registry().all():
        spot = place(zone)
        assert spot is not None, zone.id
        assert west <= spot.lon <= east and south <= spot.lat <= north
        assert inside((spot.lon, spot.lat), outline()), zone.id
        assert zone.city in spot.basis or any(c in spot.basis for c in zone.counties)


def test_a_zone_lands_on_its_one_county_else_its_city() -> None:
    def zone(city: str, counties: tuple[str, ...]) -> Zone:
        return Zone("x", "某高新区", (), "region", city, counties, "existing", "low", "")

    one = place(zone("巴彦淖尔市", ("五原县",)))
    assert one is not None and (one.lon, one.lat) == (seats()["五原县"].lon, seats()["五原县"].lat)
    several = place(zone("呼和浩特市", ("土默特左旗", "赛罕区")))
    assert several is not None and several.lat == seats()["呼和浩特市"].lat and "跨" in several.basis
    unseated_county = place(zone("通辽市", ("开鲁县",)))  # a county with no seat yet: its city
    assert unseated_county is not None and unseated_county.lat == seats()["通辽市"].lat
    assert place(zone("火星市", ())) is None


# ---------------------------------------------------------------- the SVG


def _rows() -> list[MapZone]:
    reg = registry()
    by_zone = [
        {"zone_id": "baotou-rare-earth", "zone_name": "包头稀土高新技术产业开发区", "direction": "甲", "n": 9},
        {"zone_id": "baotou-rare-earth", "zone_name": "包头稀土高新技术产业开发区", "direction": "乙", "n": 3},
        {"zone_id": "baotou-equipment", "zone_name": "内蒙古包头装备制造产业园区", "direction": "甲", "n": 1},
        {"zone_id": "hohhot-jinshan", "zone_name": "呼和浩特金山高新技术产业开发区", "direction": "甲", "n": 2},
        {"zone_id": "hohhot-etdz", "zone_name": "呼和浩特经济技术开发区", "direction": "甲", "n": 2},
        {"zone_id": None, "zone_name": "<火星>高新区", "direction": "未勾选", "n": 4},
    ]
    per_zone = [("包头稀土高新技术产业开发区", "baotou-rare-earth", 5), ("未识别", None, 2)]
    return zone_rows(reg.all(), by_zone, per_zone)


def test_one_linked_marker_per_zone_with_tracks_and_none_dropped() -> None:
    rows = _rows()
    svg, unplaced = zone_map(rows)
    markers = MARKER.findall(str(svg))
    with_tracks = {m[1]: m for m in markers if "has-tracks" in m[6]}
    assert set(with_tracks) == {"baotou-rare-earth", "baotou-equipment", "hohhot-jinshan", "hohhot-etdz"}
    for zid, (href, _, title, *_rest) in with_tracks.items():
        assert href == f"/tracks?zone={zid}"
        assert title.startswith(registry().get(zid).name + "：新赛道 ")
    # every registry zone is drawn once (those without tracks as rings), the rest are listed
    assert len(markers) == len(registry().all())
    assert [z.name for z in unplaced] == ["<火星>高新区", "未识别"]
    assert unplaced[0].tracks == 4 and unplaced[1].open_items == 2
    assert "<火星>" not in str(svg)  # names are escaped (and the unplaced one is not drawn)
    assert "包头稀土高新区 12" in str(svg) and ">呼伦贝尔市<" in str(svg)  # zone and 盟市 labels


def test_circles_grow_with_tracks_show_open_items_and_never_cover_each_other() -> None:
    svg, _ = zone_map(_rows())
    markers = {m[1]: (float(m[3]), float(m[4]), float(m[5]), m[6]) for m in MARKER.findall(str(svg))}
    rare, equip = markers["baotou-rare-earth"], markers["baotou-equipment"]
    assert rare[2] > markers["hohhot-jinshan"][2] > equip[2]
    assert 'fill="#d9822b"' in str(svg).split('data-zone="baotou-rare-earth"')[1][:400]  # open items
    # 金山 and 经开区 share 呼和浩特's seat; 稀土 and 装备 are 5 km apart: all pushed apart
    for a, b in [("hohhot-jinshan", "hohhot-etdz"), ("baotou-rare-earth", "baotou-equipment")]:
        (xa, ya, ra, _), (xb, yb, rb, _) = markers[a], markers[b]
        assert math.hypot(xa - xb, ya - yb) >= ra + rb
    assert svg.count('class="leader"') >= 2  # and joined to their true seat


def test_markers_fall_inside_the_drawn_region() -> None:
    svg = str(zone_map(_rows())[0])
    ring = tuple((float(x), float(y)) for x, y in
                 re.findall(r"([\d.]+),([\d.]+)", re.search(r'<polygon points="([^"]+)"', svg)[1]))
    seats_drawn = re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)" r="1.8" class="seat-dot"/>', svg)
    homes = [(float(x), float(y)) for x, y in seats_drawn]
    homes += [(float(m[3]), float(m[4])) for m in MARKER.findall(svg)]
    assert homes and all(inside(p, ring) or _near(p, ring) for p in homes)


def _near(p: tuple[float, float], ring: tuple[tuple[float, float], ...], within: float = 30) -> bool:
    """A pushed-apart circle may sit just over the border (Hohhot is near it)."""
    return min(math.hypot(p[0] - x, p[1] - y) for x, y in ring) < within


def test_an_empty_index_still_draws_the_region() -> None:
    svg, unplaced = zone_map(zone_rows(registry().all(), [], []))
    assert "<polygon" in str(svg) and "has-tracks" not in str(svg) and unplaced == []


def test_short_names() -> None:
    assert short_name("包头稀土高新技术产业开发区") == "包头稀土高新区"
    assert short_name("内蒙古兴安盟经济技术开发区") == "兴安盟经开区"
    assert short_name("乌兰察布市自治区级高新区（拟创建）") == "乌兰察布市（拟建）"


# ---------------------------------------------------------------- the home page


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("mapidx")
    return build_index(root / "saidao.db", root / "files")


def test_home_page_shows_the_map_its_table_and_working_links(built: Path, tmp_path: Path) -> None:
    db = tmp_path / "saidao.db"
    shutil.copy(built, db)
    with Index.open(db) as index:
        per_zone = overview.tracks_per_zone(index)
        unrecognised = [r for r in overview.tracks_by_zone(index) if r["zone_id"] is None]
        review = open_per_zone(index)
    c = TestClient(create_app(db), raise_server_exceptions=True)
    page = c.get("/").text
    assert "高新区分布图" in page and '<svg class="zone-map"' in page
    markers = {m[1]: m for m in MARKER.findall(page) if "has-tracks" in m[6]}
    assert set(markers) == set(per_zone)  # one marker per zone with tracks
    for zid, m in markers.items():
        assert f"新赛道 {per_zone[zid]} 条" in m[2]
        listed = c.get(m[0]).text  # the link opens that zone's tracks
        assert registry().get(zid).name in listed and "新赛道" in listed
    table = page.split("图中各高新区（表格版）", 1)[1].split("</table>", 1)[0]
    for zid in per_zone:
        assert f'href="/tracks?zone={zid}"' in table
    assert per_zone  # the fixture index has tracks in several zones
    # zones the map cannot place are listed under it, never dropped silently (the unit test
    # above draws such zones; this index has none, so no list either)
    expect_list = bool(unrecognised or any(z is None for _, z, _ in review))
    assert ("未画在图上的高新区" in page) == expect_list


def test_a_zone_without_coordinates_is_listed_under_the_map(built: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Staff move 赤峰高新区 to a 盟市 the seats file does not know: the page still shows
    it (under the map, with its link and counts) and in the table, not as a marker."""
    db = tmp_path / "saidao.db"
    shutil.copy(built, db)
    text = (Path(__file__).parent.parent / "corpus" / "zones.csv").read_text(encoding="utf-8")
    edited = tmp_path / "zones.csv"
    edited.write_text(text.replace("region,,赤峰市,", "region,,新设市,", 1), encoding="utf-8")
    monkeypatch.setenv("SAIDAO_ZONES", str(edited))
    assert registry().get("chifeng").city == "新设市"
    page = TestClient(create_app(db), raise_server_exceptions=True).get("/").text
    assert "chifeng" not in {m[1] for m in MARKER.findall(page)}
    below = page.split("未画在图上的高新区：", 1)[1].split("</p>", 1)[0]
    assert '<a href="/tracks?zone=chifeng">赤峰高新技术产业开发区</a>（新赛道 1 条，待核 1 条）' in below
    table = page.split("图中各高新区（表格版）", 1)[1].split("</table>", 1)[0]
    assert "没有坐标，未画在图上" in table


def test_home_page_of_an_empty_index_draws_every_zone_as_a_ring(tmp_path: Path) -> None:
    page = TestClient(create_app(tmp_path / "empty.db"), raise_server_exceptions=True).get("/").text
    markers = MARKER.findall(page)
    assert len(markers) == len(registry().all()) and not [m for m in markers if "has-tracks" in m[6]]
    assert "还没有哪个高新区有新赛道或待核条目" in page and "<details open>" in page
    assert "未画在图上的高新区" not in page
