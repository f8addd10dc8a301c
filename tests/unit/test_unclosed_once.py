""""Still open" is written once: Incident.unclosed() in SQL, Incident.is_closed in Python, both from
CLOSED_STATUSES (models/incidents.py); no query spells the status list out again."""
from __future__ import annotations

import ast
from pathlib import Path

from statuspage.models import Incident, IncidentKind, IncidentStatus, MaintenanceStatus
from statuspage.models.incidents import CLOSED_STATUSES

PACKAGE = Path(__file__).resolve().parents[2] / "statuspage"
HOME = PACKAGE / "models" / "incidents.py"


def status_lists_in_queries(path: Path) -> list[str]:
    """Calls of .in_() or .not_in() whose arguments name CLOSED_STATUSES or UNCLOSED_STATUSES."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("in_", "not_in"):
            names = {n.id for arg in node.args for n in ast.walk(arg) if isinstance(n, ast.Name)}
            if names & {"CLOSED_STATUSES", "UNCLOSED_STATUSES"}:
                found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    return found


def test_queries_ask_incident_unclosed_instead_of_listing_statuses():
    elsewhere = [hit for path in sorted(PACKAGE.rglob("*.py")) if path != HOME for hit in status_lists_in_queries(path)]
    assert elsewhere == []
    assert status_lists_in_queries(HOME)  # the one place


def test_unclosed_in_sql_agrees_with_is_closed_for_every_status():
    from sqlalchemy.dialects import sqlite

    compiled = Incident.unclosed().compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True})
    for status in (*IncidentStatus, *MaintenanceStatus):
        kind = IncidentKind.MAINTENANCE if isinstance(status, MaintenanceStatus) else IncidentKind.INCIDENT
        incident = Incident(kind=kind, status=status)
        assert (f"'{status.value}'" in str(compiled)) is (not incident.is_closed), status
    assert " NOT " not in str(compiled).upper()  # an IN list the (kind, status) index can seek
    assert CLOSED_STATUSES  # closed is what the rest is measured against
