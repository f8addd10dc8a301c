"""Private and password pages on the web: the gate every request of such a page passes, and the sign-in
views (the shared password, a one-time link by email, single sign-on).

The gate (`_require_reader`) asks services/page_access.py who reads the request: nobody gets the sign-in
page (HTML, 401) or a bare 401 (feeds, calendars, badges; the v2 JSON with its error envelope), never any
of the page's content. A member limited to some components gets the request's page narrowed to them, so
every view shows page ∩ member. Every response of a non-public page, errors included, says noindex and
private, no-store (`_private_headers`); the page cache never keeps nor answers one (web/cache.py:cacheable).
"""
from __future__ import annotations

import dataclasses
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, g, make_response, redirect, render_template, request, session, \
    url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email, Length

from .. import clock
from ..errors import Invalid, error_json
from ..extensions import limiter
from ..models import PageVisibility
from ..services import page_access, page_members, sso
from ..services.pages import ENVIRON_PAGE, PageView
from . import limits
from .forms import Form
from .page_choice import ENVIRON_MISSING, current_page
from .public_surface import not_per_page

bp = Blueprint("access", __name__)

ROBOTS = "noindex, nofollow"
BARE_401 = ("feeds", "badges")  # blueprints whose answer to nobody is a bare 401, not the sign-in page
# Links from mail that must work signed out (a mail client's one-click unsubscribe): they show no incident.
UNGATED = frozenset({"subscribe.confirm", "subscribe.unsubscribe"})


class PasswordForm(Form):
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1000)])


class LinkForm(Form):
    email = EmailField(_l("Email address"), validators=[DataRequired(), Length(max=254), Email()])


class RedeemForm(Form):
    """Only the CSRF token: the link's GET shows a button, so a mail scanner opening it uses nothing up."""


def is_private_request() -> bool:
    """Whether the request is for a page that is not public (the console, the API, health: never)."""
    view = request.environ.get(ENVIRON_PAGE)
    return view is not None and not view.is_public and not not_per_page(request.path)


def member_id() -> int | None:
    """The signed-in member who reads the request (the gate's answer), or None."""
    found: page_access.Reader | None = g.get("page_reader")
    return found.member_id if found is not None else None


def _token() -> str | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return request.args.get("token") or None


def _require_reader():
    if not is_private_request() or request.environ.get(ENVIRON_MISSING):
        return None
    view: PageView = request.environ[ENVIRON_PAGE]
    if request.blueprint == "access" or request.endpoint in UNGATED or request.method == "OPTIONS":
        return None  # the sign-in views themselves, links from mail, and a CORS preflight (no content)
    settings = current_app.config["SETTINGS"]
    found = page_access.reader_for(view, cookie=request.cookies.get(page_access.cookie_name(view.id)),
                                   token=_token(), settings=settings)
    if found is None:
        return _refused(view)
    g.page_reader = found
    if found.component_ids is not None:
        request.environ[ENVIRON_PAGE] = dataclasses.replace(view, limited_to=found.component_ids)
    return None


def _refused(view: PageView):
    """The answer to nobody: the sign-in page, or a bare 401 for what a feed reader or a script asks."""
    challenge = {"WWW-Authenticate": f'Bearer realm="{view.slug}"'}
    if request.path.startswith("/api/"):
        body, status = error_json(401, "sign_in_required",
                                  "This page is private: send a member's token (Authorization: Bearer, or ?token=).")
        return body, status, challenge
    if request.blueprint in BARE_401 or request.path.endswith((".ics", ".rss", ".atom", ".svg", ".json", ".xml")):
        return Response(_("Sign in to read this page.") + "\n", status=401, headers=challenge,
                        mimetype="text/plain")
    return _sign_in_page(view, status=401, headers=challenge)


def _sign_in_page(view: PageView, *, status: int = 200, headers=None, error: str | None = None,
                  password_form: PasswordForm | None = None, link_form: LinkForm | None = None):
    is_password = view.visibility == PageVisibility.PASSWORD.value
    html = render_template("public/access.html", is_password=is_password, error=error, sso_name=_sso_label(),
                           password_form=password_form or PasswordForm(formdata=None),
                           link_form=link_form or LinkForm(formdata=None), next_path=_next_path())
    return html, status, headers or {}


def _next_path() -> str:
    """Where to go once signed in: the path asked (within the page), or the page's start."""
    wanted = request.form.get("next") if request.method == "POST" else request.full_path
    wanted = (wanted or "/").rstrip("?")
    parts = urlsplit(wanted)
    if parts.scheme or parts.netloc or not wanted.startswith("/") or wanted.startswith("//") \
            or wanted.startswith("/access") or "\\" in wanted:
        return "/"
    return parts.path  # no query: a ?token= never rides along


def _private_headers(response: Response) -> Response:
    if is_private_request():
        response.headers["X-Robots-Tag"] = ROBOTS
        response.headers["Cache-Control"] = "private, no-store"
        response.headers.pop("ETag", None)
        response.vary.add("Cookie")
    return response


def _set_cookie(response: Response, view: PageView, value: str) -> None:
    response.set_cookie(page_access.cookie_name(view.id), value,
                        max_age=int(page_access.COOKIE_MAX_AGE.total_seconds()),
                        path=view.path_prefix or "/", secure=request.is_secure, httponly=True, samesite="Lax")


def _signed_in(view: PageView, value: str, next_path: str = "/"):
    response = make_response(redirect(request.script_root + next_path, code=303))
    _set_cookie(response, view, value)
    return response


def _rate() -> str:
    return str(current_app.config["SETTINGS"].login_rate_limit)


@bp.get("/access")
def sign_in():
    view = current_page()
    if view.is_public:
        return redirect(url_for("public.index"))
    return _sign_in_page(view)


@bp.post("/access/password")
@limiter.limit(_rate)
@limiter.limit(limits.account_rate, key_func=limits.page_password_key, deduct_when=limits.refused)
def password():
    view = current_page()
    form = PasswordForm()
    if view.visibility != PageVisibility.PASSWORD.value or not form.validate_on_submit():
        return _sign_in_page(view, status=400, password_form=form)
    if not page_access.password_matches(view.id, form.password.data or ""):
        return _sign_in_page(view, status=400, error=_("This password is not right."), password_form=form)
    return _signed_in(view, page_access.password_cookie(view.id, current_app.config["SETTINGS"]), _next_path())


@bp.post("/access/email")
@limiter.limit(_rate)
@limiter.limit(limits.link_rate, key_func=limits.page_address_key)  # members and strangers alike
def email_link():
    view = current_page()
    form = LinkForm()
    if view.visibility != PageVisibility.PRIVATE.value or not form.validate_on_submit():
        return _sign_in_page(view, status=400, link_form=form)
    # The same answer whether or not the address is a member's: nobody learns who is.
    page_members.send_sign_in_link(view.id, form.email.data or "", now=clock.now())
    return render_template("public/access_sent.html")


@bp.get("/access/link/<token>")
def link(token: str):
    return render_template("public/access_link.html", form=RedeemForm(formdata=None), token=token)


@bp.post("/access/link/<token>")
@limiter.limit(_rate)
def redeem(token: str):
    view = current_page()
    form = RedeemForm()
    if not form.validate_on_submit():
        return render_template("public/access_link.html", form=form, token=token), 400
    try:
        member = page_members.redeem(token, now=clock.now(), page_id=view.id)
    except Invalid as refused:
        message = {"link_expired": _("This sign-in link has expired. Ask for a new one below."),
                   "link_used": _("This sign-in link was used already. Ask for a new one below.")}.get(
            refused.code, _("This sign-in link is not valid here. Ask for a new one below."))
        return _sign_in_page(view, status=400, error=message)
    if view.visibility != PageVisibility.PRIVATE.value:
        return _sign_in_page(view, status=400, error=_("This sign-in link is not valid here. Ask for a new one below."))
    return _signed_in(view, page_access.member_cookie(member, current_app.config["SETTINGS"]))


@bp.post("/access/sign-out")
def sign_out():
    view = current_page()
    form = RedeemForm()
    if not form.validate_on_submit():
        return _sign_in_page(view, status=400)
    member_id = page_access.cookie_member_id(request.cookies.get(page_access.cookie_name(view.id)), view.id,
                                             current_app.config["SETTINGS"])
    if member_id is not None:  # a copied cookie stops working too
        page_members.sign_out_everywhere(member_id, now=clock.now())
    response = make_response(redirect(url_for("access.sign_in"), code=303))
    response.delete_cookie(page_access.cookie_name(view.id), path=view.path_prefix or "/",
                           secure=request.is_secure, httponly=True, samesite="Lax")
    return response


def _sso_label() -> str | None:
    """The single sign-on button's text when the console's single sign-on is set up; None: no button."""
    settings = current_app.config["SETTINGS"]
    if not settings.oidc_enabled:
        return None
    return str(settings.oidc_button_label or _("Sign in with single sign-on"))


def _sso_callback_url(view: PageView) -> str:
    """Each page's own callback (its host or /p/<slug>, where its cookie lives): register it with the
    provider besides the console's."""
    return view.url + "/access/sso/callback"


@bp.get("/access/sso")
@limiter.limit(_rate)
def sso_start():
    view = current_page()
    provider = sso.Provider.from_settings(current_app.config["SETTINGS"])
    if provider is None or view.visibility != PageVisibility.PRIVATE.value:
        return _sign_in_page(view, status=404)
    try:
        url, pending = sso.begin(provider, _sso_callback_url(view))
    except sso.SignInRefused as refusal:
        current_app.logger.warning("page single sign-on: %s", refusal)
        return _sign_in_page(view, status=502, error=_("The identity provider cannot be reached just now. "
                                                       "Please try again later."))
    session["page_oidc"] = {**pending, "page": view.id}
    return redirect(url)


@bp.get("/access/sso/callback")
@limiter.limit(_rate)
def sso_callback():
    """Back from the provider: a verified email address of an active member signs them in; anyone else is
    told only that they cannot read this page."""
    view = current_page()
    provider = sso.Provider.from_settings(current_app.config["SETTINGS"])
    pending = session.pop("page_oidc", None)  # good for one answer
    if provider is None or view.visibility != PageVisibility.PRIVATE.value or not isinstance(pending, dict) \
            or pending.get("page") != view.id:
        return _sign_in_page(view, status=400, error=_("This sign-in could not be checked. Please sign in again."))
    try:
        identity = sso.finish(provider, pending, request.args.to_dict(), _sso_callback_url(view), now=clock.now())
    except sso.SignInRefused as refusal:
        current_app.logger.warning("page single sign-on refused: %s", refusal)
        return _sign_in_page(view, status=403, error=_("The identity provider did not sign you in."))
    member = page_members.active_member_by_email(view.id, identity.email) \
        if identity.email and identity.email_verified else None
    if member is None:
        return _sign_in_page(view, status=403, error=_("Your address is not among this page's members. Ask "
                                                       "whoever invited you."))
    page_members.record_sign_in(member, now=clock.now())
    return _signed_in(view, page_access.member_cookie(member, current_app.config["SETTINGS"]))


def init_app(app) -> None:
    """Call after web/cache.py:init_app (its hooks first) and before any view runs."""
    app.before_request(_require_reader)
    app.after_request(_private_headers)
    app.register_blueprint(bp)
