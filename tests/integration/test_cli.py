"""The `statuspage` command as scripts use it."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from statuspage.cli import main
from statuspage.extensions import db
from statuspage.models import Component, Incident, User
from statuspage.services import accounts


def test_create_user_takes_the_password_as_an_option(app, runner):
    result = runner.invoke(main, ["create-user", "ops@example.com", "--role", "admin", "--password", "long enough pw"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(User.role).where(User.email == "ops@example.com")) == "admin"


def test_create_user_prompts_for_the_password(app, runner, clock):
    result = runner.invoke(main, ["create-user", "ops@example.com"], input="long enough pw\nlong enough pw\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert accounts.authenticate("ops@example.com", "long enough pw", now=clock.now()) is not None


def test_a_failing_command_exits_non_zero_with_one_line(runner):
    runner.invoke(main, ["create-user", "ops@example.com", "--password", "long enough pw"])
    result = runner.invoke(main, ["create-user", "ops@example.com", "--password", "long enough pw"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == ["Error: A user with this email already exists."]


def test_create_token_prints_the_token_alone_on_its_last_line(app, runner, clock):
    result = runner.invoke(main, ["create-token", "--role", "responder", "--label", "deploy"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("sp_") and " " not in token
    with app.app_context():
        assert accounts.authenticate_token(token, now=clock.now()).role == "responder"


def test_demo_loads_a_realistic_page_once(app, runner, client):
    result = runner.invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Component)) == 12
        assert db.session.scalar(select(func.count()).select_from(Incident).where(Incident.status == "identified")) == 1
        assert db.session.scalar(select(func.count()).select_from(Incident).where(Incident.kind == "maintenance")) == 1
    assert "Dashboard and sign-in unavailable" in client.get("/").get_data(as_text=True)
    again = runner.invoke(main, ["demo"])
    assert again.exit_code == 1
    assert runner.invoke(main, ["demo", "--if-empty"]).exit_code == 0


def test_every_command_has_help(runner):
    for command in ("init-db", "create-user", "create-token", "demo", "run"):
        result = runner.invoke(main, [command, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output


def test_statuspage_run_serves_the_site(tmp_path):
    """The development server the README names: it listens and answers (app.run() inside the flask command
    line would return at once)."""
    import os
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path

    from tests.servers import ROOT, free_port

    port = free_port()
    env = {**os.environ, "STATUSPAGE_INSTANCE_DIR": str(tmp_path), "STATUSPAGE_ENV_FILE": "/nonexistent",
           "STATUSPAGE_SECRET_KEY": "test"}
    command = [str(Path(sys.executable).with_name("statuspage")), "run", "--port", str(port)]
    with subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as server:
        try:
            deadline = time.monotonic() + 60
            while True:
                assert server.poll() is None, "statuspage run exited"
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                        assert response.status == 200
                        break
                except OSError:
                    assert time.monotonic() < deadline, "statuspage run did not answer"
                    time.sleep(0.1)  # waiting for a process to listen, not for timing
        finally:
            server.terminate()
            server.wait(10)


def test_remove_second_factor_for_a_user_locked_out(app, runner, clock):
    import pyotp

    from statuspage.services import totp
    from statuspage.services.audit import CLI

    runner.invoke(main, ["create-user", "ops@example.com", "--role", "admin", "--password", "long enough pw"])
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == "ops@example.com"))
        secret = totp.start_enrolment(user_id, now=clock.now())
        totp.confirm_enrolment(user_id, pyotp.TOTP(secret).at(clock.now()), by=CLI, now=clock.now())
        assert db.session.get(User, user_id).has_totp
        db.session.remove()
    result = runner.invoke(main, ["remove-second-factor", "OPS@example.com"])
    assert result.exit_code == 0, result.output
    assert "Removed the one-time-password app of ops@example.com" in result.output
    with app.app_context():
        assert not db.session.get(User, user_id).has_totp
    result = runner.invoke(main, ["remove-second-factor", "nobody@example.com"])
    assert result.exit_code == 1
    assert result.output.strip() == "Error: No user with the address nobody@example.com."


def test_remove_second_factor_says_so_when_the_user_has_no_app(app, runner):
    runner.invoke(main, ["create-user", "ops@example.com", "--role", "admin", "--password", "long enough pw"])
    result = runner.invoke(main, ["remove-second-factor", "ops@example.com"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == ("ops@example.com has no one-time-password app: nothing removed; they sign in "
                                     "with the password alone.")
    with app.app_context():
        from statuspage.models import AuditEntry
        assert not db.session.scalar(select(func.count()).select_from(AuditEntry)
                                     .where(AuditEntry.action == "user.totp_remove"))


def test_the_demo_ships_incident_templates_for_the_composer(app, runner, client):
    from statuspage.models import IncidentTemplate

    assert runner.invoke(main, ["demo"]).exit_code == 0
    with app.app_context():
        names = set(db.session.scalars(select(IncidentTemplate.name)))
    assert names == {"Outage", "Slow responses"}
    from tests.builders import sign_in

    sign_in(client, "admin@example.com", "demo-password")
    composer = client.get("/admin/incidents/new").get_data(as_text=True)
    assert 'class="template-picker"' in composer and "Slow responses" in composer


def test_version_says_statuspages_own_version(runner):
    from importlib.metadata import version

    result = runner.invoke(main, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"statuspage, version {version('statuspage')}"


@pytest.mark.parametrize(("variable", "value", "says"), [
    ("STATUSPAGE_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none",
     "Error: the database of STATUSPAGE_DATABASE_URL cannot be used: "),
    ("STATUSPAGE_DATABASE_URL", "sqlite:////nonexistent/folder/statuspage.db",
     "Error: the database of STATUSPAGE_DATABASE_URL cannot be used: unable to open database file"),
    ("STATUSPAGE_DATABASE_URL", "mysql://someone:hunter2@db/statuspage",
     "Error: STATUSPAGE_DATABASE_URL must be sqlite:///… or postgresql+psycopg://…, got 'mysql://someone:***@db/"),
    ("STATUSPAGE_RATELIMIT_STORAGE_URL", "bogus://", "Error: STATUSPAGE_RATELIMIT_STORAGE_URL must be empty"),
])
def test_a_database_or_storage_that_cannot_be_used_ends_a_command_in_one_line(tmp_path, variable, value, says):
    """As a process on its own, as an operator runs it: no traceback, no password repeated, exit status 1."""
    env = {**os.environ, "STATUSPAGE_ENV_FILE": "/nonexistent", "STATUSPAGE_INSTANCE_DIR": str(tmp_path),
           "STATUSPAGE_DATABASE_URL": f"sqlite:///{tmp_path}/statuspage.db", variable: value}
    done = subprocess.run([sys.executable, "-c", "from statuspage.cli import main; main()", "pages", "list"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith(says) and "Traceback" not in done.stderr, done.stderr
    assert "hunter2" not in done.stderr


def test_a_bad_setting_stops_gunicorn_in_one_line_instead_of_restarting_workers(tmp_path):
    """gunicorn.conf.py's workers exit with 4 ("the app failed to load"): the arbiter stops, each worker said one line."""
    env = {**os.environ, "STATUSPAGE_ENV_FILE": "/nonexistent", "STATUSPAGE_INSTANCE_DIR": str(tmp_path),
           "STATUSPAGE_DATABASE_URL": "mysql://someone@db/statuspage", "STATUSPAGE_BIND": "127.0.0.1:0",
           "STATUSPAGE_WORKERS": "1"}
    done = subprocess.run([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"], env=env, capture_output=True,
                          text=True, timeout=60, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr
    assert "Error: STATUSPAGE_DATABASE_URL must be sqlite:///… or postgresql+psycopg://…" in done.stderr
