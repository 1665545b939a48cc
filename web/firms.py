"""重复企业: duplicate-firm groups with their evidence; confirm or split; Excel.

Grouping the whole index takes a while on a big index, so the groups are
kept under the versions of the tables they read (``dupes.all_groups``: firm
rows, files, code corrections, decisions), in memory and in the index, and an
import computes them at its end; they are recomputed after any other write to
those tables (a decision, a corrected code), a resolved review item not.
"""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from saidao.corpus.zones import registry
from saidao.index.cache import data_state
from saidao.index.dupes import (
    DECISION_LABELS,
    GROUPS_DEPEND,
    Group,
    confirm_group,
    decisions,
    latest_groups,
    select_groups,
    split_group,
)
from saidao.index.export import DUPE_COLUMNS, group_rows
from saidao.index.search import UnknownZone, resolve_zones
from saidao.web.common import index_of, page_number, page_size, pager, render, route, xlsx_link
from saidao.web.security import staff_post
from saidao.web.xlsx import wants_xlsx, xlsx_response

#: Groups per page (a group is a card with its member table: 20 fit a few screens).
PAGE_SIZE = 20


def matches(group: Group, q: str) -> bool:
    """A group shown for a query: its code, a member's code, name or zone contains it."""
    q = q.strip().upper()
    texts = [group.name, group.uscc or "", *group.zones]
    if any(q in t.upper() for t in texts):
        return True
    if not group.may_contain(q):  # a stored group whose rows cannot match: left packed
        return False
    for m in group.members:
        texts += [m.name, m.uscc_printed or "", m.uscc or "", m.zone]
    return any(q in (t or "").upper() for t in texts)


#: Shown above groups that are not those of the current data (``regrouping``).
STALE_NOTICE = "重复企业分组正在按最新更正重新计算，以下为更正前的结果，暂不能确认或拆分；稍后刷新即可看到新结果。"
NONE_YET_NOTICE = "重复企业分组正在计算，稍后刷新即可看到结果。"
#: Shown when a background regroup ended without the groups of the current data.
FAILED_NOTICE = ("重复企业分组未能按最新数据重新计算（原因见服务日志），以下为此前的结果，暂不能确认或拆分；"
                 "再次更正或导入后会重新计算，也可重启服务。")


def current_groups(request: Request, wait: bool = False) -> tuple[list[Group], str | None]:
    """The groups to show and, when they are not those of the current data, the notice
    that must go with them. Never groups in the request: out-of-date groups start the
    background regroup (``web.regroup``) and wait for it only ``regroup_wait`` (until
    it is done with ``wait``: a download has no place for the notice)."""
    index = index_of(request)
    found = latest_groups(index)
    if found is not None and found[1]:
        return found[0], None
    regroup = request.app.state.regroup
    if regroup.gave_up(data_state(index, GROUPS_DEPEND)):  # never a run per page view
        return (found[0] if found is not None else []), FAILED_NOTICE
    regroup.schedule(after_write=False)  # a write outside the web (the CLI) lands here too
    if regroup.wait(None if wait else request.app.state.settings.regroup_wait):
        found = latest_groups(index)
        if found is not None and found[1]:
            return found[0], None
    if found is None:
        return [], NONE_YET_NOTICE
    return found[0], STALE_NOTICE


def dupes(request: Request) -> Response:
    zone = (request.query_params.get("zone") or "").strip()
    zone_error, suggestions = None, []
    groups, notice = current_groups(request, wait=wants_xlsx(request))
    try:
        if zone:
            resolve_zones(zone)  # an unknown name is an error with suggestions, never "0 groups"
            groups = select_groups(groups, zone=zone)
    except UnknownZone as e:
        groups, zone_error, suggestions = [], str(e), e.suggestions
    q = (request.query_params.get("q") or "").strip()
    if q:
        groups = [g for g in groups if matches(g, q)]
    state = request.query_params.get("state")
    if state in ("confirmed", "open"):
        groups = [g for g in groups if g.confirmed == (state == "confirmed")]
    if wants_xlsx(request):
        return xlsx_response("重复企业.xlsx", "重复企业", DUPE_COLUMNS, group_rows(groups))
    page, size = page_number(request), page_size(request, PAGE_SIZE)
    shown = groups[(page - 1) * size: page * size]
    return render(request, "dupes.html", groups=shown,
                  pager=pager(request, len(groups), page, size),
                  q=q, state=state, xlsx=xlsx_link(request), done=request.query_params.get("done"),
                  zones=registry().all(), zone=zone, zone_error=zone_error, suggestions=suggestions,
                  params=dict(request.query_params), notice=notice,
                  refreshing=notice is not None and notice != FAILED_NOTICE,
                  error=request.query_params.get("error"),
                  gone_decisions=decisions(index_of(request), only_gone=True),
                  decision_labels=DECISION_LABELS)


async def decide(request: Request) -> Response:
    """POST: confirm a group, or split the ticked members out of it."""
    def apply(form: FormData, by: str) -> dict[str, str]:
        index = index_of(request)
        if current_groups(request)[1]:  # a decision on out-of-date groups could join wrongly
            raise ValueError("重复企业分组正在重新计算，请稍后刷新再确认或拆分")
        group_id = str(form.get("group_id", ""))
        action = str(form.get("action", ""))
        chosen = [str(v) for v in form.getlist("member")]
        try:
            if action == "confirm":
                group = confirm_group(index, group_id, by=by)
                return {"done": f"已确认：{group.name}（{len(group.members)} 行）"}
            if action == "split":
                if not chosen:
                    raise ValueError("请勾选要拆出的成员")
                group = split_group(index, group_id, chosen, by=by)
                return {"done": f"已拆分：{group.name}，拆出 {len(chosen)} 行"}
        except KeyError:
            raise ValueError(f"没有编号为 {group_id} 的重复企业组（可能已因更正而变化）") from None
        raise ValueError("未知操作")

    def apply_then_regroup(form: FormData, by: str) -> dict[str, str]:
        out = apply(form, by)
        request.app.state.regroup.schedule()  # the decision changes the groups: off the request
        return out

    return await staff_post(request, "/dupes", ("q", "state", "zone", "page", "size"),
                            apply_then_regroup)


ROUTES = [
    route("/dupes", dupes),
    route("/dupes/decide", decide, ["POST"]),
]
