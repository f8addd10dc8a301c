"""Subscribers and the delivery log in the console (admin): who hears of incidents, and what was sent."""
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from ...errors import AppError
from ...extensions import db
from ...i18n import LANGUAGE_NAMES
from ...models import DeliveryStatus, Notification, Role
from ...notify.messages import policy
from ...services import subscriptions
from ...services.components import list_components
from ...services.subscriptions import list_subscribers
from ..forms import choices, explain
from . import actor, bp, now, requires
from .forms import ChatSubscriberForm

PER_PAGE = 100
MAX_PAGE = 100_000


def _page() -> int:
    return min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)


@bp.get("/subscribers")
@requires(Role.ADMIN)
def subscribers():
    return _subscribers_page(_chat_form(formdata=None))


def _chat_form(**kwargs) -> ChatSubscriberForm:
    settings = current_app.config["SETTINGS"]
    form = ChatSubscriberForm(**kwargs)
    form.components.choices = choices((c.slug, c.name) for c in list_components())
    form.lang.choices = choices((code, LANGUAGE_NAMES[code]) for code in settings.languages)
    if form.lang.data is None:
        form.lang.data = settings.default_language
    return form


def _subscribers_page(form: ChatSubscriberForm, errors=(), status: int = 200):
    page = _page()
    items, total = list_subscribers(page, PER_PAGE)
    form.notify_url.data = ""  # a destination URL is a secret: never sent back to the browser
    return render_template("admin/subscribers.html", subscribers=items, total=total, page=page,
                           has_more=total > page * PER_PAGE, chat_form=form, errors=list(errors)), status


@bp.post("/subscribers/chat")
@requires(Role.ADMIN)
def subscriber_add_chat():
    """Add a chat or push subscriber (an Apprise URL); shown from then on as scheme and host only."""
    form = _chat_form()
    errors = []
    if form.validate_on_submit():
        try:
            subscriptions.subscribe("chat", form.notify_url.data, components=form.components.data or [],
                                    language=form.lang.data, confirmed=form.confirmed.data,
                                    policy=policy(current_app.config["SETTINGS"]), by=actor(), now=now())
        except AppError as error:
            errors.append(explain(error))
        else:
            flash(_("Subscriber added."), "info")
            return redirect(url_for("admin.subscribers"))
    return _subscribers_page(form, errors, 400)


@bp.get("/deliveries")
@requires(Role.ADMIN)
def deliveries():
    """The newest deliveries first; ?status=failed shows what gave up, with its last error."""
    page = _page()
    status = request.args.get("status")
    query = select(Notification)
    if status in {s.value for s in DeliveryStatus}:
        query = query.where(Notification.status == status)
    rows = list(db.session.scalars(query.order_by(Notification.created_at.desc(), Notification.id.desc())
                                   .limit(PER_PAGE + 1).offset((page - 1) * PER_PAGE)))
    return render_template("admin/deliveries.html", notifications=rows[:PER_PAGE], page=page, status=status,
                           has_more=len(rows) > PER_PAGE, statuses=[s.value for s in DeliveryStatus])
