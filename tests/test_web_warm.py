"""The server warms its caches when it starts (``web/warm.py``), so the first page after a
restart is not the one that loads jieba's dictionary and fills the per-state caches."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from saidao.index import fts
from saidao.web import create_app, warm


def test_start_up_warms_search_and_the_pages_then_releases_its_connection(
        web_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    original = warm.warm_up

    def spy(app: object, endpoints: dict) -> float:
        took = original(app, endpoints)
        seen.append("done")
        return took

    monkeypatch.setattr(warm, "warm_up", spy)
    fts.tokenizer.cache_clear()
    app = create_app(web_index)
    with TestClient(app) as client:
        assert app.state.warmed.wait(120), "warming never finished"
        assert seen == ["done"]
        assert fts.tokenizer.cache_info().currsize == 1  # search's tokenizer loaded before any search
        assert client.get("/").status_code == 200  # pages still served after warming
    # the warm thread's connection was closed, not left to the garbage collector
    assert getattr(app.state.store._local, "index", None) is None


def test_a_page_that_fails_to_warm_is_logged_and_the_rest_are_warmed(
        web_index: Path, caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(web_index)
    calls: list[str] = []

    def broken(request: object) -> None:
        calls.append("broken")
        raise RuntimeError("boom")

    def fine(request: object) -> None:
        calls.append(request.url.path)  # type: ignore[attr-defined]

    with caplog.at_level(logging.WARNING, logger="saidao.web.warm"):
        warm.warm_up(app, {"/": broken, "/search": fine, "/tracks": fine})
    assert calls == ["broken", "/search", "/tracks"]
    assert "warming / failed" in caplog.text
