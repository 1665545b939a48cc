"""The import contract of docs/architecture.md, checked over the AST.

Why not import-linter: it builds its graph with grimp from the installed
top-level package's folder, and saidao's sub-packages live in sibling folders
(``index/`` is installed as ``saidao.index`` through setuptools' ``package-dir``),
so grimp sees ``saidao`` without ``saidao.index``. Reading the mapping from
``pyproject.toml`` and the files' ASTs is forty lines and sees every import,
relative or absolute, at module top or inside a function.

Run ``python tests/import_contract.py [ROOT]`` to print the house: modules,
imports, imports inside functions, relative imports, circles and forbidden
arrows. ``tests/test_architecture.py`` asserts there are no circles and no
forbidden arrows, and that a planted forbidden import is caught.
"""

from __future__ import annotations

import ast
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: What each layer may import of saidao (docs/architecture.md, "What may import what").
#: A module matches the longest prefix listed; its imports of saidao must each start
#: with one of the allowed prefixes (or lie inside its own layer).
ALLOWED: dict[str, tuple[str, ...]] = {
    "saidao.document": (),
    "saidao.errors": ("saidao.names",),
    "saidao.names": (),  # file names in any encoding, shown readably (errors use it)
    "saidao.settings": (),
    "saidao.vocab": (),
    "saidao.corpus": ("saidao.errors", "saidao.names",),
    "saidao.extractors": ("saidao.document", "saidao.errors", "saidao.names", "saidao.corpus", "saidao.vocab"),
    "saidao.ingest": ("saidao.document", "saidao.errors", "saidao.names", "saidao.settings", "saidao.vocab"),
    # The one place that runs the whole pipeline on a file or a folder.
    "saidao.ingest.bulk": ("saidao.ingest", "saidao.document", "saidao.errors", "saidao.names",
                           "saidao.settings", "saidao.extractors", "saidao.index",
                           "saidao.corpus", "saidao.vocab"),
    # read a file and extract it (``saidao extract``): reading and extraction, no index
    "saidao.ingest.extract": ("saidao.ingest", "saidao.document", "saidao.errors", "saidao.names",
                              "saidao.settings", "saidao.extractors"),
    "saidao.ingest.prewarm": ("saidao.ingest", "saidao.extractors"),
    "saidao.ingest.prewarm_nlp": ("saidao.ingest", "saidao.extractors"),
    "saidao.ingest.prewarm_ocr": ("saidao.ingest", "saidao.extractors"),
    "saidao.index": ("saidao.errors", "saidao.names", "saidao.extractors", "saidao.corpus", "saidao.vocab",
                     "saidao.document"),
    "saidao.web": ("saidao.index", "saidao.ingest.bulk", "saidao.ingest.detect",
                   "saidao.extractors.uscc", "saidao.extractors.citation", "saidao.corpus",
                   "saidao.errors", "saidao.names", "saidao.settings", "saidao.vocab"),
    # The CLI may import anything but the web app (only cli_web starts it).
    "saidao.cli": ("saidao",),  # every saidao.cli_* too: anything but saidao.web
    "saidao.__main__": ("saidao.cli",),
    "saidao": (),
}
#: Arrows allowed on top of the layer rule, each with its reason.
EXCEPTIONS: dict[tuple[str, str], str] = {
    ("saidao.cli_web", "saidao.web"): "cli_web is the one module that starts the web app",
    ("saidao.cli_web", "saidao.web.app"): "cli_web is the one module that starts the web app",
}


@dataclass
class Import:
    source: str  # importing module
    target: str  # imported module (resolved to a saidao module where possible)
    line: int
    in_function: bool
    relative: bool


@dataclass
class House:
    modules: dict[str, Path] = field(default_factory=dict)
    imports: list[Import] = field(default_factory=list)

    def internal(self) -> list[Import]:
        return [i for i in self.imports if i.target in self.modules]

    def cycles(self, *, top_level_only: bool = False) -> list[list[str]]:
        """Strongly connected components of more than one module (Tarjan)."""
        graph: dict[str, set[str]] = {m: set() for m in self.modules}
        for imp in self.internal():
            if top_level_only and imp.in_function:
                continue
            if imp.target != imp.source:
                graph[imp.source].add(imp.target)
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        stack: list[str] = []
        on: set[str] = set()
        out: list[list[str]] = []
        counter = [0]

        def visit(v: str) -> None:
            index[v] = low[v] = counter[0]
            counter[0] += 1
            stack.append(v)
            on.add(v)
            for w in graph[v]:
                if w not in index:
                    visit(w)
                    low[v] = min(low[v], low[w])
                elif w in on:
                    low[v] = min(low[v], index[w])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))

        sys.setrecursionlimit(10_000)
        for v in sorted(graph):
            if v not in index:
                visit(v)
        return sorted(out)

    def forbidden(self) -> list[Import]:
        """Imports of saidao modules that the layer rule does not allow."""
        bad = []
        for imp in self.imports:
            if not imp.target.startswith("saidao"):
                continue
            if not allowed(imp.source, imp.target):
                bad.append(imp)
        return bad


def _layer(module: str) -> str:
    """The longest prefix of ALLOWED naming ``module``; ``saidao.cli_*`` belong to ``saidao.cli``."""
    if module.startswith("saidao.cli"):
        return "saidao.cli"
    best = ""
    for prefix in ALLOWED:
        if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > len(best):
            best = prefix
    return best


def allowed(source: str, target: str) -> bool:
    if (source, target) in EXCEPTIONS:
        return True
    layer = _layer(source)
    if layer == "saidao.cli":
        # the CLI may import anything but the web app (cli_web, listed above, starts it)
        return not (target == "saidao.web" or target.startswith("saidao.web."))
    if layer != "saidao" and (target == layer or target.startswith(layer + ".")):
        return True  # inside its own layer
    return any(target == p or target.startswith(p + ".") for p in ALLOWED[layer])


def package_dirs(root: Path) -> dict[str, Path]:
    """``saidao.index`` → ``root/index``: setuptools' ``package-dir`` from pyproject.toml."""
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    mapping = config["tool"]["setuptools"]["package-dir"]
    return {name: root / folder for name, folder in mapping.items()}


def _module_files(root: Path) -> Iterator[tuple[str, Path]]:
    for package, folder in package_dirs(root).items():
        for path in sorted(folder.rglob("*.py")):
            rel = path.relative_to(folder).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            name = ".".join([package, *parts])
            yield name, path


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def build(root: Path = ROOT) -> House:
    house = House()
    for name, path in _module_files(root):
        house.modules[name] = path
    for name, path in list(house.modules.items()):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        base = name if _is_package(path) else name.rpartition(".")[0]
        for node, in_function in _walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    house.imports.append(Import(name, _resolve(house, alias.name), node.lineno,
                                                in_function, False))
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    anchor = base.split(".")
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    module = ".".join(anchor + ([node.module] if node.module else []))
                else:
                    module = node.module or ""
                for alias in node.names:
                    candidate = f"{module}.{alias.name}"
                    target = candidate if candidate in house.modules else _resolve(house, module)
                    house.imports.append(Import(name, target, node.lineno, in_function,
                                                bool(node.level)))
    return house


def _resolve(house: House, module: str) -> str:
    """The longest known saidao module that ``module`` names (itself if not saidao)."""
    parts = module.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in house.modules:
            return candidate
        parts.pop()
    return module


def _walk(tree: ast.AST) -> Iterator[tuple[ast.AST, bool]]:
    def visit(node: ast.AST, in_function: bool) -> Iterator[tuple[ast.AST, bool]]:
        for child in ast.iter_child_nodes(node):
            inside = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.If) and _is_type_checking(child):
                continue  # imports for type hints only do not run
            yield child, in_function
            yield from visit(child, inside)

    yield from visit(tree, False)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def summary(house: House) -> dict[str, object]:
    internal = house.internal()
    arrows = {(i.source, i.target) for i in internal if i.source != i.target}
    return {
        "modules": len(house.modules),
        "internal imports": len(internal),
        "module arrows": len(arrows),
        "imports inside functions": sum(i.in_function for i in internal),
        "relative imports": sum(i.relative for i in house.imports),
        "circles (all imports)": len(house.cycles()),
        "circles (top-level imports)": len(house.cycles(top_level_only=True)),
        "forbidden arrows": len({(i.source, i.target) for i in house.forbidden()}),
    }


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else ROOT
    house = build(root)
    for key, value in summary(house).items():
        print(f"{key:28} {value}")
    for cycle in house.cycles():
        print("circle:", " ↔ ".join(cycle))
    for imp in sorted({(i.source, i.target) for i in house.forbidden()}):
        print("forbidden:", " → ".join(imp))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
