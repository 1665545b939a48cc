"""Link a declared track to the policy clauses that apply to it, with reasons.

A clause is a *candidate* only where its policy's area covers the track's zone
(national and region documents every zone, a city document its zones, a county
document its county's zones: ``jurisdiction_covers``) or the clause names the
zone. Candidates are scored as a weighted sum of visible parts (weights in
``link_weights.py``), each part with a Chinese reason, so that staff see *why*
a clause was linked, not only that it was.

The core works on the extractors' dicts (``link_track``); ``compute_links`` and
``links_for`` store and read links in the SQLite index.

This module is the public API; the work lives in modules named for their job:

- ``link_features``: folded text, a track's zone, a policy's scope, class keys;
- ``link_bm25``: tokens and BM25 tables and scores;
- ``link_parts``: each part of the score with its reason, a clause's subject;
- ``link_pool``: the prepared clauses (``ClausePool``) and their cache;
- ``link_score``: ``link_track`` and the ``Link`` records;
- ``policy_meta``: a policy's id and its bundled metadata;
- ``link_store``: reading and storing links in the index;
- ``link_weights``: the weights.
"""

from __future__ import annotations

from saidao.corpus import lexicon
from saidao.index.link_bm25 import Bm25Scores, tokens
from saidao.index.link_features import (
    ClassKeys,
    _fold,
    _head_term_codes,
    class_keys,
    policy_scope,
    track_industries,
    track_text,
    track_zone,
)
from saidao.index.link_parts import (
    AREA_VALUE,
    DIRECTION_CORE,
    DIRECTION_TERMS,
    PLATFORM_HEADING_CUES,
    TRACK_BINDING_HEADINGS,
    TRACK_TERMS,
    _area_named,
    _Part,
    beneficiary_part,
    clause_subject,
    direction_part,
    industry_about_zone,
    industry_part,
    platform_is_subject,
    prominence,
    track_part,
    zone_parts,
)
from saidao.index.link_pool import ClausePool, clause_pool, track_query
from saidao.index.link_score import PARTS, REASON_ORDER, Link, link_track
from saidao.index.link_store import (
    compute_links,
    index_policies,
    index_pool,
    index_tracks,
    links_for,
    links_for_track,
)
from saidao.index.link_weights import DEFAULT_WEIGHTS, LinkWeights
from saidao.index.policy_meta import fill_from_bundled, policy_id

__all__ = [
    "AREA_VALUE",
    "DEFAULT_WEIGHTS",
    "DIRECTION_CORE",
    "DIRECTION_TERMS",
    "PARTS",
    "PLATFORM_HEADING_CUES",
    "REASON_ORDER",
    "TRACK_BINDING_HEADINGS",
    "TRACK_TERMS",
    "Bm25Scores",
    "ClassKeys",
    "ClausePool",
    "Link",
    "LinkWeights",
    "_Part",
    "_area_named",
    "_fold",
    "_head_term_codes",
    "beneficiary_part",
    "class_keys",
    "clause_pool",
    "clause_subject",
    "compute_links",
    "direction_part",
    "fill_from_bundled",
    "index_policies",
    "index_pool",
    "index_tracks",
    "industry_about_zone",
    "industry_part",
    "lexicon",
    "link_track",
    "links_for",
    "links_for_track",
    "platform_is_subject",
    "policy_id",
    "policy_scope",
    "prominence",
    "tokens",
    "track_industries",
    "track_part",
    "track_query",
    "track_text",
    "track_zone",
    "zone_parts",
]
