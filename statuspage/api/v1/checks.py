"""Health checks (reads: viewer; writes: admin). Checks from checks/*.toml are read-only here (409)."""
from __future__ import annotations

from flask import current_app

from ... import clock
from ...models import Check, Role
from ...monitoring import checks as service
from ...monitoring.definitions import REDACTED, CheckInSchema
from ...serialize import Serializer
from . import blp
from .auth import actor, requires
from .http import page_headers
from .schemas import CheckListArgs, CheckOut, CheckPatch, CheckResultOut, PageArgs


def _out(check: Check) -> dict:
    """A check as the caller may see it: header values and the heartbeat's ping URL and id only for the role
    that may edit checks (admin), REDACTED for the others, as the console shows them."""
    settings = current_app.config["SETTINGS"]
    time = Serializer(settings).time
    state = "down" if check.is_down else ("new" if check.last_ok is None else "up")
    shown = actor().role.allows(Role.ADMIN)
    ping_url = (f"{settings.base_url}{check.ping_path}" if shown else REDACTED) if check.ping_path else None
    return {
        **service.definition_of(check).as_json(secrets_shown=shown), "id": check.id, "source": check.source.value,
        "source_file": check.source_file, "ping_url": ping_url,
        "state": {"status": state, "last_run_at": time(check.last_run_at) if check.last_run_at else None,
                  "last_ok": check.last_ok, "last_error": check.last_error, "last_latency_ms": check.last_latency_ms,
                  "last_beat_at": time(check.last_beat_at) if check.last_beat_at else None,
                  "consecutive_failures": check.consecutive_failures,
                  "consecutive_successes": check.consecutive_successes,
                  "incident_id": str(check.incident_id) if check.incident_id else None},
    }


@blp.get("/checks")
@requires(Role.VIEWER)
@blp.arguments(CheckListArgs, location="query")
@blp.response(200, CheckOut(many=True))
def list_checks(args):
    """Checks by key, optionally of one component."""
    items, total = service.list_checks(component=args.get("component"), page=args["page"], per_page=args["per_page"])
    return [_out(check) for check in items], page_headers(total, args["page"], args["per_page"])


@blp.post("/checks")
@requires(Role.ADMIN)
@blp.arguments(CheckInSchema)  # loads a CheckDefinition: the body validated once, as a check file is
@blp.response(201, CheckOut)
def create_check(definition):
    """Add a check: the fields of a check file, as JSON."""
    return _out(service.create_check(definition, by=actor(), now=clock.now()))


@blp.get("/checks/<id:check_id>")
@requires(Role.VIEWER)
@blp.response(200, CheckOut)
def get_check(check_id):
    """One check with its current state."""
    return _out(service.get_check(check_id))


@blp.patch("/checks/<id:check_id>")
@requires(Role.ADMIN)
@blp.arguments(CheckPatch(partial=True))
@blp.response(200, CheckOut)
def update_check(changes, check_id):
    """Change a check made in the console or the API (409 for checks managed by a file)."""
    return _out(service.update_check(check_id, changes, by=actor(), now=clock.now()))


@blp.delete("/checks/<id:check_id>")
@requires(Role.ADMIN)
@blp.response(204)
def delete_check(check_id):
    """Remove a check made in the console or the API, with its results."""
    service.delete_check(check_id, by=actor(), now=clock.now())


@blp.get("/checks/<id:check_id>/results")
@requires(Role.VIEWER)
@blp.arguments(PageArgs, location="query")
@blp.response(200, CheckResultOut(many=True))
def check_results(args, check_id):
    """The check's raw results, newest first (kept for STATUSPAGE_CHECK_RESULT_RETENTION_DAYS)."""
    items, total = service.recent_results(check_id, page=args["page"], per_page=args["per_page"])
    time = Serializer(current_app.config["SETTINGS"]).time
    return ([{"id": r.id, "at": time(r.at), "ok": r.ok, "latency_ms": r.latency_ms, "status_code": r.status_code,
              "error": r.error} for r in items], page_headers(total, args["page"], args["per_page"]))

