"""Sign-in, sign-out, and the user's own password and alert language."""
import re
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from ...extensions import limiter
from ...errors import Conflict, Invalid
from ...i18n import LANGUAGE_NAMES
from ...services import accounts, totp
from .. import limits
from ..forms import choices
from . import actor, bp, must_enrol, now
from .forms import CodeForm, LanguageForm, LoginForm, PasswordForm

_BROWSER_IGNORES = re.compile(r"[\t\n\r]")
_C0_AND_SPACE = "".join(map(chr, range(0x21)))
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _safe_next(target: str | None) -> str:
    """Only a path on this site: an open redirect would let a phishing link borrow our sign-in page.

    The target is read as a browser would read it (WHATWG URL): tabs and line breaks anywhere are dropped,
    control characters and spaces around it trimmed, backslashes are slashes. What is left must be a path
    starting with a single "/" (so no scheme and no host), without control characters.
    """
    path = _BROWSER_IGNORES.sub("", target or "").strip(_C0_AND_SPACE).replace("\\", "/")
    parts = urlsplit(path)
    if (path.startswith("/") and not path.startswith("//") and not parts.scheme and not parts.netloc
            and not _CONTROL.search(path)):
        return path
    return url_for("admin.index")


def _password_sign_in() -> bool:
    return current_app.config["SETTINGS"].password_sign_in


def _sso_label() -> str | None:
    """The single sign-on button's text (the operator's, or ours in the reader's language); None: no button."""
    settings = current_app.config["SETTINGS"]
    if not settings.oidc_enabled:
        return None
    return settings.oidc_button_label or _("Sign in with single sign-on")


def _login_page(form, target, status=200, refusal=None):
    return render_template("admin/login.html", form=form, next_target=target, sso_label=_sso_label(),
                           refusal=refusal), status


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SETTINGS"].login_rate_limit, methods=["POST"])
@limiter.limit(limits.account_rate, key_func=limits.account_key, methods=["POST"], deduct_when=limits.refused)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("admin.index"))
    form = LoginForm()
    # Where to go once signed in: kept through a wrong password (the form posts to this URL with it).
    target = request.args.get("next") or None
    if target is not None and _safe_next(target) != target:
        target = None
    if not _password_sign_in():
        if request.method == "POST":  # the form is not offered: a post to it is refused, whatever it holds
            return _login_page(None, target, 403, refusal=_("Sign-in with a password is switched off here."))
        return _login_page(None, target)
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data, now=now())
        if user is not None:
            return _after_password(user, remember=form.remember.data, target=target)
        form.password.errors.append(_("Wrong email or password."))
    return _login_page(form, target, 400 if form.is_submitted() else 200)


def _after_password(user, *, remember: bool, target: str | None):
    """The password was right: ask for the one-time code, or sign in (and send to enrolment if required)."""
    session.pop("signed_in_by", None)
    if user.has_totp:
        session["sign_in_challenge"] = totp.start_challenge(user, remember=remember, now=now())
        session["sign_in_next"] = target
        return redirect(url_for("admin.login_code"))
    login_user(accounts.start_session(user, now=now()), remember=remember)
    if totp.needs_enrolment(user):
        return redirect(url_for("admin.totp_enrol"))  # and nowhere else until done (admin._require_sign_in)
    return redirect(_safe_next(target))


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SETTINGS"].login_rate_limit, methods=["POST"])
@limiter.limit(limits.account_rate, key_func=limits.challenge_account_key, methods=["POST"],
               deduct_when=limits.code_refused)
def login_code():
    """The second half of a password sign-in: the code from the app, or a recovery code."""
    if current_user.is_authenticated:
        return redirect(url_for("admin.index"))
    if not _password_sign_in() or (request.method == "GET" and not session.get("sign_in_challenge")):
        return redirect(url_for("admin.login"))
    form = CodeForm()
    if form.validate_on_submit():
        result = totp.answer_challenge(session.get("sign_in_challenge"), form.code.data, now=now())
        if result.user is not None:
            session.pop("sign_in_challenge", None)
            target = session.pop("sign_in_next", None)
            login_user(accounts.start_session(result.user, now=now()), remember=result.remember)
            return redirect(_safe_next(target))
        if result.expired:  # none started, too old, or too many wrong codes: the password again
            session.pop("sign_in_challenge", None)
            flash(_("Too many wrong codes, or too slow: please sign in again."), "error")
            return redirect(url_for("admin.login"))
        form.code.errors.append(_("The code is not right."))
    return render_template("admin/login_code.html", form=form), 400 if form.is_submitted() else 200


@bp.post("/logout")
def logout():
    accounts.end_session(current_user.get_id())  # a copy of this session's cookie is worth nothing now
    logout_user()
    session.pop("signed_in_by", None)
    flash(_("You are signed out."), "info")
    return redirect(url_for("public.index"))


def language_form(formdata=None) -> LanguageForm:
    """Every language the site offers, and "the site's default" (which follows a change of the setting)."""
    settings = current_app.config["SETTINGS"]
    form = LanguageForm(formdata=formdata, language=current_user.language or "")
    form.language.choices = choices(
        [("", _("The site's default (%(language)s)", language=LANGUAGE_NAMES[settings.default_language]))]
        + [(code, LANGUAGE_NAMES[code]) for code in settings.languages])
    return form


@bp.post("/account/language")
def account_language():
    form = language_form(request.form)
    if form.validate_on_submit():
        accounts.set_language(current_user.id, form.language.data or None, by=actor(), now=now())
        flash(_("Saved: your alert emails come in this language."), "info")
        return redirect(url_for("admin.account"))
    return _account_page(PasswordForm(formdata=None), language_form=form), 400


def _account_page(form, **forms):
    forms.setdefault("language_form", language_form())
    forms.setdefault("code_form", CodeForm(formdata=None))
    return render_template("admin/account.html", form=form, password_sign_in=_password_sign_in(),
                           recovery_codes_left=totp.recovery_codes_left(current_user.id), **forms)


@bp.route("/account", methods=["GET", "POST"])
def account():
    form = PasswordForm()
    if request.method == "POST" and (not _password_sign_in() or not current_user.has_password):
        abort(403)
    if form.validate_on_submit():
        try:
            user = accounts.change_password(current_user.id, form.current_password.data, form.new_password.data,
                                            by=actor(), now=now())
        except Invalid:
            form.current_password.errors.append(_("The current password is not right."))
        else:
            login_user(accounts.start_session(user, now=now()))  # a new session; every other one has ended
            flash(_("Password changed. Your other sessions have been signed out."), "info")
            return redirect(url_for("admin.account"))
    return _account_page(form), 400 if form.is_submitted() else 200


@bp.route("/account/two-factor", methods=["GET", "POST"])
def totp_enrol():
    """Set up an authenticator app: its secret (as text, an otpauth:// address and a QR code), then a code.
    The page makes the secret; the form's post only reads it (a post alone stores nothing)."""
    if not current_user.has_password or not _password_sign_in():
        abort(404)  # a second factor guards passwords; single sign-on users have their provider's
    if current_user.has_totp:
        return redirect(url_for("admin.account"))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            codes = totp.confirm_enrolment(current_user.id, form.code.data, by=actor(), now=now())
        except Invalid:
            form.code.errors.append(_("The code is not right."))
        except Conflict:
            form.code.errors.append(_("The form has expired; please try again."))
        else:
            return render_template("admin/recovery_codes.html", codes=codes)
    # A post with no secret waiting (the page was never opened) says so and makes none.
    secret = totp.pending_secret(current_user) if form.is_submitted() else \
        totp.start_enrolment(current_user.id, now=now())
    uri = totp.provisioning_uri(current_user, secret) if secret else None
    return render_template("admin/totp_enrol.html", form=form, secret=secret, uri=uri,
                           qr_svg=_qr_svg(uri) if uri else None, required=must_enrol()), \
        400 if form.is_submitted() else 200


@bp.post("/account/two-factor/remove")
def totp_remove():
    """Switching the second factor off takes a current code (or a recovery code), not just the session."""
    form = CodeForm()
    if form.validate_on_submit():
        if not current_user.has_totp:
            return redirect(url_for("admin.account"))
        if totp.needs_enrolment_after_removal(current_user):
            flash(_("An admin requires a one-time-password app for your account: it cannot be removed."), "error")
            return redirect(url_for("admin.account"))
        if totp.remove_with_code(current_user.id, form.code.data, by=actor(), now=now()):
            flash(_("The one-time-password app is removed."), "info")
            return redirect(url_for("admin.account"))
        form.code.errors.append(_("The code is not right."))
    return _account_page(PasswordForm(formdata=None), code_form=form), 400


def _qr_svg(uri: str) -> str:
    """The otpauth:// address as an inline SVG QR code (segno draws it here; nothing is fetched)."""
    import io

    import segno

    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=4, border=2, xmldecl=False, svgns=True,
                                     title=None, desc=None, svgclass="qr", lineclass=None)
    return out.getvalue().decode()
