"""What a notification says: the email (subject, text, HTML, headers), the webhook body or the chat message,
in the reader's language."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale, gettext
from sqlalchemy import select

from ..serialize import Serializer
from ..config import Settings
from ..markup import one_line
from ..extensions import db
from ..models import Incident, Notification, NotificationKind, Page, Subscriber, User
from ..services import pages
from ..services.page_access import member_component_ids
from ..services.subscriptions import SubscriptionPolicy, confirm_token, manage_token


@dataclass(frozen=True)
class ChatMessage:
    """A chat or push message: a title and a short body, Markdown for services that render it."""

    title: str
    body: str
    markdown: bool
    link: str | None = None  # the incident's page (the console's, for engineers): a Discord embed's title links it
    tone: str = "info"       # info, success, warning or failure: the colour Slack, Discord, Mattermost show


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str | None
    headers: dict[str, str]


def policy(settings: Settings) -> SubscriptionPolicy:
    return SubscriptionPolicy(secret_key=settings.secret_key, languages=settings.languages,
                              allow_private_webhooks=settings.webhook_allow_private,
                              confirm_link_days=settings.confirm_link_days)


def subscriber_page(subscriber: Subscriber, settings: Settings) -> tuple[str, str]:
    """The URL and name of the page the subscriber subscribed on (models/pages.py): its links lead there.
    The default page (or none: subscribed before there were pages) is the base URL, as always."""
    page = db.session.get(Page, subscriber.page_id) if subscriber.page_id is not None else None
    if page is None or (page.is_default and not page.host):
        return settings.base_url, (page.name if page is not None and page.name else settings.site_name)
    view = pages.effective(page, settings)
    return view.url, view.name


def _links(notification: Notification, settings: Settings) -> dict[str, str]:
    subscriber = notification.subscriber
    assert subscriber is not None, "links are a subscriber's"
    rules = policy(settings)
    base, _name = subscriber_page(subscriber, settings)
    manage = manage_token(subscriber, rules)
    links = {"page": base + "/", "manage": f"{base}/subscribe/manage/{manage}",
             "unsubscribe": f"{base}/subscribe/unsubscribe/{manage}",
             "confirm": f"{base}/subscribe/confirm/{confirm_token(subscriber, rules)}"}
    incident = notification.update.incident if notification.update is not None else (
        notification.incident if notification.kind == NotificationKind.REMINDER else None)
    if incident is not None:
        # A ticket's follower did not choose a page: its incident is read where it shows.
        page = pages.reading_page_url(incident, settings) if subscriber.incidents_only else base
        links["incident"] = page + incident.public_path
    return links


def why_you_get_this(subscriber: Subscriber, incident: Incident | None, site_name: str) -> str:
    """The line under an update or reminder mail (text and HTML alike) that says why the reader gets it."""
    # str(): flask_babel has no types, so its gettext is Any to mypy
    if subscriber.follows_everything:
        return str(gettext("You get this because you subscribed to every update of %(site)s.", site=site_name))
    if incident is not None and incident in subscriber.incidents:
        return str(gettext("You get this because your support request is linked to this incident."))
    return str(gettext("You get this because you subscribed to updates of %(site)s about: %(components)s.",
                       site=site_name, components=", ".join(component.name for component in subscriber.components)))


def email_for(notification: Notification) -> Email:
    """The message in the subscriber's language; it says why the reader gets it and how to stop."""
    settings: Settings = current_app.config["SETTINGS"]
    if notification.kind == NotificationKind.ALERT:
        return _alert(notification, settings)
    if notification.kind == NotificationKind.MEMBER_SIGN_IN:
        return _member_sign_in(notification)
    subscriber = notification.subscriber
    assert subscriber is not None, "every mail but an alert is a subscriber's"
    name, context = _subscriber_context(notification, settings)
    links = context["links"]
    with force_locale(subscriber.language):
        context["why"] = why_you_get_this(subscriber, context["incident"], settings.site_name)
        subject = render_template(f"email/{name}.subject.txt", **context).strip()
        text = render_template(f"email/{name}.txt", **context)
        html = render_template(f"email/{name}.html", **context)
    headers = {"Auto-Submitted": "auto-generated", "Content-Language": subscriber.language}
    if notification.kind in (NotificationKind.UPDATE, NotificationKind.REMINDER):
        # RFC 2369 and RFC 8058: mail clients offer a one-click unsubscribe button.
        headers["List-Unsubscribe"] = f"<{links['unsubscribe']}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        headers["List-Id"] = f"{settings.site_name} <status.{settings.host}>"
    return Email(subject=one_line(subject), text=text, html=html, headers=headers)


def _subscriber_context(notification: Notification, settings: Settings) -> tuple[str, dict[str, Any]]:
    """The template name (confirmation, reminder or update) and what a subscriber's mail or chat message
    is made from: one reading for both channels."""
    name = {NotificationKind.CONFIRMATION: "confirmation", NotificationKind.REMINDER: "reminder"}.get(
        notification.kind, "update")
    incident = notification.update.incident if notification.update else notification.incident
    assert notification.subscriber is not None, "a subscriber's message"
    shown = shown_to(notification.subscriber)
    components = [c for c in incident.components if shown is None or c.id in shown] if incident else []
    return name, {"site_name": subscriber_page(notification.subscriber, settings)[1],
                  "subscriber": notification.subscriber, "components": components,
                  "links": _links(notification, settings), "update": notification.update, "incident": incident}


def shown_to(subscriber: Subscriber) -> set[int] | None:
    """The components the subscriber's page shows them (None: all): their page's, and on a private page only
    those their membership allows. A message names no other: an incident on a public and a private
    component names only the public one to the public page's subscribers."""
    page = db.session.get(Page, subscriber.page_id) if subscriber.page_id is not None else None
    shown = pages.page_component_ids(page if page is not None else pages.default_page_for_reading())
    limited = member_component_ids(subscriber.member_id) if subscriber.member_id is not None else None
    if limited is not None:
        shown = set(limited) if shown is None else shown & limited
    return shown


def _alert(notification: Notification, settings: Settings) -> Email:
    """To an engineer, in their language (the console's account page; by default the site's): what is
    suspected and where to decide on it."""
    incident = notification.incident
    assert incident is not None, "an alert mail is about an incident"
    chosen = db.session.scalar(select(User.language).where(User.email == notification.recipient))
    language = chosen if chosen in settings.languages else settings.default_language
    context = {"site_name": settings.site_name, "incident": incident,
               "console_url": f"{settings.base_url}/admin/incidents/{incident.id}"}
    with force_locale(language):
        subject = render_template("email/alert.subject.txt", **context).strip()
        text = render_template("email/alert.txt", **context)
    return Email(subject=one_line(subject), text=text, html=None,
                 headers={"Auto-Submitted": "auto-generated", "Content-Language": language})


def _member_sign_in(notification: Notification) -> Email:
    """To a private page's audience member (services/page_members.py): an invitation or a sign-in link, in
    the page's language. What it says was fixed when it was queued (the detail)."""
    context = json.loads(notification.detail or "{}")
    language = context.get("language") or "en"
    with force_locale(language):
        subject = render_template("email/member_sign_in.subject.txt", **context).strip()
        text = render_template("email/member_sign_in.txt", **context)
    return Email(subject=one_line(subject), text=text, html=None,
                 headers={"Auto-Submitted": "auto-generated", "Content-Language": language})


def chat_for(notification: Notification, *, rich: bool) -> ChatMessage:
    """A short message in the subscriber's language: the incident's link, the unsubscribe link; a
    confirmation carries its confirmation link. `rich`: Slack, Teams, Discord ... get Markdown links."""
    settings: Settings = current_app.config["SETTINGS"]
    if notification.kind in (NotificationKind.ALERT, NotificationKind.DELIVERY_FAILED):
        return _chat_alert(notification, settings)
    name, context = _subscriber_context(notification, settings)
    context["rich"] = rich
    assert notification.subscriber is not None, "every chat message but an alert is a subscriber's"
    with force_locale(notification.subscriber.language):
        title = render_template(f"email/{name}.subject.txt", **context).strip()
        body = render_template(f"chat/{name}.txt", **context).strip()
    return ChatMessage(title=one_line(title), body=body, markdown=rich and name != "confirmation",
                       link=context["links"].get("incident"), tone=_tone(notification))


def _tone(notification: Notification) -> str:
    """Green when it is over, red for a major or critical outage, orange for a lesser one, blue otherwise
    (maintenance, confirmations)."""
    update = notification.update
    if update is None:
        return "info"
    if update.status in ("resolved", "completed", "postmortem"):
        return "success"
    if update.incident.is_maintenance:
        return "info"
    return "failure" if update.incident.impact in ("major", "critical") else "warning"


def _chat_alert(notification: Notification, settings: Settings) -> ChatMessage:
    """To the engineers' alert URLs, in the site's language: what happened and where to act on it."""
    detail = json.loads(notification.detail or "{}")
    if notification.kind == NotificationKind.DELIVERY_FAILED:
        lines = [f"- {line}" for line in detail.get("examples", [])]
        context = {"kind": "delivery_failed", "count": detail.get("count", len(lines)), "detail": "\n".join(lines),
                   "console_url": f"{settings.base_url}/admin/deliveries?status=failed"}
    else:
        context = {"kind": "incident", "incident": notification.incident,
                   "console_url": f"{settings.base_url}/admin/incidents/{notification.incident_id}"}
    context["site_name"] = settings.site_name
    with force_locale(settings.default_language):
        title = render_template("chat/alert.subject.txt", **context).strip()
        body = render_template("chat/alert.txt", **context).strip()
    return ChatMessage(title=one_line(title), body=body, markdown=False, link=context["console_url"],
                       tone="failure" if notification.kind == NotificationKind.DELIVERY_FAILED else "warning")


def webhook_body(notification: Notification) -> bytes:
    """The JSON a webhook receives: an event type and the incident or maintenance in the v2 shape."""
    settings: Settings = current_app.config["SETTINGS"]
    assert notification.subscriber is not None, "webhooks are subscribers'"
    url, page_name = subscriber_page(notification.subscriber, settings)
    shown = shown_to(notification.subscriber)
    serializer = Serializer(settings, url=None if url == settings.base_url else url, shown=shown)
    links = _links(notification, settings)
    payload: dict[str, object]
    if notification.kind == NotificationKind.CONFIRMATION:
        payload = {"event": "subscription.confirm", "confirm_url": links["confirm"],
                   "manage_url": links["manage"], "signing_secret": notification.subscriber.secret}
    elif notification.kind == NotificationKind.REMINDER:
        maintenance = notification.incident
        assert maintenance is not None, "a reminder is about its maintenance window"
        payload = {"event": "maintenance.reminder",
                   "page": serializer.page(page_name, notification.created_at),
                   "maintenance": serializer.incident(maintenance), "manage_url": links["manage"]}
    else:
        update = notification.update
        assert update is not None, "any other webhook tells of an update"
        incident = update.incident
        kind = "maintenance" if incident.is_maintenance else "incident"
        payload = {"event": f"{kind}.updated", "page": serializer.page(page_name, update.created_at),
                   kind: serializer.incident(incident), "update": serializer.update(update),
                   "manage_url": links["manage"]}
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
