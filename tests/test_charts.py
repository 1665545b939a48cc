"""The home page's SVG charts: drawn on the server, labels escaped, bars in proportion."""

from __future__ import annotations

import re

from saidao.web import charts


def test_bars_are_proportional_and_escaped() -> None:
    svg = str(charts.bars([("<b>甲区</b>", [2, 1]), ("乙区", [1, 0])], ["未来", "传统"], "图"))
    assert svg.startswith("<svg") and "<b>" not in svg and "&lt;b&gt;" in svg
    widths = [float(w) for w in re.findall(r'<rect x="[\d.]+" y="\d+" width="([\d.]+)" height="18"', svg)]
    assert len(widths) == 3  # 甲: two parts, 乙: one (an empty part draws nothing)
    assert abs(widths[0] - 2 * widths[2]) < 0.2 and abs(widths[1] - widths[2]) < 0.2
    assert ">3</text>" in svg and ">1</text>" in svg  # totals at the bar ends


def test_line_accumulates() -> None:
    svg = str(charts.line([("2026-12-05", 3), ("2026-12-06", 0), ("2026-12-07", 4)], "导入", " 个"))
    assert "累计 7 个" in svg and svg.count("<circle") == 3
    assert charts.line([], "空") == "" and charts.bars([], [], "空") == ""


def test_zone_direction_rows_order_and_links() -> None:
    rows, parts, links = charts.zone_direction_rows(
        [{"zone_id": "a", "zone_name": "甲", "direction": "未来产业验证熟化", "n": 1},
         {"zone_id": None, "zone_name": "未识别", "direction": "未勾选", "n": 3}],
        ("未来产业验证熟化", "传统产业转型升级", "新兴产业延伸"))
    assert rows[0] == ("未识别", [0, 0, 0, 3]) and links == [None, "/zone/a"]
    assert parts[-1] == "未勾选"
