"""Chinese full-text indexing: jieba segmentation with the domain dictionary, safe MATCH strings.

Two FTS5 tables sit beside ``clauses`` (same rowid): ``clauses_fts`` holds the
heading and text segmented by jieba into space-separated words (unicode61
tokenizer, BM25 ranking), ``clauses_trigram`` holds the raw text (trigram
tokenizer) so a word jieba keeps inside a longer one (算力 in 算力券) is still
found. User input never reaches MATCH unquoted.

``clause_terms`` keeps each indexed word's document frequency (the count
FTS5 would otherwise recompute by walking the word's whole posting list on
every query), so search can weigh words and leave common ones out of the
candidate look-up cheaply. It is kept in step by :func:`index_clause`.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING

import sqlite_utils

if TYPE_CHECKING:
    import jieba

from saidao.corpus.lexicon import jieba_user_dict
from saidao.corpus.words import new_tokenizer

#: Extra domain words the lexicon does not carry but staff type.
_EXTRA_WORDS = (
    "人才公寓", "研发费用加计扣除", "加计扣除", "科技型中小企业", "高新技术企业",
    "新型研发机构", "孵化器", "众创空间", "算力券", "创新券", "揭榜挂帅", "中试基地",
    "稀土永磁", "首台套", "专精特新", "新赛道", "提质进位",
)
#: Question words and particles that carry no topic (dropped from queries only).
_STOPWORDS_TEXT = (
    "的 了 和 与 及 或 有 有没有 什么 哪些 哪个 怎么 怎样 如何 是 在 对 给 吗 呢 吧 啊 能 能否 "
    "可以 可 多少 几 要 想 请问 关于 有关 相关 方面 一下 我们 我 你 他 其 之 等 中 上 下 "
    "里 都 也 还 就 被 把 从 向 为 以 将 该 这 那 这些 那些 哪 规定 怎么办 需要"
)
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
_WORDLIKE = re.compile(r"\w", re.UNICODE)
#: What the unicode61 tokenizer keeps as a token: runs of letters and digits.
_TOKEN = re.compile(r"[^\W_]+")


@lru_cache(maxsize=1)
def tokenizer() -> jieba.Tokenizer:
    """A private jieba tokenizer with the zone, industry and beneficiary words added."""
    tok = new_tokenizer()
    for word in (*jieba_user_dict(), *_EXTRA_WORDS):
        tok.add_word(word, freq=None)
    return tok


def normalise(text: str) -> str:
    """NFKC-fold widths and lower-case, so ＡＩ and ai meet."""
    return unicodedata.normalize("NFKC", text or "").lower()


def words(text: str) -> list[str]:
    """Search-mode jieba words (long words and their dictionary sub-words), punctuation dropped."""
    return [w for w in tokenizer().cut_for_search(normalise(text)) if _WORDLIKE.search(w)]


def segment(text: str) -> str:
    """Text as space-separated words for the unicode61 table."""
    return " ".join(words(text))


def query_words(query: str) -> list[str]:
    """The topic words of a query, in order, without duplicates or question words."""
    kept = [w.strip() for w in words(query)]
    return list(dict.fromkeys(w for w in kept if w and w not in STOPWORDS))


def quote(token: str) -> str:
    """An FTS5 string literal: whatever it contains is data, never query syntax."""
    return '"' + token.replace('"', '""') + '"'


def match_any(tokens: list[str]) -> str:
    """A MATCH expression true when any token occurs (BM25 ranks those with more)."""
    return " OR ".join(quote(t) for t in tokens)


def index_clause(db: sqlite_utils.Database, rowid: int, heading: str, text: str) -> None:
    """Add one clause to both FTS tables and the term counts (inside the clause's transaction)."""
    segmented_heading, segmented_text = segment(heading), segment(text)
    db.execute(
        "INSERT INTO clauses_fts(rowid, heading, text) VALUES (?, ?, ?)",
        [rowid, segmented_heading, segmented_text],
    )
    db.execute(
        "INSERT INTO clauses_trigram(rowid, heading, text) VALUES (?, ?, ?)",
        [rowid, normalise(heading), normalise(text)],
    )
    count_terms(db, [f"{segmented_heading} {segmented_text}"])


def forget_clause(db: sqlite_utils.Database, rowid: int, heading: str, text: str) -> None:
    """Take one clause out of both FTS tables and the term counts (a file read again)."""
    db.execute("DELETE FROM clauses_fts WHERE rowid = ?", [rowid])
    db.execute("DELETE FROM clauses_trigram WHERE rowid = ?", [rowid])
    gone = tokens(f"{segment(heading)} {segment(text)}")
    db.conn.executemany("UPDATE clause_terms SET docs = docs - 1 WHERE term = ?",
                        [(t,) for t in gone])
    db.execute("DELETE FROM clause_terms WHERE docs <= 0")


def rebuild(db: sqlite_utils.Database) -> int:
    """Re-segment every clause (after the dictionary changed); returns the clause count."""
    db.execute("DELETE FROM clauses_fts")
    db.execute("DELETE FROM clauses_trigram")
    db.execute("DELETE FROM clause_terms")
    rows = db.execute("SELECT id, heading, text FROM clauses").fetchall()
    for rowid, heading, text in rows:
        index_clause(db, rowid, heading or "", text or "")
    return len(rows)


def tokens(segmented: str) -> set[str]:
    """The distinct tokens FTS5's unicode61 tokenizer makes of a segmented text."""
    return set(_TOKEN.findall(segmented))


def count_terms(db: sqlite_utils.Database, segmented_rows: list[str]) -> None:
    """Add one document to the frequency of every token of each row (one row per clause)."""
    counts: dict[str, int] = {}
    for row in segmented_rows:
        for token in tokens(row):
            counts[token] = counts.get(token, 0) + 1
    db.conn.executemany(
        "INSERT INTO clause_terms(term, docs) VALUES (?, ?) "
        "ON CONFLICT(term) DO UPDATE SET docs = docs + excluded.docs",
        list(counts.items()),
    )


def create_term_table(db: sqlite_utils.Database) -> None:
    """``clause_terms`` filled from the FTS5 vocabulary (the migration of an existing index)."""
    db.execute("CREATE TABLE IF NOT EXISTS clause_terms "
               "(term TEXT PRIMARY KEY, docs INTEGER NOT NULL) WITHOUT ROWID")
    db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.clause_vocab "
               "USING fts5vocab(main, clauses_fts, row)")
    db.execute("INSERT OR REPLACE INTO clause_terms(term, docs) SELECT term, doc FROM temp.clause_vocab")
    db.execute("DROP TABLE temp.clause_vocab")
    db.conn.execute(
        "INSERT OR REPLACE INTO about_tables VALUES (?, ?, ?)",
        ("clause_terms", "条款检索词的文档频次（检索排序用）",
         "how many clauses hold each indexed word (for search ranking)"),
    )
