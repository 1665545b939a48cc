"""Rules that keep the house in order: the import contract of docs/architecture.md,
no SQL or workbook in the faces, every CLI command documented and run by a test,
doctests in the id modules."""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path
from typing import Any

import import_contract
import pytest
import typer.main

from saidao.cli import app

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"


# ---------------------------------------------------------------- imports


def test_the_import_contract_holds() -> None:
    house = import_contract.build(ROOT)
    assert [(i.source, i.target, i.line) for i in house.forbidden()] == []
    assert house.cycles(top_level_only=True) == []
    assert house.cycles() == []  # none, counting imports inside functions too
    assert not [i for i in house.imports if i.relative]


def copy_tree(target: Path) -> Path:
    """The source folders and pyproject.toml, as the contract reads them."""
    shutil.copy(ROOT / "pyproject.toml", target / "pyproject.toml")
    for folder in set(import_contract.package_dirs(ROOT).values()):
        shutil.copytree(folder, target / folder.relative_to(ROOT),
                        ignore=shutil.ignore_patterns("__pycache__", "*.csv", "*.txt", "*.json",
                                                      "*.html", "static", "*.dat", "*.tsv"))
    return target


@pytest.mark.parametrize(("module", "planted", "arrow"), [
    ("extractors/uscc.py", "from saidao.ingest import read",
     ("saidao.extractors.uscc", "saidao.ingest.read")),
    ("index/fts.py", "import saidao.web.app", ("saidao.index.fts", "saidao.web.app")),
    ("corpus/zones.py", "from saidao.index.store import Index",
     ("saidao.corpus.zones", "saidao.index.store")),
    ("saidao/cli_index.py", "from saidao.web import pages", ("saidao.cli_index", "saidao.web.pages")),
])
def test_a_planted_forbidden_import_is_caught(tmp_path: Path, module: str, planted: str,
                                              arrow: tuple[str, str]) -> None:
    root = copy_tree(tmp_path)
    assert import_contract.build(root).forbidden() == []
    path = root / module
    path.write_text(path.read_text(encoding="utf-8")
                    + f"\n\ndef _planted() -> None:\n    {planted}\n", encoding="utf-8")
    found = [(i.source, i.target) for i in import_contract.build(root).forbidden()]
    assert found == [arrow]


def test_a_planted_circle_is_caught(tmp_path: Path) -> None:
    root = copy_tree(tmp_path)
    path = root / "index" / "db.py"
    path.write_text(path.read_text(encoding="utf-8") + "\nfrom saidao.index.store import Index\n",
                    encoding="utf-8")
    cycles = import_contract.build(root).cycles(top_level_only=True)
    assert any("saidao.index.db" in c for c in cycles)


# ---------------------------------------------------------------- faces

#: Faces may not hold SQL or open a workbook: they parse, call ``saidao.index`` and render.
SQL = re.compile(r"\b(SELECT\s+[\w*]|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+"
                 r"(TABLE|VIEW|INDEX))", re.IGNORECASE)
WORKBOOK = re.compile(r"\b(openpyxl|Workbook\(|load_workbook|csv\.writer|\.execute\()")
#: web/ modules not yet thin (issue 16 moves the review queue and search into index/);
#: the lead empties this list when that lands, and the test then covers them too.
PENDING_FACES: set[str] = set()  # every face is checked (web/ thinned by issue 16)


def faces() -> list[Path]:
    return sorted([*ROOT.glob("saidao/cli*.py"), *(ROOT / "web").glob("*.py")])


def _code_strings(path: Path) -> list[tuple[int, str]]:
    """String constants of the module that are not docstrings, with their lines."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                  if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef
                                | ast.AsyncFunctionDef)
                  and n.body and isinstance(n.body[0], ast.Expr)
                  and isinstance(n.body[0].value, ast.Constant)}
    return [(n.lineno, n.value) for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings]


def face_violations(path: Path) -> list[str]:
    found = [f"{path.name}:{line}: SQL {text[:40]!r}" for line, text in _code_strings(path)
             if SQL.search(text)]
    source = path.read_text(encoding="utf-8")
    found += [f"{path.name}: {m.group(0)}" for m in WORKBOOK.finditer(source)]
    return found


def test_no_face_holds_sql_or_opens_a_workbook() -> None:
    checked = [p for p in faces() if p.relative_to(ROOT).as_posix() not in PENDING_FACES]
    assert any(p.name == "cli_index.py" for p in checked)
    assert [v for p in checked for v in face_violations(p)] == []


def test_the_face_check_catches_sql_and_workbooks(tmp_path: Path) -> None:
    bad = tmp_path / "cli_bad.py"
    bad.write_text('"""Doc: SELECT * FROM docs is fine here."""\nfrom openpyxl import Workbook\n'
                   'def f(db):\n    return db.execute("SELECT 1 FROM tracks")\n', encoding="utf-8")
    found = face_violations(bad)
    assert any("SQL" in v for v in found) and any("openpyxl" in v for v in found)
    assert not any("docs" in v for v in found)


def test_pending_faces_are_listed() -> None:
    """What is still pending, for the lead: each listed module exists (a stale entry fails)."""
    for name in PENDING_FACES:
        assert (ROOT / name).exists(), name


# ---------------------------------------------------------------- the CLI


def commands() -> list[str]:
    """Every command path of ``saidao``: ``search``, ``dupes confirm`` …"""
    out: list[str] = []

    def walk(command: Any, prefix: str) -> None:
        if hasattr(command, "commands"):  # a group (typer vendors its own click)
            if prefix and command.invoke_without_command:
                out.append(prefix)
            for name, sub in command.commands.items():
                walk(sub, f"{prefix} {name}".strip())
        else:
            out.append(prefix)

    walk(typer.main.get_command(app), "")
    return sorted(out)


def _invocations() -> set[str]:
    """Command paths the tests run: the string words of a list, a tuple or the arguments of
    an ``*invoke*``/``run`` call (``["dupes", "confirm", g, …]``, ``[python, "-m", "saidao",
    "serve", …]``), as the tests write them."""
    names = set(commands())
    found: set[str] = set()
    for path in TESTS.glob("**/*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            items: list[ast.expr] = []
            if isinstance(node, ast.List | ast.Tuple):
                items = list(node.elts)
            elif isinstance(node, ast.Call) and re.search(r"invoke|run", ast.unparse(node.func)):
                items = list(node.args)
            words = [item.value for item in items
                     if isinstance(item, ast.Constant) and isinstance(item.value, str)]
            while words and words[0] in ("-m", "saidao", "saidao.cli"):
                words = words[1:]
            for n in (2, 1):
                if len(words) >= n and " ".join(words[:n]) in names:
                    found.add(" ".join(words[:n]))
                    break
    return found


def test_every_command_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [c for c in commands() if f"saidao {c}" not in readme]
    assert missing == []


def test_every_command_is_run_by_a_test() -> None:
    assert len(commands()) >= 20
    missing = sorted(set(commands()) - _invocations())
    assert missing == []


# ---------------------------------------------------------------- doctests


def test_the_id_modules_carry_doctests() -> None:
    """``--doctest-modules`` (pyproject) runs these; each must hold examples to run."""
    config = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    for module in ("extractors/uscc.py", "index/tabular.py", "saidao/vocab.py"):
        assert module in config, module
        assert ">>> " in (ROOT / module).read_text(encoding="utf-8"), module
