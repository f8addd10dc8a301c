"""Single sign-on: off to the OpenID provider, and back with a checked answer to a console session."""
from flask import current_app, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user

from ...extensions import limiter
from ...services import accounts, sso
from . import bp, now
from .auth import _safe_next

# What went wrong, for the person signing in (the details go to the log, not to the page).
REFUSALS = {
    "state": _l("This sign-in could not be checked: it may have expired, or have been started in another "
                "browser or tab. Please sign in again."),
    "provider_error": _l("The identity provider did not sign you in."),
    "token": _l("The identity provider's answer could not be verified, so nobody was signed in."),
    "id_token": _l("The identity provider's answer could not be verified, so nobody was signed in."),
    "provider_unreachable": _l("The identity provider cannot be reached just now. Please try again later."),
    "no_role": _l("Your account at the identity provider has no role in this console. Ask an admin to add "
                  "you to one of the console's groups."),
    "no_account": _l("There is no console user with your email address. Ask an admin to add you."),
    "no_email": _l("The identity provider did not give a verified email address."),
    "subject_mismatch": _l("This email address belongs to another account at the identity provider."),
    "disabled": _l("Your console account is disabled."),
    "not_configured": _l("Single sign-on is not set up on this site."),
}


def _provider():
    return sso.Provider.from_settings(current_app.config["SETTINGS"])


def _callback_url() -> str:
    """The address the provider sends the browser back to: registered with the provider as it reads here."""
    return current_app.config["SETTINGS"].base_url + url_for("admin.sso_callback")


def _refuse(reason: str, status: int = 400):
    return render_template("admin/sso_refused.html", message=REFUSALS.get(reason, REFUSALS["provider_error"])), status


@bp.get("/sso")
@limiter.limit(lambda: current_app.config["SETTINGS"].login_rate_limit)
def sso_start():
    if current_user.is_authenticated:
        return redirect(url_for("admin.index"))
    provider = _provider()
    if provider is None:
        return _refuse("not_configured", 404)
    target = request.args.get("next") or None
    try:
        url, pending = sso.begin(provider, _callback_url())
    except sso.SignInRefused as refusal:
        current_app.logger.warning("single sign-on: %s", refusal)
        return _refuse(refusal.reason, 502)
    session["oidc"] = {**pending, "next": target if target and _safe_next(target) == target else None}
    return redirect(url)


@bp.get("/sso/callback")
@limiter.limit(lambda: current_app.config["SETTINGS"].login_rate_limit)
def sso_callback():
    provider = _provider()
    if provider is None:
        return _refuse("not_configured", 404)
    pending = session.pop("oidc", None)  # good for one answer: a replayed callback finds nothing
    try:
        identity = sso.finish(provider, pending if isinstance(pending, dict) else None, request.args.to_dict(),
                              _callback_url(), now=now())
        user = sso.sign_in(provider, identity, now=now())
    except sso.SignInRefused as refusal:
        current_app.logger.warning("single sign-on refused: %s", refusal)
        return _refuse(refusal.reason, 502 if refusal.reason == "provider_unreachable" else 403)
    login_user(accounts.start_session(user, now=now()))
    session["signed_in_by"] = "sso"  # the provider vouches for the second factor, not us
    return redirect(_safe_next(pending.get("next")))
