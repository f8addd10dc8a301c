"""Send what is due from the outbox: claim a batch, deliver outside any transaction, record the outcome.

A claim is a conditional UPDATE that stamps `claimed_until` and `claimed_by`; a second worker (or a
restart after kill -9) skips claimed rows until the claim lapses, so a crash mid-batch loses nothing and
repeats at most the deliveries that were in flight, each with the same idempotency key.

Claims are leases as long as the scheduler's (STATUSPAGE_SCHEDULER_LEASE_SECONDS, 15 s), renewed while
the worker goes through its batch: a live worker keeps its rows however slow the mail server is, and
the rows of a dead one are free again within one lease, not after minutes. Before each delivery the
worker's claims still have at least two thirds of a lease left; a row another worker took over meanwhile
(because one delivery outlasted the rest of the lease) is left to that worker.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Exists, and_, exists, or_, select, update
from sqlalchemy.orm import aliased

from ..config import Settings
from ..database import transaction
from ..extensions import db
from ..models import Channel, DeliveryStatus, Notification, NotificationKind
from ..monitoring.leader import new_holder_id
from . import outbox
from .channels import DeliveryError
from .channels.chat import check_notify_url, fingerprint, send_chat, unseal
from .channels.email import SmtpSettings, send_email
from .channels.webhook import post_webhook
from .desk_writes import perform as perform_desk_write
from .messages import chat_for, email_for, webhook_body

log = logging.getLogger(__name__)

BATCH = 100
FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=6)


@dataclass
class DeliveryRun:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    postponed: int = 0  # desk rows held back while their desk asked us to wait (429)


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 ... minutes after each failed attempt, at most six hours."""
    doublings: int = 2 ** max(attempts - 1, 0)
    return min(FIRST_RETRY * doublings, LONGEST_WAIT)


def smtp_settings(settings: Settings) -> SmtpSettings:
    return SmtpSettings(host=settings.smtp_host, port=settings.smtp_port, security=settings.smtp_security,
                        user=settings.smtp_user, password=settings.smtp_password, mail_from=settings.mail_from)


def claim_length(settings: Settings) -> timedelta:
    """How long a claim lasts unless renewed: the scheduler's lease."""
    return timedelta(seconds=settings.scheduler_lease_seconds)


def claim_due(*, now: datetime, limit: int = BATCH, holder: str | None = None,
              claim_for: timedelta | None = None) -> list[int]:
    """Stamp up to `limit` due, unclaimed notifications as the holder's for one lease; their ids."""
    holder = holder or new_holder_id()
    claim_for = claim_for or claim_length(current_app.config["SETTINGS"])
    with transaction():
        due = (select(Notification.id).where(Notification.status == DeliveryStatus.PENDING,
                                             Notification.next_attempt_at <= now,
                                             or_(Notification.claimed_until.is_(None),
                                                 Notification.claimed_until < now),
                                             or_(Notification.kind != NotificationKind.DESK, ~_waits_its_turn()))
               .order_by(Notification.next_attempt_at, Notification.id).limit(limit))
        claimed = db.session.execute(
            update(Notification).where(Notification.id.in_(due.scalar_subquery()),
                                       or_(Notification.claimed_until.is_(None), Notification.claimed_until < now))
            .values(claimed_until=now + claim_for, claimed_by=holder).returning(Notification.id)).scalars().all()
    return sorted(claimed)


def _waits_its_turn() -> Exists:
    """A desk row waits while an earlier row of its ticket, or the known-problem row of its desk and incident,
    is still pending: a ticket's writes land in the order they were queued, and after its problem ticket. The
    problem ticket is closed last, after every earlier row about the incident in that desk (Zendesk would
    solve the linked tickets itself, without the resolution reply)."""
    earlier = aliased(Notification)
    return exists().where(earlier.kind == NotificationKind.DESK, earlier.status == DeliveryStatus.PENDING,
                          earlier.id < Notification.id,
                          or_(earlier.ticket_id == Notification.ticket_id,
                              and_(earlier.desk == Notification.desk, earlier.incident_id == Notification.incident_id,
                                   or_(earlier.desk_action == "problem",
                                       Notification.desk_action == "close_problem"))))


def renew_claims(ids: list[int], *, holder: str, now: datetime, claim_for: timedelta) -> set[int]:
    """Extend the holder's claims on these rows by one lease from now; the ids it still holds."""
    if not ids:
        return set()
    with transaction():
        renewed = db.session.execute(
            update(Notification).where(Notification.id.in_(ids), Notification.claimed_by == holder,
                                       Notification.status == DeliveryStatus.PENDING)
            .values(claimed_until=now + claim_for).returning(Notification.id)).scalars().all()
    return set(renewed)


def deliver_due(*, now: datetime, limit: int = BATCH, holder: str | None = None) -> DeliveryRun:
    """Deliver every claimed notification once; failures wait their backoff, or fail for good.

    The claims are renewed on the way whenever a third of a lease has passed (measured on the
    monotonic clock, added to `now`), so only a worker that stops working loses them.
    """
    settings: Settings = current_app.config["SETTINGS"]
    holder = holder or new_holder_id()
    claim_for = claim_length(settings)
    run = DeliveryRun()
    failed_for_good: list[str] = []
    started = renewed = time.monotonic()
    claimed = claim_due(now=now, limit=limit, holder=holder, claim_for=claim_for)
    held = set(claimed)
    desk_waits: dict[str | None, datetime] = {}  # a desk that answered 429: its other rows wait as long
    for index, notification_id in enumerate(claimed):
        if time.monotonic() - renewed >= claim_for.total_seconds() / 3:
            renewed = time.monotonic()
            held = renew_claims(claimed[index:], holder=holder, now=now + timedelta(seconds=renewed - started),
                                claim_for=claim_for)
        if notification_id not in held:
            continue  # another worker took it over after one of ours outlasted the lease
        notification = db.session.get(Notification, notification_id)
        if notification is None:  # the subscriber left meanwhile
            continue
        if notification.kind == NotificationKind.DESK and notification.desk in desk_waits:
            _postpone(notification, desk_waits[notification.desk], run=run)
            continue
        try:
            _send(notification, settings, now=now)
        except DeliveryError as error:
            _record_failure(notification, error, settings, now=now, run=run)
            if error.retry_after is not None and notification.kind == NotificationKind.DESK:
                desk_waits[notification.desk] = now + error.retry_after
            if notification.status == DeliveryStatus.FAILED and not _is_alert(notification):
                failed_for_good.append(f"#{notification.id} {_channel_name(notification)} to "
                                       f"{_shown_address(notification)}: {error.message}")
        else:
            with transaction():
                notification.status = DeliveryStatus.SENT
                notification.attempts += 1
                notification.sent_at = now
                notification.claimed_until = notification.claimed_by = None
                notification.last_error = ""
                if notification.kind == NotificationKind.MEMBER_SIGN_IN:
                    notification.detail = None  # its one-time sign-in link is the member's, not the outbox's
            run.sent += 1
    if failed_for_good:
        with transaction():
            outbox.queue_delivery_alert(failed_for_good, now=now)
    return run


def _is_alert(notification: Notification) -> bool:
    """An alert to the engineers: its own failure raises no further alert."""
    return notification.kind in (NotificationKind.ALERT, NotificationKind.DELIVERY_FAILED)


def _channel_name(notification: Notification) -> str:
    if notification.kind == NotificationKind.DESK:
        return f"help desk {notification.desk}"
    return notification.subscriber.channel.value if notification.subscriber else "email"


def _shown_address(notification: Notification) -> str:
    """The address as the console shows it: a chat subscriber's is masked already; a webhook's is cut to
    its scheme and host (its path may hold a token), an email address kept."""
    address = notification.address
    if notification.subscriber is not None and notification.subscriber.channel == Channel.WEBHOOK:
        scheme, _, rest = address.partition("://")
        return f"{scheme}://{rest.split('/', 1)[0].rpartition('@')[2]}/…"
    return address


def _send(notification: Notification, settings: Settings, *, now: datetime) -> None:
    if notification.kind == NotificationKind.DESK:
        perform_desk_write(notification, settings, now=now)
        return
    subscriber = notification.subscriber
    if subscriber is None and (notification.recipient or "").startswith(outbox.ALERT_URL_PREFIX):
        _send_to_alert_url(notification, settings)
    elif subscriber is not None and subscriber.channel == Channel.CHAT:
        try:
            url = unseal(subscriber.sealed_url or "", settings.secret_key)
            destination = check_notify_url(url, allow_private=True, check_host=False)
        except ValueError as error:
            raise DeliveryError(str(error), retryable=False) from None
        chat = chat_for(notification, rich=destination.rich)
        # The host is checked again on every connection (DNS may have changed since it was stored).
        send_chat(url, title=chat.title, body=chat.body, markdown=chat.markdown, link=chat.link, tone=chat.tone,
                  app_name=settings.site_name, app_url=settings.base_url + "/",
                  allow_private=settings.webhook_allow_private)
    elif subscriber is None or subscriber.channel == Channel.EMAIL:
        message = email_for(notification)
        send_email(smtp_settings(settings), to=notification.address, subject=message.subject, text=message.text,
                   html=message.html, headers=message.headers,
                   message_id=f"<{notification.idempotency_key}@{settings.host}>")
    else:
        post_webhook(subscriber.address, webhook_body(notification), secret=subscriber.secret,
                     idempotency_key=notification.idempotency_key, timestamp=int(now.timestamp()),
                     allow_private=settings.webhook_allow_private)


def _send_to_alert_url(notification: Notification, settings: Settings) -> None:
    """One of STATUSPAGE_ALERT_URLS, found by its fingerprint; internal hosts allowed (the operator's)."""
    wanted = (notification.recipient or "").removeprefix(outbox.ALERT_URL_PREFIX)
    url = next((u for u in settings.alert_urls if fingerprint(u, settings.secret_key) == wanted), None)
    if url is None:
        raise DeliveryError("this alert URL is no longer in STATUSPAGE_ALERT_URLS", retryable=False)
    message = chat_for(notification, rich=False)
    send_chat(url, title=message.title, body=message.body, markdown=False, link=message.link, tone=message.tone,
              app_name=settings.site_name, app_url=settings.base_url + "/", allow_private=True)


def _record_failure(notification: Notification, error: DeliveryError, settings: Settings, *, now: datetime,
                    run: DeliveryRun) -> None:
    with transaction():
        notification.last_error = error.message[:2000]
        notification.claimed_until = notification.claimed_by = None
        if error.retry_after is not None:
            # The receiver's rate limit: not before it says, and no attempt used up (nothing went wrong).
            notification.next_attempt_at = now + error.retry_after
            run.retried += 1
        elif error.retryable and notification.attempts + 1 < settings.delivery_attempts:
            notification.attempts += 1
            notification.next_attempt_at = now + backoff(notification.attempts)
            run.retried += 1
        else:
            notification.attempts += 1
            notification.status = DeliveryStatus.FAILED
            run.failed += 1
    retrying = notification.status == DeliveryStatus.PENDING
    log.log(logging.INFO if retrying else logging.WARNING, "delivery %s to %s failed (%s): %s", notification.id,
            notification.address, f"attempt {notification.attempts}, will retry" if retrying else "gave up",
            error.message)


def _postpone(notification: Notification, until: datetime, *, run: DeliveryRun) -> None:
    """Hold a desk row back while its desk asked us to wait; no attempt is used up."""
    with transaction():
        notification.next_attempt_at = max(until, notification.next_attempt_at)
        notification.claimed_until = notification.claimed_by = None
    run.postponed += 1
