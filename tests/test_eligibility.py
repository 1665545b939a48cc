"""Eligibility of a track under 三、（一） of seed 000: each condition met, not met or unknown."""

from __future__ import annotations

from pathlib import Path

import pytest

from saidao.index.db import connect
from saidao.index.eligibility import (
    MET,
    NOT_MET,
    UNKNOWN,
    eligibility,
    set_track_figure,
    track_figures,
)
from saidao.index.schema import create_firm_tables

FIRMS = [{"name": f"包头市第{i}稀土材料有限公司", "uscc": None} for i in range(1, 6)]
HIT = {"track_id": "7", "name": "包头市第1稀土材料有限公司", "type": "高新技术企业",
       "evidence": "信用代码一致"}


def status(result: dict) -> dict[str, str]:
    return {c["key"]: c["status"] for c in result["conditions"]}


def test_all_conditions_met() -> None:
    figures = {"rd_intensity": 3.2, "invention_patents": 4, "revenue_growth": 12,
               "headcount_growth": 1, "region_avg_growth": 8}
    result = eligibility({"track_id": "7", "firms": FIRMS}, figures, [HIT], ["高新技术企业"])
    assert status(result) == {"firms": MET, "quality": MET, "rd": MET, "growth": MET}
    assert result["status"] == MET


def test_unknown_is_not_failure_and_failure_wins() -> None:
    result = eligibility({"track_id": "7", "firms": FIRMS}, {}, [])
    assert status(result) == {"firms": MET, "quality": UNKNOWN, "rd": UNKNOWN, "growth": UNKNOWN}
    assert result["status"] == UNKNOWN
    quality = result["conditions"][1]
    assert "尚未导入" in quality["reason"]
    few = eligibility({"track_id": "7", "firms": FIRMS[:3] + FIRMS[:1]}, {}, [], ["高新技术企业"])
    assert status(few)["firms"] == NOT_MET and "3家" in few["conditions"][0]["reason"]
    assert status(few)["quality"] == NOT_MET
    assert few["status"] == NOT_MET


def test_rd_either_figure_and_growth_against_region() -> None:
    patents = eligibility({"firms": 5}, {"rd_intensity": 1.0, "invention_patents": 15}, [])
    assert status(patents)["rd"] == MET
    low = eligibility({"firms": 5}, {"rd_intensity": 1.0, "invention_patents": 3,
                                     "revenue_growth": 5, "headcount_growth": 5,
                                     "region_avg_growth": 5}, [])
    assert status(low)["rd"] == NOT_MET and status(low)["growth"] == NOT_MET  # equal is not above
    half = eligibility({"firms": 5}, {"rd_intensity": 1.0, "revenue_growth": 2,
                                      "region_avg_growth": 5}, [])
    assert status(half)["rd"] == UNKNOWN and status(half)["growth"] == UNKNOWN


def test_non_quality_register_does_not_count() -> None:
    hit = dict(HIT, type="科技型中小企业")
    result = eligibility({"track_id": "7", "firms": FIRMS}, {}, [hit], ["科技型中小企业"])
    assert status(result)["quality"] == UNKNOWN


def test_figures_are_stored_with_who_and_latest_wins(tmp_path: Path) -> None:
    db = connect(tmp_path / "x.db")
    create_firm_tables(db)
    set_track_figure(db, 7, "rd_intensity", "2.5%", by="张三")
    set_track_figure(db, 7, "rd_intensity", "３.１", by="李四")
    set_track_figure(db, 7, "invention_patents", 16, by="李四")
    assert track_figures(db, 7) == {"rd_intensity": 3.1, "invention_patents": 16.0}
    assert [r["entered_by"] for r in db["track_figures"].rows] == ["张三", "李四", "李四"]
    with pytest.raises(ValueError, match="指标"):
        set_track_figure(db, 7, "profit", 1)
    with pytest.raises(ValueError, match="不是数值"):
        set_track_figure(db, 7, "rd_intensity", "很高")
