"""Health checks in the console: everyone reads; admins add and change the checks that no file manages."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ...errors import AppError
from ...models import Role
from ...services import checks as service
from ...services.components import list_components
from ..forms import choices, explain
from . import actor, bp, now, requires
from .forms import CheckForm, ConfirmForm

MAX_PAGE = 100_000


@bp.get("/checks")
def checks():
    return render_template("admin/checks/list.html", checks=service.list_checks(per_page=10_000)[0],
                           confirm=ConfirmForm())


@bp.get("/checks/<id:check_id>")
def check(check_id: int):
    page = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
    results, total = service.recent_results(check_id, page=page, per_page=50)
    return render_template("admin/checks/detail.html", check=service.get_check(check_id), results=results,
                           page=page, has_more=total > page * 50, confirm=ConfirmForm())


@bp.route("/checks/new", methods=["GET", "POST"])
@bp.route("/checks/<id:check_id>/edit", methods=["GET", "POST"])
@requires(Role.ADMIN)
def check_edit(check_id: int | None = None):
    existing = service.get_check(check_id) if check_id else None
    if existing is not None and existing.is_from_file:
        abort(409)
    form = CheckForm()
    form.component.choices = choices((c.slug, c.name) for c in list_components())
    if existing is not None and not form.is_submitted():
        _fill(form, existing)
    errors = []
    if form.validate_on_submit():
        try:
            if existing is None:
                saved = service.create_check(form.definition(), by=actor(), now=now())
            else:
                saved = service.update_check(existing.id, form.definition(), by=actor(), now=now())
        except AppError as error:
            errors.append(explain(error))
        else:
            flash(_("Check saved."), "info")
            return redirect(url_for("admin.check", check_id=saved.id))
    return render_template("admin/checks/edit.html", form=form, check=existing, errors=errors), \
        400 if form.is_submitted() else 200


@bp.post("/checks/<id:check_id>/delete")
@requires(Role.ADMIN)
def check_delete(check_id: int):
    if ConfirmForm().validate_on_submit():
        try:
            service.delete_check(check_id, by=actor(), now=now())
        except AppError as error:
            flash(explain(error), "error")
            return redirect(url_for("admin.check", check_id=check_id))
        flash(_("Check deleted."), "info")
    return redirect(url_for("admin.checks"))


def _fill(form: CheckForm, check) -> None:
    definition = service.definition_of(check).as_json()
    for name in ("key", "name", "component", "kind", "target", "failure_status", "enabled"):
        getattr(form, name).data = definition.get(name)
    form.interval.data = f"{check.interval_seconds}s"
    form.timeout.data = f"{check.timeout_seconds:g}s" if check.timeout_seconds else ""
    form.period.data = f"{check.period_seconds}s" if check.period_seconds else ""
    form.grace.data = f"{check.grace_seconds}s" if check.grace_seconds is not None else ""
    form.failures_to_open.data, form.successes_to_close.data = str(check.failures_to_open), str(check.successes_to_close)
    expect = (check.options or {}).get("expect", {})
    form.expect_status.data = ", ".join(map(str, expect.get("status", [])))
    form.body_contains.data = expect.get("body_contains", "")
    form.max_latency_ms.data = str(expect.get("max_latency_ms", "")) if expect.get("max_latency_ms") else ""
