"""Sign-in, sign-out, and the user's own password and alert language."""
import re
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from ...extensions import limiter
from ...errors import Invalid
from ...i18n import LANGUAGE_NAMES
from ...services import accounts
from ..forms import choices
from . import actor, bp, now
from .forms import LanguageForm, LoginForm, PasswordForm

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


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SETTINGS"].login_rate_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("admin.index"))
    form = LoginForm()
    # Where to go once signed in: kept through a wrong password (the form posts to this URL with it).
    target = request.args.get("next") or None
    if target is not None and _safe_next(target) != target:
        target = None
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data, now=now())
        if user is not None:
            login_user(accounts.start_session(user, now=now()), remember=form.remember.data)
            return redirect(_safe_next(target))
        form.password.errors.append(_("Wrong email or password."))
    return render_template("admin/login.html", form=form, next_target=target), 400 if form.is_submitted() else 200


@bp.post("/logout")
def logout():
    accounts.end_session(current_user.get_id())  # a copy of this session's cookie is worth nothing now
    logout_user()
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
    return render_template("admin/account.html", form=PasswordForm(formdata=None), language_form=form), 400


@bp.route("/account", methods=["GET", "POST"])
def account():
    form = PasswordForm()
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
    return render_template("admin/account.html", form=form, language_form=language_form()), \
        400 if form.is_submitted() else 200
