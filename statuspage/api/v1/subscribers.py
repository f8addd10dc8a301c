"""Subscribers (admin only): list, add (email, webhook or chat/push; optionally as already confirmed), read,
remove."""
from __future__ import annotations

from flask import current_app

from ... import clock
from ...database import get_by_id
from ...errors import Invalid, NotFound
from ...models import Channel, Role, Subscriber
from ...notify.messages import policy
from ...models.pages import DEFAULT_SLUG
from ...services import pages, subscriptions
from ...serialize import Serializer
from . import blp
from .auth import actor, requires
from .http import page_headers
from .schemas import PageArgs, SubscriberIn, SubscriberOut


def _page_slugs() -> dict[int | None, str]:
    """Each page's slug by its id; None is the default page (a subscriber's page_id)."""
    slugs: dict[int | None, str] = {}
    for page in pages.all_pages():
        slugs[page.id] = page.slug
        if page.is_default:
            slugs[None] = page.slug
    return slugs


def _out(subscriber: Subscriber, page_slugs: dict[int | None, str]) -> dict:
    channel = subscriber.channel
    return {"id": str(subscriber.id), "channel": channel.value,
            "email": subscriber.address if channel == Channel.EMAIL else None,
            "webhook_url": subscriber.address if channel == Channel.WEBHOOK else None,
            "notify_url": subscriber.address if channel == Channel.CHAT else None,  # shown form, never the URL
            "components": [c.slug for c in subscriber.components], "lang": subscriber.language,
            "follows_everything": subscriber.follows_everything,
            "incidents": [str(i.id) for i in subscriber.incidents],
            "confirmed": subscriber.is_confirmed,
            "created_at": Serializer(current_app.config["SETTINGS"]).time(subscriber.created_at),
            "page": page_slugs.get(subscriber.page_id, DEFAULT_SLUG)}


@blp.get("/subscribers")
@requires(Role.ADMIN)
@blp.arguments(PageArgs, location="query")
@blp.response(200, SubscriberOut(many=True))
def list_subscribers(args):
    """Subscribers, newest first."""
    items, total = subscriptions.list_subscribers(args["page"], args["per_page"])
    slugs = _page_slugs()
    return [_out(s, slugs) for s in items], page_headers(total, args["page"], args["per_page"])


@blp.post("/subscribers")
@requires(Role.ADMIN)
@blp.arguments(SubscriberIn)
@blp.response(201, SubscriberOut)
def create_subscriber(fields):
    """Add a subscriber by `email`, `webhook_url` or `notify_url` (an Apprise URL for chat or push: Slack,
    Teams, Discord, ntfy, json://...); `confirmed: true` skips the confirmation message."""
    given = [name for name in ("email", "webhook_url", "notify_url") if fields.get(name)]
    if len(given) != 1:
        raise Invalid("email_or_webhook", "Give email, webhook_url or notify_url, one of them.", field="email")
    channel = {"email": "email", "webhook_url": "webhook", "notify_url": "chat"}[given[0]]
    page = pages.page_by_slug(fields["page"]) if fields["page"] is not None else None
    if fields["page"] is not None and page is None:
        raise Invalid("page_not_found", f"No page with slug '{fields['page']}'.", field="page")
    subscriber = subscriptions.subscribe(
        channel, fields[given[0]], components=fields["components"],
        language=fields["lang"], confirmed=fields["confirmed"], policy=policy(current_app.config["SETTINGS"]),
        by=actor(), now=clock.now(), page_id=page.id if page is not None else None)
    return _out(subscriber, _page_slugs())


@blp.get("/subscribers/<id:subscriber_id>")
@requires(Role.ADMIN)
@blp.response(200, SubscriberOut)
def get_subscriber(subscriber_id):
    """One subscriber."""
    subscriber = get_by_id(Subscriber, subscriber_id)
    if subscriber is None:
        raise NotFound("subscriber_not_found", f"No subscriber with id {subscriber_id}.")
    return _out(subscriber, _page_slugs())


@blp.delete("/subscribers/<id:subscriber_id>")
@requires(Role.ADMIN)
@blp.response(204)
def delete_subscriber(subscriber_id):
    """Remove a subscriber and its pending deliveries."""
    subscriptions.unsubscribe(subscriber_id, by=actor(), now=clock.now())
