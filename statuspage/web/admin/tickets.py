"""The support queue in the console: answering order, time left, breaches, the matcher's record; re-classify,
link to an incident, unlink."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ...errors import AppError
from ...i18n import INCIDENT_STATUS_LABELS
from ...models import Role
from ...support import intake, queue, sla
from ...system_text import localized
from ..forms import choices, explain
from . import actor, bp, now, requires
from .forms import LinkForm, ReclassifyForm, UnlinkForm

PER_PAGE = 100
MAX_PAGE = 100_000
LINK_ERRORS = {
    "not_accepted": _l("This ticket is linked already: unlink it first."),
    "not_linkable": _l("This incident is closed or not public any more: choose another."),
    "not_suppressed": _l("This ticket is not linked to an incident (any more)."),
}


@bp.get("/tickets")
def tickets():
    filters = {"status": request.args.get("status") or None, "plan": request.args.get("plan") or None,
               "priority": request.args.get("priority", type=int)}
    filters = {"status": filters["status"] if filters["status"] in ("accepted", "suppressed") else None,
               "plan": filters["plan"] if filters["plan"] in sla.PLANS else None,
               "priority": filters["priority"] if filters["priority"] in sla.PRIORITIES else None}
    page = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
    items, total = queue.list_tickets(**filters, page=page, per_page=PER_PAGE)
    current = now()
    return render_template("admin/tickets/list.html", tickets=items, total=total, page=page, filters=filters,
                           has_more=total > page * PER_PAGE, standing=lambda t: queue.standing(t, current),
                           undone=queue.undone, counts=queue.matcher_counts(now=current), now=current,
                           plans=sla.PLANS)


@bp.get("/tickets/<id:ticket_id>")
def ticket(ticket_id: int):
    return _detail(queue.get_ticket(ticket_id))


def _link_form(*, submitted: bool) -> LinkForm:
    """The link form (as posted, or empty), its choices the incidents a ticket can be linked to now."""
    form = LinkForm() if submitted else LinkForm(formdata=None)
    form.incident_id.choices = choices(
        (str(incident.id), f"#{incident.id} {localized(incident)} ({INCIDENT_STATUS_LABELS[incident.status]})")
        for incident in queue.linkable_incidents())
    return form


def _detail(item, reclassify_form=None, unlink_form=None, link_form=None, errors=(), status=200):
    form = reclassify_form or ReclassifyForm(formdata=None, priority=str(item.priority))
    return render_template("admin/tickets/detail.html", ticket=item, form=form,
                           unlink_form=unlink_form or UnlinkForm(formdata=None),
                           link_form=link_form or _link_form(submitted=False), undone=queue.undone(item),
                           alternatives=intake.alternatives(item), standing=queue.standing(item, now()),
                           errors=list(errors)), status


def _explain(error: AppError) -> str:
    return str(LINK_ERRORS[error.code]) if error.code in LINK_ERRORS else explain(error)


@bp.post("/tickets/<id:ticket_id>/reclassify")
@requires(Role.RESPONDER)
def ticket_reclassify(ticket_id: int):
    item = queue.get_ticket(ticket_id)
    form = ReclassifyForm()
    if form.validate_on_submit():
        try:
            queue.reclassify(ticket_id, priority=int(form.priority.data), reason=form.reason.data, by=actor(),
                             now=now())
        except AppError as error:
            return _detail(item, reclassify_form=form, errors=[explain(error)], status=400)
        flash(_("Ticket re-classified."), "info")
        return redirect(url_for("admin.ticket", ticket_id=ticket_id))
    return _detail(item, reclassify_form=form, status=400)


@bp.post("/tickets/<id:ticket_id>/unlink")
@requires(Role.RESPONDER)
def ticket_unlink(ticket_id: int):
    item = queue.get_ticket(ticket_id)
    form = UnlinkForm()
    if form.validate_on_submit():
        try:
            queue.unlink(ticket_id, reason=form.unlink_reason.data or "", by=actor(), now=now())
        except AppError as error:
            return _detail(item, unlink_form=form, errors=[_explain(error)], status=409 if error.status == 409 else 400)
        flash(_("Ticket unlinked: it is in the queue now."), "info")
        return redirect(url_for("admin.ticket", ticket_id=ticket_id))
    return _detail(item, unlink_form=form, status=400)


@bp.post("/tickets/<id:ticket_id>/link")
@requires(Role.RESPONDER)
def ticket_link(ticket_id: int):
    item = queue.get_ticket(ticket_id)
    form = _link_form(submitted=True)
    if form.validate_on_submit():
        try:
            queue.link(ticket_id, int(form.incident_id.data), reason=form.link_reason.data or "", by=actor(),
                       now=now())
        except AppError as error:
            return _detail(item, link_form=form, errors=[_explain(error)], status=409 if error.status == 409 else 400)
        flash(_("Ticket linked: its requester follows the incident now."), "info")
        return redirect(url_for("admin.ticket", ticket_id=ticket_id))
    return _detail(item, link_form=form, status=400)
