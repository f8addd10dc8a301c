"""The engineers' console under /admin: one module per resource; every view needs a signed-in user."""
from __future__ import annotations

import functools
import re
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, request, url_for
from babel.dates import format_timedelta
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape

from ... import clock
from ...extensions import login_manager
from ...models import Role
from ...services import accounts
from ...services.audit import Actor
from .. import refuse_nul_in_query

bp = Blueprint("admin", __name__)

login_manager.login_view = "admin.login"
login_manager.login_message = _l("Please sign in to open the console.")
login_manager.session_protection = "strong"


@login_manager.user_loader
def _load_user(session_id: str):
    return accounts.load_session_user(session_id)


@bp.before_request
def _require_sign_in():
    if request.endpoint in ("admin.login",):
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    refuse_nul_in_query()
    return None


@bp.after_request
def _no_store(response):
    """Console pages hold private data: never cached by a browser or proxy."""
    response.headers["Cache-Control"] = "no-store"
    return response


def requires(role: Role):
    """Let the view run only for users whose role includes `role` (403 otherwise)."""
    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.can(role):
                abort(403)
            return view(*args, **kwargs)
        return wrapper
    return decorate


# The side navigation's sections, and the views that belong to each (by the start of their endpoint's name).
SECTIONS = (
    ("overview", ("index",)), ("incidents", ("incident",)), ("maintenance", ("maintenance",)),
    ("components", ("component", "group")), ("checks", ("check",)), ("templates", ("template",)),
    ("tickets", ("ticket",)), ("subscribers", ("subscriber",)), ("deliveries", ("deliver",)),
    ("users", ("user",)), ("tokens", ("token",)), ("audit", ("audit",)), ("account", ("account",)),
)


def section_of(endpoint: str | None) -> str | None:
    """The side navigation's section a console view belongs to (marked as the current page there)."""
    name = (endpoint or "").removeprefix("admin.")
    return next((section for section, starts in SECTIONS if name.startswith(starts)), None)


@bp.context_processor
def _console_context() -> dict:
    from .forms import ROLE_LABELS

    return {"console_section": section_of(request.endpoint), "duration": duration, "timedelta": timedelta,
            "ROLE_LABELS": ROLE_LABELS, "language_url": language_url, "breakable": breakable}


def breakable(address: str | None) -> Markup:
    """An email address or URL that may wrap after its dots, @ and slashes (in a narrow table column)."""
    return Markup(re.sub(r"([.@/])", r"\1<wbr>", str(escape(address or ""))))


def language_url(code: str) -> str:
    """This page in another language, with its filters; the overview when this is a form's answer to a POST
    (its URL does not answer a GET)."""
    rule = request.url_rule
    if rule is None or "GET" not in (rule.methods or ()):
        return url_for("admin.index", lang=code)
    return url_for(rule.endpoint, **{**request.args.to_dict(), **(request.view_args or {}), "lang": code})


def duration(delta: timedelta | None) -> str:
    """How long, in two units at most, in the reader's language: "2 hr 5 min", "3 days 4 hr", "12 min"."""
    if delta is None:
        return ""
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts: list[tuple[int, Literal["day", "hour", "minute"]]] = [(days, "day"), (hours, "hour"), (minutes, "minute")]
    while len(parts) > 1 and parts[0][0] == 0:
        parts.pop(0)
    shown = [part for part in parts[:2] if part[0] or part is parts[0]]
    locale = get_locale()
    return " ".join(format_timedelta(timedelta(**{unit + "s": value}), granularity=unit, threshold=1, format="short",
                                     locale=locale) for value, unit in shown)


def actor() -> Actor:
    return Actor.for_user(current_user)


def now() -> datetime:
    return clock.now()


def site_tz() -> ZoneInfo:
    return current_app.config["SETTINGS"].tz


from . import audit, auth, checks, components, incidents, subscribers, tickets, users  # noqa: E402,F401  (registers the views)
