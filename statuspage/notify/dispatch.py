"""Send what is due from the outbox: claim a batch, deliver outside any transaction, record the outcome.

A claim is a conditional UPDATE that stamps `claimed_until`; a second worker (or a restart after
kill -9) skips claimed rows until the claim lapses, so a crash mid-batch loses nothing and repeats
at most the deliveries that were in flight, each with the same idempotency key.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from ..config import Settings
from ..database import transaction
from ..extensions import db
from ..models import Channel, DeliveryStatus, Notification
from .channels import DeliveryError
from .channels.email import SmtpSettings, send_email
from .channels.webhook import post_webhook
from .messages import email_for, webhook_body

log = logging.getLogger(__name__)

BATCH = 100
CLAIM_FOR = timedelta(minutes=5)
FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=6)


@dataclass
class DeliveryRun:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 ... minutes after each failed attempt, at most six hours."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_WAIT)


def smtp_settings(settings: Settings) -> SmtpSettings:
    return SmtpSettings(host=settings.smtp_host, port=settings.smtp_port, security=settings.smtp_security,
                        user=settings.smtp_user, password=settings.smtp_password, mail_from=settings.mail_from)


def claim_due(*, now: datetime, limit: int = BATCH) -> list[int]:
    """Stamp up to `limit` due, unclaimed notifications as ours for a while; their ids."""
    with transaction():
        due = (select(Notification.id).where(Notification.status == DeliveryStatus.PENDING,
                                             Notification.next_attempt_at <= now,
                                             or_(Notification.claimed_until.is_(None),
                                                 Notification.claimed_until < now))
               .order_by(Notification.next_attempt_at, Notification.id).limit(limit))
        claimed = db.session.execute(
            update(Notification).where(Notification.id.in_(due.scalar_subquery()),
                                       or_(Notification.claimed_until.is_(None), Notification.claimed_until < now))
            .values(claimed_until=now + CLAIM_FOR).returning(Notification.id)).scalars().all()
    return sorted(claimed)


def deliver_due(*, now: datetime, limit: int = BATCH) -> DeliveryRun:
    """Deliver every claimed notification once; failures wait their backoff, or fail for good."""
    settings: Settings = current_app.config["SETTINGS"]
    run = DeliveryRun()
    for notification_id in claim_due(now=now, limit=limit):
        notification = db.session.get(Notification, notification_id)
        if notification is None:  # the subscriber left meanwhile
            continue
        try:
            _send(notification, settings, now=now)
        except DeliveryError as error:
            _record_failure(notification, error, settings, now=now, run=run)
        else:
            with transaction():
                notification.status = DeliveryStatus.SENT
                notification.attempts += 1
                notification.sent_at = now
                notification.claimed_until = None
                notification.last_error = ""
            run.sent += 1
    return run


def _send(notification: Notification, settings: Settings, *, now: datetime) -> None:
    subscriber = notification.subscriber
    if subscriber is None or subscriber.channel == Channel.EMAIL:
        message = email_for(notification)
        send_email(smtp_settings(settings), to=notification.address, subject=message.subject, text=message.text,
                   html=message.html, headers=message.headers,
                   message_id=f"<{notification.idempotency_key}@{settings.host}>")
    else:
        post_webhook(subscriber.address, webhook_body(notification), secret=subscriber.secret,
                     idempotency_key=notification.idempotency_key, timestamp=int(now.timestamp()),
                     allow_private=settings.webhook_allow_private)


def _record_failure(notification: Notification, error: DeliveryError, settings: Settings, *, now: datetime,
                    run: DeliveryRun) -> None:
    with transaction():
        notification.attempts += 1
        notification.last_error = error.message[:2000]
        notification.claimed_until = None
        if error.retryable and notification.attempts < settings.delivery_attempts:
            notification.next_attempt_at = now + backoff(notification.attempts)
            run.retried += 1
        else:
            notification.status = DeliveryStatus.FAILED
            run.failed += 1
    log.info("delivery %s to %s failed (%s): %s", notification.id, notification.address,
             "will retry" if notification.status == DeliveryStatus.PENDING else "gave up", error.message)
