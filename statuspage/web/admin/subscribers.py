"""Subscribers and the delivery log in the console (admin): who hears of incidents, and what was sent."""
from flask import render_template, request
from sqlalchemy import select

from ...extensions import db
from ...models import DeliveryStatus, Notification, Role
from ...services.subscriptions import list_subscribers
from . import bp, requires

PER_PAGE = 100
MAX_PAGE = 100_000


def _page() -> int:
    return min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)


@bp.get("/subscribers")
@requires(Role.ADMIN)
def subscribers():
    page = _page()
    items, total = list_subscribers(page, PER_PAGE)
    return render_template("admin/subscribers.html", subscribers=items, total=total, page=page,
                           has_more=total > page * PER_PAGE)


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
