"""`statuspage tickets evaluate PATH...`: replay labelled ticket files, each against a fresh database holding
the scenario (the status page) it was labelled against, and score the decisions: precision, recall and
incident accuracy, per scenario, per language and for all together.

The tickets go through take_ticket, exactly as the intake hook's requests do; nothing is special-cased.
Nothing here knows any scenario's wording: a scenario is data in the format tests/data/scenarios/README.md
describes (open and resolved incidents, maintenance in progress and upcoming, component aliases).
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ..models import Incident, IncidentKind, MaintenanceStatus
from ..services import components, incidents
from ..services.audit import Actor
from .matching import Scores, score

EVALUATION = Actor(label="evaluation")
LANGUAGES = ("de", "fr", "en")
CLOSING = {"resolved", "postmortem"}
# A scenario file, a ticket record, an incident's spec in it: JSON objects, their shapes checked by read_scenario
# and read_tickets (tests/data/scenarios/README.md describes them).
Json = dict[str, Any]


class EvaluationError(ValueError):
    """A tickets or scenario file that cannot be replayed; the message is one line naming the file."""


@dataclass(frozen=True)
class Outcome:
    """One replayed ticket: the incident key it should have gone to and the one it went to (None: accepted)."""
    ticket_id: str
    lang: str
    expected: str | None
    got: str | None
    score: float
    reasons: tuple[str, ...]

    @property
    def missed(self) -> bool:
        return self.expected != self.got


Miss = Outcome  # the name the single-file evaluation used


@dataclass(frozen=True)
class Source:
    """One labelled ticket file and the scenario it was labelled against."""
    name: str
    tickets_file: Path
    scenario_file: Path


@dataclass(frozen=True)
class Report:
    source: Source
    outcomes: tuple[Outcome, ...]

    @property
    def name(self) -> str:
        return self.source.name

    @property
    def misses(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.missed]


def scores_of(outcomes: Iterable[Outcome], lang: str | None = None) -> Scores:
    """The figures for these outcomes (only those in `lang`, when given)."""
    return score((o.expected, o.got) for o in outcomes if lang is None or o.lang == lang)


def languages_of(outcomes: Iterable[Outcome]) -> list[str]:
    """The languages present: de, fr, en first, then any other in alphabetical order."""
    present = {o.lang for o in outcomes}
    return [lang for lang in LANGUAGES if lang in present] + sorted(present - set(LANGUAGES))


# --- finding the files -------------------------------------------------------------------------------------------

def sources(paths: Sequence[Path], scenario: Path | None = None) -> list[Source]:
    """What to replay: each path is a tickets file (its scenario.json beside it, or `scenario` when only one
    file is given), a directory holding scenario.json and tickets.jsonl, or a directory of such directories."""
    if not paths:
        raise EvaluationError("give at least one tickets file or scenario directory")
    if scenario is not None and (len(paths) != 1 or paths[0].is_dir()):
        raise EvaluationError("--scenario goes with exactly one tickets file")
    found: list[Source] = []
    for path in paths:
        if path.is_dir():
            if (path / "tickets.jsonl").is_file():
                found.append(_source(path.name, path / "tickets.jsonl", path / "scenario.json"))
                continue
            inner = sorted(p for p in path.iterdir() if p.is_dir() and (p / "tickets.jsonl").is_file())
            if not inner:
                raise EvaluationError(f"{path}: neither tickets.jsonl nor scenario directories in it")
            found.extend(_source(p.name, p / "tickets.jsonl", p / "scenario.json") for p in inner)
        elif path.is_file():
            name = path.parent.name if path.name == "tickets.jsonl" else path.stem
            found.append(_source(name, path, scenario or path.with_name("scenario.json")))
        else:
            raise EvaluationError(f"no such file or directory: {path}")
    names = [s.name for s in found]
    return [s if names.count(s.name) == 1 else Source(str(s.tickets_file), s.tickets_file, s.scenario_file)
            for s in found]


def _source(name: str, tickets_file: Path, scenario_file: Path) -> Source:
    if not scenario_file.is_file():
        raise EvaluationError(f"no scenario file: {scenario_file} (give --scenario)")
    return Source(name, tickets_file, scenario_file)


# --- reading and checking the files ------------------------------------------------------------------------------

def read_scenario(path: Path) -> Json:
    """The scenario as data, its shape checked; EvaluationError (one line) when it cannot be built."""
    data = _json_file(path)
    where = str(path)
    _require(isinstance(data, dict), where, "must be a JSON object")
    scenario: Json = data
    for key in ("groups", "components"):
        _require(isinstance(scenario.get(key), list), where, f'"{key}" must be a list')
    slugs = set()
    for n, component in enumerate(scenario["components"]):
        at = f"{where}: components[{n}]"
        _require(isinstance(component, dict) and isinstance(component.get("slug"), str)
                 and isinstance(component.get("name"), str), at, 'needs "slug" and "name"')
        _require(isinstance(component.get("aliases", []), list), at, '"aliases" must be a list of names')
        slugs.add(component["slug"])
    for n, group in enumerate(scenario["groups"]):
        at = f"{where}: groups[{n}]"
        _require(isinstance(group, dict) and isinstance(group.get("name"), str)
                 and isinstance(group.get("components", []), list), at, 'needs "name" and a "components" list')
        unknown = sorted(set(group.get("components", [])) - slugs)
        _require(not unknown, at, f"unknown component {', '.join(map(str, unknown))}")
    keys: list[str] = []
    for n, spec in enumerate(scenario.get("incidents", [])):
        at = f"{where}: incidents[{n}]"
        _require(isinstance(spec, dict), at, "must be an object")
        _check_common(spec, at, slugs)
        _require(isinstance(spec.get("updates"), list) and spec["updates"], at, 'needs a non-empty "updates" list')
        _check_updates(spec["updates"], at)
        age = spec.get("started_hours_ago", 1)
        _require(_number(age) and age > 0, at, '"started_hours_ago" must be a positive number')
        keys.append(spec["key"])
    for n, spec in enumerate(scenario.get("maintenances", [])):
        at = f"{where}: maintenances[{n}]"
        _require(isinstance(spec, dict), at, "must be an object")
        _check_common(spec, at, slugs)
        _require(_number(spec.get("duration_hours")) and spec["duration_hours"] > 0, at,
                 '"duration_hours" must be a positive number')
        if "started_minutes_ago" in spec:
            ago = spec["started_minutes_ago"]
            _require(_number(ago) and 0 <= ago < spec["duration_hours"] * 60, at,
                     '"started_minutes_ago" must be at least 0 and end within "duration_hours" (in progress now)')
        else:
            _require(_number(spec.get("starts_in_days")) and spec["starts_in_days"] >= 0, at,
                     'needs "starts_in_days" (upcoming) or "started_minutes_ago" (in progress)')
            try:
                time.fromisoformat(str(spec.get("local_start")))
            except ValueError:
                raise EvaluationError(f'{at}: "local_start" must be a time such as "22:00"') from None
        if "updates" in spec:
            _require(isinstance(spec["updates"], list), at, '"updates" must be a list')
            _check_updates(spec["updates"], at)
        keys.append(spec["key"])
    twice = sorted({k for k in keys if keys.count(k) > 1})
    _require(not twice, where, f"key used twice: {', '.join(twice)}")
    return scenario


def matchable_keys(scenario: Json) -> set[str]:
    """The keys a ticket arriving now may be suppressed to: open incidents and maintenance in progress."""
    return ({spec["key"] for spec in scenario.get("incidents", []) if spec["updates"][-1]["status"] not in CLOSING}
            | {spec["key"] for spec in scenario.get("maintenances", []) if "started_minutes_ago" in spec})


def read_tickets(path: Path, scenario: Json) -> list[Json]:
    """The labelled tickets, one JSON object a line; EvaluationError names the file and line of a bad one."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise EvaluationError(f"cannot read {path}: {error}") from None
    open_keys, records, seen = matchable_keys(scenario), [], set()
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        at = f"{path}, line {n}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise EvaluationError(f"{at}: not JSON ({error.msg})") from None
        _require(isinstance(record, dict), at, "must be a JSON object")
        _require(isinstance(record.get("id"), str) and record["id"], at, 'needs an "id"')
        _require(record["id"] not in seen, at, f"id {record['id']} used twice")
        seen.add(record["id"])
        _require(isinstance(record.get("ticket"), dict), at, '"ticket" must be an object (the POST body)')
        expected = record.get("expected")
        _require(isinstance(expected, dict) and "incident" in expected, at, '"expected" needs "incident"')
        key = expected["incident"]
        _require(key is None or key in open_keys, at,
                 f"expected incident {key!r} is neither an open incident nor maintenance in progress of the scenario")
        status = expected.get("status", "accepted" if key is None else "suppressed")
        _require(status == ("accepted" if key is None else "suppressed"), at,
                 '"expected.status" must be "suppressed" with an incident, "accepted" without')
        records.append(record)
    return records


def _check_common(spec: Json, at: str, slugs: set[str]) -> None:
    _require(isinstance(spec.get("key"), str) and spec["key"], at, 'needs a "key"')
    _require(isinstance(spec.get("name"), str) and spec["name"], at, 'needs a "name"')
    _require(isinstance(spec.get("components", {}), dict), at, '"components" must map slugs to statuses')
    unknown = sorted(set(spec.get("components", {})) - slugs)
    _require(not unknown, at, f"unknown component {', '.join(map(str, unknown))}")


def _check_updates(updates: list[Any], at: str) -> None:
    for n, update in enumerate(updates):
        _require(isinstance(update, dict) and isinstance(update.get("status"), str)
                 and isinstance(update.get("body", ""), str), f"{at}: updates[{n}]", 'needs "status" and "body"')


def _json_file(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise EvaluationError(f"cannot read {path}: {error}") from None
    except json.JSONDecodeError as error:
        raise EvaluationError(f"{path}, line {error.lineno}: not JSON ({error.msg})") from None


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _require(condition: bool, where: str, message: str) -> None:
    if not condition:
        raise EvaluationError(f"{where}: {message}")


# --- building a scenario -----------------------------------------------------------------------------------------

def load_scenario(scenario: Json, *, now: datetime, tz: ZoneInfo) -> dict[str, int]:
    """Create the scenario's groups, components (with aliases), incidents (with their updates) and maintenance,
    through the services the console uses; returns {scenario key: incident or maintenance id}.

    Open incidents started an hour ago (one minute earlier per place in the list) unless `started_hours_ago`
    says otherwise, so the tickets (arriving now) come after them. A maintenance with `started_minutes_ago`
    is moved to in_progress by the scheduler's own step at its start; one with `starts_in_days` is scheduled
    for that day at `local_start` in the page's zone.
    """
    groups = {g["name"]: components.create_group(g["name"], by=EVALUATION, now=now) for g in scenario["groups"]}
    group_of = {slug: groups[g["name"]].id for g in scenario["groups"] for slug in g.get("components", [])}
    for component in scenario["components"]:
        components.create_component(slug=component["slug"], name=component["name"],
                                    description=component.get("description", ""),
                                    group_id=group_of.get(component["slug"]),
                                    aliases=component.get("aliases") or [], by=EVALUATION, now=now)
    ids = {}
    for n, spec in enumerate(scenario.get("incidents", [])):
        age = (timedelta(hours=spec["started_hours_ago"]) if "started_hours_ago" in spec
               else timedelta(hours=1, minutes=n))
        started = now - age
        first, *later = spec["updates"]
        step = min(timedelta(minutes=10), age / len(spec["updates"]))
        incident = incidents.open_incident(name=spec["name"], impact=spec.get("impact", "minor"),
                                           body=first.get("body", ""), status=first["status"],
                                           components=spec.get("components", {}), started_at=started,
                                           by=EVALUATION, now=started)
        for k, update in enumerate(later, start=1):
            incidents.post_update(incident.id, status=update["status"], body=update.get("body", ""),
                                  components=update.get("components"), by=EVALUATION, now=started + step * k)
        ids[spec["key"]] = incident.id
    for spec in scenario.get("maintenances", []):
        if "started_minutes_ago" in spec:
            window = _maintenance_in_progress(spec, now=now)
        else:
            day = (now.astimezone(tz) + timedelta(days=spec["starts_in_days"])).date()
            starts = datetime.combine(day, time.fromisoformat(spec["local_start"]), tz)
            window = incidents.schedule_maintenance(
                name=spec["name"], body=spec.get("body", ""), components=spec.get("components", {}),
                scheduled_for=starts, scheduled_until=starts + timedelta(hours=spec["duration_hours"]),
                by=EVALUATION, now=now)
            for update in spec.get("updates", []):
                incidents.post_update(window.id, status=update["status"], body=update.get("body", ""),
                                      kind=IncidentKind.MAINTENANCE, by=EVALUATION, now=now)
        ids[spec["key"]] = window.id
    return ids


def _maintenance_in_progress(spec: Json, *, now: datetime) -> Incident:
    """A window that began `started_minutes_ago`: scheduled days before, started by advance_maintenance (what
    the scheduler runs) at its start, then its updates spread between the start and now."""
    starts = now - timedelta(minutes=spec["started_minutes_ago"])
    window = incidents.schedule_maintenance(
        name=spec["name"], body=spec.get("body", ""), components=spec.get("components", {}),
        scheduled_for=starts, scheduled_until=starts + timedelta(hours=spec["duration_hours"]),
        by=EVALUATION, now=starts - timedelta(days=3))
    incidents.advance_maintenance(now=starts, by=EVALUATION)
    updates = spec.get("updates", [])
    for k, update in enumerate(updates, start=1):
        incidents.post_update(window.id, status=update["status"], body=update.get("body", ""),
                              kind=IncidentKind.MAINTENANCE, by=EVALUATION,
                              now=starts + (now - starts) * k / (len(updates) + 1))
    window = incidents.get_incident(window.id, IncidentKind.MAINTENANCE)
    if window.status not in (MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.VERIFYING):
        raise EvaluationError(f"maintenance {spec['key']!r} is {window.status}, not in progress, after its updates")
    return window


# --- presenting --------------------------------------------------------------------------------------------------

COLUMNS = ("tickets", "suppressed", "should", "correct", "precision", "recall", "incident")


def table(reports: Sequence[Report]) -> list[str]:
    """Rows of figures: per scenario each language and all of it, then (for more than one) all scenarios."""
    blocks = [(r.name, list(r.outcomes)) for r in reports]
    if len(reports) > 1:
        blocks.append(("all scenarios", [o for r in reports for o in r.outcomes]))
    width = max([len("scenario")] + [len(name) for name, _ in blocks])
    lines = [f"{'scenario':<{width}}  lang  " + "  ".join(f"{c:>10}" for c in COLUMNS)]
    for name, outcomes in blocks:
        for lang in languages_of(outcomes) + [None]:
            s = scores_of(outcomes, lang)
            figures = (s.tickets, s.suppressed, s.should_suppress, s.correctly_suppressed)
            lines.append(f"{name:<{width}}  {lang or 'all':<4}  " + "  ".join(f"{v:>10}" for v in figures) + "  "
                         + "  ".join(f"{v:>10.3f}" for v in (s.precision, s.recall, s.incident_accuracy)))
    return lines


def miss_lines(report: Report) -> list[str]:
    return [f"MISS {report.name} {o.ticket_id} [{o.lang}]: expected {o.expected or 'accepted'}, "
            f"got {o.got or 'accepted'} (score {o.score:.2f}: {'; '.join(o.reasons)})" for o in report.misses]


def as_json(reports: Sequence[Report], *, misses: bool = False) -> Json:
    """The figures as data: per scenario (all and per language) and for all scenarios together."""
    def figures(outcomes: list[Outcome]) -> Json:
        return {"scores": _rounded(scores_of(outcomes)),
                "languages": {lang: _rounded(scores_of(outcomes, lang)) for lang in languages_of(outcomes)}}

    scenarios = []
    for report in reports:
        entry = {"name": report.name, "tickets_file": str(report.source.tickets_file),
                 "scenario_file": str(report.source.scenario_file), **figures(list(report.outcomes))}
        if misses:
            entry["misses"] = [{"id": o.ticket_id, "lang": o.lang, "expected": o.expected, "got": o.got,
                                "score": round(o.score, 3), "reasons": list(o.reasons)} for o in report.misses]
        scenarios.append(entry)
    return {"scenarios": scenarios, "all": figures([o for r in reports for o in r.outcomes])}


def _rounded(scores: Scores) -> dict[str, float | int]:
    return {key: round(value, 4) if isinstance(value, float) else value for key, value in asdict(scores).items()}
