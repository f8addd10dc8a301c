"""Health checks in the console: everyone reads; admins add and change the checks that no file manages."""
from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date, format_time, format_timedelta, gettext as _

from ...errors import AppError
from ...models import RollupScope, Role
from ...monitoring import checks as service
from ...services import uptime
from ...services.components import list_components
from ...system_text import check_errors
from .. import charts
from ..forms import choices, explain
from . import actor, bp, now, requires, site_tz
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
    found = service.get_check(check_id)
    week = uptime.response_times(found.id, now=now(), hours=24 * 7, scope=RollupScope.CHECK)
    state = charts.chart_state([(found.kind, found.enabled, found.last_run_at)])
    due = (found.last_beat_at or found.created_at) + timedelta(
        seconds=(found.period_seconds or 0) + (found.grace_seconds or 0))
    return render_template("admin/checks/detail.html", check=found, results=results, page=page,
                           has_more=total > page * 50, confirm=ConfirmForm(), next_ping_due=due,
                           day_chart=charts.latency_chart(week[-24:], now=now(), state=state),
                           week_chart=charts.latency_chart(week, now=now(), state=state))


@bp.post("/checks/<id:check_id>/run")
@requires(Role.RESPONDER)
def check_run(check_id: int):
    """Run the check now, here, and show how it went (the scheduler's next run is unchanged)."""
    if ConfirmForm().validate_on_submit():
        ran = service.run_now(check_id, by=actor(), now=now())
        if ran.last_ok:
            flash(_("Check run: it passed."), "info")
        else:
            flash(_("Check run: it failed (%(error)s).", error=check_errors.describe(ran.last_error) or _("no answer")), "error")
    return redirect(url_for("admin.check", check_id=check_id))


@bp.post("/checks/<id:check_id>/pause")
@requires(Role.RESPONDER)
def check_pause(check_id: int):
    if ConfirmForm().validate_on_submit():
        service.set_paused(check_id, True, by=actor(), now=now())
        flash(_("Check paused: it does not run until you resume it."), "info")
    return redirect(url_for("admin.check", check_id=check_id))


@bp.post("/checks/<id:check_id>/resume")
@requires(Role.RESPONDER)
def check_resume(check_id: int):
    if ConfirmForm().validate_on_submit():
        service.set_paused(check_id, False, by=actor(), now=now())
        flash(_("Check resumed: it runs again within its interval."), "info")
    return redirect(url_for("admin.check", check_id=check_id))


@bp.app_template_filter("local_seconds")
def local_seconds(value) -> str:
    """A time in the site's zone, to the second, with the zone's name (check results)."""
    if value is None:
        return ""
    local = value.astimezone(site_tz())
    return f"{format_date(local, 'medium')}, {format_time(local, 'medium')} {local.strftime('%Z')}"


@bp.app_template_filter("seconds_in_words")
def seconds_in_words(seconds) -> str:
    """A check's period, grace or interval in words: "30 seconds", "1 day"."""
    return format_timedelta(timedelta(seconds=seconds or 0), threshold=1, granularity="second")


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
