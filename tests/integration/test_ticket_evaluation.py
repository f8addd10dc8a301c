"""`statuspage tickets evaluate`: scenarios build the state they describe, and the command reports per scenario
and language. Nothing here judges the matcher's figures (the matcher changes); only that they are reported."""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from statuspage.cli import main
from statuspage.extensions import db
from statuspage.models import Component, Incident, IncidentKind
from statuspage.support.evaluation import load_scenario, read_scenario

DATA = Path(__file__).resolve().parents[1] / "data"
SCENARIOS = sorted(p for root in ("scenarios", "heldout") for p in (DATA / root).glob("*/scenario.json"))


def test_the_scenario_directories_are_there():
    assert {"parcel-logistics", "elearning-video", "open-banking"} <= {p.parent.name for p in SCENARIOS}


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}")
def test_a_scenario_builds_the_state_it_describes(app, ctx, clock, path):
    spec = read_scenario(path)
    now = clock.now()
    ids = load_scenario(spec, now=now, tz=app.config["SETTINGS"].tz)
    db.session.expire_all()

    found = {c.slug: c for c in db.session.scalars(select(Component))}
    assert set(found) == {c["slug"] for c in spec["components"]}
    for component in spec["components"]:
        assert found[component["slug"]].aliases == component.get("aliases", [])
        assert found[component["slug"]].group is not None
    for n, incident_spec in enumerate(spec["incidents"]):
        incident = db.session.get(Incident, ids[incident_spec["key"]])
        assert incident.kind is IncidentKind.INCIDENT and incident.name == incident_spec["name"]
        assert incident.status == incident_spec["updates"][-1]["status"]
        assert [u.body for u in sorted(incident.updates, key=lambda u: u.created_at)] == \
            [u["body"] for u in incident_spec["updates"]]
        age = timedelta(hours=incident_spec.get("started_hours_ago", 1), minutes=0 if "started_hours_ago" in
                        incident_spec else n)
        assert incident.started_at == now - age
        assert all(u.created_at <= now for u in incident.updates)
        assert incident.is_closed == (incident_spec["updates"][-1]["status"] in ("resolved", "postmortem"))
    assert any(not db.session.get(Incident, ids[i["key"]]).is_closed for i in spec["incidents"])
    for window_spec in spec["maintenances"]:
        window = db.session.get(Incident, ids[window_spec["key"]])
        assert window.kind is IncidentKind.MAINTENANCE
        if "started_minutes_ago" in window_spec:
            assert window.status == "in_progress"
            assert window.scheduled_for == now - timedelta(minutes=window_spec["started_minutes_ago"]) < now
            assert window.scheduled_until > now
            bodies = [u.body for u in sorted(window.updates, key=lambda u: u.created_at) if u.body]
            assert bodies == [window_spec["body"]] + [u["body"] for u in window_spec.get("updates", [])]
            assert all(u.created_at <= now for u in window.updates)
            for slug in window_spec["components"]:
                assert found[slug].status == "under_maintenance"
        else:
            assert window.status == "scheduled" and window.scheduled_for > now
            assert (window.scheduled_until - window.scheduled_for) == timedelta(hours=window_spec["duration_hours"])
    kinds = {(w.kind, w.status) for w in db.session.scalars(select(Incident))}
    if "heldout" not in path.parts:  # our own scenarios have one of each (held-out ones may differ)
        assert {(IncidentKind.MAINTENANCE, "in_progress"), (IncidentKind.MAINTENANCE, "scheduled"),
                (IncidentKind.INCIDENT, "resolved")} <= kinds


# --- the command, on small scenarios written here --------------------------------------------------------------

PAGE = {
    "groups": [{"name": "Web", "components": ["api", "shop"]}],
    "components": [{"slug": "api", "name": "API", "description": "REST API", "aliases": ["REST interface"]},
                   {"slug": "shop", "name": "Shop", "description": "The storefront"}],
    "incidents": [{"key": "api_down", "name": "API unavailable", "impact": "major",
                   "components": {"api": "major_outage"},
                   "updates": [{"status": "investigating", "body": "Every API request fails with 503."}]},
                  {"key": "old", "name": "Shop slow", "components": {"shop": "degraded_performance"},
                   "started_hours_ago": 30,
                   "updates": [{"status": "investigating", "body": "Slow."}, {"status": "resolved", "body": "Fast."}]}],
    "maintenances": [{"key": "move", "name": "Shop move", "body": "The shop is read-only.",
                      "components": {"shop": "under_maintenance"}, "started_minutes_ago": 20, "duration_hours": 1,
                      "updates": [{"status": "in_progress", "body": "Moving."}]},
                     {"key": "later", "name": "Upgrade", "body": "Upgrade.", "components": {"api": "under_maintenance"},
                      "starts_in_days": 3, "local_start": "22:00", "duration_hours": 2}],
}


def ticket(id_, lang, expected, body, environment="production"):
    return {"id": id_, "lang": lang, "mixed": False, "category": "outage",
            "ticket": {"subject": body[:30], "body": body, "requester": {"email": "ops@customer.example"},
                       "environment": environment},
            "expected": {"status": "suppressed" if expected else "accepted", "incident": expected}, "note": ""}


# A labelled-suppressed ticket from staging is a miss whatever the matcher does: staging is never suppressed.
MISSED = ticket("a-en-02", "en", "api_down", "Every API request fails with 503 since an hour.", "staging")


def write_scenario(directory: Path, records: list[dict], page: dict = PAGE) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "scenario.json").write_text(json.dumps(page), encoding="utf-8")
    (directory / "tickets.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return directory


@pytest.fixture
def two_scenarios(tmp_path):
    first = write_scenario(tmp_path / "alpha", [
        ticket("a-de-01", "de", None, "Wie ändere ich die Rechnungsadresse?"), MISSED,
        ticket("a-fr-01", "fr", None, "Comment changer la langue de l'interface ?")])
    second = write_scenario(tmp_path / "beta", [ticket("b-en-01", "en", None, "Please send us a quote.")])
    return first, second


def test_the_command_prints_figures_per_scenario_and_language(runner, clock, two_scenarios):
    result = runner.invoke(main, ["tickets", "evaluate", *map(str, two_scenarios)])
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.output.splitlines()]
    assert rows[0][:2] == ["scenario", "lang"] and "precision" in rows[0] and "recall" in rows[0]
    labels = [(row[0], row[1]) for row in rows[1:] if row[0] in ("alpha", "beta")]
    assert labels == [("alpha", "de"), ("alpha", "fr"), ("alpha", "en"), ("alpha", "all"),
                      ("beta", "en"), ("beta", "all")]
    overall = [row for row in rows if row[:2] == ["all", "scenarios"]]
    assert [row[2] for row in overall] == ["de", "fr", "en", "all"]
    assert overall[-1][3] == "4"  # tickets, all scenarios together
    assert not any(line.startswith("MISS") for line in result.output.splitlines())


def test_misses_are_listed_only_when_asked(runner, clock, two_scenarios):
    quiet = runner.invoke(main, ["tickets", "evaluate", str(two_scenarios[0])])
    assert quiet.exit_code == 0 and "a-en-02" not in quiet.output and "MISS" not in quiet.output
    loud = runner.invoke(main, ["tickets", "evaluate", str(two_scenarios[0]), "--misses"])
    assert loud.exit_code == 0, loud.output
    [miss] = [line for line in loud.output.splitlines() if line.startswith("MISS")]
    assert miss.startswith("MISS alpha a-en-02 [en]: expected api_down, got accepted (score ")


def test_json_gives_the_figures_per_scenario_language_and_all(runner, clock, two_scenarios):
    result = runner.invoke(main, ["tickets", "evaluate", *map(str, two_scenarios), "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert [s["name"] for s in figures["scenarios"]] == ["alpha", "beta"]
    alpha = figures["scenarios"][0]
    assert list(alpha["languages"]) == ["de", "fr", "en"] and "misses" not in alpha
    assert alpha["scores"]["tickets"] == 3 and alpha["scores"]["should_suppress"] == 1
    assert alpha["languages"]["en"]["should_suppress"] == 1 and alpha["languages"]["de"]["should_suppress"] == 0
    assert set(alpha["scores"]) >= {"precision", "recall", "incident_accuracy", "suppressed", "correctly_suppressed"}
    assert figures["all"]["scores"]["tickets"] == 4
    with_misses = json.loads(runner.invoke(main, ["tickets", "evaluate", str(two_scenarios[0]), "--json",
                                                  "--misses"]).output)
    assert [m["id"] for m in with_misses["scenarios"][0]["misses"]] == ["a-en-02"]


def test_a_directory_of_scenarios_and_a_single_file_with_its_scenario(runner, clock, two_scenarios, tmp_path):
    result = runner.invoke(main, ["tickets", "evaluate", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    assert [s["name"] for s in json.loads(result.output)["scenarios"]] == ["alpha", "beta"]
    elsewhere = tmp_path / "labels.jsonl"
    elsewhere.write_text((two_scenarios[1] / "tickets.jsonl").read_text(encoding="utf-8"), encoding="utf-8")
    single = runner.invoke(main, ["tickets", "evaluate", str(elsewhere), "--scenario",
                                  str(two_scenarios[1] / "scenario.json"), "--json"])
    assert single.exit_code == 0, single.output
    assert json.loads(single.output)["scenarios"][0]["name"] == "labels"


@pytest.mark.parametrize("breakage, message", [
    (lambda d: (d / "tickets.jsonl").write_text('{"id": "x-en-01", "lang": "en",\n', encoding="utf-8"),
     "line 1: not JSON"),
    (lambda d: (d / "scenario.json").unlink(), "no scenario file"),
    (lambda d: (d / "scenario.json").write_text("{", encoding="utf-8"), "scenario.json, line 1: not JSON"),
    (lambda d: (d / "tickets.jsonl").write_text(json.dumps(ticket("x-en-01", "en", "old", "Slow shop.")) + "\n",
                                                encoding="utf-8"),
     "expected incident 'old' is neither an open incident nor maintenance in progress"),
    (lambda d: (d / "tickets.jsonl").write_text(json.dumps(ticket("x-en-01", "en", "later", "Upgrade?")) + "\n",
                                                encoding="utf-8"),
     "expected incident 'later' is neither"),
    (lambda d: (d / "tickets.jsonl").write_text(json.dumps(ticket("x-en-01", "en", None, "Hi")) * 2 + "\n",
                                                encoding="utf-8"),
     "line 1: not JSON"),
    (lambda d: (d / "tickets.jsonl").write_text((json.dumps(ticket("x-en-01", "en", None, "Hi")) + "\n") * 2,
                                                encoding="utf-8"),
     "line 2: id x-en-01 used twice"),
    (lambda d: (d / "scenario.json").write_text(json.dumps({**PAGE, "incidents": [
        {**PAGE["incidents"][0], "components": {"nope": "major_outage"}}]}), encoding="utf-8"),
     "incidents[0]: unknown component nope"),
    (lambda d: (d / "scenario.json").write_text(json.dumps({**PAGE, "maintenances": [
        {**PAGE["maintenances"][0], "started_minutes_ago": 90}]}), encoding="utf-8"),
     "maintenances[0]: \"started_minutes_ago\" must be at least 0 and end within"),
    (lambda d: (d / "scenario.json").write_text(json.dumps({**PAGE, "incidents": [
        {**PAGE["incidents"][0], "impact": "apocalyptic"}]}), encoding="utf-8"),
     "scenario.json: impact must be one of"),
])
def test_a_bad_file_is_one_line_and_a_non_zero_exit(runner, clock, tmp_path, breakage, message):
    directory = write_scenario(tmp_path / "broken", [ticket("x-en-01", "en", None, "Hello")])
    breakage(directory)
    result = runner.invoke(main, ["tickets", "evaluate", str(directory)])
    assert result.exit_code == 1
    [line] = result.output.strip().splitlines()
    assert line.startswith("Error: ") and message in line, line


def test_a_missing_path_and_a_misplaced_scenario_option_are_one_line_errors(runner, clock, tmp_path, two_scenarios):
    empty = tmp_path / "empty"
    empty.mkdir()
    for args in (["tickets", "evaluate", str(tmp_path / "absent.jsonl")],
                 ["tickets", "evaluate", *map(str, two_scenarios),
                  "--scenario", str(two_scenarios[0] / "scenario.json")],
                 ["tickets", "evaluate", str(empty)]):
        result = runner.invoke(main, args)
        assert result.exit_code == 1, result.output
        assert len(result.output.strip().splitlines()) == 1 and result.output.startswith("Error: ")
