"""Incidents and maintenance in the console: open, update, edit, resolve, schedule; templates; preview."""
from __future__ import annotations

from datetime import datetime

from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from ...errors import AppError
from ...extensions import db
from ...markup import render_markdown
from ...models import ComponentStatus, Incident, IncidentKind, IncidentStatus, Role
from ...services import message_templates, page
from ...services.components import list_components
from ...services.incidents import (
    edit_incident, get_incident, open_incident, post_update, publish_incident, resolve_incident, schedule_maintenance,
    suspected_incidents,
)
from ...support import intake, queue
from ..forms import choices, explain
from . import actor, bp, now, requires, site_tz
from .forms import (
    ConfirmForm, IncidentEditForm, IncidentForm, MaintenanceForm, MaintenanceUpdateForm, TemplateForm, UpdateForm, choices,
)

PER_PAGE = 50
MAX_PAGE = 100_000


@bp.get("/")
def index():
    return render_template(
        "admin/index.html", incidents=page.open_incidents(), suspected=suspected_incidents(),
        maintenance=page.maintenance_in(["in_progress", "verifying", "scheduled"]))


@bp.get("/incidents")
def incidents():
    return _list(IncidentKind.INCIDENT)


@bp.get("/maintenance")
def maintenances():
    return _list(IncidentKind.MAINTENANCE)


def _list(kind: IncidentKind):
    page_number = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
    query = select(Incident).where(Incident.kind == kind)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    items = db.session.scalars(query.order_by(Incident.started_at.desc(), Incident.id.desc())
                               .limit(PER_PAGE).offset((page_number - 1) * PER_PAGE))
    return render_template("admin/incidents/list.html", kind=kind, items=list(items), page=page_number,
                           has_more=total > page_number * PER_PAGE)


def _component_statuses(components, allowed=ComponentStatus) -> tuple[dict[str, str], list[str]]:
    """Read the per-component status selects (name "component-<slug>"); empty means not affected."""
    chosen, errors = {}, []
    for component in components:
        value = request.form.get(f"component-{component.slug}", "")
        if not value:
            continue
        if value not in {s.value for s in allowed}:
            errors.append(_("Choose a valid status for %(name)s.", name=component.name))
        else:
            chosen[component.slug] = value
    return chosen, errors


@bp.route("/incidents/new", methods=["GET", "POST"])
@requires(Role.RESPONDER)
def incident_new():
    form = IncidentForm()
    components = list_components()
    templates = message_templates.list_templates()
    template_id = request.args.get("template", type=int)
    if request.method == "GET" and template_id:
        template = message_templates.get_template(template_id)
        form.name.data, form.impact.data, form.body.data = template.title, template.impact, template.body
    statuses, errors = _component_statuses(components) if form.is_submitted() else ({}, [])
    if form.validate_on_submit() and not errors:
        values = {"components": ", ".join(c.name for c in components if c.slug in statuses),
                  "site": current_app.config["SETTINGS"].site_name}
        try:
            incident = open_incident(
                name=message_templates.fill(form.name.data, values), impact=form.impact.data,
                status=form.status.data, body=message_templates.fill(form.body.data, values),
                components=statuses, by=actor(), now=now())
        except AppError as error:
            errors.append(explain(error))
        else:
            flash(_("Incident opened."), "info")
            return redirect(url_for("admin.incident", incident_id=incident.id))
    return render_template("admin/incidents/new.html", form=form, components=components, statuses=statuses,
                           templates=templates, errors=errors), 400 if form.is_submitted() else 200


@bp.get("/incidents/<id:incident_id>")
def incident(incident_id: int):
    return _detail(get_incident(incident_id))


@bp.get("/maintenance/<id:maintenance_id>")
def maintenance(maintenance_id: int):
    return _detail(get_incident(maintenance_id, IncidentKind.MAINTENANCE))


def _detail(item: Incident, update_form=None, edit_form=None, errors=(), status=200):
    if update_form is None:
        update_form = MaintenanceUpdateForm() if item.is_maintenance else UpdateForm(formdata=None)
        update_form.status.data = item.status
    if edit_form is None:
        edit_form = IncidentEditForm(formdata=None, obj=item)
    tickets, _total = queue.list_tickets(incident_id=item.id, per_page=200)
    return render_template("admin/incidents/detail.html", item=item, update_form=update_form, edit_form=edit_form,
                           confirm=ConfirmForm(), components=list_components(),
                           statuses={link.component.slug: link.status for link in item.affected},
                           tickets=tickets, affected=intake.affected_counts([item.id]).get(item.id, 0),
                           errors=list(errors)), status


@bp.post("/incidents/<id:incident_id>/publish")
@requires(Role.RESPONDER)
def incident_publish(incident_id: int):
    if ConfirmForm().validate_on_submit():
        try:
            publish_incident(incident_id, by=actor(), now=now())
        except AppError as error:
            flash(explain(error), "error")
        else:
            flash(_("Incident published."), "info")
    return redirect(url_for("admin.incident", incident_id=incident_id))


@bp.post("/incidents/<id:incident_id>/updates")
@requires(Role.RESPONDER)
def incident_update(incident_id: int):
    return _post_update(get_incident(incident_id), UpdateForm())


@bp.post("/maintenance/<id:maintenance_id>/updates")
@requires(Role.RESPONDER)
def maintenance_update(maintenance_id: int):
    return _post_update(get_incident(maintenance_id, IncidentKind.MAINTENANCE), MaintenanceUpdateForm())


def _post_update(item: Incident, form):
    allowed = [ComponentStatus.UNDER_MAINTENANCE] if item.is_maintenance else ComponentStatus
    statuses, errors = _component_statuses(list_components(), allowed)
    if form.validate_on_submit() and not errors:
        try:
            post_update(item.id, status=form.status.data, body=form.body.data or "", components=statuses,
                        kind=item.kind, by=actor(), now=now())
        except AppError as error:
            errors.append(explain(error))
        else:
            flash(_("Update posted."), "info")
            return redirect(_detail_url(item))
    return _detail(item, update_form=form, errors=errors, status=400)


@bp.post("/incidents/<id:incident_id>/edit")
@requires(Role.RESPONDER)
def incident_edit(incident_id: int):
    item = get_incident(incident_id)
    form = IncidentEditForm()
    errors = []
    if form.validate_on_submit():
        try:
            edit_incident(item.id, name=form.name.data, impact=form.impact.data, by=actor(), now=now())
        except AppError as error:
            errors.append(explain(error))
        else:
            flash(_("Incident changed."), "info")
            return redirect(_detail_url(item))
    return _detail(item, edit_form=form, errors=errors, status=400)


@bp.post("/incidents/<id:incident_id>/resolve")
@requires(Role.RESPONDER)
def incident_resolve(incident_id: int):
    item = get_incident(incident_id)
    if not ConfirmForm().validate_on_submit():
        return _detail(item, errors=[_("The form has expired; please try again.")], status=400)
    message = request.form.get("body", "").strip() or _("This incident has been resolved.")
    try:
        resolve_incident(item.id, message, by=actor(), now=now())
    except AppError as error:
        return _detail(item, errors=[explain(error)], status=400 if error.status == 422 else error.status)
    flash(_("Incident resolved."), "info")
    return redirect(_detail_url(item))


def _detail_url(item: Incident) -> str:
    if item.is_maintenance:
        return url_for("admin.maintenance", maintenance_id=item.id)
    return url_for("admin.incident", incident_id=item.id)


def _local_to_utc(value: datetime | None) -> datetime | None:
    """A datetime-local field's value is read in the site's zone."""
    return None if value is None else value.replace(tzinfo=site_tz())


@bp.route("/maintenance/new", methods=["GET", "POST"])
@requires(Role.RESPONDER)
def maintenance_new():
    form = MaintenanceForm()
    form.components.choices = choices((c.slug, c.name) for c in list_components())
    errors = []
    if form.validate_on_submit():
        try:
            item = schedule_maintenance(
                name=form.name.data, body=form.body.data, components=form.components.data,
                scheduled_for=_local_to_utc(form.scheduled_for.data),
                scheduled_until=_local_to_utc(form.scheduled_until.data), by=actor(), now=now())
        except AppError as error:
            errors.append(explain(error))
        else:
            flash(_("Maintenance scheduled."), "info")
            return redirect(_detail_url(item))
    return render_template("admin/incidents/maintenance_new.html", form=form, errors=errors), \
        400 if form.is_submitted() else 200


@bp.post("/preview")
def preview():
    """Live preview of a Markdown message, exactly as the public page will show it."""
    return jsonify(html=str(render_markdown(request.form.get("body", "")[:20_000])))


@bp.get("/templates")
def templates():
    return render_template("admin/incidents/templates.html", templates=message_templates.list_templates(),
                           form=TemplateForm(formdata=None), confirm=ConfirmForm())


@bp.route("/templates/new", methods=["GET", "POST"])
@bp.route("/templates/<id:template_id>", methods=["GET", "POST"])
@requires(Role.RESPONDER)
def template_edit(template_id: int | None = None):
    existing = message_templates.get_template(template_id) if template_id else None
    form = TemplateForm(obj=existing)
    errors = []
    if form.validate_on_submit():
        try:
            message_templates.save_template(template_id, name=form.name.data, title=form.title.data,
                                            impact=form.impact.data, body=form.body.data, by=actor(), now=now())
        except AppError as error:
            errors.append(explain(error))
        else:
            flash(_("Template saved."), "info")
            return redirect(url_for("admin.templates"))
    return render_template("admin/incidents/template_edit.html", form=form, template=existing, errors=errors), \
        400 if form.is_submitted() else 200


@bp.post("/templates/<id:template_id>/delete")
@requires(Role.RESPONDER)
def template_delete(template_id: int):
    if ConfirmForm().validate_on_submit():
        message_templates.delete_template(template_id, by=actor(), now=now())
        flash(_("Template deleted."), "info")
    return redirect(url_for("admin.templates"))
