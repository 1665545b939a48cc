"""The index schema as numbered migrations (``PRAGMA user_version`` holds the last applied).

Each migration runs once, inside one transaction, in order; opening an index
that is already current changes nothing. Add a new function to ``MIGRATIONS``
for every change; never edit one that has shipped. ``about_tables`` describes
every table in Chinese and English so the database explains itself (Datasette).
"""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils

from saidao.index.db import write_transaction
from saidao.index.fts import create_term_table

#: table -> (Chinese, English) description, written to ``about_tables``.
ABOUT: dict[str, tuple[str, str]] = {
    "about_tables": ("各表说明", "what each table holds"),
    "files": (
        "导入过的每个文件（按内容 sha256 唯一）：状态、失败原因、被哪个新版本取代",
        "every imported file by content sha256: status, failure reason, newer version",
    ),
    "import_runs": ("每次导入运行：参数、开始结束时间、汇总", "one row per import run"),
    "import_log": (
        "每次运行中每个文件的结果（imported/unchanged/superseded/failed）及原因",
        "each file's outcome in each run, with the reason",
    ),
    "declarations": ("申报表：填报时间、高新区、单位信息、举措、实施方案、声明", "declaration forms"),
    "tracks": ("申报的新赛道：名称、方向、分类体系、代码、赛道标签、高新区", "declared tracks"),
    "firm_mentions": (
        "新赛道企业名录中的每一行：企业名称、匹配键、信用代码（原文与纠正）",
        "each firm row of a track's firm table, printed and corrected credit code",
    ),
    "platforms": ("新赛道创新平台名录中的每一行", "each row of a track's platform table"),
    "policies": ("政策文件：标题、文号、发文机关、日期、层级、适用地域", "policy documents"),
    "clauses": ("政策条款：编号、上级编号路径、标题、正文、顺序", "policy clauses at the finest level"),
    "clause_tags": (
        "条款标注：牵头/责任单位、金额、高新区、产业、支持对象、年份、目标",
        "clause tags: units, money, zones, industries, beneficiaries, years, targets",
    ),
    "clauses_fts": ("条款全文检索（jieba 分词）", "full-text index over segmented clauses"),
    "clauses_trigram": ("条款全文检索（三字组，查词内片段）", "trigram index over raw clause text"),
    "zones": ("高新区名录（每次打开时由登记表刷新）", "the zone registry, refreshed on open"),
    "problems": ("抽取发现的问题，待人工处理（open/resolved）", "problems found, for a person"),
    "corrections": (
        "人工更正：原值保留在原表，更正值记在此处",
        "a person's corrections; the raw value stays in its table",
    ),
}

_V1 = """
CREATE TABLE about_tables (
    table_name TEXT PRIMARY KEY,
    description_zh TEXT NOT NULL,
    description_en TEXT NOT NULL
);
CREATE TABLE import_runs (
    run_id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    args TEXT NOT NULL DEFAULT '[]',
    options TEXT NOT NULL DEFAULT '{}',
    summary TEXT
);
CREATE TABLE files (
    sha256 TEXT PRIMARY KEY,
    size INTEGER,
    path TEXT NOT NULL,
    origin TEXT,
    kind TEXT,
    format TEXT,
    pages INTEGER,
    ocr_pages TEXT,
    status TEXT NOT NULL CHECK (status IN ('imported', 'failed', 'superseded')),
    reason TEXT,
    message TEXT,
    superseded_by TEXT REFERENCES files(sha256),
    run_id INTEGER REFERENCES import_runs(run_id),
    imported_at TEXT NOT NULL
);
CREATE INDEX files_path ON files(path);
CREATE INDEX files_origin ON files(origin);
CREATE TABLE import_log (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES import_runs(run_id),
    path TEXT NOT NULL,
    origin TEXT,
    sha256 TEXT,
    outcome TEXT NOT NULL CHECK (outcome IN ('imported', 'unchanged', 'superseded', 'failed')),
    reason TEXT,
    message TEXT,
    logged_at TEXT NOT NULL
);
CREATE INDEX import_log_run ON import_log(run_id);
CREATE TABLE declarations (
    declaration_id INTEGER PRIMARY KEY,
    file_sha256 TEXT NOT NULL REFERENCES files(sha256),
    track_name TEXT,
    zone_printed TEXT,
    zone_id TEXT,
    filled_at TEXT,
    unit_name TEXT, unit_address TEXT, unit_contact TEXT, unit_postcode TEXT,
    unit_department TEXT, unit_title TEXT, unit_phone TEXT, unit_mobile TEXT,
    unit_fax TEXT, unit_email TEXT,
    measures_text TEXT, measures_chars INTEGER, measures_over_limit INTEGER,
    plan_text TEXT, plan_chars INTEGER, plan_over_limit INTEGER,
    attestation_present INTEGER, attestation_sealed INTEGER, attestation_date TEXT,
    recommendation_present INTEGER, recommendation_sealed INTEGER, recommendation_date TEXT,
    raw TEXT NOT NULL
);
CREATE INDEX declarations_file ON declarations(file_sha256);
CREATE TABLE tracks (
    track_id INTEGER PRIMARY KEY,
    declaration_id INTEGER NOT NULL REFERENCES declarations(declaration_id),
    track_name TEXT,
    direction TEXT,
    scheme TEXT,
    codes TEXT,
    class_names TEXT,
    label TEXT,
    resolved INTEGER,
    zone_id TEXT
);
CREATE INDEX tracks_declaration ON tracks(declaration_id);
CREATE INDEX tracks_zone ON tracks(zone_id);
CREATE TABLE firm_mentions (
    id INTEGER PRIMARY KEY,
    track_id INTEGER NOT NULL REFERENCES tracks(track_id),
    seq INTEGER,
    name TEXT,
    name_key TEXT,
    uscc_printed TEXT,
    uscc TEXT,
    uscc_valid INTEGER,
    uscc_fix TEXT,
    confidence REAL,
    extra TEXT,
    source TEXT
);
CREATE INDEX firm_mentions_track ON firm_mentions(track_id);
CREATE INDEX firm_mentions_uscc ON firm_mentions(uscc);
CREATE INDEX firm_mentions_name_key ON firm_mentions(name_key);
CREATE TABLE platforms (
    id INTEGER PRIMARY KEY,
    track_id INTEGER NOT NULL REFERENCES tracks(track_id),
    seq INTEGER,
    name TEXT, host TEXT, level TEXT, year INTEGER, certifier TEXT, research TEXT,
    extra TEXT
);
CREATE INDEX platforms_track ON platforms(track_id);
CREATE TABLE policies (
    policy_id TEXT PRIMARY KEY,
    file_sha256 TEXT NOT NULL REFERENCES files(sha256),
    title TEXT,
    doc_number TEXT,
    issuer TEXT,
    date TEXT,
    date_written TEXT,
    date_issued TEXT,
    level TEXT,
    jurisdiction TEXT,
    refs TEXT,
    preamble TEXT
);
CREATE INDEX policies_file ON policies(file_sha256);
CREATE TABLE clauses (
    id INTEGER PRIMARY KEY,
    clause_id TEXT NOT NULL UNIQUE,
    policy_id TEXT NOT NULL REFERENCES policies(policy_id),
    number TEXT,
    path TEXT,
    path_headings TEXT,
    heading TEXT,
    text TEXT,
    position INTEGER,
    lines TEXT
);
CREATE INDEX clauses_policy ON clauses(policy_id);
CREATE TABLE clause_tags (
    id INTEGER PRIMARY KEY,
    clause_id TEXT NOT NULL REFERENCES clauses(clause_id),
    tag_type TEXT NOT NULL,
    value TEXT,
    detail TEXT
);
CREATE INDEX clause_tags_clause ON clause_tags(clause_id);
CREATE INDEX clause_tags_value ON clause_tags(tag_type, value);
CREATE VIRTUAL TABLE clauses_fts USING fts5(heading, text, tokenize = 'unicode61');
CREATE VIRTUAL TABLE clauses_trigram USING fts5(heading, text, tokenize = 'trigram');
CREATE TABLE zones (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    aliases TEXT,
    level TEXT,
    city TEXT,
    counties TEXT,
    status TEXT,
    approved_year INTEGER,
    committee TEXT
);
CREATE TABLE problems (
    id INTEGER PRIMARY KEY,
    file_sha256 TEXT NOT NULL REFERENCES files(sha256),
    field TEXT,
    code TEXT,
    message TEXT,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved'))
);
CREATE INDEX problems_file ON problems(file_sha256);
CREATE TABLE corrections (
    id INTEGER PRIMARY KEY,
    table_name TEXT NOT NULL,
    row_id TEXT NOT NULL,
    field TEXT NOT NULL,
    raw_value TEXT,
    corrected_value TEXT,
    corrected_by TEXT,
    corrected_at TEXT NOT NULL,
    note TEXT
);
CREATE INDEX corrections_row ON corrections(table_name, row_id, field);
"""


# ---------------------------------------------------------------- firm tables
# Registers, duplicate decisions and staff figures (``index.registers``,
# ``index.dupes``, ``index.eligibility``): created by one migration (v3) and
# again, idempotently, before a decision is first stored in an older index.

_FIRM_TABLES = """
CREATE TABLE IF NOT EXISTS firm_registers (
    id INTEGER PRIMARY KEY,
    type TEXT NOT NULL,
    year INTEGER,
    name TEXT,
    name_key TEXT,
    uscc_printed TEXT,
    uscc TEXT,
    source TEXT,
    row INTEGER,
    imported_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS firm_registers_uscc ON firm_registers(uscc);
CREATE INDEX IF NOT EXISTS firm_registers_name_key ON firm_registers(name_key);
CREATE TABLE IF NOT EXISTS dupe_decisions (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('confirm', 'split')),
    group_id TEXT,
    mentions TEXT NOT NULL,
    others TEXT NOT NULL DEFAULT '[]',
    decided_by TEXT,
    decided_at TEXT NOT NULL,
    note TEXT
);
CREATE TABLE IF NOT EXISTS track_figures (
    id INTEGER PRIMARY KEY,
    track_id INTEGER NOT NULL,
    key TEXT NOT NULL,
    value REAL,
    entered_by TEXT,
    entered_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS track_figures_track ON track_figures(track_id, key)
"""
_FIRM_ABOUT = [
    ("firm_registers", "导入的认定企业名单（高新技术企业、专精特新“小巨人”等）：类型、年度、名称、信用代码",
     "imported registers of certified firms"),
    ("dupe_decisions", "人工对重复企业组的确认/拆分，按申报文件 sha256 + 行号记录",
     "a person's confirm/split decisions on duplicate-firm groups"),
    ("track_figures", "工作人员录入的赛道指标（研发强度、发明专利、增长率等），含录入人和时间",
     "track figures entered by staff, with who and when"),
]


def create_firm_tables(db: sqlite_utils.Database) -> None:
    """Create the register, decision and figure tables (idempotent; the index migration)."""
    for statement in _FIRM_TABLES.split(";"):
        if statement.strip():
            db.execute(statement)
    if "about_tables" in db.table_names():
        db.conn.executemany("INSERT OR REPLACE INTO about_tables VALUES (?, ?, ?)", _FIRM_ABOUT)


def _v1(db: sqlite_utils.Database) -> None:
    """The first schema: files, runs, declarations, policies, clauses, FTS, zones, fixes."""
    for statement in _V1.split(";"):
        if statement.strip():
            db.execute(statement)
    db.conn.executemany(
        "INSERT OR REPLACE INTO about_tables VALUES (?, ?, ?)",
        [(name, zh, en) for name, (zh, en) in ABOUT.items()],
    )


def _v2_track_links(db: sqlite_utils.Database) -> None:
    """Links from tracks to the clauses that apply to them, with score parts and reasons."""
    db.execute(
        "CREATE TABLE track_links (track_id INTEGER NOT NULL REFERENCES tracks(track_id), "
        "clause_id TEXT NOT NULL REFERENCES clauses(clause_id), rank INTEGER NOT NULL, "
        "score REAL NOT NULL, parts TEXT NOT NULL, reasons TEXT NOT NULL, snippet TEXT, "
        "computed_at TEXT, PRIMARY KEY (track_id, clause_id))"
    )
    db.execute("CREATE INDEX track_links_rank ON track_links(track_id, rank)")
    db.conn.execute(
        "INSERT OR REPLACE INTO about_tables VALUES (?, ?, ?)",
        ("track_links", "新赛道适用的政策条款：得分、得分构成、理由", "clauses linked to each track, with score parts and reasons"),
    )


def _v3_firm_tables(db: sqlite_utils.Database) -> None:
    """Firm registers, duplicate-group decisions and staff track figures (index/registers.py)."""
    create_firm_tables(db)


def _v4_clause_terms(db: sqlite_utils.Database) -> None:
    """Each indexed word's document frequency, so search ranks without walking posting lists."""
    create_term_table(db)


#: Tables whose writes move a data version (``zones`` is rewritten from the shipped
#: registry on every open, so it is left out).
CONTENT_TABLES = ("files", "declarations", "tracks", "firm_mentions", "platforms", "policies",
                  "clauses", "clause_tags", "problems", "corrections", "firm_registers",
                  "dupe_decisions", "track_figures")


def _v5_data_versions(db: sqlite_utils.Database) -> None:
    """A version per content table, moved on by row triggers whichever program writes, so a
    cached figure knows exactly when what it read has changed (resolving a review item does
    not discard the duplicate groups). Corrections count per corrected table
    (``corrections:firm_mentions``); the ``epoch`` row is random per index, so a rebuilt
    index never matches an old cache entry."""
    db.execute("CREATE TABLE data_versions (name TEXT PRIMARY KEY, version INTEGER NOT NULL) "
               "WITHOUT ROWID")
    db.execute("INSERT INTO data_versions VALUES ('epoch', abs(random()))")
    for table in CONTENT_TABLES:
        for event, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
            name = f"'corrections:' || {row}.table_name" if table == "corrections" else f"'{table}'"
            db.execute(f"CREATE TRIGGER data_versions_{table}_{event.lower()} AFTER {event} ON "
                       f"{table} BEGIN INSERT INTO data_versions VALUES ({name}, 1) "
                       "ON CONFLICT (name) DO UPDATE SET version = version + 1; END")
    db.conn.execute(
        "INSERT OR REPLACE INTO about_tables VALUES (?, ?, ?)",
        ("data_versions", "各内容表的数据版本：每次写入加一（触发器），页面缓存据此失效",
         "a version per content table, moved on by triggers at every write; caches key on them"),
    )


def _v6_cached_answers(db: sqlite_utils.Database) -> None:
    """Expensive answers (duplicate groups) kept across processes under the data state they
    were computed at (``overview.cached(persist=...)``), so a restart or the CLI reads them
    instead of recomputing. No triggers: a cache is not content."""
    db.execute("CREATE TABLE cached_answers (name TEXT PRIMARY KEY, state TEXT NOT NULL, "
               "code TEXT NOT NULL, payload BLOB NOT NULL, computed_at TEXT NOT NULL)")
    db.conn.execute(
        "INSERT OR REPLACE INTO about_tables VALUES (?, ?, ?)",
        ("cached_answers", "计算代价高的结果（如重复企业组）及其对应的数据版本，版本变化即失效",
         "expensive answers (duplicate groups) under the data state and code they were computed at"),
    )


#: One definition of "current" and "as corrected" for every question asked of the index:
#: a file is current when ``status = 'imported'`` (a superseded or failed version is
#: history); a firm row's code as corrected is the latest staff correction of it
#: (``corrections``), else the code as read. Queries read these views instead of
#: repeating the joins and the rule.
VIEWS = {
    "current_files": "SELECT * FROM files WHERE status = 'imported'",
    "current_declarations": (
        "SELECT d.* FROM declarations d JOIN files f ON f.sha256 = d.file_sha256 "
        "WHERE f.status = 'imported'"),
    "track_rows": (
        "SELECT t.*, d.zone_printed, d.filled_at, d.file_sha256 AS sha256, f.path AS file, "
        "f.origin, f.status AS file_status FROM tracks t "
        "JOIN declarations d ON d.declaration_id = t.declaration_id "
        "JOIN files f ON f.sha256 = d.file_sha256"),
    "current_tracks": "SELECT * FROM track_rows WHERE file_status = 'imported'",
    "current_policies": (
        "SELECT p.*, f.path AS file FROM policies p JOIN files f ON f.sha256 = p.file_sha256 "
        "WHERE f.status = 'imported'"),
    "firm_code_fixes": (
        # SQLite takes the bare columns from the row of max(id): the latest correction
        "SELECT CAST(row_id AS INTEGER) AS mention_id, corrected_value AS uscc, corrected_by, "
        "corrected_at, max(id) AS correction_id FROM corrections "
        "WHERE table_name = 'firm_mentions' AND field = 'uscc' GROUP BY row_id"),
    "firm_rows": (
        "SELECT m.*, CASE WHEN x.mention_id IS NULL THEN m.uscc ELSE x.uscc END "
        "AS uscc_corrected, x.correction_id, x.corrected_by, x.corrected_at, t.track_name, "
        "t.zone_id, t.zone_printed, t.file, t.sha256, t.file_status FROM firm_mentions m "
        "JOIN track_rows t ON t.track_id = m.track_id "
        "LEFT JOIN firm_code_fixes x ON x.mention_id = m.id"),
    # (by track: SQLite plans the IN as one pass over the current tracks, 20 % less CPU
    # than filtering every joined row on file_status over 250,000 firm rows)
    "current_firm_rows": (
        "SELECT * FROM firm_rows WHERE track_id IN (SELECT track_id FROM current_tracks)"),
}
_VIEW_ABOUT = {
    "current_files": "当前文件（status = imported；被新版本取代或导入失败的不算）",
    "current_declarations": "当前文件中的申报表",
    "track_rows": "全部新赛道，附申报表和文件的列（file_status 为文件状态）",
    "current_tracks": "当前文件中的新赛道",
    "current_policies": "当前文件中的政策",
    "firm_code_fixes": "每个企业行信用代码的最新人工更正",
    "firm_rows": "全部企业行，uscc_corrected 为按最新人工更正后的信用代码",
    "current_firm_rows": "当前文件中的企业行（按人工更正）",
}


def _v7_views(db: sqlite_utils.Database) -> None:
    """The views of :data:`VIEWS`: current files, tracks, policies and firm rows as corrected."""
    for name, select in VIEWS.items():
        db.execute(f"CREATE VIEW IF NOT EXISTS {name} AS {select}")
        db.conn.execute("INSERT OR REPLACE INTO about_tables VALUES (?, ?, ?)",
                        (name, _VIEW_ABOUT[name], f"view: {select[:80]}"))


def _v8_policy_validity(db: sqlite_utils.Database) -> None:
    """A policy's in-force period (from, until, the page's 有效性, what it repeals), its
    joint issuers, and what the saved page carried around it (信息公开 block, chrome)."""
    for column in ("issuers", "date_published", "in_force_from", "in_force_until",
                   "validity_status", "validity", "page"):
        db.execute(f"ALTER TABLE policies ADD COLUMN {column} TEXT")
    db.execute("CREATE INDEX policies_doc_number ON policies(doc_number)")


#: Every outcome a file can have in a run's log (``ingest.bulk.OUTCOMES_ZH``).
LOG_OUTCOMES = ("imported", "unchanged", "superseded", "failed", "skipped", "pending_ocr",
                "duplicate", "reread")


def _v9_file_fates(db: sqlite_utils.Database) -> None:
    """Every file's fate told truthfully: the run log learns the outcomes ``skipped`` (not a
    document), ``pending_ocr`` (a scan imported with --no-ocr), ``duplicate`` (a copy of
    another file of the same batch) and ``reread``, and names the file a copy copies
    (``copy_of``). SQLite cannot change a CHECK: the log table is rebuilt."""
    outcomes = ", ".join(f"'{o}'" for o in LOG_OUTCOMES)
    db.execute(
        "CREATE TABLE import_log_new (id INTEGER PRIMARY KEY, "
        "run_id INTEGER NOT NULL REFERENCES import_runs(run_id), path TEXT NOT NULL, "
        f"origin TEXT, sha256 TEXT, outcome TEXT NOT NULL CHECK (outcome IN ({outcomes})), "
        "reason TEXT, message TEXT, logged_at TEXT NOT NULL, copy_of TEXT)")
    db.execute("INSERT INTO import_log_new(id, run_id, path, origin, sha256, outcome, reason, "
               "message, logged_at) SELECT id, run_id, path, origin, sha256, outcome, reason, "
               "message, logged_at FROM import_log")
    db.execute("DROP TABLE import_log")
    db.execute("ALTER TABLE import_log_new RENAME TO import_log")
    db.execute("CREATE INDEX import_log_run ON import_log(run_id)")
    db.conn.execute(
        "INSERT OR REPLACE INTO about_tables VALUES (?, ?, ?)",
        ("import_log", "每次运行中每个文件的结果（导入/未变/新版本/失败/跳过/待识别/副本/重新读取）、"
         "原因，副本注明与哪个文件相同", "each file's outcome in each run, its reason, and the "
         "file a copy copies"))


def _v10_track_sources(db: sqlite_utils.Database) -> None:
    """One declaration, one track: every file a track was read from (``index.track_merge``),
    with its role (primary, evidence, superseded version, split off) and why. Existing tracks
    get their one file as primary."""
    db.execute(
        "CREATE TABLE track_sources (id INTEGER PRIMARY KEY, "
        "track_id INTEGER NOT NULL REFERENCES tracks(track_id), "
        "declaration_id INTEGER NOT NULL REFERENCES declarations(declaration_id), "
        "file_sha256 TEXT NOT NULL, role TEXT NOT NULL CHECK (role IN "
        "('primary', 'evidence', 'superseded', 'split')), rank INTEGER, added_at TEXT NOT NULL, "
        "note TEXT)")
    db.execute("CREATE INDEX track_sources_track ON track_sources(track_id)")
    db.execute("CREATE INDEX track_sources_declaration ON track_sources(declaration_id)")
    db.execute(
        "INSERT INTO track_sources(track_id, declaration_id, file_sha256, role, rank, added_at) "
        "SELECT t.track_id, t.declaration_id, d.file_sha256, 'primary', "
        "CASE WHEN f.ocr_pages NOT IN ('[]', '') OR f.format = 'image' THEN 1 "
        "WHEN f.format IN ('docx', 'pdf') THEN 3 ELSE 2 END, f.imported_at "
        "FROM tracks t JOIN declarations d ON d.declaration_id = t.declaration_id "
        "JOIN files f ON f.sha256 = d.file_sha256")
    for event in ("INSERT", "UPDATE", "DELETE"):
        db.execute(f"CREATE TRIGGER data_versions_track_sources_{event.lower()} AFTER {event} ON "
                   "track_sources BEGIN INSERT INTO data_versions VALUES ('track_sources', 1) "
                   "ON CONFLICT (name) DO UPDATE SET version = version + 1; END")
    db.conn.execute(
        "INSERT OR REPLACE INTO about_tables VALUES (?, ?, ?)",
        ("track_sources", "赛道的每个来源文件（同一申报表的不同形式或版本）：主来源/佐证/旧版本/已拆出及原因",
         "every file a track was read from: primary, evidence, superseded version or split off"))


def _v11_region_figures(db: sqlite_utils.Database) -> None:
    """Region-wide figures (the region's average growth of a year) entered once, not per track
    (``index.eligibility.set_region_figure``); history kept, the latest counts."""
    db.execute(
        "CREATE TABLE region_figures (id INTEGER PRIMARY KEY, key TEXT NOT NULL, "
        "year INTEGER NOT NULL, value REAL NOT NULL, entered_by TEXT, entered_at TEXT NOT NULL)")
    db.execute("CREATE INDEX region_figures_key ON region_figures(key, year)")
    for event in ("INSERT", "UPDATE", "DELETE"):
        db.execute(f"CREATE TRIGGER data_versions_region_figures_{event.lower()} AFTER {event} ON "
                   "region_figures BEGIN INSERT INTO data_versions VALUES ('region_figures', 1) "
                   "ON CONFLICT (name) DO UPDATE SET version = version + 1; END")
    db.conn.execute(
        "INSERT OR REPLACE INTO about_tables VALUES (?, ?, ?)",
        ("region_figures", "全区性指标（如某年度全区平均增长率），只录一次，供各赛道判断申报条件",
         "region-wide figures (the region's average growth of a year), entered once"))


def _v12_link_state(db: sqlite_utils.Database) -> None:
    """Per track, the fingerprint of the policies its links were computed against
    (``index.link_state``): a track whose row is missing or old is still to link, so
    overlapping or interrupted imports converge. No row for existing tracks: each is
    linked once more by the next import, mending links an overlap lost before."""
    db.execute("CREATE TABLE track_link_state (track_id INTEGER PRIMARY KEY, "
               "clause_state TEXT NOT NULL, linked_at TEXT NOT NULL)")
    db.conn.execute(
        "INSERT OR REPLACE INTO about_tables VALUES (?, ?, ?)",
        ("track_link_state", "每条赛道的关联依据：计算关联时现行政策集合的指纹；缺失或过时即待关联",
         "per track, the fingerprint of the policies its links were computed against"),
    )


def _v13_decision_moves(db: sqlite_utils.Database) -> None:
    """Duplicate-group decisions follow the firm when a track's rows are replaced
    (``index.dupe_follow``): each move of a decided row to the same firm's new row, or to
    gone, with the firm's name and code, when and why. The decision row holds the rows it
    names now; this table holds how they got there."""
    db.execute(
        "CREATE TABLE dupe_decision_moves (id INTEGER PRIMARY KEY, "
        "decision_id INTEGER NOT NULL REFERENCES dupe_decisions(id), track_id INTEGER, "
        "old_id TEXT NOT NULL, new_id TEXT, name TEXT, name_key TEXT, uscc_printed TEXT, "
        "moved_at TEXT NOT NULL, note TEXT)")
    db.execute("CREATE INDEX dupe_decision_moves_track ON dupe_decision_moves(track_id)")
    db.execute("CREATE INDEX dupe_decision_moves_decision ON dupe_decision_moves(decision_id)")
    from saidao.index.dupe_follow import repair_decisions  # the index package's own rule

    repair_decisions(db)  # decisions lost by a merge before they followed the firm
    db.conn.execute(
        "INSERT OR REPLACE INTO about_tables VALUES (?, ?, ?)",
        ("dupe_decision_moves", "重复企业决定随企业转移的记录：赛道主来源更换（另一形式、新版本、重新读取、拆出）"
         "后，决定中的企业行转到同一企业的新行，或记为已不存在",
         "each move of a duplicate-group decision's row to the same firm's new row, or to gone"))
#: A policy is current when its file is and it is no other policy's evidence
#: (``index.policy_merge``: the same policy in another form is kept as a source, its
#: clauses out of search, zone pages, links and exports). Replaces v7's view.
CURRENT_POLICIES = (
    "SELECT p.*, f.path AS file FROM policies p JOIN files f ON f.sha256 = p.file_sha256 "
    "WHERE f.status = 'imported' AND NOT EXISTS (SELECT 1 FROM policy_sources s "
    "WHERE s.policy_id = p.policy_id AND s.role = 'evidence')")


def _v14_policy_sources(db: sqlite_utils.Database) -> None:
    """One policy, one policy: every file a policy was read from (``index.policy_merge``),
    grouped, with its role (primary, evidence, superseded, split off) and why; the view
    ``current_policies`` leaves out evidence. Existing policies each become their own
    group's primary."""
    db.execute(
        "CREATE TABLE policy_sources (id INTEGER PRIMARY KEY, group_id INTEGER NOT NULL, "
        "policy_id TEXT NOT NULL, file_sha256 TEXT NOT NULL, role TEXT NOT NULL CHECK (role IN "
        "('primary', 'evidence', 'superseded', 'split')), rank INTEGER, added_at TEXT NOT NULL, "
        "note TEXT)")
    db.execute("CREATE INDEX policy_sources_group ON policy_sources(group_id)")
    db.execute("CREATE INDEX policy_sources_policy ON policy_sources(policy_id, role)")
    db.execute("CREATE INDEX policy_sources_file ON policy_sources(file_sha256)")
    db.execute(
        "INSERT INTO policy_sources(group_id, policy_id, file_sha256, role, rank, added_at) "
        "SELECT row_number() OVER (ORDER BY p.rowid), p.policy_id, p.file_sha256, 'primary', "
        "CASE WHEN f.ocr_pages NOT IN ('[]', '') OR f.format = 'image' THEN 1 "
        "WHEN f.format IN ('docx', 'pdf', 'html', 'mhtml', 'ofd') THEN 3 ELSE 2 END, "
        "f.imported_at FROM policies p JOIN files f ON f.sha256 = p.file_sha256")
    for event in ("INSERT", "UPDATE", "DELETE"):
        db.execute(f"CREATE TRIGGER data_versions_policy_sources_{event.lower()} AFTER {event} ON "
                   "policy_sources BEGIN INSERT INTO data_versions VALUES ('policy_sources', 1) "
                   "ON CONFLICT (name) DO UPDATE SET version = version + 1; END")
    db.execute("DROP VIEW IF EXISTS current_policies")
    db.execute(f"CREATE VIEW current_policies AS {CURRENT_POLICIES}")
    db.conn.executemany("INSERT OR REPLACE INTO about_tables VALUES (?, ?, ?)", [
        ("policy_sources", "政策的每个来源文件（同一政策的门户网页、附件、转载、扫描件等）："
         "主来源/佐证/旧版本/已拆出及原因；同组即同一政策",
         "every file a policy was read from, grouped: primary, evidence, superseded or split off"),
        ("current_policies", "当前政策（文件为当前版本，且不是另一政策的佐证来源）",
         f"view: {CURRENT_POLICIES[:80]}")])


#: Migration i (1-based) brings the schema from version i-1 to i.
MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
    _v1, _v2_track_links, _v3_firm_tables, _v4_clause_terms, _v5_data_versions,
    _v6_cached_answers, _v7_views, _v8_policy_validity, _v9_file_fates, _v10_track_sources,
    _v11_region_figures, _v12_link_state, _v13_decision_moves, _v14_policy_sources]


def version(db: sqlite_utils.Database) -> int:
    """The schema version the database is at."""
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: sqlite_utils.Database) -> int:
    """Apply the migrations not yet applied, each in its own transaction; return the version."""
    for number, step in enumerate(MIGRATIONS, start=1):
        with write_transaction(db):
            if version(db) >= number:  # another process may have migrated meanwhile
                continue
            step(db)
            db.execute(f"PRAGMA user_version = {number}")
    return version(db)
