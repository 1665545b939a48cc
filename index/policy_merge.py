"""One policy, one policy: the same policy brought in several forms.

Staff import a policy from the government portal's page (HTML, MHTML), the PDF or
Word attachment of the same page, a reprint site, an OFD and a paper scan. Each is a
file of its own with its own extraction, but they are one policy: search, a zone's
clauses, track links and exports must count its clauses once. Every file is kept as a
*source* of the policy (``policy_sources``), as ``index.track_merge`` keeps the forms
of one declaration.

*Same policy* (:func:`same_policy`), from the document's own metadata:

- both carry a 发文字号: the same number (brackets, widths and spaces normalised) with the
  same title or issuer — a different number is a different document (a county's notice
  reissuing a region's text under its own 文号, a revision), whatever its title says;
- otherwise: the same title (an OCR slip of a glyph or two allowed; every digit equal,
  and no words added, so 《…（2024年修订）》 stays apart), the same date where both give
  one, and the text itself agreeing: the clause texts' character trigrams at least
  :data:`MIN_TEXT_AGREEMENT` alike (Jaccard; measured on the policy set, see
  ``benchmarks/policy_identity.py`` and docs/architecture.md).

*Primary form* (:func:`preference`): the best-digitised source (``source_roles.source_rank``:
a text layer over converted over OCR), then the issuer's own publication over a reprint
(the page's chrome carries a reprint note: 转载, 如有侵权, 以原发布单位…), then the fuller
metadata, fewer problems and more clauses; on a tie the policy already imported stays
primary. Only the primary's clauses are *current* (the view ``current_policies`` leaves
out every ``evidence`` source), so search, zone pages, links and exports see the policy
once; a better form arriving later takes over, the old primary stays as evidence with the
note why. The link fingerprint (``link_state.clause_state``) reads the same view, so a
change of primary re-links every track against the new primary's clauses, as if only it
had been imported. Nothing extracted is overwritten: every source keeps its policy row
and clauses. Staff undo a wrong merge with :func:`split_source`
(``saidao policy ID --split-source FILE``).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import sqlite_utils
from rapidfuzz.distance import Levenshtein

from saidao.index.source_roles import ROLES_ZH, names_source, now, source_rank

#: Two forms' clause texts at least this alike (Jaccard of character trigrams of the folded
#: text) are one text. Measured (``benchmarks/policy_identity.py``, 2026-12-07): the policy
#: set's 268 readings (46 documents in five or six forms, the seeds in three) — forms of one
#: document 1.000 (590 pairs; the set's scans read whole too), different documents at most
#: 0.376 (35,188 pairs); the same texts damaged: 5 % of characters misread min 0.530
#: (median 0.717), 10 % median 0.565, a fifth of the clauses left out min 0.656. 0.5 keeps
#: a reading with one character in twenty wrong, and stays above every pair of different
#: documents. The text never decides alone: title and date must agree first (a revision
#: that rewrites a tenth of its clauses still scores 0.57).
MIN_TEXT_AGREEMENT = 0.5
#: The shingle length for text agreement (characters of the folded text).
SHINGLE = 3
#: The reason code of a file kept as another form of a policy already imported
#: (``import_log.reason``; ``saidao.errors.REASONS``).
FATE_REASON = "same_policy"


# ---------------------------------------------------------------- keys


def fold(text: str | None) -> str:
    """Text for comparison: NFKC (full-width → half-width), no spaces, no punctuation.

    >>> fold("关于 印发《办法》的通知（试行）")
    '关于印发办法的通知试行'
    """
    return re.sub(r"[\s\W_]+", "", unicodedata.normalize("NFKC", text or ""))


def doc_number_key(number: str | None) -> str:
    """A 发文字号 whatever its brackets, widths and spacing: ``内政发〔2021〕13号``.

    >>> doc_number_key("内政发[2021]13号") == doc_number_key("内政发（２０２１）１３ 号")
    True
    >>> doc_number_key("内政发〔2021〕013号")
    '内政发〔2021〕13号'
    """
    from saidao.extractors.policy_meta import find_doc_numbers  # not paid by a declaration's import

    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", number or ""))
    found = find_doc_numbers(text)
    return found[0] if found else fold(text)


def titles_alike(a: str | None, b: str | None) -> bool:
    """The same title, allowing an OCR slip: at most one glyph in fifteen changed, the same
    length give or take one, every digit the same (年份, 版本) — so a title with words added
    (（2024年修订）, 转发…的通知) is another document's.

    >>> titles_alike("包头市促进科技成果转化办法", "包头市促进科技成果转化办法")
    True
    >>> titles_alike("包头市促进科技成果转化办法", "包头市促进科技成果转化办法（2024年修订）")
    False
    """
    fa, fb = fold(a), fold(b)
    if not fa or not fb:
        return False
    if fa == fb:
        return True
    if re.findall(r"\d+", fa) != re.findall(r"\d+", fb) or abs(len(fa) - len(fb)) > 1:
        return False
    return Levenshtein.distance(fa, fb) <= max(1, min(len(fa), len(fb)) // 15)


def issuers_agree(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Some issuer of one is an issuer of the other (one name may be the other's short form)."""
    fa, fb = [fold(x) for x in a if fold(x)], [fold(x) for x in b if fold(x)]
    return any(x == y or (min(len(x), len(y)) >= 4 and (x in y or y in x)) for x in fa for y in fb)


def shingles(texts: list[str]) -> frozenset[str]:
    """The character trigrams of the clauses' folded text, in order joined."""
    text = "".join(fold(t) for t in texts)
    return frozenset(text[i:i + SHINGLE] for i in range(max(0, len(text) - SHINGLE + 1)))


def text_agreement(a: frozenset[str], b: frozenset[str]) -> float:
    """How alike two texts' trigram sets are (Jaccard; 0 when either is empty)."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


# ---------------------------------------------------------------- forms


@dataclass(frozen=True)
class Form:
    """What identity and preference read of one stored policy (one file)."""

    policy_id: str
    sha256: str
    path: str
    title: str | None
    doc_number: str | None
    issuers: tuple[str, ...]
    date: str | None
    rank: int
    reprint: bool
    problems: int
    clauses: int

    @property
    def named(self) -> str:
        """The policy as staff name it: 《title》 and its 文号."""
        title = f"《{self.title}》" if self.title else "未命名文件"
        return title + (f"，{self.doc_number}" if self.doc_number else "")


_FORM_SQL = (
    "SELECT p.policy_id, p.file_sha256, f.path, f.format, f.ocr_pages, p.title, p.doc_number, "
    "p.issuer, p.issuers, p.date, p.page, s.rank, "
    "(SELECT count(*) FROM problems x WHERE x.file_sha256 = p.file_sha256 "
    "AND x.status = 'open') AS problems, "
    "(SELECT count(*) FROM clauses c WHERE c.policy_id = p.policy_id) AS clauses "
    "FROM policies p JOIN files f ON f.sha256 = p.file_sha256 "
    "LEFT JOIN policy_sources s ON s.policy_id = p.policy_id AND s.role != 'split' ")


def _reprinted(chrome: list[str]) -> bool:
    """A reprint note in the page's chrome (``portal.is_reprint_note``), imported on first use:
    every file's import passes through this module, and a declaration must not pay for the
    policy extractors' import."""
    from saidao.extractors.portal import is_reprint_note

    return any(is_reprint_note(c) for c in chrome)


def _form(row: dict[str, Any]) -> Form:
    issuers = tuple(json.loads(row["issuers"] or "[]")) or ((row["issuer"],) if row["issuer"] else ())
    chrome = (json.loads(row["page"] or "{}") or {}).get("chrome") or []
    rank = row["rank"] if row["rank"] is not None else source_rank({"source": {
        "format": row["format"], "ocr_pages": json.loads(row["ocr_pages"] or "[]")}})
    return Form(row["policy_id"], row["file_sha256"], row["path"], row["title"], row["doc_number"],
                issuers, row["date"], rank, _reprinted(chrome),
                row["problems"], row["clauses"])


def form_of(result: dict[str, Any], policy_id: str = "", path: str = "") -> Form:
    """A form from an extraction result (``extract_policy``'s dict) not stored: what the
    benchmark and tests compare without an index."""
    sha = str((result.get("source") or {}).get("sha256") or "")
    issuers = tuple(result.get("issuers") or ([result["issuer"]] if result.get("issuer") else []))
    return Form(policy_id or sha[:16], sha, path, result.get("title"), result.get("doc_number"),
                issuers, result.get("date"), source_rank(result),
                _reprinted(result.get("chrome") or []),
                len(result.get("problems") or []), len(result.get("clauses") or []))


def clause_texts(result: dict[str, Any]) -> list[str]:
    """An extraction result's clause texts, in order (what :func:`shingles` reads)."""
    return [c.get("text") or "" for c in result.get("clauses") or []]


def forms(db: sqlite_utils.Database, where: str, params: list[Any]) -> list[Form]:
    """The stored policies matching ``where`` (over ``p`` policies, ``f`` files) as forms."""
    return [_form(r) for r in db.query(_FORM_SQL + "WHERE " + where, params)]


def _texts(db: sqlite_utils.Database, policy_id: str) -> list[str]:
    return [r[0] or "" for r in db.execute(
        "SELECT text FROM clauses WHERE policy_id = ? ORDER BY position", [policy_id])]


# ---------------------------------------------------------------- identity, preference


def same_policy(a: Form, b: Form, agreement: Callable[[], float]) -> str | None:
    """Why ``a`` and ``b`` are one policy (Chinese, for the source's note), or None.

    ``agreement`` measures their texts' likeness, called only when the metadata leaves
    the question open (no 文号 on one side)."""
    ka, kb = doc_number_key(a.doc_number), doc_number_key(b.doc_number)
    if ka and kb:
        if ka != kb:
            return None
        if titles_alike(a.title, b.title):
            return f"文号（{a.doc_number}）与标题相同"
        if issuers_agree(a.issuers, b.issuers):
            return f"文号（{a.doc_number}）与发文机关相同"
        return None
    if not titles_alike(a.title, b.title):
        return None
    if a.date and b.date and a.date != b.date:
        return None
    score = agreement()
    if score < MIN_TEXT_AGREEMENT:
        return None
    dated = "、日期" if a.date and b.date else ""
    return f"标题{dated}相同，条款文字 {score:.0%} 一致"


def preference(form: Form) -> tuple[int, int, int, int, int]:
    """Which form is the primary: best digitised, the issuer's own over a reprint, fuller
    metadata, fewer open problems, more clauses (higher is better)."""
    meta = sum(bool(x) for x in (form.title, form.doc_number, form.issuers, form.date))
    return (form.rank, int(not form.reprint), meta, -form.problems, form.clauses)


def _why_better(new: Form, old: Form) -> str:
    """The first criterion of :func:`preference` on which ``new`` beats ``old``, in Chinese."""
    labels = ("数字化质量更好", "系发文机关发布的原文，另一文件为转载", "元数据更完整",
              "待核问题更少", "条款更完整")
    for label, x, y in zip(labels, preference(new), preference(old), strict=True):
        if x != y:
            return label
    return "同等"


# ---------------------------------------------------------------- placing a new policy


def place_policy(db: sqlite_utils.Database, policy_id: str, sha256: str,
                 result: dict[str, Any]) -> dict[str, str] | None:
    """Give a newly written policy its place: another form of a current policy (kept as a
    source; the better form is primary) or a policy of its own.

    Returns the file's fate for the import log (``{"reason", "message"}``) when it joined
    a policy already imported, else None. A policy placed before (a re-read of the same
    bytes) keeps its place.
    """
    if db.execute("SELECT 1 FROM policy_sources WHERE policy_id = ?", [policy_id]).fetchone():
        return None
    new = forms(db, "p.policy_id = ?", [policy_id])[0]
    new = replace(new, rank=source_rank(result))
    match = find_policy(db, new)
    if match is None:
        _add(db, _new_group(db), new, "primary", None)
        return None
    return _join(db, new, *match)


def _join(db: sqlite_utils.Database, new: Form, old: Form, why: str) -> dict[str, str]:
    """``new`` joins the policy ``old`` is the primary of: as its primary when it is the
    better form, else as evidence. Returns the fate for the import log."""
    group = _group_of(db, old)
    named = old.named
    if preference(new) > preference(old):
        better = _why_better(new, old)
        _set_role(db, old.policy_id, "evidence",
                  f"同一政策（{why}），改以另一文件为主来源：{better}")
        _add(db, group, new, "primary", f"同一政策的另一种形式（{why}），{better}，取其条款")
        message = f"与已导入的政策相同（{named}），{better}，取代原文件成为主来源，原文件作为其来源保留"
    else:
        _add(db, group, new, "evidence", f"与已导入的政策相同（{why}），作为其来源保留")
        message = f"与已导入的政策相同（{named}），作为其来源保留"
    return {"reason": FATE_REASON, "message": message}


def find_policy(db: sqlite_utils.Database, new: Form) -> tuple[Form, str] | None:
    """The current policy ``new`` is another form of, with the reason, if any.

    Candidates are the current policies (one per policy: its primary) with the same 文号,
    or with a title alike; texts are read only for those, so an import stays linear in
    the number of same-titled policies, not the index's size."""
    number = doc_number_key(new.doc_number)
    title = fold(new.title)
    if not number and not title:
        return None
    ids = [pid for pid, other_title, other_number in db.execute(
        "SELECT policy_id, title, doc_number FROM current_policies WHERE policy_id != ?",
        [new.policy_id]).fetchall()
        if (number and doc_number_key(other_number) == number) or titles_alike(other_title, new.title)]
    if not ids:
        return None
    candidates = forms(db, "p.policy_id IN (SELECT value FROM json_each(?))", [json.dumps(ids)])
    mine = shingles(_texts(db, new.policy_id))
    best: tuple[float, Form, str] | None = None
    for other in candidates:
        score: list[float] = []

        def agreement(other: Form = other, score: list[float] = score) -> float:
            score.append(text_agreement(mine, shingles(_texts(db, other.policy_id))))
            return score[0]

        why = same_policy(new, other, agreement)
        if why is None:
            continue
        rank = score[0] if score else 1.0 + text_agreement(mine, shingles(_texts(db, other.policy_id)))
        if best is None or rank > best[0]:
            best = (rank, other, why)
    return None if best is None else (best[1], best[2])


def merge_stored(db: sqlite_utils.Database) -> int:
    """Policies stored before forms were merged (or each alone for another reason): every
    current policy that is alone, oldest first, is placed as if it arrived now, against the
    other current policies. Returns how many joined another policy."""
    joined = 0
    order = [pid for (pid,) in db.execute(
        "SELECT p.policy_id FROM current_policies p JOIN files f ON f.sha256 = p.file_sha256 "
        "ORDER BY f.imported_at, p.policy_id").fetchall()]
    with db.conn:
        for policy_id in order:
            if not _alone(db, policy_id):
                continue  # has forms already, or became another's evidence meanwhile
            new = forms(db, "p.policy_id = ?", [policy_id])[0]
            match = find_policy(db, new)
            if match is None or db.execute(
                    "SELECT 1 FROM policy_sources WHERE policy_id = ? AND role = 'split'",
                    [match[0].policy_id]).fetchone():
                continue  # (a policy staff split off is joined only by new files)
            db.execute("DELETE FROM policy_sources WHERE policy_id = ?", [policy_id])
            _join(db, new, *match)
            joined += 1
    return joined


def _alone(db: sqlite_utils.Database, policy_id: str) -> bool:
    """A current policy with no other form, never split by staff."""
    return db.execute(
        "SELECT 1 FROM current_policies p WHERE p.policy_id = :id AND NOT EXISTS (SELECT 1 "
        "FROM policy_sources s JOIN policy_sources o ON o.group_id = s.group_id "
        "AND o.policy_id != s.policy_id AND o.role != 'split' WHERE s.policy_id = :id "
        "AND s.role != 'split') AND NOT EXISTS (SELECT 1 FROM policy_sources s "
        "WHERE s.policy_id = :id AND s.role = 'split')", {"id": policy_id}).fetchone() is not None


def _new_group(db: sqlite_utils.Database) -> int:
    return int(db.execute("SELECT coalesce(max(group_id), 0) + 1 FROM policy_sources").fetchone()[0])


def _group_of(db: sqlite_utils.Database, form: Form) -> int:
    """The group of a current policy; one stored before policies had sources gets its own."""
    row = db.execute("SELECT group_id FROM policy_sources WHERE policy_id = ? AND role != 'split'",
                     [form.policy_id]).fetchone()
    if row is not None:
        return int(row[0])
    group = _new_group(db)
    _add(db, group, form, "primary", None)
    return group


def _add(db: sqlite_utils.Database, group: int, form: Form, role: str, note: str | None) -> None:
    db.execute(
        "INSERT INTO policy_sources(group_id, policy_id, file_sha256, role, rank, added_at, note) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)", [group, form.policy_id, form.sha256, role, form.rank, now(), note])


def _set_role(db: sqlite_utils.Database, policy_id: str, role: str, note: str) -> None:
    db.execute("UPDATE policy_sources SET role = ?, note = ? WHERE policy_id = ? AND role != 'split'",
               [role, note, policy_id])


# ---------------------------------------------------------------- a primary leaves


def retire_file(db: sqlite_utils.Database, sha256: str) -> None:
    """A policy file was superseded by a newer version of the same file: its source row
    stays, as ``superseded``; when it was the policy's primary, the best other current
    source takes over (else the policy's forms would vanish with it)."""
    row = db.execute("SELECT group_id, policy_id, role FROM policy_sources WHERE file_sha256 = ? "
                     "AND role IN ('primary', 'evidence')", [sha256]).fetchone()
    if row is None:
        return
    group, policy_id, role = row
    _set_role(db, policy_id, "superseded", "文件已被新版本取代")
    if role == "primary":
        _promote_heir(db, group, "原主来源文件已被新版本取代，接任主来源")


def reinstate_file(db: sqlite_utils.Database, sha256: str) -> None:
    """An older version of a file came back (``Index._reinstate``): its policy, superseded
    before, is a form of its policy again — its primary when no current file is, else
    evidence (when the newer file it replaces was the primary, that one steps down next,
    ``retire_file``, and the best current form takes over)."""
    row = db.execute("SELECT group_id, policy_id FROM policy_sources WHERE file_sha256 = ? "
                     "AND role = 'superseded'", [sha256]).fetchone()
    if row is None:
        return
    group, policy_id = row
    led = db.execute("SELECT 1 FROM policy_sources s JOIN files f ON f.sha256 = s.file_sha256 "
                     "WHERE s.group_id = ? AND s.role = 'primary' AND f.status = 'imported'",
                     [group]).fetchone()
    _set_role(db, policy_id, "evidence" if led else "primary", "旧版本文件重新导入")


def _promote_heir(db: sqlite_utils.Database, group: int, note: str) -> str | None:
    """The best current evidence of the group becomes its primary; returns its policy id."""
    heirs = forms(db, "f.status = 'imported' AND s.group_id = ? AND s.role = 'evidence'", [group])
    if not heirs:
        return None
    heir = max(heirs, key=preference)
    _set_role(db, heir.policy_id, "primary", note)
    return heir.policy_id


# ---------------------------------------------------------------- reading, splitting


def group_of(db: sqlite_utils.Database, policy_id: str) -> int | None:
    """The policy a stored policy row belongs to (its group), None when it has no sources."""
    row = db.execute("SELECT group_id FROM policy_sources WHERE policy_id = ? "
                     "ORDER BY role = 'split', id DESC LIMIT 1", [policy_id]).fetchone()
    return None if row is None else int(row[0])


def primary_of(db: sqlite_utils.Database, policy_id: str) -> str:
    """The policy id staff should see for any of its forms: the group's primary."""
    group = group_of(db, policy_id)
    if group is None:
        return policy_id
    row = db.execute("SELECT policy_id FROM policy_sources WHERE group_id = ? AND role = 'primary' "
                     "ORDER BY id DESC LIMIT 1", [group]).fetchone()
    return policy_id if row is None else str(row[0])


def sources(db: sqlite_utils.Database, policy_id: str) -> list[dict[str, Any]]:
    """The policy's sources, primary first: file, format, role (and its Chinese), rank, note."""
    group = group_of(db, policy_id)
    if group is None:
        return []
    rows = list(db.query(
        "SELECT s.policy_id, s.file_sha256 AS sha256, f.path, f.origin, f.format, f.status, "
        "s.role, s.rank, s.note, s.added_at FROM policy_sources s "
        "JOIN files f ON f.sha256 = s.file_sha256 WHERE s.group_id = ? "
        "ORDER BY s.role = 'primary' DESC, s.role = 'split', s.rank DESC, s.id", [group]))
    for row in rows:
        row["role_zh"] = ROLES_ZH.get(row["role"], row["role"])
    return rows


def split_source(db: sqlite_utils.Database, policy_id: str, which: str) -> str:
    """Undo a wrong merge: the source ``which`` (path, file name or sha256 prefix) becomes a
    policy of its own; when it was the primary, the best other source takes over. Returns the
    split policy's id. Raises LookupError/ValueError with the reason in Chinese."""
    found = [s for s in sources(db, policy_id) if s["role"] != "split" and names_source(s, which)]
    if not found:
        raise LookupError(f"政策 {policy_id} 没有来源文件“{which}”")
    if len(found) > 1:
        raise LookupError(f"“{which}”对应政策 {policy_id} 的多个来源文件，请给出完整路径")
    source = found[0]
    remaining = [s for s in sources(db, policy_id)
                 if s["role"] not in ("split", "superseded") and s["policy_id"] != source["policy_id"]]
    if not remaining:
        raise ValueError(f"政策 {policy_id} 只有这一个来源文件，无需拆分")
    group = group_of(db, source["policy_id"])
    form = forms(db, "p.policy_id = ?", [source["policy_id"]])[0]
    with db.conn:
        _set_role(db, source["policy_id"], "split", f"已由工作人员拆出为独立政策（{now()}）")
        if source["role"] == "primary":
            _promote_heir(db, int(group or 0), "拆分后成为主来源")
        _add(db, _new_group(db), replace(form, rank=source["rank"]), "primary",
             f"由政策 {primary_of(db, policy_id)} 拆出")
    return str(source["policy_id"])
