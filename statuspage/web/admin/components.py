"""Components and groups in the console (admin): create, edit, order, delete."""
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from ...errors import AppError
from ...models import Component, ComponentGroup, Role
from ...services import components as service
from ..forms import choices, explain
from . import actor, bp, now, requires
from .forms import ComponentForm, ConfirmForm, GroupForm


@bp.get("/components")
def components():
    return render_template("admin/components/list.html", groups=service.list_groups(),
                           tree=service.component_tree(), confirm=ConfirmForm())


def _group_choices():
    return choices([("", _("No group"))] + [(str(g.id), g.name) for g in service.list_groups()])


@bp.route("/components/new", methods=["GET", "POST"])
@bp.route("/components/<slug>/edit", methods=["GET", "POST"])
@requires(Role.ADMIN)
def component_edit(slug: str | None = None):
    existing = service.get_component(slug) if slug else None
    form = ComponentForm(obj=existing)
    form.group_id.choices = _group_choices()
    if existing is not None and not form.is_submitted():
        form.group_id.data = str(existing.group_id or "")
        form.aliases.data = ", ".join(existing.aliases or [])
    errors = []
    valid = form.validate_on_submit()
    if valid and not (form.slug.data or "").strip():
        # Left empty: made from the name, as the form does while people type (static/console.js).
        form.slug.data = service.slug_from(form.name.data)
        if not form.slug.data:
            form.slug.errors.append(_("Give a slug: the name has no letters or digits a URL can carry."))
            valid = False
    if valid:
        fields = {"slug": form.slug.data, "name": form.name.data, "description": form.description.data or "",
                  "group_id": int(form.group_id.data) if form.group_id.data else None, "status": form.status.data,
                  "only_show_if_degraded": form.only_show_if_degraded.data,
                  "aliases": [alias.strip() for alias in (form.aliases.data or "").split(",") if alias.strip()]}
        try:
            if existing is None:
                service.create_component(**fields, by=actor(), now=now())
            else:
                service.update_component(existing.slug, **fields, by=actor(), now=now())
        except AppError as error:
            errors.append(explain(error))
        else:
            flash(_("Component saved."), "info")
            return redirect(url_for("admin.components"))
    return render_template("admin/components/edit.html", form=form, component=existing, errors=errors), \
        400 if form.is_submitted() else 200


@bp.route("/components/<slug>/delete", methods=["GET", "POST"])
@requires(Role.ADMIN)
def component_delete(slug: str):
    """A page that says what goes with the component, and the button that deletes it."""
    component = service.get_component(slug)
    form = ConfirmForm()
    if form.validate_on_submit():
        service.delete_component(slug, by=actor(), now=now())
        flash(_("Component “%(name)s” deleted.", name=component.name), "info")
        return redirect(url_for("admin.components"))
    return render_template("admin/components/delete.html", component=component, group=None,
                           impact=service.component_deletion_impact(slug)), 400 if form.is_submitted() else 200


@bp.post("/components/<id:item_id>/move/<direction>")
@requires(Role.ADMIN)
def component_move(item_id: int, direction: str):
    return _move(Component, item_id, direction)


@bp.post("/groups/<id:item_id>/move/<direction>")
@requires(Role.ADMIN)
def group_move(item_id: int, direction: str):
    return _move(ComponentGroup, item_id, direction)


def _move(model, item_id: int, direction: str):
    if ConfirmForm().validate_on_submit() and direction in ("up", "down"):
        service.move(model, item_id, -1 if direction == "up" else 1, by=actor(), now=now())
    return redirect(url_for("admin.components"))


@bp.route("/groups/new", methods=["GET", "POST"])
@bp.route("/groups/<id:group_id>/edit", methods=["GET", "POST"])
@requires(Role.ADMIN)
def group_edit(group_id: int | None = None):
    existing = service.get_group(group_id) if group_id else None
    form = GroupForm(obj=existing)
    errors = []
    if form.validate_on_submit():
        try:
            if existing is None:
                service.create_group(form.name.data, description=form.description.data or "", by=actor(), now=now())
            else:
                service.update_group(existing.id, name=form.name.data, description=form.description.data or "",
                                     by=actor(), now=now())
        except AppError as error:
            errors.append(explain(error))
        else:
            flash(_("Group saved."), "info")
            return redirect(url_for("admin.components"))
    return render_template("admin/components/group_edit.html", form=form, group=existing, errors=errors), \
        400 if form.is_submitted() else 200


@bp.route("/groups/<id:group_id>/delete", methods=["GET", "POST"])
@requires(Role.ADMIN)
def group_delete(group_id: int):
    group = service.get_group(group_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        service.delete_group(group_id, by=actor(), now=now())
        flash(_("Group deleted; its components are now ungrouped."), "info")
        return redirect(url_for("admin.components"))
    return render_template("admin/components/delete.html", component=None, group=group,
                           impact=service.group_deletion_impact(group_id)), 400 if form.is_submitted() else 200
