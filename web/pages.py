"""Read-only pages: home, search, clause in context, policies, zones, tracks, login."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from saidao.corpus.zones import registry
from saidao.index import clauses, fts, overview
from saidao.index.eligibility import code_corrections, track_eligibility, track_figures
from saidao.index.export import CLAUSE_COLUMNS, FIRM_COLUMNS, TRACK_COLUMNS
from saidao.index.report import firm_other_tracks, import_progress, latest_runs, track_source
from saidao.index.report import track as track_view
from saidao.index.report import tracks as track_list
from saidao.index.review import count_open, open_items, open_per_zone
from saidao.index.search import (
    Found,
    UnknownZone,
    clauses_for_zone,
    find,
    main_words,
    matching_words,
    resolve_zone,
    resolve_zones,
    zone_ids,
)
from saidao.index.store import Index
from saidao.index.validity import annotate
from saidao.web import charts
from saidao.web.common import (
    DIRECTIONS,
    PAGE_SIZE,
    by_number,
    index_of,
    page_number,
    pager,
    render,
    route,
    xlsx_link,
)
from saidao.web.forms import FIGURE_INPUT, TRACK_FIGURES
from saidao.web.map import zone_map, zone_rows
from saidao.web.security import (
    SESSION_SECONDS,
    TOKEN_COOKIE,
    client_of,
    csrf_ok,
    csrf_refused,
    login_refusal,
    same,
)
from saidao.web.xlsx import wants_xlsx, xlsx_response

SEARCH_LIMIT = 50


# ---------------------------------------------------------------- home


def home(request: Request) -> Response:
    """Counts, a map of the zones (``web.map``), three charts (tracks per zone and direction,
    open review items per zone, files imported over time: server-rendered SVG) and the
    latest imports."""
    index = index_of(request)
    by_zone = overview.tracks_by_zone(index)
    rows, parts, links = charts.zone_direction_rows(by_zone, DIRECTIONS)
    per_zone = open_per_zone(index)
    map_zones = zone_rows(registry().all(), by_zone, per_zone)
    zone_svg, unplaced = zone_map(map_zones)
    return render(
        request, "home.html", stats=overview.counts(index), open_items=count_open(index),
        by_zone=by_zone, runs=latest_runs(index),
        zone_map=zone_svg, map_zones=map_zones, unplaced=unplaced,
        tracks_chart=charts.bars(rows, parts, "各高新区新赛道数（按方向）", links),
        review_chart=charts.bars([(n, [c]) for n, _, c in per_zone], ["待核条目"],
                                 "各高新区待核条目数",
                                 [f"/review?zone={z}" if z else None for _, z, _ in per_zone]),
        import_chart=charts.line(import_progress(index), "导入进度（累计导入文件数）", " 个"))


# ---------------------------------------------------------------- search


def _filter_rowids(index: Index, request: Request) -> set[int] | None:
    """Clause rowids allowed by the query's filters (None: no filter). Raises UnknownZone."""
    q = request.query_params
    zone = (q.get("zone") or "").strip()
    return clauses.filter_rowids(
        index, zones=[z.id for z in resolve_zones(zone)] if zone else None,
        policy=q.get("policy") or None, level=q.get("level") or None,
        industry=q.get("industry") or None, beneficiary=q.get("beneficiary") or None)


def zone_rowids(index: Index, zone_id: str) -> set[int]:
    """``index.clauses.zone_rowids`` (kept for the pages that import it from here)."""
    return clauses.zone_rowids(index, zone_id)


def _hits(index: Index, rowids: list[int]) -> list[dict[str, Any]]:
    return clauses.clause_rows(index, rowids)


def search_hits(index: Index, request: Request, limit: int, offset: int = 0
                ) -> tuple[list[dict[str, Any]], list[str], Found | None]:
    """Hits ``offset``… for ``q`` under the filters (``search.find``: the whole phrase first,
    each hit marked exact or partial); without ``q``, the filtered clauses in order."""
    query = (request.query_params.get("q") or "").strip()
    allowed = _filter_rowids(index, request)
    if query:
        found = find(index, query, allowed)
        hits = _hits(index, [r for r, _ in found.ranked[offset:offset + limit]])
        for h in hits:
            h["match"] = found.match_of(h["rowid"])
            h["held"] = found.held[h["rowid"]]
        return hits, matching_words(query), found  # sub-words marked too: 人才 in a weaker hit
    if allowed is None:
        return [], [], None
    return _hits(index, clauses.in_document_order(index, allowed, limit, offset)), [], None


def search(request: Request) -> Response:
    index = index_of(request)
    xlsx = wants_xlsx(request)
    error, suggestions, found = None, [], None
    page = 1 if xlsx else page_number(request)
    try:
        hits, words, found = search_hits(index, request, 2000 if xlsx else SEARCH_LIMIT,
                                         (page - 1) * SEARCH_LIMIT)
    except UnknownZone as e:
        hits, words, error, suggestions = [], [], str(e), e.suggestions
    if xlsx:
        for h in hits:
            h["path"] = "/".join(h["path"])
        return xlsx_response("检索结果.xlsx", "检索结果", CLAUSE_COLUMNS, hits)
    annotate(index, hits)  # each hit's 效力: staff never see a repealed clause unmarked
    return render(request, "search.html", hits=hits, words=words, error=error,
                  exact=[h for h in hits if h.get("match") == "exact"],
                  partial=[h for h in hits if h.get("match") != "exact"],
                  notice=found.notice if found else None,
                  near=found.suggestions if found else [],
                  counts=(len(found.exact), len(found.ranked) - len(found.exact)) if found else None,
                  pager=pager(request, len(found.ranked), page, SEARCH_LIMIT) if found else None,
                  suggestions=suggestions, q=dict(request.query_params), zones=registry().all(),
                  policies=_policy_choices(index), xlsx=xlsx_link(request))


def _policy_choices(index: Index) -> list[dict[str, Any]]:
    return clauses.policy_choices(index)


# ---------------------------------------------------------------- clauses and policies

NEIGHBOURS = 3


def clause(request: Request) -> Response:
    """One clause in its policy, with the clauses around it, opened at the clause."""
    index = index_of(request)
    found = clauses.clause_context(index, request.path_params["clause_id"], NEIGHBOURS)
    if found is None:
        raise HTTPException(404, "条款不存在")
    words = main_words(fts.query_words(request.query_params.get("q") or ""))
    annotate(index, [found["target"]])
    return render(request, "clause.html", **found, words=words)


def policy(request: Request) -> Response:
    index = index_of(request)
    found = clauses.policy_detail(index, request.path_params["policy_id"])  # any form's id
    if found is None:
        raise HTTPException(404, "政策文件不存在")
    rows = found.pop("clauses")
    from saidao.web.imports import display_path, load_names

    names = load_names(request.app.state.settings)
    for src in found["sources"]:  # the forms this policy was brought in (index.policy_merge)
        src["shown"] = display_path(src["path"], names)
    if wants_xlsx(request):
        for c in rows:
            c.update(doc_number=found["doc_number"], title=found["title"], path="/".join(c["path"]))
        return xlsx_response("政策条款.xlsx", "政策条款", CLAUSE_COLUMNS, rows)
    return render(request, "policy.html", policy=found, clauses=rows, xlsx=xlsx_link(request))


# ---------------------------------------------------------------- zones

ZONE_COLUMNS = [("id", "编号"), ("name", "高新区"), ("level", "级别"), ("city", "所在盟市"),
                ("tracks", "新赛道数")]


def zones(request: Request) -> Response:
    index = index_of(request)
    counts = overview.tracks_per_zone(index)
    rows = [{"id": z.id, "name": z.name, "level": z.level, "city": z.city,
             "tracks": counts.get(z.id, 0)} for z in registry().all()]
    if wants_xlsx(request):
        return xlsx_response("高新区.xlsx", "高新区", ZONE_COLUMNS, rows)
    return render(request, "zones.html", zones=rows, xlsx=xlsx_link(request))


#: Clauses shown per policy on a zone's page (the rest: the policy's page for the zone).
ZONE_CLAUSES_PER_POLICY = 10
#: Policies per page of a zone's clauses, and tracks shown above them (the rest: /tracks).
ZONE_POLICIES_PER_PAGE = 20
ZONE_TRACKS = 50


def zone_clauses(index: Index, zone_id: str) -> list[dict[str, Any]]:
    """``search.clauses_for_zone`` at a glance (the first clauses of each policy, naming
    ones first, with each policy's ``count``), kept until a policy or clause changes, in
    memory and in the index (hundreds of policies on a big index: half a second). Shared:
    read-only. Raises ``UnknownZone``."""
    zone = resolve_zone(zone_id)
    return overview.cached(
        index, f"zone_clauses:{zone.id}:{ZONE_CLAUSES_PER_POLICY}",  # the cut is part of the answer
        lambda _db: clauses_for_zone(index, zone.id, per_policy=ZONE_CLAUSES_PER_POLICY)["policies"],
        overview.CLAUSES, persist=True, code="saidao.index.search")


def _found_zone(request: Request) -> Any:
    try:
        return resolve_zone(request.path_params["zone_id"])
    except UnknownZone as e:
        raise HTTPException(404, str(e)) from None


def zone(request: Request) -> Response:
    """A zone at a glance: its first tracks (all of them in Excel and on /tracks) and a page
    of the policies that apply, each with its first clauses and a link to the rest."""
    index = index_of(request)
    found = _found_zone(request)
    rows = track_rows(index, found.id)
    if wants_xlsx(request):
        return xlsx_response(f"{found.name}新赛道.xlsx", "新赛道", TRACK_COLUMNS, rows)
    policies = zone_clauses(index, found.id)
    page = page_number(request)
    shown = [dict(p) for p in policies[(page - 1) * ZONE_POLICIES_PER_PAGE: page * ZONE_POLICIES_PER_PAGE]]
    annotate(index, shown)  # copies: the cached list is shared
    return render(request, "zone.html", zone=found, tracks=rows[:ZONE_TRACKS],
                  track_total=len(rows), policies=shown,
                  pager=pager(request, len(policies), page, ZONE_POLICIES_PER_PAGE),
                  xlsx=xlsx_link(request))


def zone_policy_clauses(index: Index, zone_id: str, policy_id: str) -> list[dict[str, Any]]:
    """``index.clauses.zone_policy_clauses`` (kept for callers that import it from here)."""
    return clauses.zone_policy_clauses(index, zone_id, policy_id)


def zone_policy(request: Request) -> Response:
    """All clauses of one policy that apply to the zone, a page at a time."""
    index = index_of(request)
    found = _found_zone(request)
    policy_id = request.path_params["policy_id"]
    found_policy = clauses.policy(index, policy_id)
    if found_policy is None:
        raise HTTPException(404, "政策文件不存在")
    rows = zone_policy_clauses(index, found.id, policy_id)
    if wants_xlsx(request):
        for c in rows:
            c["path"] = "/".join(c["path"])
        return xlsx_response(f"{found.name}适用条款.xlsx", "适用条款", CLAUSE_COLUMNS, rows)
    page = page_number(request)
    annotate(index, [found_policy])
    return render(request, "zone_policy.html", zone=found, policy=found_policy,
                  clauses=rows[(page - 1) * PAGE_SIZE: page * PAGE_SIZE],
                  named=sum(c["names_zone"] for c in rows),
                  pager=pager(request, len(rows), page), xlsx=xlsx_link(request))


# ---------------------------------------------------------------- tracks


def track_rows(index: Index, zone: str | None = None) -> list[dict[str, Any]]:
    """``report.tracks`` (of one zone: any of its names), kept until the index's data
    state moves on: every current track with its counts is 10,000 rows on a big index,
    and the list pages show 100 of them. Shared: read-only. Raises ``UnknownZone``."""
    wanted = sorted(zone_ids(zone) or [])
    return overview.cached(index, f"tracks:{','.join(wanted)}",
                           lambda _db: track_list(index, zone=zone) if wanted else track_list(index),
                           (*overview.TRACKS, "firm_mentions", "problems"))


def tracks(request: Request) -> Response:
    index = index_of(request)
    zone_param = request.query_params.get("zone") or None
    direction = request.query_params.get("direction") or None
    zone_error, suggestions = None, []
    try:
        rows = track_rows(index, zone_param)
    except UnknownZone as e:
        rows, zone_error, suggestions = [], str(e), e.suggestions
    if direction:
        rows = [r for r in rows if r["direction"] == direction]
    if wants_xlsx(request):
        return xlsx_response("新赛道.xlsx", "新赛道", TRACK_COLUMNS, rows)
    page = page_number(request)
    shown = rows[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    return render(request, "tracks.html", tracks=shown, pager=pager(request, len(rows), page),
                  zones=registry().all(), q=dict(request.query_params), xlsx=xlsx_link(request),
                  zone_error=zone_error, suggestions=suggestions)


#: Policies whose links are open on a track's page, and clauses shown per policy before
#: the rest fold away.
TRACK_POLICIES_OPEN = 3
TRACK_CLAUSES_OPEN = 3
#: Firm rows shown before the rest fold away.
TRACK_FIRMS_OPEN = 20


def links_by_policy(links: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A track's linked clauses grouped by policy, the policy with the best link first,
    each group best first; ``bar`` is a link's score as a share of the best (0-100)."""
    best = max((link["score"] or 0.0 for link in links), default=0.0) or 1.0
    groups: dict[str, dict[str, Any]] = {}
    for rank_no, link in enumerate(sorted(links, key=lambda x: -(x["score"] or 0.0)), start=1):
        group = groups.setdefault(link["policy_id"], {
            "policy_id": link["policy_id"], "title": link["title"], "doc_number": link["doc_number"],
            "level": link.get("level"), "links": []})
        group["links"].append({**link, "rank": rank_no,
                               "bar": round(100 * (link["score"] or 0.0) / best)})
    return list(groups.values())


def track(request: Request) -> Response:
    index = index_of(request)
    track_id, data = by_number(request, "track_id", lambda n: track_view(index, n), "新赛道不存在")
    from saidao.web.imports import display_path, load_names

    names = load_names(request.app.state.settings)
    data["file"] = display_path(data["file"], names)
    for src in data["sources"]:  # the files this track was merged from (index.track_merge)
        src["shown"] = display_path(src["path"], names)
    fixes = code_corrections(index, track_id)
    for firm in data["firms"]:
        firm["fix"] = fixes.get(firm["id"])
    if wants_xlsx(request):
        rows = [{**f, "track_name": data["track_name"], "zone_name": data["zone_name"],
                 "file": data["file"], "uscc": (f["fix"] or {}).get("corrected_value", f["uscc"])}
                for f in data["firms"]]
        return xlsx_response(f"新赛道{track_id}企业名录.xlsx", "企业名录", FIRM_COLUMNS, rows)
    return render(request, "track.html", t=data, others=firm_other_tracks(index, track_id),
                  review_items=len(open_items(index, track_id=track_id)),
                  link_groups=links_by_policy(data["links"]), open_policies=TRACK_POLICIES_OPEN,
                  open_clauses=TRACK_CLAUSES_OPEN, firms_open=TRACK_FIRMS_OPEN,
                  figure_keys=TRACK_FIGURES, figure_input=FIGURE_INPUT,
                  figures=track_figures(index.db, track_id), source=track_source(index, track_id),
                  done=request.query_params.get("done"), error=request.query_params.get("error"),
                  eligibility=track_eligibility(index, track_id), xlsx=xlsx_link(request))


# ---------------------------------------------------------------- login


async def login(request: Request) -> Response:
    """The token form; on success a signed session (never the token) in an HttpOnly cookie;
    wrong tokens are slowed, then locked out, per client (``security.LoginThrottle``)."""
    token = request.app.state.settings.token
    target = request.query_params.get("next") or "/"
    if not target.startswith("/") or target.startswith("//"):
        target = "/"
    if request.method == "GET":
        return render(request, "login.html", next=target, error=None)
    form = await request.form()
    if not csrf_ok(request, str(form.get("csrf", ""))):
        return csrf_refused()
    throttle = request.app.state.login_throttle
    if token and (refused := login_refusal(request, throttle)) is not None:
        return refused
    if token and not same(str(form.get("token", "")), token):
        throttle.failed(client_of(request))
        return render(request, "login.html", status_code=401, next=target, error="令牌不正确")
    response = RedirectResponse(target, status_code=303)
    if token:
        throttle.succeeded(client_of(request))
        response.set_cookie(TOKEN_COOKIE, request.app.state.sessions.issue(), httponly=True,
                            samesite="strict", max_age=SESSION_SECONDS)
    return response


ROUTES = [
    route("/", home),
    route("/search", search),
    route("/clause/{clause_id:path}", clause),
    route("/policy/{policy_id}", policy),
    route("/zones", zones),
    route("/zone/{zone_id}", zone),
    route("/zone/{zone_id}/policy/{policy_id}", zone_policy),
    route("/tracks", tracks),
    route("/track/{track_id}", track),
    route("/login", login, ["GET", "POST"]),
]
