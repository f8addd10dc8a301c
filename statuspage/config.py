"""Settings from STATUSPAGE_* environment variables and .env, typed, with clear errors."""
from __future__ import annotations

import ipaddress
import os
import secrets
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

LANGUAGES = ("en", "de", "fr")


class SettingsError(Exception):
    """A setting has a value we cannot use; the message is one line for the operator."""


@dataclass(frozen=True)
class Settings:
    instance_dir: Path = Path("instance")
    database_url: str = ""
    secret_key: str = ""
    site_name: str = "Status"
    base_url: str = "http://127.0.0.1:8000"
    timezone: str = "Europe/Berlin"
    languages: tuple[str, ...] = LANGUAGES
    default_language: str = "en"
    max_request_bytes: int = 1_000_000
    login_rate_limit: str = "10 per minute"
    subscribe_rate_limit: str = "5 per minute; 30 per hour"
    ratelimit_storage_url: str = ""  # empty: the database (ratelimits.py), which every worker and host shares
    confirmation_rate_limit: str = "3 per day"  # confirmation messages per address
    sign_in_link_rate_limit: str = "3 per hour"  # a private page's sign-in links per page and address
    account_login_rate_limit: str = "10 per 15 minutes"  # failed sign-ins per console account, per page password
    trusted_proxies: tuple = ()  # networks whose X-Forwarded-* headers are believed (statuspage/__init__.py)
    session_cookie_secure: bool = False
    db_pool_size: int = 5
    web_threads: int = 8  # per web process, for requests the page cache cannot answer (web/server.py)
    db_statement_timeout_ms: int = 10_000
    frame_ancestors: str = "'none'"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_security: str = "none"
    mail_from: str = "status@localhost"
    webhook_allow_private: bool = False
    delivery_attempts: int = 8
    confirm_link_days: int = 7
    checks_dir: Path = Path("checks")
    export_dir: str = ""
    checks_auto_resolve: bool = True
    check_result_retention_days: int = 14
    check_concurrency: int = 200
    check_ca_file: str = ""
    scheduler_lease_seconds: int = 15
    support_timezone: str = "Europe/Berlin"
    support_hours: str = "09:00-17:00"
    holiday_country: str = "DE"
    holiday_subdivision: str = ""
    ticket_match_threshold: float = 0.5
    ticket_model: str = ""          # weights fitted by `statuspage tickets fit`; empty: the packaged ones
    intake_secret: str = ""
    suspect_tickets: int = 5
    suspect_window_minutes: int = 15
    suspect_publish: bool = False
    intake_follows_per_domain: int = 20
    intake_follows_per_token: int = 200
    alerts_publish: bool = True     # incidents opened by Alertmanager/Grafana alerts: public, or console drafts
    maintenance_reminder_minutes: int = 60  # a new window's reminder when none is chosen (console, API); 0: none
    grafana_secret: str = ""        # the HMAC secret of Grafana's webhook contact point; empty: token alone
    log_level: str = "info"         # the scheduler's (and gunicorn's): warning, info, or debug for every job run
    # Help desks written back (notify/desk_writes.py): a desk is written to when its URL and credentials are set.
    # The secrets are left out of the settings' repr, so a logged or printed Settings never shows them.
    zendesk_url: str = ""           # https://<subdomain>.zendesk.com (STATUSPAGE_ZENDESK_SUBDOMAIN sets it too)
    zendesk_email: str = ""         # the agent the API token belongs to
    zendesk_token: str = field(default="", repr=False)
    freshdesk_url: str = ""         # https://<domain>.freshdesk.com
    freshdesk_api_key: str = field(default="", repr=False)
    freshdesk_email: str = ""       # the requester of tracker tickets (an agent's address)
    zammad_url: str = ""            # https://zammad.example.com
    zammad_token: str = field(default="", repr=False)
    zammad_group: str = "Users"     # the group known-problem tickets are made in
    desk_timeout_s: int = 20
    # Engineers' alerts (suspected incidents, incidents a check opened, deliveries failed for good) also go to
    # these Apprise URLs (notify/channels/chat.py). Secrets: never in a repr, a log or the database.
    alert_urls: tuple[str, ...] = field(default=(), repr=False)
    password_sign_in: bool = True   # 0: the console's password form is gone, single sign-on only
    totp_required: bool = False     # every local account needs a one-time-password app (services/totp.py)
    oidc_discovery_url: str = ""    # <issuer>/.well-known/openid-configuration; empty: no single sign-on
    oidc_client_id: str = ""
    oidc_client_secret: str = field(default="", repr=False)
    oidc_button_label: str = ""     # empty: "Sign in with single sign-on" in the reader's language
    oidc_scopes: str = "openid email profile"
    oidc_role_claim: str = "groups"
    oidc_role_mapping: tuple = ()   # ((group, role), ...) from "statuspage-admins=admin,statuspage-ops=responder"
    oidc_default_role: str = ""     # role when no group maps; empty: such sign-ins are refused
    oidc_create_users: bool = False  # a first sign-in makes a console user (else only existing addresses)

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_discovery_url and self.oidc_client_id)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def db_max_overflow(self) -> int:
        """Connections the pool may open past db_pool_size under load, closed again when returned: as many."""
        return self.db_pool_size

    @property
    def database_connections_per_worker(self) -> int:
        """PostgreSQL connections one web worker holds at most, counted in this one place (the README's formula
        is this sum, tests/integration/test_production_server.py measures it): the SQLAlchemy pool and its
        overflow (statuspage/__init__.py:_engine_options), one change-counter connection per Flask thread
        (services/site_version.py:Reader) and the event loop's own (services/site_version.py:LoopReader).
        SQLite opens none of these on a server: a file, a fresh connection per request."""
        return self.db_pool_size + self.db_max_overflow + self.web_threads + 1

    @property
    def host(self) -> str:
        """The site's host name, from its base URL (for Message-IDs and List-Id)."""
        return urlsplit(self.base_url).hostname or "localhost"


def _text(value: str) -> str:
    return value.strip()


def _int(name: str, low: int = 1, high: int = 10 ** 9):
    """A whole number from low to high: a zero pool, a negative request limit or a 0-day link would start
    and then fail every request, so start-up refuses them."""
    def read(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise SettingsError(f"STATUSPAGE_{name.upper()} must be a whole number, got {value!r}") from None
        if not low <= number <= high:
            raise SettingsError(f"STATUSPAGE_{name.upper()} must be from {low} to {high}, got {value!r}")
        return number
    return read


def _existing_file(name: str):
    def read(value: str) -> str:
        value = value.strip()
        if value and not Path(value).is_file():
            raise SettingsError(f"STATUSPAGE_{name.upper()} must name a file that exists, got {value!r}")
        return value
    return read


def _share(name: str):
    def read(value: str) -> float:
        try:
            share = float(value)
        except ValueError:
            share = -1.0
        if not 0.0 <= share <= 1.0:
            raise SettingsError(f"STATUSPAGE_{name.upper()} must be a number from 0 to 1, got {value!r}")
        return share
    return read


def _bool(name: str):
    def read(value: str) -> bool:
        lowered = value.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off", ""):
            return False
        raise SettingsError(f"STATUSPAGE_{name.upper()} must be 1 or 0, got {value!r}")
    return read


def _languages(value: str) -> tuple[str, ...]:
    chosen = tuple(part.strip() for part in value.split(",") if part.strip())
    unknown = [lang for lang in chosen if lang not in LANGUAGES]
    if unknown or not chosen:
        raise SettingsError(f"STATUSPAGE_LANGUAGES must list some of {', '.join(LANGUAGES)}, got {value!r}")
    return chosen


def _timezone(name: str):
    def read(value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingsError(
                f"STATUSPAGE_{name.upper()} must be an IANA zone such as Europe/Berlin, got {value!r}") from None
        return value
    return read


def _site_name(value: str) -> str:
    """The name lands in every page's HTML and in mail subjects: short, one line, printable."""
    value = value.strip()
    if not 1 <= len(value) <= 100 or any(ord(ch) < 32 for ch in value):
        raise SettingsError("STATUSPAGE_SITE_NAME must be 1 to 100 characters on one line")
    return value


def _limit(name: str):
    def read(value: str) -> str:
        from limits import parse_many

        try:
            parse_many(value)
        except ValueError:
            raise SettingsError(f"STATUSPAGE_{name.upper()} must be a rate such as \"10 per minute\" "
                                f"(several with ;), got {value!r}") from None
        return value.strip()
    return read


def _networks(value: str) -> tuple:
    """Comma-separated IP addresses or networks (CIDR): 127.0.0.1, 10.0.0.0/8, ::1."""
    try:
        return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in value.split(",") if part.strip())
    except ValueError:
        raise SettingsError("STATUSPAGE_TRUSTED_PROXIES must list IP addresses or networks such as 10.0.0.0/8, "
                            f"comma-separated, got {value!r}") from None


LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


def _reminder_minutes(value: str) -> int:
    minutes = _int("maintenance_reminder_minutes", 0)(value)
    if not 0 <= minutes <= 10_080:
        raise SettingsError("STATUSPAGE_MAINTENANCE_REMINDER_MINUTES must be from 0 (no reminder) to 10080 "
                            f"(a week), got {value!r}")
    return minutes


def _log_level(value: str) -> str:
    value = value.strip().lower()
    if value not in LOG_LEVELS:
        raise SettingsError(f"STATUSPAGE_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {value!r}")
    return value


def _smtp_security(value: str) -> str:
    if value not in ("none", "starttls", "tls"):
        raise SettingsError(f"STATUSPAGE_SMTP_SECURITY must be none, starttls or tls, got {value!r}")
    return value


def _desk_url(name: str):
    def read(value: str) -> str:
        value = value.strip().rstrip("/")
        if not value:
            return ""
        if "://" not in value:
            value = f"https://{value}"  # a bare domain, as the desks' settings pages show it
        parts = urlsplit(value)
        if parts.username or parts.password:  # not echoed: the line would show the password
            raise SettingsError(f"STATUSPAGE_{name.upper()} must be a desk's address such as "
                                "https://acme.example.com, with no user or password in it")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SettingsError(f"STATUSPAGE_{name.upper()} must be a desk's address such as "
                                f"https://acme.example.com, got {value!r}")
        return value
    return read
def _url_list(value: str) -> tuple[str, ...]:
    """Apprise URLs separated by spaces, commas or new lines; checked in load_settings."""
    return tuple(part for part in value.replace(",", " ").split() if part)


def _base_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise SettingsError(f"STATUSPAGE_BASE_URL must start with http:// or https://, got {value!r}")
    return value.rstrip("/")


ROLES = ("viewer", "responder", "admin")


def _role_mapping(value: str) -> tuple:
    """"group=role,group=role": which value of the role claim gives which console role."""
    pairs = []
    for part in value.split(","):
        if not part.strip():
            continue
        group, _sep, role = part.rpartition("=")
        if not group.strip() or role.strip() not in ROLES:
            raise SettingsError("STATUSPAGE_OIDC_ROLE_MAPPING must read group=role,group=role with roles from "
                                f"{', '.join(ROLES)}, got {value!r}")
        pairs.append((group.strip(), role.strip()))
    return tuple(pairs)


def _role(value: str) -> str:
    value = value.strip()
    if value and value not in ROLES:
        raise SettingsError(f"STATUSPAGE_OIDC_DEFAULT_ROLE must be empty or one of {', '.join(ROLES)}, got {value!r}")
    return value


def _discovery_url(value: str) -> str:
    value = value.strip()
    if value and not value.startswith(("https://", "http://")):
        raise SettingsError("STATUSPAGE_OIDC_DISCOVERY_URL must be the provider's "
                            f"https://.../.well-known/openid-configuration, got {value!r}")
    return value


def _scopes(value: str) -> str:
    scopes = value.replace(",", " ").split()
    if "openid" not in scopes:
        raise SettingsError(f"STATUSPAGE_OIDC_SCOPES must include openid, got {value!r}")
    return " ".join(scopes)


READERS = {
    "instance_dir": Path,
    "database_url": _text,
    "secret_key": _text,
    "site_name": _site_name,
    "base_url": _base_url,
    "timezone": _timezone("timezone"),
    "languages": _languages,
    "default_language": _text,
    "max_request_bytes": _int("max_request_bytes", 1024, 10_000_000_000),
    "login_rate_limit": _limit("login_rate_limit"),
    "subscribe_rate_limit": _limit("subscribe_rate_limit"),
    "ratelimit_storage_url": _text,
    "confirmation_rate_limit": _limit("confirmation_rate_limit"),
    "sign_in_link_rate_limit": _limit("sign_in_link_rate_limit"),
    "account_login_rate_limit": _limit("account_login_rate_limit"),
    "trusted_proxies": _networks,
    "session_cookie_secure": _bool("session_cookie_secure"),
    "db_pool_size": _int("db_pool_size", 1, 10_000),
    "web_threads": _int("web_threads", 1, 10_000),
    "db_statement_timeout_ms": _int("db_statement_timeout_ms", 0, 86_400_000),
    "frame_ancestors": _text,
    "smtp_host": _text,
    "smtp_port": _int("smtp_port", 1, 65_535),
    "smtp_user": _text,
    "smtp_password": str,
    "smtp_security": _smtp_security,
    "mail_from": _text,
    "webhook_allow_private": _bool("webhook_allow_private"),
    "delivery_attempts": _int("delivery_attempts", 1, 1_000),
    "confirm_link_days": _int("confirm_link_days", 1, 3_650),
    "checks_dir": Path,
    "export_dir": _text,
    "checks_auto_resolve": _bool("checks_auto_resolve"),
    "check_result_retention_days": _int("check_result_retention_days", 1, 36_500),
    "check_concurrency": _int("check_concurrency", 1, 100_000),
    "check_ca_file": _existing_file("check_ca_file"),
    "scheduler_lease_seconds": _int("scheduler_lease_seconds", 1, 86_400),
    "support_timezone": _timezone("support_timezone"),
    "support_hours": _text,
    "holiday_country": _text,
    "holiday_subdivision": _text,
    "ticket_match_threshold": _share("ticket_match_threshold"),
    "ticket_model": _text,
    "intake_secret": str,
    "suspect_tickets": _int("suspect_tickets", 1, 1_000_000),
    "suspect_window_minutes": _int("suspect_window_minutes", 1, 525_600),
    "suspect_publish": _bool("suspect_publish"),
    "intake_follows_per_domain": _int("intake_follows_per_domain", 0, 1_000_000_000),
    "intake_follows_per_token": _int("intake_follows_per_token", 0, 1_000_000_000),
    "alerts_publish": _bool("alerts_publish"),
    "maintenance_reminder_minutes": _reminder_minutes,
    "grafana_secret": str,
    "log_level": _log_level,
    "zendesk_url": _desk_url("zendesk_url"),
    "zendesk_email": _text,
    "zendesk_token": _text,
    "freshdesk_url": _desk_url("freshdesk_url"),
    "freshdesk_api_key": _text,
    "freshdesk_email": _text,
    "zammad_url": _desk_url("zammad_url"),
    "zammad_token": _text,
    "zammad_group": _text,
    "desk_timeout_s": _int("desk_timeout_s", 1, 3_600),
    "alert_urls": _url_list,
    "password_sign_in": _bool("password_sign_in"),
    "totp_required": _bool("totp_required"),
    "oidc_discovery_url": _discovery_url,
    "oidc_client_id": _text,
    "oidc_client_secret": str,
    "oidc_button_label": _text,
    "oidc_scopes": _scopes,
    "oidc_role_claim": _text,
    "oidc_role_mapping": _role_mapping,
    "oidc_default_role": _role,
    "oidc_create_users": _bool("oidc_create_users"),
}


def load_settings(overrides: dict | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Read settings: overrides win, then real environment variables, then .env, then defaults."""
    environ = os.environ if environ is None else environ
    raw: dict[str, str] = {}
    dotenv_file = Path(environ.get("STATUSPAGE_ENV_FILE", ".env"))
    if dotenv_file.is_file():
        raw.update({k: v for k, v in dotenv_values(dotenv_file).items() if v is not None})
    raw.update(environ)
    values: dict = {}
    for item in fields(Settings):
        env_name = f"STATUSPAGE_{item.name.upper()}"
        if item.name in READERS and env_name in raw:
            values[item.name] = READERS[item.name](raw[env_name])
    subdomain = raw.get("STATUSPAGE_ZENDESK_SUBDOMAIN", "").strip()
    if subdomain and "zendesk_url" not in values:
        values["zendesk_url"] = _desk_url("zendesk_subdomain")(f"{subdomain}.zendesk.com")
    values.update(overrides or {})
    settings = Settings(**values)
    instance_dir = settings.instance_dir.resolve()
    defaults: dict[str, object] = {"instance_dir": instance_dir}
    if not settings.database_url:
        defaults["database_url"] = f"sqlite:///{instance_dir / 'statuspage.db'}"
    if not settings.secret_key:
        defaults["secret_key"] = _instance_secret_key(instance_dir)
    if settings.default_language not in settings.languages:
        raise SettingsError(f"STATUSPAGE_DEFAULT_LANGUAGE must be one of {', '.join(settings.languages)}")
    if not settings.password_sign_in and not settings.oidc_enabled:
        raise SettingsError("STATUSPAGE_PASSWORD_SIGN_IN=0 needs single sign-on (STATUSPAGE_OIDC_DISCOVERY_URL and "
                            "STATUSPAGE_OIDC_CLIENT_ID): nobody could sign in to the console")
    return Settings(**{**settings.__dict__, **defaults})


def _instance_secret_key(instance_dir: Path) -> str:
    """The secret key generated on first start and kept in instance/, so sessions survive restarts.

    Several processes may start at once on a fresh folder (gunicorn's workers, the scheduler): each writes a
    candidate key to a temporary file of its own and links it into place (os.link fails if the name exists),
    so the key file appears complete or not at all, the first link wins and everyone reads the winner's key.
    """
    instance_dir.mkdir(parents=True, exist_ok=True)
    key_file = instance_dir / "secret_key"
    if not key_file.exists():
        fd, temporary = tempfile.mkstemp(dir=instance_dir, prefix=".secret_key-")  # mode 600
        try:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(48))
                out.flush()
                os.fsync(out.fileno())
            try:
                os.link(temporary, key_file)
            except FileExistsError:
                pass  # another process was first: its key is the key
        finally:
            os.unlink(temporary)
    key = key_file.read_text().strip()
    if not key:
        raise SettingsError(f"{key_file} is empty: delete it (a new key is made) or set STATUSPAGE_SECRET_KEY")
    return key
