"""Chinese everywhere a person reads: every web page reachable from the home page (and the
filtered and paged variants staff use) and every CLI command's help and text output, over
the fixture index, must hold no ASCII word of two letters or more outside an allow-list
(file names, codes, units such as PDF, OCR, JSON, Excel, option names such as ``--zone``).
"""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import pytest
import typer
from browser.webdata import DECL, build_index
from starlette.testclient import TestClient
from typer.testing import CliRunner

from saidao.cli import app
from saidao.web import create_app

#: Words a person may read in Latin letters: units, formats and names of things.
ALLOWED = {"pdf", "ocr", "json", "excel", "csv", "xlsx", "zip", "docx", "doc", "wps", "rtf",
           "ofd", "txt", "png", "jpg", "jpeg", "tif", "tiff", "html", "saidao", "sqlite",
           "id", "ai", "it", "ip", "ict", "cpu", "gpu", "url", "http", "https", "utf",
           "dpi", "mb", "kb", "gb", "sql", "xml", "tsv", "ascii", "saidao_zones", "usb",
           "ray", "auto", "cuda",  # Ray (the cluster engine) and the OCR device values
           "ccu"}  # words of the documents themselves (seed 003: CCUS, 碳捕集)
#: Tokens never read as words: option names, file names, paths, codes, hashes, keys.
NOT_WORDS = re.compile(
    r"--?[a-z][\w-]*"                                 # --zone, -h
    r"|[\w./~!-]+\.(?:docx?|pdf|txt|xlsx?|csv|zip|wps|rtf|png|jpe?g|tiff?|db|json|ofd|html?)\b"
    r"|(?:/[\w.~!@%+-]+)+/?"                          # /tmp/x, /review
    r"|\b[0-9A-Z]{18}\b"                              # credit codes
    r"|\b(?=[A-Za-z]*\d)(?=\d*[A-Za-z])[A-Za-z0-9]{4,}\b"  # ids mixing letters and digits
    r"|\b[0-9a-f]{12,64}\b(?::[\w\[\].]+)?"            # hashes, review item keys
    r"|\b[\w-]+(?:#\d+)\b"                            # member ids sha#seq
    r"|\b[a-z]+(?:-[a-z]+)+\b"                        # zone ids: baotou-rare-earth
    r"|\b\w+_\w+\b"                                  # keys typed as given: rd_intensity
    r"|[\w.+-]+@[\w.-]+"                               # e-mail addresses
    r"|https?://\S+",
    re.IGNORECASE)
ASCII_WORD = re.compile(r"[A-Za-z]{2,}")
runner = CliRunner()


def english_words(text: str, extra: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """ASCII words of two letters or more left once allowed tokens are taken out."""
    text = NOT_WORDS.sub(" ", text)
    allowed = ALLOWED | {w.lower() for w in extra}
    return [w for w in ASCII_WORD.findall(text) if w.lower() not in allowed]


def _leaves(value: object) -> list[str]:
    if isinstance(value, dict):
        return [t for v in value.values() for t in _leaves(v)]
    if isinstance(value, list):
        return [t for v in value for t in _leaves(v)]
    return [value] if isinstance(value, str) else []


def content_words(db: Path) -> set[str]:
    """Latin words the documents themselves hold (CCUS, MW, an e-mail's domain): quoted
    from a source, not written by the interface."""
    import json

    from saidao.index.store import Index

    texts: list[str] = []
    with Index.open(db) as index:
        q = index.db.execute
        texts += [f"{h} {t}" for h, t in q("SELECT heading, text FROM clauses")]
        texts += [t or "" for (t,) in q("SELECT title FROM policies")]
        texts += [v for (raw,) in q("SELECT raw FROM declarations") for v in _leaves(json.loads(raw))]
        texts += [f"{n} {h} {r}" for n, h, r in q("SELECT name, host, research FROM platforms")]
        texts += [n or "" for (n,) in q("SELECT name FROM firm_mentions")]
    return {w.lower() for t in texts for w in ASCII_WORD.findall(t or "")}


def command_words() -> set[str]:
    """The command names one types (saidao dupes split …), and zone ids (--zone ordos)."""
    from saidao.corpus.zones import registry

    root = typer.main.get_command(app)
    words = {w for path in _commands(root, []) for w in path}
    return words | {z.id for z in registry().all()}


class _Text(HTMLParser):
    """The text a person reads on a page (and the attributes they read), and its links."""

    READ_ATTRS = ("title", "placeholder", "alt", "aria-label")

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.links: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        values = dict(attrs)
        self.parts += [values[a] or "" for a in self.READ_ATTRS if values.get(a)]
        if tag == "a" and values.get("href"):
            self.links.append(values["href"] or "")
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.parts.append(values["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("zh")
    built = build_index(root / "saidao.db", root / "files")
    target = root / "copy.db"
    shutil.copy(built, target)
    return target


#: Pages staff reach with filters, pages and errors (beyond the links of the pages).
EXTRA_PAGES = ["/review?zone=包头", "/review?zone=火星", "/review?page=2", "/dupes?zone=鄂尔多斯",
               "/dupes?zone=火星", "/tracks?zone=金山", "/tracks?zone=火星",
               "/search?q=人才公寓", "/search?q=人才公遇", "/search?q=xyz不存在的词",
               "/search?q=人才&zone=火星", "/search?level=national", "/import", "/login",
               "/no-such-page", "/track/999999"]


def test_every_page_is_chinese(db: Path) -> None:
    client = TestClient(create_app(db), raise_server_exceptions=True)
    content = content_words(db)
    seen: set[str] = set()
    queue = ["/", *EXTRA_PAGES]
    problems: dict[str, list[str]] = {}
    while queue and len(seen) < 400:
        url = queue.pop(0)
        path = urlparse(url)
        if url in seen or path.netloc or "format=xlsx" in url or path.path.startswith(
                ("/static", "/crop", "/import/run/") ) and url not in EXTRA_PAGES and "/import/run/" not in url:
            continue
        seen.add(url)
        response = client.get(url, headers={"accept": "text/html"})
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        parser = _Text()
        parser.feed(response.text)
        typed = set(ASCII_WORD.findall(unquote(path.query)))  # the user's own query, echoed
        words = english_words("".join(parser.parts), content | typed)
        if words:
            problems[url] = sorted(set(words))
        for link in parser.links:
            target = urljoin(url, link)
            if target.startswith("/") and target not in seen and "javascript:" not in target:
                queue.append(target)
    assert len(seen) > 20
    assert not problems, "\n".join(f"{k}: {v}" for k, v in problems.items())


def _commands(group: object, prefix: list[str]) -> list[list[str]]:
    out = [prefix]
    for name, sub in getattr(group, "commands", {}).items():
        out += _commands(sub, [*prefix, name])
    return out


def test_every_command_help_is_chinese() -> None:
    root = typer.main.get_command(app)
    problems = {}
    allowed = command_words() | {"declaration", "policy", "uscc", "track", "blank", "firms"}
    for path in _commands(root, []):
        result = runner.invoke(app, [*path, "--help"], terminal_width=200)
        assert result.exit_code == 0, (path, result.output)
        words = english_words(result.output, allowed)
        if words:
            problems[" ".join(path) or "saidao"] = sorted(set(words))
    assert not problems, "\n".join(f"{k}: {v}" for k, v in problems.items())


def _track_id(db: Path) -> str:
    from saidao.index.store import Index

    with Index.open(db) as index:
        return str(index.db.execute("SELECT min(track_id) FROM tracks").fetchone()[0])


def test_every_command_output_is_chinese(db: Path, tmp_path: Path) -> None:
    d = ["--db", str(db)]
    track = _track_id(db)
    runs = [
        ["tracks", *d], ["tracks", "--zone", "包头", *d], ["track", track, *d], ["zones"],
        ["zones", "鄂尔多斯"], ["search", "人才公寓", *d], ["search", "xyz不存在的词", *d],
        ["clauses", "--zone", "鄂尔多斯高新区", *d], ["dupes", *d], ["review", "list", *d],
        ["report", *d], ["uscc", "91150291558112126R", "911501027901993086", "9115010O701465425Y"],
        ["read", str(DECL / "decl_001.docx"), "--no-ocr"], ["eligibility", *d],
        # errors people make
        ["tracks", "--zone", "火星", *d], ["search", *d], ["dupes", "--min-confidence", "2", *d],
        ["report", "--run", "99", *d], ["nosuch"], ["review", "show", "ffff:x", *d],
        ["track", "999999", *d], ["tracks", "--db", str(tmp_path / "none.db")],
    ]
    problems = {}
    allowed = command_words() | content_words(db)
    for args in runs:
        result = runner.invoke(app, args, terminal_width=200)
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            args, result.exception)
        typed = {w for a in args for w in ASCII_WORD.findall(a)}
        words = english_words(result.output, allowed | typed)
        if words:
            problems[" ".join(args[:3])] = sorted(set(words))
    assert not problems, "\n".join(f"{k}: {v}" for k, v in problems.items())


def test_times_are_local(monkeypatch: pytest.MonkeyPatch) -> None:
    from saidao.vocab import local_time

    monkeypatch.delenv("SAIDAO_TZ", raising=False)
    assert local_time("2026-12-07T06:11:56+00:00") == "2026-12-07 14:11"
    monkeypatch.setenv("SAIDAO_TZ", "Europe/Berlin")
    assert local_time("2026-12-07T06:11:56+00:00") == "2026-12-07 07:11"
    assert local_time("2025年3月") == "2025年3月"  # a date as the form wrote it stays
    assert local_time(None) == ""


def test_field_names_as_staff_read_them() -> None:
    from saidao.vocab import field_label

    assert field_label("firms[2].uscc") == "第3行企业的信用代码"
    assert field_label("unit.postcode") == "申报单位的邮编"
    assert field_label("platforms[0].year") == "第1个平台的认定年度"
    assert field_label("track_name") == "新赛道名称"


def test_faces_hold_no_sql() -> None:
    """The web and the CLI only parse, call ``saidao.index`` and render (issue 15's thin
    faces, for the pages and commands issue 16 touched and the rest)."""
    root = Path(__file__).resolve().parents[1]
    sql = re.compile(r"""["'](?:SELECT|INSERT|UPDATE|DELETE|CREATE) |\.db\.(?:query|execute)\(""")
    found = {p.relative_to(root).as_posix(): sql.findall(p.read_text("utf-8"))
             for p in [*(root / "web").glob("*.py"), *(root / "saidao").glob("cli*.py")]}
    assert not {k: v for k, v in found.items() if v}
