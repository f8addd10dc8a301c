"""Settings come from the environment and .env, typed, with one clear line when wrong."""
import multiprocessing

import pytest

from statuspage import create_app
from statuspage.config import SettingsError, load_settings


def test_defaults_run_on_sqlite_in_the_instance_folder(tmp_path):
    settings = load_settings(environ={"STATUSPAGE_INSTANCE_DIR": str(tmp_path), "STATUSPAGE_ENV_FILE": "/nonexistent"})
    assert settings.database_url == f"sqlite:///{tmp_path / 'statuspage.db'}"
    assert settings.timezone == "Europe/Berlin"
    assert settings.languages == ("en", "de", "fr")


def test_the_secret_key_is_generated_once_and_kept(tmp_path):
    environ = {"STATUSPAGE_INSTANCE_DIR": str(tmp_path), "STATUSPAGE_ENV_FILE": "/nonexistent"}
    first = load_settings(environ=environ).secret_key
    assert len(first) >= 40
    assert load_settings(environ=environ).secret_key == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_real_environment_variables_win_over_the_env_file(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("STATUSPAGE_SITE_NAME=From file\nSTATUSPAGE_TIMEZONE=Europe/Paris\n")
    settings = load_settings(environ={"STATUSPAGE_ENV_FILE": str(env_file), "STATUSPAGE_INSTANCE_DIR": str(tmp_path),
                                      "STATUSPAGE_SITE_NAME": "From environment"})
    assert settings.site_name == "From environment"
    assert settings.timezone == "Europe/Paris"


@pytest.mark.parametrize("name, value, message", [
    ("STATUSPAGE_MAX_REQUEST_BYTES", "abc", "STATUSPAGE_MAX_REQUEST_BYTES must be a whole number, got 'abc'"),
    ("STATUSPAGE_TIMEZONE", "Mars/Olympus", "STATUSPAGE_TIMEZONE must be an IANA zone"),
    ("STATUSPAGE_LANGUAGES", "en,xx", "STATUSPAGE_LANGUAGES must list some of en, de, fr"),
    ("STATUSPAGE_BASE_URL", "javascript:alert(1)", "STATUSPAGE_BASE_URL must start with http:// or https://"),
    ("STATUSPAGE_SESSION_COOKIE_SECURE", "maybe", "STATUSPAGE_SESSION_COOKIE_SECURE must be 1 or 0"),
    ("STATUSPAGE_SITE_NAME", "x" * 101, "STATUSPAGE_SITE_NAME must be 1 to 100 characters"),
])
def test_a_bad_value_stops_start_up_with_one_clear_line(tmp_path, name, value, message):
    with pytest.raises(SettingsError) as raised:
        load_settings(environ={name: value, "STATUSPAGE_INSTANCE_DIR": str(tmp_path),
                               "STATUSPAGE_ENV_FILE": "/nonexistent"})
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize("overrides, message", [
    ({"support_hours": "17:00-09:00"}, "close after"), ({"holiday_country": "XX"}, "holiday"),
    ({"holiday_subdivision": "ZZ"}, "holiday"),
])
def test_bad_support_hours_stop_start_up_with_one_clear_line(tmp_path, overrides, message):
    """Checked by create_app (the calendar is support/'s), as before by load_settings: no app is made."""
    with pytest.raises(SettingsError, match=f"^support hours: .*{message}") as raised:
        create_app({"instance_dir": tmp_path, "secret_key": "test", "database_url": f"sqlite:///{tmp_path}/x.db",
                    **overrides})
    assert "\n" not in str(raised.value)


def _first_start(instance_dir, barrier, results):
    environ = {"STATUSPAGE_INSTANCE_DIR": str(instance_dir), "STATUSPAGE_ENV_FILE": "/nonexistent"}
    barrier.wait()  # every process starts reading settings at the same moment
    results.put(load_settings(environ=environ).secret_key)


def test_processes_starting_at_once_all_end_with_the_same_secret_key(tmp_path):
    """Several gunicorn workers (or a worker and the scheduler) start on a fresh instance folder together:
    exactly one key is made, and none of them reads a half-written (empty) file."""
    context = multiprocessing.get_context("fork")
    processes, rounds = 6, 15
    for round_ in range(rounds):
        instance_dir = tmp_path / f"instance-{round_}"
        barrier, results = context.Barrier(processes), context.Queue()
        started = [context.Process(target=_first_start, args=(instance_dir, barrier, results)) for _ in range(processes)]
        for process in started:
            process.start()
        for process in started:
            process.join(60)
        assert [process.exitcode for process in started] == [0] * processes, f"round {round_}: a start failed"
        keys = [results.get(timeout=5) for _ in started]
        assert len(set(keys)) == 1 and len(keys[0]) >= 40, f"round {round_}: {keys}"
        assert (instance_dir / "secret_key").read_text().strip() == keys[0]
        assert [p.name for p in instance_dir.iterdir()] == ["secret_key"], "no temporary file left behind"
