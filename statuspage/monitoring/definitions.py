"""Check definitions: read and validate `checks/*.toml` and the API's JSON, with errors that say where.

One marshmallow schema for both (CheckInSchema: its fields say the shapes and document them in
/api/v1/openapi.json, its post_load checks the rest), so a check file, a POST /api/v1/checks body and the
console's form mean exactly the same thing.
A bad file is reported as `checks/web.toml:12: check "login" field interval: ...` and changes nothing.
A file's `target` may name the site itself (site_variables): `${base_url}/healthz`, `${base_host}:${base_port}`,
so checks of the site follow STATUSPAGE_BASE_URL (the demo's do: `make run PORT=9000` moves them).
"""
from __future__ import annotations

import ipaddress
import re
import tomllib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from marshmallow import Schema, ValidationError, fields, post_load, pre_load
from marshmallow import validate as check

from ..errors import first_problem
from ..models import CheckKind, ComponentStatus

FAILURE_STATUSES = ("degraded_performance", "partial_outage", "major_outage")
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
EXPECT_FIELDS = {"status", "body_contains", "body_regex", "json", "max_latency_ms", "answers", "min_days_valid"}
EXPECT_BY_KIND = {
    CheckKind.HTTP: {"status", "body_contains", "body_regex", "json", "max_latency_ms"},
    CheckKind.TCP: {"max_latency_ms"},
    CheckKind.DNS: {"answers", "max_latency_ms"},
    CheckKind.TLS: {"min_days_valid"},
    CheckKind.HEARTBEAT: set(),
}
KEY = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,99}$")
REDACTED = "[redacted]"  # a secret's value as shown to a role that may not edit checks (as_json)
HOST = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}[A-Za-z0-9_])?)*\.?$")
VARIABLE = re.compile(r"\$\{([^}]*)\}")
DURATION = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)?$")    # ASCII digits only: "٣s" is no duration
UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


class DefinitionError(ValueError):
    """One field of one check is wrong; `field` names it (dotted for expect.*)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


class CheckFileError(ValueError):
    """A check file cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class CheckDefinition:
    key: str
    name: str
    component: str
    kind: CheckKind
    target: str = ""
    interval: int = 60
    timeout: float = 10.0
    failure_status: ComponentStatus = ComponentStatus.MAJOR_OUTAGE
    failures_to_open: int = 3
    successes_to_close: int = 2
    options: dict[str, Any] = field(default_factory=dict)  # method, headers, follow_redirects, verify_tls, expect
    period: int | None = None
    grace: int | None = None
    ping_id: str | None = None
    enabled: bool = True

    def as_json(self, *, secrets_shown: bool = True) -> dict[str, Any]:
        """The definition in the file's own words (durations in seconds), as the API shows it.

        Without `secrets_shown` (a reader who may not edit checks) what lets someone act as the check reads
        REDACTED: each header's value (an Authorization sent to an internal service; the names stay) and a
        heartbeat's ping_id (anyone holding it can keep a dead job looking alive). Same keys either way."""
        data = {"key": self.key, "name": self.name, "component": self.component, "kind": self.kind.value,
                "interval": self.interval, "timeout": self.timeout, "failure_status": self.failure_status.value,
                "failures_to_open": self.failures_to_open, "successes_to_close": self.successes_to_close,
                "enabled": self.enabled, **self.options}
        if self.kind is CheckKind.HEARTBEAT:
            data.update(period=self.period, grace=self.grace, ping_id=self.ping_id)
        else:
            data["target"] = self.target
        if not secrets_shown:
            if isinstance(data.get("headers"), Mapping):
                data["headers"] = {name: REDACTED for name in data["headers"]}
            if data.get("ping_id"):
                data["ping_id"] = REDACTED
        return data


@dataclass(frozen=True)
class Source:
    """Where a definition came from, to point errors at a line."""

    file: str
    text: str
    index: int  # which [[check]] in the file, from 0

    def line_of(self, field_name: str | None = None) -> int:
        lines = self.text.splitlines()
        headers = [n for n, line in enumerate(lines) if re.match(r"^\s*\[\[\s*check\s*\]\]", line)]
        if self.index >= len(headers):
            return 1
        start = headers[self.index]
        end = headers[self.index + 1] if self.index + 1 < len(headers) else len(lines)
        if field_name:
            head = field_name.split(".")[-1] if field_name.startswith("expect.") else field_name
            patterns = [rf"^\s*{re.escape(head)}\s*=", rf"^\s*\[\s*check\.{re.escape(head)}\s*\]"]
            if field_name.startswith("expect."):
                patterns.append(r"^\s*\[\s*check\.expect\s*\]")
            for pattern in patterns:
                for n in range(start, end):
                    if re.match(pattern, lines[n]):
                        return n + 1
        return start + 1

    def error(self, key: str | None, problem: DefinitionError) -> CheckFileError:
        which = f'check "{key}"' if key else f"check #{self.index + 1}"
        return CheckFileError(f"{self.file}:{self.line_of(problem.field)}: {which} field {problem.field}: "
                              f"{problem.message}")


def _any(description: str, **kwargs: Any) -> fields.Raw:
    return fields.Raw(metadata={"description": description}, **kwargs)


def _text(max_length: int, **kwargs: Any) -> fields.String:
    """A text field; its messages are the rule's own words, so a file and the API say the same."""
    return fields.String(validate=[check.Length(min=1, error="must be text"),
                                   check.Length(max=max_length, error="must be one line of at most {max} characters")],
                         error_messages={"required": "is required", "null": "is required", "invalid": "must be text"},
                         **kwargs)


def _one_of(choices: Sequence[str], **kwargs: Any) -> fields.String:
    return fields.String(validate=check.OneOf(choices, error="must be one of {choices}"),
                         error_messages={"required": f"is required (one of {', '.join(choices)})",
                                         "null": f"must be one of {', '.join(choices)}",
                                         "invalid": f"must be one of {', '.join(choices)}"}, **kwargs)


class CheckInSchema(Schema):
    """A check definition, validated once: the fields of a [[check]] table or of an API body (documented in
    /api/v1/openapi.json as CheckIn). Loading gives a CheckDefinition. Fields say the shapes; what they cannot
    say (durations, which fields a kind takes, targets, expectations) is checked once they hold, by
    `_definition`. A partial load (PATCH) checks the fields given and gives them back as a dict, to be merged
    with the stored check and loaded whole. Messages name the field (dotted for expect.*): `definition`
    turns them into a DefinitionError, the API into its 422."""

    key = _text(100, required=True, metadata={"description": "Stable id: lowercase letters, digits, '-', '_', '.'."})
    name = _text(200, required=True)
    component = _text(64, required=True, metadata={"description": "Slug of an existing component."})
    kind = _one_of([k.value for k in CheckKind], required=True)
    target = _any("http(s) URL for http; host:port for tcp; a host name for dns and tls.")
    interval = _any('"30s", "5m", "1h" or seconds.')
    timeout = _any('"5s" or seconds; at most the interval.')
    failure_status = _one_of(FAILURE_STATUSES)
    failures_to_open = _any("Consecutive failures before the component fails (default 3).")
    successes_to_close = _any("Consecutive successes before it recovers (default 2).")
    method = _any("http: GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS.")
    headers = _any("http: header names to values.")
    follow_redirects = _any("http: true or false.")
    verify_tls = _any("http and tls: true or false.")
    expect = _any("status, body_contains, body_regex, json {path, equals}, max_latency_ms (http); "
                  "answers (dns); min_days_valid (tls).")
    period = _any("heartbeat: a ping is expected this often.")
    grace = _any("heartbeat: extra time before a late ping counts as a failure.")
    ping_id = _any("heartbeat: the UUID in /ping/<ping_id> (generated when left out).")
    enabled = _any("true or false.")

    @pre_load
    def _known(self, data: object, **_kwargs: Any) -> object:
        """A field no check has is named first, with the fields that exist (a typo in a file is the usual case)."""
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - FIELDS)
            if unknown:
                raise ValidationError(f"unknown field (known: {', '.join(sorted(FIELDS))})", unknown[0])
        return data

    @post_load
    def _definition(self, data: dict[str, Any], *, partial: object = None,
                    **_kwargs: Any) -> CheckDefinition | dict[str, Any]:
        if partial:
            return data
        try:
            return _definition(data)
        except DefinitionError as problem:
            head, _, rest = problem.field.partition(".")
            raise ValidationError({head: {rest: [problem.message]}} if rest else {head: [problem.message]}) from None


FIELDS = frozenset(CheckInSchema().fields)  # named in the message for a field no check has


def definition(data: object) -> CheckDefinition:
    """A validated definition from a file's [[check]] table or a dict (the console's form, a PATCH merged
    with the stored check), through CheckInSchema; DefinitionError names the first bad field."""
    if not isinstance(data, Mapping):
        raise DefinitionError("check", "must be a table of fields")
    try:
        loaded: CheckDefinition = CheckInSchema().load(data)
    except ValidationError as error:
        field_name, text = first_problem(error.messages, "")
        raise DefinitionError(field_name, text) from None
    return loaded


def _definition(data: Mapping[str, Any]) -> CheckDefinition:
    """What the fields cannot say, checked once they hold; DefinitionError names the first bad field."""
    key = _string(data, "key", required=True, max_length=100)
    if not KEY.match(key):
        raise DefinitionError("key", "use lowercase letters, digits, '-', '_' and '.', starting with a letter or digit")
    kind = _choice(data, "kind", [k.value for k in CheckKind], required=True)
    kind = CheckKind(kind)
    heartbeat = kind is CheckKind.HEARTBEAT
    values: dict[str, Any] = dict(
        key=key, name=_string(data, "name", required=True, max_length=200),
        component=_string(data, "component", required=True, max_length=64), kind=kind,
        failure_status=ComponentStatus(_choice(data, "failure_status", FAILURE_STATUSES, default="major_outage")),
        failures_to_open=_integer(data, "failures_to_open", 1 if heartbeat else 3, 1, 100),
        successes_to_close=_integer(data, "successes_to_close", 1 if heartbeat else 2, 1, 100),
        enabled=_boolean(data, "enabled", True),
    )
    if heartbeat:
        for name in ("target", "method", "headers", "follow_redirects", "verify_tls", "timeout"):
            if name in data:
                raise DefinitionError(name, "a heartbeat check has period and grace, not this field")
        period = _duration(data, "period", None, 10, 366 * 86400, required=True)
        grace = _duration(data, "grace", max(60, period // 10), 0, 366 * 86400)
        ping_id = _string(data, "ping_id", required=False, max_length=36) or None
        if ping_id is not None:
            try:
                ping_id = str(uuid.UUID(ping_id))
            except ValueError:
                raise DefinitionError("ping_id", "must be a UUID") from None
        values.update(period=int(period), grace=int(grace), ping_id=ping_id,
                          interval=int(_duration(data, "interval", min(60, period), 1, 86400)), timeout=0.0)
    else:
        for name in ("period", "grace", "ping_id"):
            if name in data:
                raise DefinitionError(name, "only heartbeat checks have this field")
        interval = _duration(data, "interval", 60, 1, 86400)
        timeout = _duration(data, "timeout", min(10, interval), 0.1, 120)
        if timeout > interval:
            raise DefinitionError("timeout", "must not be longer than the interval")
        values.update(target=_target(kind, data.get("target")), interval=int(interval), timeout=float(timeout),
                          options=_options(kind, data))
    return CheckDefinition(**values)


def site_variables(base_url: str) -> dict[str, str]:
    """What a check file's target may name as ${...}: the site, where STATUSPAGE_BASE_URL says it is."""
    parts = urlsplit(base_url)
    host = parts.hostname or "localhost"
    try:
        port = parts.port
    except ValueError:
        port = None
    return {"base_url": base_url.rstrip("/"), "base_host": f"[{host}]" if ":" in host else host,
            "base_port": str(port or (443 if parts.scheme == "https" else 80))}


def _with_variables(data: object, variables: Mapping[str, str]) -> object:
    """The [[check]] table with ${name} in its target replaced; DefinitionError for a name not known."""
    target = data.get("target") if isinstance(data, Mapping) else None
    if not isinstance(data, Mapping) or not isinstance(target, str) or "${" not in target:
        return data

    def value(match: re.Match[str]) -> str:
        if match.group(1) not in variables:
            known = ", ".join(f"${{{name}}}" for name in variables) or "none here"
            raise DefinitionError("target", f"unknown variable ${{{match.group(1)}}} (known: {known})")
        return variables[match.group(1)]
    return {**data, "target": VARIABLE.sub(value, target)}


def load_file(path: Path, *, relative_to: Path | None = None,
              variables: Mapping[str, str] | None = None) -> list[tuple[CheckDefinition, Source]]:
    """Every check in one TOML file, validated; CheckFileError names the file and line of the first problem.
    `variables`: what ${name} in a target stands for (site_variables)."""
    name = str(path.relative_to(relative_to) if relative_to else path)
    try:
        text = path.read_text(encoding="utf-8")
        document = tomllib.loads(text)
    except UnicodeDecodeError:
        raise CheckFileError(f"{name}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise CheckFileError(f"{name}:{line.group(1) if line else 1}: not valid TOML: {exc}") from None
    extra = sorted(set(document) - {"check"})
    if extra:
        raise CheckFileError(f"{name}:1: unknown table {extra[0]!r}: a check file holds [[check]] tables only")
    checks = document.get("check", [])
    if not isinstance(checks, list):
        raise CheckFileError(f"{name}:1: use [[check]] (an array of tables), not [check]")
    loaded = []
    data: object  # a TOML value: [[check]] makes a table, `check = [1]` does not
    for index, data in enumerate(checks):
        source = Source(name, text, index)
        try:
            loaded.append((definition(_with_variables(data, variables or {})), source))
        except DefinitionError as problem:
            key = data.get("key") if isinstance(data, Mapping) and isinstance(data.get("key"), str) else None
            raise source.error(key, problem) from None
    return loaded


def load_directory(directory: Path, *,
                   variables: Mapping[str, str] | None = None) -> list[tuple[CheckDefinition, Source]]:
    """All checks of all `*.toml` files in a directory (sorted by name); a key used twice is an error."""
    loaded: list[tuple[CheckDefinition, Source]] = []
    seen: dict[str, Source] = {}
    for path in sorted(directory.glob("*.toml")):
        for definition, source in load_file(path, relative_to=directory.parent, variables=variables):
            if definition.key in seen:
                first = seen[definition.key]
                raise CheckFileError(f"{source.file}:{source.line_of('key')}: check key {definition.key!r} "
                                     f"is already used in {first.file}:{first.line_of('key')}")
            seen[definition.key] = source
            loaded.append((definition, source))
    return loaded


def _options(kind: CheckKind, data: Mapping[str, object]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if kind is CheckKind.HTTP:
        options["method"] = _choice(data, "method", METHODS, default="GET", upper=True)
        headers = data.get("headers", {})
        if not isinstance(headers, Mapping) or not all(
                isinstance(k, str) and isinstance(v, str) and _header_safe(k) and _header_safe(v)
                for k, v in headers.items()):
            raise DefinitionError("headers", "must map header names to text values, each on one line")
        options["headers"] = dict(headers)
        options["follow_redirects"] = _boolean(data, "follow_redirects", True)
    elif any(name in data for name in ("method", "headers", "follow_redirects")):
        raise DefinitionError(next(n for n in ("method", "headers", "follow_redirects") if n in data),
                              "only http checks have this field")
    if kind in (CheckKind.HTTP, CheckKind.TLS):
        options["verify_tls"] = _boolean(data, "verify_tls", True)
    elif "verify_tls" in data:
        raise DefinitionError("verify_tls", "only http and tls checks have this field")
    expect = data.get("expect", {})
    if not isinstance(expect, Mapping):
        raise DefinitionError("expect", "must be a table")
    allowed = EXPECT_BY_KIND[kind]
    for name in expect:
        if name not in EXPECT_FIELDS:
            raise DefinitionError(f"expect.{name}", f"unknown field (known: {', '.join(sorted(EXPECT_FIELDS))})")
        if name not in allowed:
            raise DefinitionError(f"expect.{name}", f"{kind.value} checks do not take this expectation")
    options["expect"] = _expect(expect)
    return options


def _expect(expect: Mapping[str, object]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if "status" in expect:
        codes = expect["status"] if isinstance(expect["status"], list) else [expect["status"]]
        if not codes or not all(type(c) is int and 100 <= c <= 599 for c in codes):
            raise DefinitionError("expect.status", "must be a status code or a list of them (100-599)")
        result["status"] = codes
    for name in ("body_contains", "body_regex"):
        if name in expect:
            value = expect[name]
            if not isinstance(value, str) or not value or len(value) > 1000 or "\0" in value:
                raise DefinitionError(f"expect.{name}", "must be text of 1 to 1000 characters")
            result[name] = value
    if "body_regex" in result:
        try:
            re.compile(result["body_regex"])
        except re.error as exc:
            raise DefinitionError("expect.body_regex", f"not a valid regular expression: {exc}") from None
    if "json" in expect:
        rule = expect["json"]
        if not isinstance(rule, Mapping) or not isinstance(rule.get("path"), str) or not rule["path"].startswith("$") \
                or set(rule) - {"path", "equals"}:
            raise DefinitionError("expect.json", 'must be { path = "$.field", equals = value } (equals optional)')
        result["json"] = dict(rule)
    if "max_latency_ms" in expect:
        result["max_latency_ms"] = _integer(expect, "max_latency_ms", None, 1, 600_000, prefix="expect.")
    if "answers" in expect:
        answers = expect["answers"]
        if not isinstance(answers, list) or not answers or not all(_is_ip(a) for a in answers):
            raise DefinitionError("expect.answers", "must be a list of IP addresses")
        result["answers"] = answers
    if "min_days_valid" in expect:
        result["min_days_valid"] = _integer(expect, "min_days_valid", None, 0, 3650, prefix="expect.")
    return result


def _target(kind: CheckKind, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise DefinitionError("target", "is required")
    value = value.strip()
    if len(value) > 2000 or any(ord(ch) < 33 for ch in value):
        raise DefinitionError("target", "must be at most 2000 characters without spaces or control characters")
    if kind is CheckKind.HTTP:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise DefinitionError("target", "must be an http:// or https:// URL")
        try:
            _ = parts.port  # reading it checks it: ValueError for a port that is not 0-65535
        except ValueError:
            raise DefinitionError("target", "has an invalid port") from None
        return value
    if kind is CheckKind.DNS:
        if not HOST.match(value):
            raise DefinitionError("target", "must be a host name")
        return value
    host, _port = _host_port(value, required_port=kind is CheckKind.TCP)
    if not (HOST.match(host) or _is_ip(host)):
        raise DefinitionError("target", "must be host:port" if kind is CheckKind.TCP else "must be host or host:port")
    return value


def _host_port(value: str, *, required_port: bool) -> tuple[str, int | None]:
    match = (re.match(r"^\[([0-9a-fA-F:.]+)\](?::([0-9]{1,5}))?$", value)    # ASCII, and never thousands of digits
             or re.match(r"^([^:]+)(?::([0-9]{1,5}))?$", value))
    if not match:
        raise DefinitionError("target", "must be host:port")
    host, port = match.group(1), match.group(2)
    if port is None and required_port:
        raise DefinitionError("target", "must be host:port")
    if port is not None and not 1 <= int(port) <= 65535:
        raise DefinitionError("target", "port must be 1 to 65535")
    return host, int(port) if port else None


def _is_ip(value: object) -> bool:
    try:
        ipaddress.ip_address(value)  # type: ignore[arg-type]  # anything; what is not an address is a ValueError
        return True
    except ValueError:
        return False


def _header_safe(value: str) -> bool:
    return 0 < len(value) <= 1000 and not any(ch in value for ch in "\r\n\0")


def _string(data: Mapping[str, object], name: str, *, required: bool, max_length: int) -> str:
    value = data.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise DefinitionError(name, "is required" if value is None else "must be text")
    value = value.strip()
    if len(value) > max_length or any(ord(ch) < 32 for ch in value):
        raise DefinitionError(name, f"must be one line of at most {max_length} characters")
    return value


def _choice(data: Mapping[str, object], name: str, choices: Sequence[str], *, required: bool = False,
            default: str | None = None, upper: bool = False) -> str:
    value = data.get(name, default)
    if value is None and required:
        raise DefinitionError(name, f"is required (one of {', '.join(choices)})")
    if isinstance(value, str) and upper:
        value = value.upper()
    if value not in choices:
        raise DefinitionError(name, f"must be one of {', '.join(choices)}")
    return str(value)  # one of the choices


def _integer(data: Mapping[str, object], name: str, default: int | None, low: int, high: int, *,
             prefix: str = "") -> int:
    value = data.get(name, default)
    if type(value) is not int or not low <= value <= high:
        raise DefinitionError(prefix + name, f"must be a whole number from {low} to {high}")
    return value


def _boolean(data: Mapping[str, object], name: str, default: bool) -> bool:
    value = data.get(name, default)
    if not isinstance(value, bool):
        raise DefinitionError(name, "must be true or false")
    return value


def _duration(data: Mapping[str, object], name: str, default: float | str | None, low: float, high: float, *,
              required: bool = False) -> float:
    """"30s", "5m", "1h", "500ms", "1d" or a number of seconds."""
    value = data.get(name, default)
    if value is None and required:
        raise DefinitionError(name, 'is required, e.g. "5m"')
    if isinstance(value, bool):
        value = None
    elif isinstance(value, float) or (isinstance(value, int) and abs(value) <= 10 ** 12):   # no float for 400 digits
        seconds = float(value)
    elif isinstance(value, str) and (match := DURATION.match(value.strip())):
        seconds = float(match.group(1)) * UNITS[match.group(2)]
    else:
        value = None
    if value is None or not low <= seconds <= high:
        raise DefinitionError(name, f'must be a duration such as "30s", "5m" or "1h", from {_say(low)} to '
                                    f"{_say(high)}")
    return seconds


def _say(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds * 1000)}ms"
