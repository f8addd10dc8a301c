"""RSS 2.0 and Atom 1.0 feeds of incident and maintenance updates (feedgen): one entry per update."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from feedgen.feed import FeedGenerator
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from .extensions import db
from .markup import render_markdown
from .models import AffectedComponent, Component, Incident, IncidentUpdate
from .system_text import localized
from .services.pages import PageScope, scope_incidents

FEED_LENGTH = 50


@dataclass(frozen=True)
class FeedInfo:
    """What a feed is about and where it lives: titles and links are in the reader's language."""

    title: str
    page_url: str
    feed_url: str
    language: str


def latest_updates(component: Component | None = None, limit: int = FEED_LENGTH, *,
                   page: PageScope | None = None) -> list[IncidentUpdate]:
    """The newest updates of any incident or maintenance of the page (or only those touching one component)."""
    query = scope_incidents(select(IncidentUpdate).join(IncidentUpdate.incident).options(
        contains_eager(IncidentUpdate.incident).selectinload(Incident.affected)).where(Incident.is_published), page)
    if component is not None:
        query = query.where(Incident.affected.any(AffectedComponent.component_id == component.id))
    return list(db.session.scalars(
        query.order_by(IncidentUpdate.created_at.desc(), IncidentUpdate.id.desc()).limit(limit)))


def build_feed(info: FeedInfo, updates: list[IncidentUpdate], *, entry_title, entry_url, fmt: str,
               empty_updated_at: datetime) -> bytes:
    """The feed document in `fmt` ("rss" or "atom"); entry_title and entry_url name and link each update.

    Entry ids are the update's permalink (the incident page with #update-<id>): stable, unique, and
    the same in both formats, so a reader that follows both never shows an update twice.
    """
    feed = FeedGenerator()
    feed.id(info.page_url)
    feed.title(info.title)
    # feedgen makes RSS's channel <link> of the last link given: the page, as RSS 2.0 wants, not the feed.
    feed.link(href=info.feed_url, rel="self")
    feed.link(href=info.page_url, rel="alternate")
    # RSS readers take a channel description as HTML, Atom's subtitle is text unless it says otherwise.
    feed.description(str(escape(info.title)) if fmt == "rss" else info.title)
    feed.language(info.language)
    feed.updated(updates[0].created_at if updates else empty_updated_at)
    feed.generator("statuspage")
    for update in updates:
        entry = feed.add_entry(order="append")
        permalink = entry_url(update)
        entry.id(permalink)
        entry.guid(permalink, permalink=True)
        entry.title(entry_title(update))
        entry.link(href=permalink, rel="alternate")
        # The entry's HTML: the update's text, or for one without text its title, escaped as the pages do.
        text = localized(update, "body")  # the reader's language, when the system wrote it in each
        body = str(render_markdown(text)) if text else str(Markup("<p>{}</p>").format(entry_title(update)))
        # description first: feedgen makes it Atom's <content> too, without a type (plain text, so readers would
        # show the tags); content() then replaces that with type="html" and gives RSS its content:encoded.
        entry.description(body)
        entry.content(body, type="html")
        entry.published(update.created_at)
        entry.updated(update.created_at)
    return feed.rss_str(pretty=False) if fmt == "rss" else feed.atom_str(pretty=False)
