"""Rate limits keyed by what a request names (an address, an account, a page), beside the per-address ones.

The per-IP limits (STATUSPAGE_LOGIN_RATE_LIMIT) do not slow guesses spread over many addresses; these count
per target instead. Keys are HMACs under the site's secret key, so the counters keep no address in clear,
and every target is counted alike, whether or not it exists: the limit says nothing about who is a member
or has an account.
"""
from __future__ import annotations

import hashlib
import hmac

from flask import current_app, request, session
from werkzeug.wrappers import Response

from ..errors import Invalid
from ..services import totp
from ..services.accounts import normalize_email
from .page_choice import current_page


def _keyed(scope: str, subject: str) -> str:
    secret = current_app.config["SETTINGS"].secret_key.encode()
    return f"{scope}:{hmac.new(secret, f'{scope}:{subject}'.encode(), hashlib.sha256).hexdigest()}"


def _address(value: str | None) -> str:
    try:
        return normalize_email(value or "")
    except Invalid:
        return (value or "").strip().lower()[:320]  # not an address: counted as given


def link_rate() -> str:
    return str(current_app.config["SETTINGS"].sign_in_link_rate_limit)


def account_rate() -> str:
    return str(current_app.config["SETTINGS"].account_login_rate_limit)


def page_address_key() -> str:
    """A private page's sign-in form: the page and the address asked for."""
    return _keyed("sign-in-link", f"{current_page().id}:{_address(request.form.get('email'))}")


def account_key() -> str:
    """The console's password form: the account named."""
    return _keyed("account", _address(request.form.get("email")))


def challenge_account_key() -> str:
    """The one-time-code form: the account whose password was given (from the half sign-in), so a new
    challenge does not start a new count."""
    user_id = totp.challenge_user_id(session.get("sign_in_challenge"))
    return _keyed("account", f"user:{user_id}" if user_id is not None else "none")


def page_password_key() -> str:
    """A password page's form: the page, whoever guesses."""
    return _keyed("page-password", str(current_page().id))


def refused(response: Response) -> bool:
    """A failed try (the form again, 400), as opposed to a sign-in: only those count against the target."""
    return response.status_code == 400


def code_refused(response: Response) -> bool:
    """A wrong one-time code (400), or the last one allowed (back to the password form)."""
    return response.status_code == 400 or (response.status_code in (302, 303)
                                           and (response.location or "").endswith("/admin/login"))
