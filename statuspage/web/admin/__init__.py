"""The engineers' console under /admin: one module per resource; every view needs a signed-in user."""
from __future__ import annotations

import functools
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape

from ... import clock
from ...extensions import login_manager
from ...i18n import duration
from ...models import Role
from ...services import accounts, totp
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
    if request.endpoint in SIGNED_OUT_VIEWS:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    refuse_nul_in_query()
    if request.endpoint not in ("admin.totp_enrol", "admin.logout") and must_enrol():
        return redirect(url_for("admin.totp_enrol"))  # a required second factor comes before anything else
    return None


def must_enrol() -> bool:
    """A password user (not signed in by single sign-on in this session) of whom a second factor is required
    and who has none: at once, even when the requirement came while they were signed in, or through a
    remember cookie."""
    return (current_app.config["SETTINGS"].password_sign_in and current_user.has_password
            and session.get("signed_in_by") != "sso" and totp.needs_enrolment(current_user))


# The views that work before signing in: the password form, its one-time code, and single sign-on.
SIGNED_OUT_VIEWS = ("admin.login", "admin.login_code", "admin.sso_start", "admin.sso_callback")


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
    ("components", ("component", "group")), ("pages", ("page",)), ("checks", ("check",)), ("alerts", ("alert",)),
    ("templates", ("template",)),
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
            "ROLE_LABELS": ROLE_LABELS, "breakable": breakable}


def breakable(address: str | None) -> Markup:
    """An email address or URL that may wrap after its dots, @ and slashes (in a narrow table column)."""
    return Markup(re.sub(r"([.@/])", r"\1<wbr>", str(escape(address or ""))))




def actor() -> Actor:
    return Actor.for_user(current_user)


def now() -> datetime:
    return clock.now()


def site_tz() -> ZoneInfo:
    return current_app.config["SETTINGS"].tz


from . import alerts, audit, auth, checks, components, incidents, pages, sso, subscribers, tickets, users  # noqa: E402,F401  (registers the views)
