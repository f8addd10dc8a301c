"""Pages in the console (admin): the status pages this install serves; list, create, edit, delete."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from ...errors import AppError
from ...i18n import LANGUAGE_NAMES
from ...models import Role
from ...services import page_admin as service
from ...services.pages import page_url
from ...services.components import component_tree, slug_from
from ..forms import choices, explain
from . import actor, bp, now, requires
from .forms import PAGE_VISIBILITY_LABELS, PageDeleteForm, PageForm
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
                           settings=settings, url=page_url(existing, settings) if existing else None), \
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
