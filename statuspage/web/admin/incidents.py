"""Incidents and maintenance in the console: the overview, lists with filters, the composer (open, update,
resolve, publish or dismiss a suspected one), scheduling maintenance; templates; the Markdown preview."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ...errors import AppError
from ...i18n import INCIDENT_STATUS_LABELS, duration
from ...markup import render_markdown
from ...models import ComponentStatus, Impact, Incident, IncidentKind, IncidentStatus, MaintenanceStatus, Role
from ...monitoring import alerts
from ...services import message_templates
from ...services.components import component_tree, list_components
from ...services.incidents import (
    dismiss_incident, edit_incident, get_incident, list_incidents, next_statuses, open_incident, post_update,
    publish_incident, resolve_incident, schedule_maintenance,
)
from ...services.overview import overview
from ...support import intake, queue
from ..forms import choices, explain
from . import actor, bp, now, requires, site_tz
from .forms import (
    ConfirmForm, IncidentEditForm, IncidentForm, MaintenanceForm, MaintenanceUpdateForm, TemplateForm, UpdateForm,
)

PER_PAGE = 50
MAX_PAGE = 100_000
# The list's status filter: a state, or one status (of incidents, or of maintenance).
STATES = ("open", "closed", "suspected")


@bp.get("/")
def index():
    return render_template("admin/index.html", view=overview(now=now()))


FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9000, 12, 31)    # the list's date filters, outside: left out


def _filters(kind: IncidentKind) -> dict:
    """The list's filters from the query string; what cannot be used is left out (never an error)."""
    args = request.args
    statuses = [s.value for s in (IncidentStatus if kind is IncidentKind.INCIDENT else MaintenanceStatus)]
    found = {"status": args.get("status", ""), "impact": args.get("impact", ""),
             "component": args.get("component", ""), "since": args.get("since", ""), "until": args.get("until", ""),
             "q": args.get("q", "").strip()[:200]}
    if found["status"] not in (*STATES, *statuses):
        found["status"] = ""
    if found["impact"] not in [i.value for i in Impact] or kind is IncidentKind.MAINTENANCE:
        found["impact"] = ""
    for name in ("since", "until"):
        try:
            day = date.fromisoformat(found[name])
        except ValueError:
            found[name] = ""
            continue
        if not FIRST_DAY <= day <= LAST_DAY:     # a day after it or in any zone must still be a date
            found[name] = ""
    return found


def _local_midnight(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(0), tzinfo=site_tz())


@bp.get("/incidents")
def incidents():
    return _list(IncidentKind.INCIDENT)


@bp.get("/maintenance")
def maintenances():
    return _list(IncidentKind.MAINTENANCE)


def _list(kind: IncidentKind):
    page_number = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
    found = _filters(kind)
    status = found["status"]
    items, total = list_incidents(
        kind, status=status if status not in STATES else None,
        state=status if status in ("open", "closed") else None,
        published=False if status == "suspected" else None,
        impact=found["impact"] or None, component=found["component"] or None,
        started_from=_local_midnight(found["since"]) if found["since"] else None,
        started_before=_local_midnight(found["until"]) + timedelta(days=1) if found["until"] else None,
        search=found["q"] or None, page=page_number, per_page=PER_PAGE)
    return render_template("admin/incidents/list.html", kind=kind, items=items, page=page_number, total=total,
                           has_more=total > page_number * PER_PAGE, filters=found,
                           filtered=any(found.values()), components=list_components(), now=now(),
                           confirm=ConfirmForm())


def _component_statuses(components, allowed=ComponentStatus) -> tuple[dict[str, str], list[str]]:
    """Read the per-component status choices (name "component-<slug>"); empty means not affected."""
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
    tree = component_tree()
    components = [component for _group, members in tree for component in members]
    templates = message_templates.list_templates()
    template_id = request.args.get("template", type=int)
    template = message_templates.get_template(template_id) if template_id else None  # an unknown one: 404
    if request.method == "GET" and template is not None:
        form.name.data, form.impact.data, form.body.data = template.title, template.impact.value, template.body
    statuses, errors = _component_statuses(components) if form.is_submitted() else ({}, [])
    if form.validate_on_submit() and not errors:
        values = {"components": ", ".join(c.name for c in components if c.slug in statuses),
                  "site": current_app.config["SETTINGS"].site_name}
        try:
            incident = open_incident(
                name=message_templates.fill(form.name.data, values), impact=form.impact.data,
                status=form.status.data, body=message_templates.fill(form.body.data, values),
                components=statuses, deliver_notifications=form.deliver_notifications.data, by=actor(), now=now())
        except AppError as error:
            errors.append(explain(error))
        else:
            flash(_("Incident opened.") if form.deliver_notifications.data
                  else _("Incident opened; subscribers were not notified."), "info")
            return redirect(url_for("admin.incident", incident_id=incident.id))
    return render_template("admin/incidents/new.html", form=form, tree=tree, statuses=statuses,
                           templates=templates, template=template, errors=errors), \
        400 if form.is_submitted() else 200


@bp.get("/incidents/<id:incident_id>")
def incident(incident_id: int):
    return _detail(get_incident(incident_id))


@bp.get("/maintenance/<id:maintenance_id>")
def maintenance(maintenance_id: int):
    return _detail(get_incident(maintenance_id, IncidentKind.MAINTENANCE))


def _update_form(item: Incident, *, submitted: bool):
    """The update form (as posted, or fresh), its status choices those the item can move to now."""
    form_class = MaintenanceUpdateForm if item.is_maintenance else UpdateForm
    form = form_class() if submitted else form_class(formdata=None)
    form.status.choices = choices((value, INCIDENT_STATUS_LABELS[value]) for value in next_statuses(item))
    if not submitted:
        form.status.data = item.status
    return form


def _detail(item: Incident, update_form=None, edit_form=None, errors=(), status=200):
    if update_form is None:
        update_form = _update_form(item, submitted=False)
    if edit_form is None:
        edit_form = IncidentEditForm(formdata=None, obj=item)
    tickets, _total = queue.list_tickets(incident_id=item.id, per_page=200)
    return render_template("admin/incidents/detail.html", item=item, update_form=update_form, edit_form=edit_form,
                           confirm=ConfirmForm(), tree=component_tree(),
                           statuses={link.component.slug: link.status.value for link in item.affected},
                           tickets=tickets, affected=intake.affected_counts([item.id]).get(item.id, 0),
                           alert_count=0 if item.is_maintenance else alerts.count_for(item.id),
                           errors=list(errors), now=now()), status


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


@bp.post("/incidents/<id:incident_id>/dismiss")
@requires(Role.RESPONDER)
def incident_dismiss(incident_id: int):
    """A suspected incident that is no outage: closed unpublished; its tickets stay in the queue."""
    if ConfirmForm().validate_on_submit():
        try:
            dismiss_incident(incident_id, by=actor(), now=now())
        except AppError as error:
            flash(explain(error), "error")
        else:
            flash(_("Suspected incident dismissed: it was never public, and its tickets stay in the queue."),
                  "info")
    return redirect(url_for("admin.incident", incident_id=incident_id))


@bp.post("/incidents/<id:incident_id>/updates")
@requires(Role.RESPONDER)
def incident_update(incident_id: int):
    return _post_update(get_incident(incident_id))


@bp.post("/maintenance/<id:maintenance_id>/updates")
@requires(Role.RESPONDER)
def maintenance_update(maintenance_id: int):
    return _post_update(get_incident(maintenance_id, IncidentKind.MAINTENANCE))


def _post_update(item: Incident):
    form = _update_form(item, submitted=True)
    if item.is_maintenance:
        picked, errors = picked_components(component_tree())
        statuses = {slug: ComponentStatus.UNDER_MAINTENANCE.value for slug in picked}
    else:
        statuses, errors = _component_statuses(list_components())
    if form.validate_on_submit() and not errors:
        try:
            post_update(item.id, status=form.status.data, body=form.body.data or "", components=statuses,
                        kind=item.kind, deliver_notifications=form.deliver_notifications.data, by=actor(), now=now())
        except AppError as error:
            errors.append(explain(error))
        else:
            flash(_("Update posted.") if form.deliver_notifications.data
                  else _("Update posted; subscribers were not notified."), "info")
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
    notify = request.form.get("deliver_notifications", "") not in ("", "false")  # a ticked box, as WTForms reads it
    try:
        resolve_incident(item.id, message, deliver_notifications=notify, by=actor(), now=now())
    except AppError as error:
        return _detail(item, errors=[explain(error)], status=400 if error.status == 422 else error.status)
    flash(_("Incident resolved.") if notify else _("Incident resolved; subscribers were not notified."), "info")
    return redirect(_detail_url(item))


def picked_components(tree) -> tuple[list[str], list[str]]:
    """The components ticked in a checkbox picker (maintenance, pages), in page order, and what is wrong with
    the choice. A group's box stands for all its components (so the picker works without JavaScript too); a
    component or a group that is not on the page is refused, not ignored."""
    groups = {value for value in request.form.getlist("group") if value}
    chosen = set(request.form.getlist("components"))
    known_groups = {str(group.id) for group, _members in tree if group is not None}
    known = {c.slug for _group, members in tree for c in members}
    errors = [_("Choose components from the list.")] if (chosen - known or groups - known_groups) else []
    picked = [c.slug for group, members in tree for c in members
              if c.slug in chosen or (group is not None and str(group.id) in groups)]
    return picked, errors


def _detail_url(item: Incident) -> str:
    if item.is_maintenance:
        return url_for("admin.maintenance", maintenance_id=item.id)
    return url_for("admin.incident", incident_id=item.id)


def _local_to_utc(value: datetime | None) -> datetime | None:
    """A datetime-local field's value is read in the site's zone."""
    return None if value is None else value.replace(tzinfo=site_tz())


def _default_reminder(form: MaintenanceForm) -> None:
    """The reminder a new window starts with: STATUSPAGE_MAINTENANCE_REMINDER_MINUTES (an hour unless set),
    offered among the choices when it is not one of them."""
    minutes = current_app.config["SETTINGS"].maintenance_reminder_minutes
    value = str(minutes) if minutes else ""
    if value not in [choice.value for choice in form.remind_minutes_before.choices]:
        form.remind_minutes_before.choices = [*form.remind_minutes_before.choices, *choices([(value, _(
            "%(duration)s before", duration=duration(timedelta(minutes=minutes))))])]
    if not form.is_submitted():
        form.remind_minutes_before.data = value


@bp.route("/maintenance/new", methods=["GET", "POST"])
@requires(Role.RESPONDER)
def maintenance_new():
    form = MaintenanceForm()
    _default_reminder(form)
    tree = component_tree()
    form.components.choices = choices((c.slug, c.name) for _group, members in tree for c in members)
    errors = []
    if form.is_submitted():
        form.components.data, errors = picked_components(tree)
    if form.validate_on_submit() and not errors:
        try:
            item = schedule_maintenance(
                name=form.name.data, body=form.body.data, components=form.components.data,
                scheduled_for=_local_to_utc(form.scheduled_for.data),
                scheduled_until=_local_to_utc(form.scheduled_until.data),
                deliver_notifications=form.deliver_notifications.data,
                remind_minutes_before=int(form.remind_minutes_before.data) if form.remind_minutes_before.data else None,
                notify_at_start=form.notify_at_start.data, notify_at_end=form.notify_at_end.data,
                by=actor(), now=now())
        except AppError as error:
            if error.code == "window_in_past":
                form.scheduled_until.errors.append(
                    _("This window has ended already: maintenance is scheduled for the future."))
            elif error.code == "invalid_window":
                form.scheduled_until.errors.append(explain(error))
            else:
                errors.append(explain(error))
        else:
            flash(_("Maintenance scheduled."), "info")
            return redirect(_detail_url(item))
    return render_template("admin/incidents/maintenance_new.html", form=form, tree=tree, errors=errors,
                           selected=set(form.components.data or ())), 400 if form.is_submitted() else 200


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
