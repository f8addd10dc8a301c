"""Pages in the console (admin): the status pages this install serves; list, create, edit, delete; a password
page's shared password; a private page's members (invite, limit to components, feed tokens, revoke)."""
from __future__ import annotations

from collections.abc import Sequence

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from ...errors import AppError
from ...i18n import LANGUAGE_NAMES
from ...models import Page, PageMember, PageVisibility, Role
from ...services import page_admin as service
from ...services import page_members as members
from ...services.accounts import MIN_PASSWORD_LENGTH
from ...services.pages import also_on_public_pages, page_component_ids, page_url
from ...services.components import component_tree, slug_from
from ..forms import choices, explain
from . import actor, bp, now, requires
from .forms import (
    PAGE_VISIBILITY_LABELS, ConfirmForm, MemberForm, MemberInviteForm, PageDeleteForm, PageForm, PagePasswordForm,
)
from .incidents import picked_components


@bp.get("/pages")
@requires(Role.ADMIN)
def pages():
    settings = current_app.config["SETTINGS"]
    listed = service.list_pages()
    return render_template("admin/pages/list.html", pages=listed, settings=settings, url_of=page_url,
                           components_of=service.chosen_components, PAGE_VISIBILITY_LABELS=PAGE_VISIBILITY_LABELS)


def _fill_choices(form: PageForm) -> None:
    settings = current_app.config["SETTINGS"]
    form.languages.choices = choices((code, LANGUAGE_NAMES[code]) for code in settings.languages)
    form.default_language.choices = choices(
        [("", _("The install's default (%(language)s)", language=LANGUAGE_NAMES[settings.default_language]))]
        + [(code, LANGUAGE_NAMES[code]) for code in settings.languages])


def _fields(form: PageForm, picked: list[str]) -> dict:
    settings = current_app.config["SETTINGS"]
    chosen = form.languages.data or []
    return {"name": form.name.data or "", "slug": form.slug.data, "host": form.host.data or None,
            # Every language ticked is the same as none: the page follows the install's list.
            "languages": None if set(chosen) >= set(settings.languages) else chosen,
            "default_language": form.default_language.data or None, "time_zone": form.time_zone.data or None,
            "logo_url": form.logo_url.data or None, "accent_color": form.accent_color.data or None,
            "visibility": form.visibility.data, "shows_all_components": form.shows_all_components.data,
            "components": picked}


def _check_fields(form: PageForm) -> None:
    """The service's checks of the fields that stand alone, each problem shown at its field."""
    for field, check in ((form.host, service.host_name), (form.time_zone, service.time_zone),
                         (form.logo_url, service.logo_url)):
        if field.data and not field.errors:
            try:
                check(field.data)
            except AppError as error:
                field.errors = [*field.errors, explain(error)]


@bp.route("/pages/new", methods=["GET", "POST"])
@bp.route("/pages/<slug>/edit", methods=["GET", "POST"])
@requires(Role.ADMIN)
def page_edit(slug: str | None = None):
    settings = current_app.config["SETTINGS"]
    existing = service.get_page(slug) if slug else None
    form = PageForm(obj=existing)
    form.default_language.data = form.default_language.data or ""  # null: the select's empty choice
    _fill_choices(form)
    tree = component_tree()
    selected = [c.slug for c in service.chosen_components(existing)] if existing else []
    if existing is not None and not form.is_submitted():
        form.languages.data = existing.languages.split(",") if existing.languages else list(settings.languages)
    elif existing is None and not form.is_submitted():
        form.languages.data = list(settings.languages)
    errors: list[str] = []
    picker_errors: list[str] = []
    if form.is_submitted():
        selected, picker_errors = picked_components(tree)
    valid = form.validate_on_submit() and not picker_errors
    if valid and existing is None and not (form.slug.data or "").strip():
        # Left empty: made from the name, as the form does while people type (static/console.js).
        form.slug.data = slug_from(form.name.data or "")
        if not form.slug.data:
            form.slug.errors.append(_("Give a slug: the name has no letters or digits a URL can carry."))
            valid = False
    if valid and existing is None and not (form.name.data or "").strip():
        form.name.errors.append(_("Give the page a name."))
        valid = False
    if form.is_submitted():
        _check_fields(form)  # every field's problem at once, not only the first the service meets
        valid = valid and not any(field.errors for field in form)
    if valid:
        fields = _fields(form, selected)
        if existing is not None and existing.is_default:
            fields.pop("slug")  # the default page's slug stays "default" (the field is read-only)
        try:
            if existing is None:
                page = service.create_page(**fields, settings=settings, by=actor(), now=now())
            else:
                page = service.update_page(existing.slug, **fields, settings=settings, by=actor(), now=now())
        except AppError as error:  # shown at its field where the form has one
            if error.field == "components":
                picker_errors.append(explain(error))
            elif error.field in form and error.field != "csrf_token":
                form[error.field].errors = [*form[error.field].errors, explain(error)]
            else:
                errors.append(explain(error))
        else:
            flash(_("Page “%(name)s” saved.", name=page.name or settings.site_name), "info")
            return redirect(url_for("admin.pages"))
    return render_template("admin/pages/edit.html", form=form, page=existing, errors=errors, tree=tree,
                           selected=selected, picker_errors=picker_errors, zones=sorted(service.time_zones()),
                           settings=settings, url=page_url(existing, settings) if existing else None,
                           member_count=sum(m.is_active for m in members.list_members(existing.slug)) if existing
                           else 0, confirm=ConfirmForm(formdata=None),
                           also_public=also_on_public_pages(existing) if existing else []), \
        400 if form.is_submitted() else 200


@bp.route("/pages/<slug>/delete", methods=["GET", "POST"])
@requires(Role.ADMIN)
def page_delete(slug: str):
    """A page that says what goes with the page (and where its subscribers go), and the button."""
    settings = current_app.config["SETTINGS"]
    page = service.get_page(slug)
    subscribers = service.subscriber_count(page)
    form = PageDeleteForm()
    others = [other for other in service.list_pages() if other.id != page.id]
    form.move_subscribers_to.choices = choices(
        (other.slug, other.name or settings.site_name) for other in others)
    errors: list[str] = []
    if not page.is_default and form.validate_on_submit():
        try:
            service.delete_page(slug, move_subscribers_to=form.move_subscribers_to.data if subscribers else None,
                                by=actor(), now=now())
        except AppError as error:
            errors.append(explain(error))
        else:
            flash(_("Page “%(name)s” deleted.", name=page.name or page.slug), "info")
            return redirect(url_for("admin.pages"))
    return render_template("admin/pages/delete.html", page=page, form=form, subscribers=subscribers,
                           errors=errors, settings=settings), 400 if form.is_submitted() else 200


# -------------------------------------------------------------------------------------- shared password

@bp.route("/pages/<slug>/password", methods=["GET", "POST"])
@requires(Role.ADMIN)
def page_password(slug: str):
    """Set a password page's shared password (write-only: the form never shows the one set)."""
    settings = current_app.config["SETTINGS"]
    page = service.get_page(slug)
    form = PagePasswordForm()
    if form.validate_on_submit():
        try:
            members.set_password(slug, form.password.data, by=actor(), now=now())
        except AppError as error:
            form.password.errors = [*form.password.errors, explain(error)]
        else:
            flash(_("The password of “%(name)s” is set. Whoever signed in with the previous one must sign in "
                    "again.", name=page.name or settings.site_name), "info")
            return redirect(url_for("admin.page_edit", slug=slug))
    return render_template("admin/pages/password.html", page=page, form=form, settings=settings,
                           min_length=MIN_PASSWORD_LENGTH, PAGE_VISIBILITY_LABELS=PAGE_VISIBILITY_LABELS), \
        400 if form.is_submitted() else 200


@bp.route("/pages/<slug>/password/clear", methods=["GET", "POST"])
@requires(Role.ADMIN)
def page_password_clear(slug: str):
    """Asks first: what removing the password ends; then removes it."""
    settings = current_app.config["SETTINGS"]
    page = service.get_page(slug)
    form = ConfirmForm()
    if page.password_hash is not None and form.validate_on_submit():
        members.set_password(slug, None, by=actor(), now=now())
        flash(_("The password of “%(name)s” is removed: nobody can sign in with a password now.",
                name=page.name or settings.site_name), "info")
        return redirect(url_for("admin.page_edit", slug=slug))
    return render_template("admin/pages/password_clear.html", page=page, form=form, settings=settings,
                           PAGE_VISIBILITY_LABELS=PAGE_VISIBILITY_LABELS), 400 if form.is_submitted() else 200


# ------------------------------------------------------------------------------------------------ members

def _page_tree(page: Page):
    """The component picker's tree narrowed to the components the page shows."""
    shown = page_component_ids(page)
    tree = [(group, [c for c in listed if shown is None or c.id in shown]) for group, listed in component_tree()]
    return [(group, listed) for group, listed in tree if listed]


def _apply_error(error: AppError, form, picker_errors: list[str], errors: list[str]) -> None:
    """A service's refusal, shown at its field where the form has one."""
    if error.field == "components":
        picker_errors.append(explain(error))
    elif error.field and error.field in form and error.field != "csrf_token":
        form[error.field].errors = [*form[error.field].errors, explain(error)]
    else:
        errors.append(explain(error))


@bp.route("/pages/<slug>/members", methods=["GET", "POST"])
@requires(Role.ADMIN)
def page_members(slug: str):
    """A page's members (active and revoked) and the invitation form."""
    settings = current_app.config["SETTINGS"]
    page = service.get_page(slug)
    tree = _page_tree(page)
    form = MemberInviteForm()
    errors: list[str] = []
    picker_errors: list[str] = []
    selected: list[str] = []
    if form.is_submitted():
        selected, picker_errors = picked_components(tree)
        if form.validate_on_submit() and not picker_errors:
            try:
                member = members.invite_member(slug, form.email.data or "", name=form.name.data or "",
                                               components=selected, by=actor(), now=now())
            except AppError as error:
                _apply_error(error, form, picker_errors, errors)
            else:
                flash(_("%(email)s is invited: a sign-in link is on its way to them.", email=member.email), "info")
                return redirect(url_for("admin.page_members", slug=slug))
    return render_template("admin/pages/members.html", page=page, members=members.list_members(slug), form=form,
                           tree=tree, selected=selected, picker_errors=picker_errors, errors=errors,
                           settings=settings, PAGE_VISIBILITY_LABELS=PAGE_VISIBILITY_LABELS,
                           is_private=page.visibility == PageVisibility.PRIVATE.value,
                           invite_days=members.INVITATION_LINK_TTL.days), \
        400 if form.is_submitted() else 200


@bp.route("/pages/<slug>/members/<id:member_id>", methods=["GET", "POST"])
@requires(Role.ADMIN)
def page_member(slug: str, member_id: int):
    """One member: their name and the components they are limited to, their feed token, revoking."""
    page = service.get_page(slug)
    member = members.get_member(slug, member_id)
    tree = _page_tree(page)
    form = MemberForm(obj=member)
    errors: list[str] = []
    picker_errors: list[str] = []
    selected = [c.slug for c in member.components]
    if form.is_submitted() and member.is_active:
        selected, picker_errors = picked_components(tree)
        if form.validate_on_submit() and not picker_errors:
            try:
                members.update_member(slug, member_id, name=form.name.data or "", components=selected,
                                      by=actor(), now=now())
            except AppError as error:
                _apply_error(error, form, picker_errors, errors)
            else:
                flash(_("%(email)s saved.", email=member.email), "info")
                return redirect(url_for("admin.page_members", slug=slug))
    return _member_page(page, member, form, tree=tree, selected=selected, picker_errors=picker_errors,
                        errors=errors, status=400 if form.is_submitted() else 200)


def _member_page(page: Page, member: PageMember, form: MemberForm, *, tree, selected: list[str],
                 picker_errors: Sequence[str] = (), errors: Sequence[str] = (), status: int = 200):
    return render_template("admin/pages/member.html", page=page, member=member, form=form, tree=tree,
                           selected=selected, picker_errors=list(picker_errors), errors=list(errors),
                           confirm=ConfirmForm(formdata=None), settings=current_app.config["SETTINGS"]), status


@bp.route("/pages/<slug>/members/<id:member_id>/revoke", methods=["GET", "POST"])
@requires(Role.ADMIN)
def page_member_revoke(slug: str, member_id: int):
    """Asks first: what revoking ends; then ends it."""
    page = service.get_page(slug)
    member = members.get_member(slug, member_id)
    form = ConfirmForm()
    if member.is_active and form.validate_on_submit():
        members.revoke_member(slug, member_id, by=actor(), now=now())
        flash(_("%(email)s can no longer read the page.", email=member.email), "info")
        return redirect(url_for("admin.page_members", slug=slug))
    return render_template("admin/pages/member_revoke.html", page=page, member=member, form=form,
                           settings=current_app.config["SETTINGS"]), 400 if form.is_submitted() else 200


@bp.post("/pages/<slug>/members/<id:member_id>/resend")
@requires(Role.ADMIN)
def page_member_resend(slug: str, member_id: int):
    """The invitation again, with a new one-time link, for a member who never signed in."""
    member = members.get_member(slug, member_id)
    if ConfirmForm().validate_on_submit():
        try:
            members.resend_invitation(slug, member_id, by=actor(), now=now())
        except AppError as error:
            flash(explain(error), "error")
        else:
            flash(_("A new invitation is on its way to %(email)s; the link in the earlier one no longer works.",
                    email=member.email), "info")
    return redirect(url_for("admin.page_members", slug=slug))


@bp.post("/pages/<slug>/members/<id:member_id>/token")
@requires(Role.ADMIN)
def page_member_token(slug: str, member_id: int):
    """A new feed token, shown on this answer only (the database keeps its hash)."""
    settings = current_app.config["SETTINGS"]
    page = service.get_page(slug)
    member = members.get_member(slug, member_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("admin.page_member", slug=slug, member_id=member_id))
    try:
        token = members.issue_token(slug, member_id, by=actor(), now=now())
    except AppError as error:
        flash(explain(error), "error")
        return redirect(url_for("admin.page_member", slug=slug, member_id=member_id))
    flash(_("Token made. Copy it now: it is shown only once."), "info")
    return render_template("admin/pages/member_token.html", page=page, member=member, token=token,
                           url=page_url(page, settings), settings=settings)


@bp.post("/pages/<slug>/members/<id:member_id>/token/revoke")
@requires(Role.ADMIN)
def page_member_token_revoke(slug: str, member_id: int):
    member = members.get_member(slug, member_id)
    if ConfirmForm().validate_on_submit():
        members.revoke_token(slug, member_id, by=actor(), now=now())
        flash(_("The feed token of %(email)s stopped working.", email=member.email), "info")
    return redirect(url_for("admin.page_member", slug=slug, member_id=member_id))
