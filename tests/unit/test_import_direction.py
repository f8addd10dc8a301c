"""Imports point down (ARCHITECTURE.md, 1. Layers): checked on the source, every import statement of the
package (at the top of a module or inside a function, where a cycle would otherwise hide), parsed with ast."""
from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "statuspage"

# (importer, imported): modules named by these prefixes must not import those.
FORBIDDEN = [
    ("statuspage.notify", "statuspage.api"),         # webhooks send the v2 shapes from statuspage/serialize.py
    ("statuspage.notify", "statuspage.web"),
    ("statuspage.config", "statuspage.support"),     # create_app checks the support hours, not load_settings
    ("statuspage.config", "statuspage.notify"),      # create_app checks the alert URLs, not load_settings
    ("statuspage.services", "statuspage.api"),
    ("statuspage.services", "statuspage.web"),
    ("statuspage.services", "statuspage.cli"),
    ("statuspage.models", "statuspage.services"),
]
# The rules never build an app or a database: the tools that do (tickets evaluate, tickets fit) live in tools/.
RULES = ["statuspage.services", "statuspage.monitoring", "statuspage.support", "statuspage.notify"]
FORBIDDEN += [(rules, builder) for rules in RULES
              for builder in ("statuspage.create_app", "statuspage.database_admin", "statuspage.tools")]
# Packages that may call each other one way only: monitoring (checks, probes, the policy that opens incidents)
# builds on services, never the other way round.
ONE_WAY = [("statuspage.monitoring", "statuspage.services")]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_by(path: Path, top: str = "statuspage") -> set[str]:
    """Every module of package `top` an import statement in this file names (for `from x import y`, both x
    and x.y: y may be a module), relative imports resolved."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            found.add(source)
            found.update(f"{source}.{alias.name}" for alias in node.names)
    return {module for module in found if module == top or module.startswith(top + ".")}


@cache
def graph() -> dict[str, set[str]]:
    return {module_name(path): imported_by(path) for path in PACKAGE.rglob("*.py")
            if "migrations" not in path.parts}


def within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def crossings(importer: str, imported: str) -> list[str]:
    return sorted(f"{source} imports {target}" for source, targets in graph().items() if within(source, importer)
                  for target in targets if within(target, imported))


def test_the_parser_sees_relative_and_nested_imports():
    assert "statuspage.support.sla" in graph()["statuspage"]  # create_app: `from .support.sla import ...`, in a function
    assert "statuspage.services.incidents" in graph()["statuspage.monitoring.policy"]  # `from ..services import ...`
    assert "statuspage.serialize" in graph()["statuspage.api.v2"]


@pytest.mark.parametrize("importer, imported", FORBIDDEN)
def test_imports_point_down(importer, imported):
    assert crossings(importer, imported) == []


def test_settings_are_read_without_the_package():
    """config.py is the foundation: checks that need a layer above (support hours, alert URLs) are made by
    create_app, so reading settings loads nothing of statuspage."""
    assert graph()["statuspage.config"] == set()


@pytest.mark.parametrize("upper, lower", ONE_WAY)
def test_packages_of_one_row_call_each_other_one_way(upper, lower):
    assert crossings(upper, lower), f"{upper} no longer imports {lower}: is the rule the wrong way round?"
    assert crossings(lower, upper) == []


def test_the_rules_write_no_html():
    """HTML is made in web/ (templates, web/bar_views.py, web/times.py): the rules return data, so no module of
    services/, monitoring/, support/ or notify/ imports markupsafe (Markup, escape)."""
    rules = [path for name in ("services", "monitoring", "support", "notify") for path in (PACKAGE / name).rglob("*.py")]
    assert len(rules) > 40
    assert [str(path.relative_to(PACKAGE)) for path in rules if imported_by(path, "markupsafe")] == []
