"""ARCHITECTURE.md names only files, functions and classes that exist, so the map cannot rot silently; and the
repository cites no text outside itself (the contract and the style guide live in docs/).

No app and no database: the references are resolved by reading the files (paths) and parsing them (names).
"""
from __future__ import annotations

import ast
import os
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "statuspage"
MAP = ROOT / "ARCHITECTURE.md"

CODE = re.compile(r"`([^`\n]+)`")
FENCE = re.compile(r"^```.*?^```", re.M | re.S)
SUFFIXES = ("py", "md", "toml", "json", "html", "txt", "sh", "cfg", "ini", "svg")
# `statuspage/web/server.py`, `web/cache.py:PageCache.get_or_render`, `tests/unit/`, `docs/CONTRACT.md`
PATH = re.compile(r"(?<![\w./<-])(?P<path>(?:[\w.-]+/)*[\w-][\w.-]*\.(?:" + "|".join(SUFFIXES) + r")|(?:[\w.-]+/)+)"
                  r"(?::(?P<name>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*))?(?![\w/])")
ROOT_FOLDERS = ("statuspage", "tests", "docs", "checks", "bench", "templates", "static")
# `intake.take_ticket`, `statuspage.web.server`, `PageCache.get_or_render`: a module or class of statuspage first
DOTTED = re.compile(r"(?<![\w./-])(?P<ref>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)(?![\w/-])")


def references(text: str) -> tuple[list[tuple[str, str | None]], list[str]]:
    """The (path, name or None) and the dotted references in a text: in its backticked spans and in its
    diagrams (fenced blocks), where every `file.py:name`, `module.name` and `Class.member` counts too."""
    diagrams = FENCE.findall(text)
    chunks = [span for span in CODE.findall(FENCE.sub("", text))] + diagrams
    paths, dotted = [], []
    for chunk in chunks:
        for found in PATH.finditer(chunk):
            if _looks_like_path(found["path"]):
                paths.append((found["path"], found["name"]))
        rest = PATH.sub(" ", chunk)
        dotted.extend(found["ref"] for found in DOTTED.finditer(rest))
    return paths, dotted


def _looks_like_path(path: str) -> bool:
    """A repository path, not a route or a word pair ("en/de/fr"): a file name, or a known first folder."""
    if "/" not in path:
        return not path.endswith("/")
    return path.split("/")[0] in ROOT_FOLDERS + _package_entries()


@cache
def _package_entries() -> tuple[str, ...]:
    """What a short path may start with: the package's own folders and modules (`web/`, `config.py`)."""
    return tuple(entry.name for entry in PACKAGE.iterdir() if not entry.name.startswith(("_", ".")))


def locate(path: str) -> Path | None:
    """The file or folder a map path names: from the repository's root, else from inside statuspage/."""
    for base in (ROOT, PACKAGE):
        candidate = base / path
        if candidate.exists() and (not path.endswith("/") or candidate.is_dir()):
            return candidate
    return None


@cache
def _tree(file: Path) -> ast.Module:
    return ast.parse(file.read_text(encoding="utf-8"), filename=str(file))


def _names(body: list[ast.stmt]) -> dict[str, ast.AST]:
    """The names a module or class body defines: functions, classes, assignments, imports (also inside
    top-level if/try blocks)."""
    found: dict[str, ast.AST] = {}
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found[node.name] = node
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        found[name.id] = node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            found[node.target.id] = node
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                found[(alias.asname or alias.name).split(".")[0]] = node
        elif isinstance(node, (ast.If, ast.Try)):
            for part in (node.body, node.orelse, getattr(node, "finalbody", []), *[h.body for h in getattr(
                    node, "handlers", [])]):
                found.update(_names(part))
    return found


def defines(file: Path, dotted_name: str) -> bool:
    """Whether a module defines `name` or `Class.member` (nested as deep as written)."""
    scope: list[ast.stmt] = _tree(file).body
    parts = dotted_name.split(".")
    for depth, part in enumerate(parts):
        node = _names(scope).get(part)
        if node is None:
            return False
        if depth < len(parts) - 1:
            if not isinstance(node, ast.ClassDef):
                return False
            scope = node.body
    return True


@cache
def _modules() -> dict[str, tuple[Path, ...]]:
    """Every module and package of statuspage/ by its last name ("intake", "web", "v1"), and "statuspage"."""
    by_name: dict[str, list[Path]] = {"statuspage": [PACKAGE / "__init__.py"]}
    for file in sorted(PACKAGE.rglob("*.py")):
        name = file.parent.name if file.name == "__init__.py" else file.stem
        by_name.setdefault(name, []).append(file)
    return {name: tuple(files) for name, files in by_name.items()}


def _submodule(file: Path, name: str) -> Path | None:
    if file.name != "__init__.py":
        return None
    for candidate in (file.parent / f"{name}.py", file.parent / name / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def resolves(dotted: str) -> bool:
    """`module.name...` (first word a module or package of statuspage, under any folder): some module of
    that name defines the rest, descending into subpackages first (`web.cache.PageCache`)."""
    first, *rest = dotted.split(".")
    for file in _modules().get(first, ()):
        parts = list(rest)
        while parts and (deeper := _submodule(file, parts[0])) is not None:
            file, parts = deeper, parts[1:]
        if not parts or defines(file, ".".join(parts)):
            return True
    return False


TOP_LEVEL_CLASS = re.compile(r"^class\s+([A-Za-z_]\w*)", re.M)


@cache
def _classes() -> dict[str, tuple[Path, ...]]:
    """Every module of statuspage/ by the names of the classes it defines at its top level."""
    by_class: dict[str, list[Path]] = {}
    for files in _modules().values():
        for file in files:  # a scan, not a parse: defines() parses only the modules a reference needs
            for name in TOP_LEVEL_CLASS.findall(file.read_text(encoding="utf-8")):
                by_class.setdefault(name, []).append(file)
    return {name: tuple(files) for name, files in by_class.items()}


def checked(dotted: str) -> bool:
    """Whether a dotted word is a reference to check: it starts with a module of statuspage (`intake.`)
    or with a capital, as a class does (`PageCache.get`); `g.cache_version` or `sys.setswitchinterval` do not."""
    first = dotted.split(".")[0]
    return first in _modules() or first[0].isupper()


def class_resolves(dotted: str) -> bool:
    """`Class.member...`: some module of statuspage defines a class of that name with that member."""
    return any(defines(file, dotted) for file in _classes().get(dotted.split(".")[0], ()))


def problems(text: str) -> list[str]:
    """Every reference in a map text that does not hold, as one line each."""
    paths, dotted = references(text)
    wrong = []
    for path, name in paths:
        located = locate(path)
        if located is None:
            wrong.append(f"`{path}` does not exist (from the root or from statuspage/)")
        elif name is not None and (located.suffix != ".py" or not defines(located, name)):
            wrong.append(f"`{path}:{name}`: {located.relative_to(ROOT)} defines no {name}")
    for ref in dotted:
        if not checked(ref):
            continue
        if ref.split(".")[0] in _modules() and resolves(ref):
            continue
        if class_resolves(ref):
            continue
        wrong.append(f"`{ref}`: no module or class of statuspage by that name defines the rest")
    return wrong


def test_the_map_names_only_files_and_functions_that_exist():
    text = MAP.read_text(encoding="utf-8")
    split = [n for n, line in enumerate(FENCE.sub("", text).splitlines(), 1) if line.count("`") % 2]
    assert not split, f"a backticked span runs over a line break (it would hide references): lines {split}"
    paths, _dotted = references(text)
    assert len(paths) > 100, "ARCHITECTURE.md should cite the code by path; the parser found almost nothing"
    assert len([name for _path, name in paths if name]) > 50, "and name functions as path:function"
    wrong = problems(text)
    assert not wrong, "ARCHITECTURE.md is out of date:\n" + "\n".join(wrong)


@pytest.mark.parametrize("line, holds", [
    ("`statuspage/web/server.py`", True),
    ("`web/server.py:SharedRead._read_for_waiting`", True),
    ("`services/site_version.py:PUBLIC_MODELS`", True),
    ("`tests/unit/`", True),
    ("`docs/CONTRACT.md`", True),
    ("`intake.take_ticket` and `web.cache.PageCache.get_or_render`", True),
    ("`db.session` and `/api/v1/tickets` and `STATUSPAGE_WEB_THREADS` are not references", True),
    ("`statuspage/web/nowhere.py`", False),
    ("`web/server.py:no_such_function`", False),
    ("`web/server.py:SharedRead.no_such_method`", False),
    ("`web/server.py:application.inner`", False),
    ("`intake.no_such_function`", False),
    ("```\nclaims: dispatch.claim_due, then PageCache.get_or_render and web/health.py:ping\n```", True),
    ("```\na diagram naming dispatch.no_such_step\n```", False),
    ("```\na diagram naming PageCache.no_such_method\n```", False),
    ("```\na diagram naming web/health.py:no_such_view\n```", False),
    ("`docs/NOWHERE.md`", False),
])
def test_the_checker_catches_what_rots(line, holds):
    assert (problems(line) == []) is holds


SKIPPED = {".git", ".venv", "node_modules", ".cache", "__pycache__", "test-artifacts", "instance", "build", "dist"}
OUTSIDE = [b"/work/" + b"shared", b"../" + b"shared/"]  # written in two halves so this file does not match


def test_the_repository_cites_no_text_outside_itself():
    """The contract, the v2 notes and the style guide are in docs/; nothing points at a folder beside the clone."""
    for name in ("CONTRACT.md", "STATUSPAGE_V2.md", "STYLE.md"):
        assert (ROOT / "docs" / name).is_file(), f"docs/{name} is missing"
    offending = []
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [name for name in subfolders if name not in SKIPPED and not name.endswith(".egg-info")]
        for name in files:
            file = Path(folder, name)
            if file.is_file() and any(marker in file.read_bytes() for marker in OUTSIDE):
                offending.append(str(file.relative_to(ROOT)))
    assert not offending, "these files point outside the repository (use docs/): " + ", ".join(offending)
