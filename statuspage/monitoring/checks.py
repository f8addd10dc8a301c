"""Health checks: sync from `checks/`, create and change in the console or API, heartbeats, results.

Which wins: the files. A check whose key is in `checks/*.toml` is managed by its file: `checks sync`
(and every scheduler start) makes the database match the files, and the console and API show such
checks but refuse to change them (409, naming the file). Checks made in the console or over the API
have keys no file uses; sync leaves them alone. A file that takes over an existing key takes the
check over too, keeping its history.
"""
from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import delete, func, select, update

from ..config import Settings
from ..database import get_by_id, transaction
from ..errors import Conflict, Invalid, NotFound
from ..extensions import db
from ..models import Check, CheckKind, CheckResult, CheckSource, Component, Rollup, RollupScope
from ..services import audit, validate
from ..services.audit import Actor
from . import definitions, policy
from .definitions import CheckDefinition, DefinitionError

PRUNE_CHUNK = 10_000


def get_check(check_id: int) -> Check:
    check = get_by_id(Check, check_id)
    if check is None:
        raise NotFound("check_not_found", f"No check with id {check_id}.")
    return check


def list_checks(*, component: str | None = None, page: int = 1, per_page: int = 100) -> tuple[list[Check], int]:
    query = select(Check)
    if component is not None:
        if not validate.SLUG.match(component):
            return [], 0  # no component has such a slug (and a NUL byte must not reach PostgreSQL)
        query = query.join(Component, Check.component_id == Component.id).where(Component.slug == component)
    total = db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    items = db.session.scalars(query.order_by(Check.key).limit(per_page).offset((page - 1) * per_page))
    return list(items), total


def definition_of(check: Check) -> CheckDefinition:
    """A stored check as a definition again (what the API shows and what PATCH starts from)."""
    return CheckDefinition(
        key=check.key, name=check.name, component=check.component.slug, kind=check.kind, target=check.target,
        interval=check.interval_seconds, timeout=check.timeout_seconds, failure_status=check.failure_status,
        failures_to_open=check.failures_to_open, successes_to_close=check.successes_to_close,
        options=dict(check.options or {}), period=check.period_seconds, grace=check.grace_seconds,
        ping_id=check.ping_id, enabled=check.enabled)


def parse_definition(data: Mapping[str, Any]) -> CheckDefinition:
    """A dict (the console's form, a PATCH merged with the stored check) as a definition, through
    definitions.py:CheckInSchema; its problems become 422s naming the field, in the words the API's own 422
    uses for a POST body."""
    try:
        return definitions.definition(data)
    except DefinitionError as problem:
        raise Invalid("invalid", f"{problem.field}: {problem.message}", field=problem.field) from None


def create_check(given: CheckDefinition | Mapping[str, Any], *, by: Actor, now: datetime) -> Check:
    """A new check from a definition the API's schema loaded, or from a dict (the console) loaded here."""
    definition = given if isinstance(given, CheckDefinition) else parse_definition(given)
    with transaction():
        if db.session.scalar(select(Check.id).where(Check.key == definition.key)) is not None:
            raise Conflict("key_taken", f"A check with key '{definition.key}' exists already.", field="key")
        check = Check(key=definition.key, source=CheckSource.API, created_at=now)
        _apply(check, definition, now=now)
        db.session.add(check)
        db.session.flush()
        audit.record(by, "check.create", check, summary=check.name, now=now)
    return check


def update_check(check_id: int, changes: object, *, by: Actor, now: datetime) -> Check:
    with transaction():
        check = _editable(check_id)
        if not isinstance(changes, dict):
            raise Invalid("invalid_type", "The body must be a JSON object.")
        if "key" in changes and changes["key"] != check.key:
            raise Invalid("key_fixed", "A check's key cannot change; create a new check instead.", field="key")
        stored = definition_of(check).as_json()
        if check.kind is CheckKind.HEARTBEAT:
            stored.pop("timeout", None)   # shown as 0.0, but a heartbeat's definition takes no timeout
        merged = {**stored, **changes}
        if "kind" in changes:  # a new kind brings its own fields: drop those of the old one
            merged = {name: merged[name] for name in ("key", "name", "component", "interval", "failure_status",
                                                      "failures_to_open", "successes_to_close", "enabled")
                      if name in merged} | changes
        _apply(check, parse_definition(merged), now=now)
        audit.record(by, "check.update", check, summary=check.name, details={k: str(v) for k, v in changes.items()},
                     now=now)
    policy.reconcile([check.component_id], now=now, auto_resolve=_auto_resolve())
    return check


def delete_check(check_id: int, *, by: Actor, now: datetime) -> None:
    with transaction():
        check = _editable(check_id)
        component_id = check.component_id
        _remove(check, by=by, now=now)
    policy.reconcile([component_id], now=now, auto_resolve=_auto_resolve())


def _editable(check_id: int) -> Check:
    check = get_check(check_id)
    if check.is_from_file:
        raise Conflict("managed_by_file", f"This check is managed by {check.source_file}: change the file and run "
                                          "`statuspage checks sync`.")
    return check


def _remove(check: Check, *, by: Actor, now: datetime) -> None:
    """Delete a check with its results and rollups (its component's rollups stay: they are history)."""
    if check.is_down:  # let its automatic incident recover instead of leaving it open forever
        check.is_down = False
        db.session.flush()
    db.session.execute(delete(Rollup).where(Rollup.scope == RollupScope.CHECK, Rollup.scope_id == check.id))
    audit.record(by, "check.delete", check, summary=check.name, now=now)
    db.session.delete(check)


def _apply(check: Check, definition: CheckDefinition, *, now: datetime) -> None:
    component = db.session.scalar(select(Component).where(Component.slug == definition.component))
    if component is None:
        raise Invalid("unknown_component", f"component: no component with slug '{definition.component}'.",
                      field="component")
    if definition.ping_id and db.session.scalar(
            select(Check.id).where(Check.ping_id == definition.ping_id, Check.key != definition.key)) is not None:
        raise Conflict("ping_id_taken", "ping_id: another check uses this ping id.", field="ping_id")
    probe_changed = (check.kind, check.target, check.options) != (definition.kind, definition.target,
                                                                  definition.options)
    check.name, check.component, check.kind = definition.name, component, definition.kind
    check.target, check.interval_seconds, check.timeout_seconds = (definition.target, definition.interval,
                                                                   definition.timeout)
    check.failure_status, check.failures_to_open = definition.failure_status, definition.failures_to_open
    check.successes_to_close, check.options, check.enabled = (definition.successes_to_close, definition.options,
                                                              definition.enabled)
    check.period_seconds, check.grace_seconds = definition.period, definition.grace
    if definition.kind.value == "heartbeat":
        check.ping_id = definition.ping_id or check.ping_id or str(uuid.uuid4())
    else:
        check.ping_id = None
    if probe_changed:  # a new target starts counting afresh; a confirmed outage stays until it recovers
        check.consecutive_failures = check.consecutive_successes = 0
    check.updated_at = now


@dataclass(frozen=True)
class SyncReport:
    added: list[str]
    changed: list[str]
    removed: list[str]
    unchanged: int

    def __str__(self) -> str:
        return (f"{len(self.added)} added, {len(self.changed)} changed, {len(self.removed)} removed, "
                f"{self.unchanged} unchanged")


def sync_files(directory: Path, *, by: Actor, now: datetime) -> SyncReport:
    """Make the database's file-managed checks match `directory`: all or nothing.

    Raises CheckFileError (file:line: check "key" field name: problem) and changes nothing on any error.
    """
    variables = definitions.site_variables(current_app.config["SETTINGS"].base_url)
    loaded = definitions.load_directory(directory, variables=variables) if directory.is_dir() else []
    added, changed, removed, unchanged = [], [], [], 0
    touched: set[int] = set()
    with transaction():
        existing = {check.key: check for check in db.session.scalars(select(Check))}
        for definition, source in loaded:
            check = existing.get(definition.key)
            try:
                if check is None:
                    check = Check(key=definition.key, created_at=now)
                    _apply(check, definition, now=now)
                    db.session.add(check)
                    added.append(definition.key)
                elif check.source != CheckSource.FILE or check.source_file != source.file \
                        or definition_of(check) != _with_ping_id(definition, check):
                    _apply(check, definition, now=now)
                    changed.append(definition.key)
                else:
                    unchanged += 1
                    continue
            except (Invalid, Conflict) as problem:
                raise source.error(definition.key, DefinitionError(problem.field or "check",
                                                                   problem.message.split(": ", 1)[-1])) from None
            check.source, check.source_file = CheckSource.FILE, source.file
            db.session.flush()
            audit.record(by, "check.create" if added and added[-1] == check.key else "check.update", check,
                         summary=f"{check.name} (from {source.file})", now=now)
            touched.add(check.component_id)
        in_files = {definition.key for definition, _ in loaded}
        for key, check in existing.items():
            if check.source == CheckSource.FILE and key not in in_files:
                touched.add(check.component_id)
                _remove(check, by=by, now=now)
                removed.append(key)
    policy.reconcile(touched, now=now, auto_resolve=_auto_resolve())
    return SyncReport(added, changed, removed, unchanged)


def _with_ping_id(definition: CheckDefinition, check: Check) -> CheckDefinition:
    """A file without ping_id keeps the generated one: comparing must not see that as a change."""
    if definition.kind.value == "heartbeat" and definition.ping_id is None:
        return replace(definition, ping_id=check.ping_id)
    return definition


def set_paused(check_id: int, paused: bool, *, by: Actor, now: datetime) -> Check:
    """Pause a check (the scheduler stops running it within seconds: runner.REFRESH_EVERY) or resume it.

    Any check may be paused, a file's too: pausing is what an engineer does in the moment, not a change
    of what is watched. A file-managed check stays paused until the next `checks sync` (every scheduler
    start) makes it match its file again; to keep it off, set `enabled = false` there. A check paused
    while down leaves its incident to the engineers: it is not taken for a recovery.
    """
    with transaction():
        check = get_check(check_id)
        if check.enabled == paused:
            check.enabled = not paused
            check.updated_at = now
            if not paused:  # counting starts afresh: runs from before the pause say nothing of now
                check.consecutive_failures = check.consecutive_successes = 0
            audit.record(by, "check.pause" if paused else "check.resume", check, summary=check.name, now=now)
    return check


def run_checks(found: list[Check], *, now: datetime) -> set[int]:
    """Run these checks once now (probes in parallel; heartbeats judged from their last ping), store the
    results as the scheduler would, and apply the policy: `checks run-once` and the console's "Run now"."""
    from .probes import run_probes
    from .results import Outcome
    from .runner import spec_for, store_outcomes

    settings = current_app.config["SETTINGS"]
    probed = [(check, spec) for check in found if (spec := spec_for(check)) is not None]
    done = dict(zip([check.id for check, _spec in probed],
                    run_probes([spec for _check, spec in probed], now=now, ca_file=settings.check_ca_file or None)))
    store_outcomes([Outcome(check.id, now, done.get(check.id)) for check in found], now=now, settings=settings)
    db.session.expire_all()  # the counters were written in bulk, past the session's copies
    return {check.id for check in found}


def run_now(check_id: int, *, by: Actor, now: datetime) -> Check:
    """Run one check now from the console, and say so in the audit log (with how it went)."""
    check = get_check(check_id)
    run_checks([check], now=now)
    with transaction():
        check = get_check(check_id)
        verdict = "ok" if check.last_ok else f"failed: {check.last_error or 'no answer'}"
        audit.record(by, "check.run", check, summary=f"{check.name}: {verdict}"[:2000], now=now)
    return check


def record_beat(ping_id: str, *, now: datetime) -> bool:
    """A heartbeat's ping: one UPDATE, so any web worker may take it; the scheduler judges the beats."""
    try:
        ping_id = str(uuid.UUID(ping_id))
    except ValueError:
        return False
    with transaction():
        # an UPDATE's result is a CursorResult, which has rowcount; Session.execute is typed to return a Result
        touched: int = db.session.execute(  # type: ignore[attr-defined]
            update(Check).where(Check.ping_id == ping_id, Check.kind == "heartbeat").values(last_beat_at=now)).rowcount
    return touched == 1


def recent_results(check_id: int, *, page: int = 1, per_page: int = 50) -> tuple[list[CheckResult], int]:
    """One page of a check's raw results, newest first."""
    get_check(check_id)
    total = db.session.execute(select(func.count()).where(CheckResult.check_id == check_id)).scalar_one()
    items = db.session.scalars(select(CheckResult).where(CheckResult.check_id == check_id)
                               .order_by(CheckResult.at.desc(), CheckResult.id.desc())
                               .limit(per_page).offset((page - 1) * per_page))
    return list(items), total


def prune_results(*, now: datetime, keep_days: int) -> int:
    """Delete raw results older than the retention, in chunks so no transaction grows large."""
    cutoff, removed = now - timedelta(days=keep_days), 0
    while True:
        with transaction():
            ids = list(db.session.scalars(select(CheckResult.id).where(CheckResult.at < cutoff).limit(PRUNE_CHUNK)))
            if not ids:
                return removed
            db.session.execute(delete(CheckResult).where(CheckResult.id.in_(ids)))
        removed += len(ids)


def _auto_resolve() -> bool:
    settings: Settings = current_app.config["SETTINGS"]
    return settings.checks_auto_resolve
