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
    ("STATUSPAGE_ZENDESK_URL", "https://bot:pw@acme.zendesk.com", "STATUSPAGE_ZENDESK_URL must be a desk's address "
     "such as https://acme.example.com, with no user or password in it"),
    ("STATUSPAGE_DESK_TIMEOUT_S", "soon", "STATUSPAGE_DESK_TIMEOUT_S must be a whole number"),
    ("STATUSPAGE_ALERTS_PUBLISH", "drafts", "STATUSPAGE_ALERTS_PUBLISH must be 1 or 0, got 'drafts'"),
    # numbers that would start and then fail every request, or never deliver, or never confirm
    ("STATUSPAGE_MAX_REQUEST_BYTES", "-1", "STATUSPAGE_MAX_REQUEST_BYTES must be from 1024 to"),
    ("STATUSPAGE_DB_POOL_SIZE", "-3", "STATUSPAGE_DB_POOL_SIZE must be from 1 to"),
    ("STATUSPAGE_WEB_THREADS", "0", "STATUSPAGE_WEB_THREADS must be from 1 to"),
    ("STATUSPAGE_DELIVERY_ATTEMPTS", "0", "STATUSPAGE_DELIVERY_ATTEMPTS must be from 1 to"),
    ("STATUSPAGE_CONFIRM_LINK_DAYS", "-1", "STATUSPAGE_CONFIRM_LINK_DAYS must be from 1 to"),
    ("STATUSPAGE_SUSPECT_TICKETS", "0", "STATUSPAGE_SUSPECT_TICKETS must be from 1 to"),
    ("STATUSPAGE_SMTP_PORT", "70000", "STATUSPAGE_SMTP_PORT must be from 1 to 65535"),
    ("STATUSPAGE_CHECK_CA_FILE", "/nonexistent/ca.pem", "STATUSPAGE_CHECK_CA_FILE must name a file that exists"),
])
def test_a_bad_value_stops_start_up_with_one_clear_line(tmp_path, name, value, message):
    with pytest.raises(SettingsError) as raised:
        load_settings(environ={name: value, "STATUSPAGE_INSTANCE_DIR": str(tmp_path),
                               "STATUSPAGE_ENV_FILE": "/nonexistent"})
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_alerts_publish_by_default_and_grafanas_secret_is_taken_as_it_is(tmp_path):
    base = {"STATUSPAGE_INSTANCE_DIR": str(tmp_path), "STATUSPAGE_ENV_FILE": "/nonexistent"}
    defaults = load_settings(environ=base)
    assert defaults.alerts_publish is True and defaults.grafana_secret == ""
    chosen = load_settings(environ={**base, "STATUSPAGE_ALERTS_PUBLISH": "0", "STATUSPAGE_GRAFANA_SECRET": " s3cret "})
    assert chosen.alerts_publish is False and chosen.grafana_secret == " s3cret "  # a secret's spaces are its own


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


def test_desk_settings_come_from_the_environment_and_stay_out_of_repr(tmp_path):
    settings = load_settings(environ={
        "STATUSPAGE_INSTANCE_DIR": str(tmp_path), "STATUSPAGE_SECRET_KEY": "k",
        "STATUSPAGE_ZENDESK_SUBDOMAIN": "acme", "STATUSPAGE_ZENDESK_EMAIL": "agent@acme.example",
        "STATUSPAGE_ZENDESK_TOKEN": "zd-token", "STATUSPAGE_FRESHDESK_URL": "acme.freshdesk.com",
        "STATUSPAGE_FRESHDESK_API_KEY": "fd-key", "STATUSPAGE_ZAMMAD_URL": "https://zammad.acme.example/",
        "STATUSPAGE_ZAMMAD_TOKEN": "zm-token", "STATUSPAGE_ENV_FILE": str(tmp_path / "none.env")})
    assert (settings.zendesk_url, settings.freshdesk_url, settings.zammad_url) == (
        "https://acme.zendesk.com", "https://acme.freshdesk.com", "https://zammad.acme.example")
    for secret in ("zd-token", "fd-key", "zm-token"):
        assert secret not in repr(settings)
    with pytest.raises(SettingsError) as raised:
        load_settings(environ={"STATUSPAGE_INSTANCE_DIR": str(tmp_path), "STATUSPAGE_SECRET_KEY": "k",
                               "STATUSPAGE_FRESHDESK_URL": "https://apikey:s3cr3t@acme.freshdesk.com",
                               "STATUSPAGE_ENV_FILE": str(tmp_path / "none.env")})
    assert "s3cr3t" not in str(raised.value)
    with pytest.raises(SettingsError, match="STATUSPAGE_ZAMMAD_URL"):
        load_settings(environ={"STATUSPAGE_INSTANCE_DIR": str(tmp_path), "STATUSPAGE_SECRET_KEY": "k",
                               "STATUSPAGE_ZAMMAD_URL": "ftp://zammad.example",
                               "STATUSPAGE_ENV_FILE": str(tmp_path / "none.env")})
def test_alert_urls_are_a_list_checked_at_start_up_and_never_repeated_back(tmp_path, monkeypatch):
    """Read by load_settings, checked by create_app (the check is notify/'s): no app is made."""
    environ = {"STATUSPAGE_INSTANCE_DIR": str(tmp_path), "STATUSPAGE_ENV_FILE": "/nonexistent",
               "STATUSPAGE_ALERT_URLS": "slack://T000/B000/SecretTokenXYZ/#ops,\n json://10.0.0.5:8080/alerts"}
    settings = load_settings(environ=environ)
    assert settings.alert_urls == ("slack://T000/B000/SecretTokenXYZ/#ops", "json://10.0.0.5:8080/alerts")
    assert "SecretTokenXYZ" not in repr(settings)  # an internal host is fine: the operator chose it
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    create_app({"secret_key": "test", "database_url": f"sqlite:///{tmp_path}/x.db"})
    for bad, says in (("mailto://ops:SecretTokenXYZ@example.com", "not offered here"),
                      ("nonsense-SecretTokenXYZ", "needs a scheme")):
        monkeypatch.setenv("STATUSPAGE_ALERT_URLS", f"json://10.0.0.5/a {bad}")
        with pytest.raises(SettingsError) as error:
            create_app({"secret_key": "test", "database_url": f"sqlite:///{tmp_path}/x.db"})
        message = str(error.value)
        assert message.startswith("STATUSPAGE_ALERT_URLS, URL 2: ") and says in message
        assert "SecretTokenXYZ" not in message


def test_single_sign_on_settings_are_read_and_checked(tmp_path):
    environ = {"STATUSPAGE_INSTANCE_DIR": str(tmp_path), "STATUSPAGE_ENV_FILE": "/nonexistent",
               "STATUSPAGE_OIDC_DISCOVERY_URL": "https://id.example.com/.well-known/openid-configuration",
               "STATUSPAGE_OIDC_CLIENT_ID": "status", "STATUSPAGE_OIDC_SCOPES": "openid,email groups",
               "STATUSPAGE_OIDC_ROLE_MAPPING": "statuspage-admins=admin, ops=responder",
               "STATUSPAGE_OIDC_DEFAULT_ROLE": "viewer", "STATUSPAGE_PASSWORD_SIGN_IN": "0",
               "STATUSPAGE_TOTP_REQUIRED": "1"}
    settings = load_settings(environ=environ)
    assert settings.oidc_enabled and not settings.password_sign_in and settings.totp_required
    assert settings.oidc_scopes == "openid email groups"
    assert settings.oidc_role_mapping == (("statuspage-admins", "admin"), ("ops", "responder"))
    assert not load_settings(environ={"STATUSPAGE_INSTANCE_DIR": str(tmp_path),
                                      "STATUSPAGE_ENV_FILE": "/nonexistent"}).oidc_enabled


@pytest.mark.parametrize("changes, message", [
    ({"STATUSPAGE_OIDC_ROLE_MAPPING": "admins=root"}, "STATUSPAGE_OIDC_ROLE_MAPPING must read group=role"),
    ({"STATUSPAGE_OIDC_ROLE_MAPPING": "admins"}, "STATUSPAGE_OIDC_ROLE_MAPPING must read group=role"),
    ({"STATUSPAGE_OIDC_DEFAULT_ROLE": "intake"}, "STATUSPAGE_OIDC_DEFAULT_ROLE must be empty or one of"),
    ({"STATUSPAGE_OIDC_SCOPES": "email profile"}, "STATUSPAGE_OIDC_SCOPES must include openid"),
    ({"STATUSPAGE_OIDC_DISCOVERY_URL": "id.example.com"}, "STATUSPAGE_OIDC_DISCOVERY_URL must be"),
    ({"STATUSPAGE_PASSWORD_SIGN_IN": "0", "STATUSPAGE_OIDC_DISCOVERY_URL": ""},
     "STATUSPAGE_PASSWORD_SIGN_IN=0 needs single sign-on"),
])
def test_bad_single_sign_on_settings_stop_start_up(tmp_path, changes, message):
    environ = {"STATUSPAGE_INSTANCE_DIR": str(tmp_path), "STATUSPAGE_ENV_FILE": "/nonexistent",
               "STATUSPAGE_OIDC_DISCOVERY_URL": "https://id.example.com/.well-known/openid-configuration",
               "STATUSPAGE_OIDC_CLIENT_ID": "status", **changes}
    with pytest.raises(SettingsError, match=message):
        load_settings(environ=environ)


def test_the_per_address_and_per_account_sign_in_limits_are_read_and_checked(tmp_path):
    base = {"STATUSPAGE_INSTANCE_DIR": str(tmp_path), "STATUSPAGE_ENV_FILE": "/nonexistent"}
    defaults = load_settings(environ=base)
    assert (defaults.sign_in_link_rate_limit, defaults.account_login_rate_limit) == ("3 per hour", "10 per 15 minutes")
    chosen = load_settings(environ={**base, "STATUSPAGE_SIGN_IN_LINK_RATE_LIMIT": "2 per hour",
                                    "STATUSPAGE_ACCOUNT_LOGIN_RATE_LIMIT": " 5 per hour "})
    assert (chosen.sign_in_link_rate_limit, chosen.account_login_rate_limit) == ("2 per hour", "5 per hour")
    for name in ("STATUSPAGE_SIGN_IN_LINK_RATE_LIMIT", "STATUSPAGE_ACCOUNT_LOGIN_RATE_LIMIT"):
        with pytest.raises(SettingsError) as raised:
            load_settings(environ={**base, name: "lots"})
        assert str(raised.value).startswith(f"{name} must be a rate such as")
