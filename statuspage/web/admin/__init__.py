"""The engineers' console under /admin: one module per resource; every view needs a signed-in user."""
from __future__ import annotations

import functools
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

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


def actor() -> Actor:
    return Actor.for_user(current_user)


def now() -> datetime:
    return clock.now()


def site_tz() -> ZoneInfo:
    return current_app.config["SETTINGS"].tz


from . import audit, auth, checks, components, incidents, subscribers, tickets, users  # noqa: E402,F401  (registers the views)
