"""The one rule by which the CLI and the pages name a clause."""

from __future__ import annotations

import doctest

from saidao.extractors import citation
from saidao.extractors.citation import cite, clause_label


def test_the_module_examples_hold() -> None:
    assert doctest.testmod(citation).failed == 0


def test_a_clause_is_named_under_its_ancestors_however_its_path_is_held() -> None:
    assert clause_label({"path": ["三"], "number": "（十）"}) == "三（十）"
    assert clause_label({"path": "第七章/第三节/3", "number": "专栏30"}) == "第七章第三节3专栏30"
    assert clause_label({"path": [], "number": "一"}) == "一"
    assert cite({"title": "和林格尔县方案", "path": ["二", "（四）"], "number": "8"}) == "和林格尔县方案 二（四）8"
