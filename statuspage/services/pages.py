"""Pages: which page a request is for, what it shows, and its settings with the install's filled in.

The read side (this module's first half) is what every public surface asks; the write side (create,
update, delete, with the console and /api/v1/pages on top) keeps the rules: slugs and hosts unique and
well formed, exactly one default page, which cannot be deleted.

A page shows the components in its list, or every component when `shows_all_components` (the default
page: a new component appears on it without anyone adding it). A group shows when one of its components
does. An incident or maintenance shows on every page that shows one of its components; one that names no
component shows on the default page only.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, exists, select, true
from sqlalchemy.exc import IntegrityError

from .. import clock
from ..config import Settings
from ..database import transaction
from ..extensions import db
from ..models import AffectedComponent, Component, Incident, Page, PageComponent, PageVisibility
from ..models.pages import DEFAULT_SLUG

PATH_PREFIX = "/p/"
Query = TypeVar("Query", bound=Select[*tuple[Any, ...]])
ENVIRON_PAGE = "statuspage.page"  # where web/page_choice.py puts the request's PageView


# ---------------------------------------------------------------------------------------------- read side

def default_page() -> Page:
    """The default page; made when missing (a database emptied by hand or by the tests), so there always is
    one. Made inside the caller's unit of work when there is one, else in its own."""
    page = db.session.scalar(select(Page).where(Page.is_default.is_(True)))
    if page is not None:
        return page
    now = clock.now()
    try:
        with transaction(), db.session.begin_nested():
            page = Page(slug=DEFAULT_SLUG, name="", is_default=True, shows_all_components=True,
                        visibility=PageVisibility.PUBLIC.value, created_at=now, updated_at=now)
            db.session.add(page)
    except IntegrityError:  # another request made it first
        page = db.session.scalar(select(Page).where(Page.is_default.is_(True)))
        assert page is not None
    return page


def default_page_for_reading() -> Page:
    """The default page, or when there is none (an emptied database) the one default_page would make,
    unsaved: a read never writes."""
    page = db.session.scalar(select(Page).where(Page.is_default.is_(True)))
    return page if page is not None else unsaved_default_page()


def unsaved_default_page() -> Page:
    """The default page as the migration makes it, not stored: for when the database cannot be read."""
    return Page(id=0, slug=DEFAULT_SLUG, name="", is_default=True, shows_all_components=True,
                visibility=PageVisibility.PUBLIC.value)


def page_by_slug(slug: str) -> Page | None:
    return db.session.scalar(select(Page).where(Page.slug == slug))


def page_by_host(host: str) -> Page | None:
    """The page whose host is this one (compared lowercase, without a port)."""
    return db.session.scalar(select(Page).where(Page.host == normal_host(host)))


def page_by_id(page_id: int | None) -> Page:
    """The page with this id; None, or an id no page has (deleted meanwhile), is the default page."""
    page = db.session.get(Page, page_id) if page_id is not None else None
    return page if page is not None else default_page()


def all_pages() -> list[Page]:
    return list(db.session.scalars(select(Page).order_by(Page.is_default.desc(), Page.slug)))


def also_on_public_pages(page: Page) -> list[Component]:
    """Of a private or password page's components, those a public page shows too (the default page shows
    every component until its own are chosen): anyone reads their status there. Empty for a public page."""
    if page.is_public:
        return []
    public = [other for other in all_pages() if other.is_public]
    if any(other.shows_all_components for other in public):
        return page_components(page)
    shown = set(db.session.scalars(select(PageComponent.component_id)
                                   .where(PageComponent.page_id.in_([other.id for other in public]))))
    return [component for component in page_components(page) if component.id in shown]


def reading_page_urls(incidents: Iterable[Incident], settings: Settings, *, public_only: bool = True
                      ) -> dict[int, str]:
    """For each incident, the address of the first page that shows it (the default page first, then by slug):
    where its readers are sent (a ticket's auto-reply, a ticket follower's mail). With public_only, only pages
    anyone may read: an incident shown on private or password pages alone has none there (it is not matched
    to tickets, whose requesters may be anyone). Without, a public page still comes first, then the others
    in that order. Rule as incident_on_page's, one query per page."""
    everything = all_pages()
    stored = [page for page in everything if page.is_public]
    if not public_only:
        stored += [page for page in everything if not page.is_public]
    if not any(page.is_default for page in everything):
        stored.insert(0, unsaved_default_page())  # an emptied database: the default page as it would be made
    shown = {page.id: page_component_ids(page) for page in stored}
    urls: dict[int, str] = {}
    for incident in incidents:
        affected = {a.component_id for a in incident.affected}
        for page in stored:
            ids = shown[page.id]
            if (page.is_default if not affected else ids is None or bool(affected & ids)):
                urls[incident.id] = page_url(page, settings)
                break
    return urls


def reading_page_url(incident: Incident, settings: Settings) -> str:
    """The address of a page anyone may read the incident on, else of any page showing it (an agent may link
    a ticket to an incident of a private page: its readers sign in), else the install's base URL."""
    return (reading_page_urls([incident], settings, public_only=False).get(incident.id)
            or settings.base_url.rstrip("/"))


# The pages as web/page_choice.py reads them, on the change counter's own connection (no pool, no ORM).
PAGE_ROWS = ("SELECT id, slug, name, host, languages, default_language, time_zone, logo_url, accent_color, "
             "visibility, shows_all_components, is_default FROM pages")


def pages_from_rows(rows: list[tuple[Any, ...]]) -> list[Page]:
    """PAGE_ROWS' rows as (unsaved) Page objects, for effective(); SQLite's booleans come as 0 and 1."""
    return [Page(id=row[0], slug=row[1], name=row[2], host=row[3], languages=row[4], default_language=row[5],
                 time_zone=row[6], logo_url=row[7], accent_color=row[8], visibility=row[9],
                 shows_all_components=bool(row[10]), is_default=bool(row[11])) for row in rows]


def normal_host(host: str) -> str:
    """`Status.Example.com:443` -> `status.example.com` (IPv6 `[::1]:80` -> `[::1]`)."""
    host = host.strip().lower()
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def page_components(page: Page) -> list[Component]:
    """The components the page shows, in their order (visible or not: the views decide that, as before)."""
    query = select(Component).order_by(Component.position, Component.id)
    if not page.shows_all_components:
        query = query.where(Component.id.in_(select(PageComponent.component_id)
                                             .where(PageComponent.page_id == page.id)))
    return list(db.session.scalars(query))


def page_component_ids(page: PageScope) -> set[int] | None:
    """The ids of the page's components; None when it shows them all. For a reader limited to some
    components (PageView.limited_to: a private page's member), those of them the page shows."""
    limited = limited_to(page)
    if page.shows_all_components:
        return None if limited is None else set(limited)
    shown = set(db.session.scalars(select(PageComponent.component_id).where(PageComponent.page_id == page.id)))
    return shown if limited is None else shown & limited


def limited_to(page: object) -> frozenset[int] | None:
    """The components a page's reader is limited to (a PageView narrowed by web/access.py), None: no limit."""
    limited: frozenset[int] | None = getattr(page, "limited_to", None)
    return limited


def incident_on_page(incident: Incident, page: PageScope) -> bool:
    """Whether the incident (or maintenance) shows on the page: it touches one of the page's components,
    or touches none and the page is the default page."""
    limited = limited_to(page)
    if page.is_default and page.shows_all_components and limited is None:
        return True  # everything shows there
    affected = {a.component_id for a in incident.affected}
    if not affected:
        return page.is_default and limited is None
    shown = page_component_ids(page)
    return shown is None or bool(affected & shown)


def incidents_on_page_clause(page: PageScope) -> ColumnElement[bool]:
    """A WHERE clause for Incident queries: only those incident_on_page would say yes to."""
    touches_any = exists().where(AffectedComponent.incident_id == Incident.id)
    if limited_to(page) is not None:  # a limited reader: incidents on their components, none of no component
        return exists().where(AffectedComponent.incident_id == Incident.id,
                              AffectedComponent.component_id.in_(sorted(page_component_ids(page) or ())))
    if page.shows_all_components:
        return touches_any if not page.is_default else true()
    touches_page = exists().where(
        AffectedComponent.incident_id == Incident.id,
        AffectedComponent.component_id.in_(select(PageComponent.component_id)
                                           .where(PageComponent.page_id == page.id)))
    return touches_page | ~touches_any if page.is_default else touches_page


class PageScope(Protocol):
    """What the queries below need of a page: a Page or a PageView."""

    @property
    def id(self) -> int: ...

    @property
    def is_default(self) -> bool: ...

    @property
    def shows_all_components(self) -> bool: ...


def scope_components(query: Query, page: PageScope | None) -> Query:
    """A Component query narrowed to the page's components (unchanged for a page showing them all, or none)."""
    if page is None or (page.shows_all_components and limited_to(page) is None):
        return query
    if limited_to(page) is not None:
        return query.where(Component.id.in_(sorted(page_component_ids(page) or ())))
    return query.where(Component.id.in_(select(PageComponent.component_id).where(PageComponent.page_id == page.id)))


def scope_incidents(query: Query, page: PageScope | None) -> Query:
    """An Incident query narrowed to what shows on the page (unchanged for the default page showing every
    component, where everything shows, or for no page)."""
    if page is None or (page.is_default and page.shows_all_components and limited_to(page) is None):
        return query
    return query.where(incidents_on_page_clause(page))


def component_on_page(component: Component, page: PageScope | None) -> bool:
    shown = page_component_ids(page) if page is not None else None
    return shown is None or component.id in shown


def page_group_ids(page: PageScope | None) -> set[int] | None:
    """The groups the page shows (those with one of its components); None when it shows them all."""
    shown = page_component_ids(page) if page is not None else None
    if shown is None:
        return None
    return set(db.session.scalars(select(Component.group_id).where(Component.id.in_(shown),
                                                                   Component.group_id.is_not(None))))


@dataclass(frozen=True)
class PageView:
    """A page's settings as served: its own value where it has one, else the install's."""

    id: int
    slug: str
    name: str
    host: str | None
    languages: tuple[str, ...]
    default_language: str
    time_zone: str
    logo_url: str | None
    accent_color: str | None
    visibility: str
    is_default: bool
    shows_all_components: bool
    path_prefix: str  # "" (the default page, or a page chosen by its host) or "/p/<slug>"
    url: str          # where the page is: its host, /p/<slug> under the install's base URL, or the base URL
    # A private page's member limited to some components (web/access.py narrows the request's page): the
    # page shows only those of them it has, everywhere (services/page_access.py).
    limited_to: frozenset[int] | None = None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def is_public(self) -> bool:
        return self.visibility == PageVisibility.PUBLIC.value

    @property
    def key_id(self) -> int | None:
        """The page in cache keys (web/cache.py:cache_key): None for the default page, whose keys stay as
        they were before there were pages."""
        return None if self.is_default else self.id


def page_url(page: Page, settings: Settings) -> str:
    """The page's address: https://<host>/ for a page with a host (the install's scheme), the base URL
    plus /p/<slug> for another page, the base URL itself for the default page. No trailing slash."""
    base = settings.base_url.rstrip("/")
    if page.is_default and not page.host:
        return base
    if page.host:
        return f"{urlsplit(base).scheme or 'https'}://{page.host}"
    return f"{base}{PATH_PREFIX}{page.slug}"


def effective(page: Page, settings: Settings) -> PageView:
    """The page's settings with the install's filled in where the page has none (or one the install does
    not speak: a language the install dropped since)."""
    languages = tuple(code for code in _codes(page.languages) if code in settings.languages) or settings.languages
    default_language = page.default_language if page.default_language in languages else (
        settings.default_language if settings.default_language in languages else languages[0])
    return PageView(
        id=page.id, slug=page.slug, name=page.name or settings.site_name, host=page.host,
        languages=languages, default_language=default_language,
        time_zone=page.time_zone or settings.timezone, logo_url=page.logo_url or None,
        accent_color=page.accent_color or None, visibility=page.visibility, is_default=page.is_default,
        shows_all_components=page.shows_all_components,
        path_prefix="" if page.is_default or page.host else f"{PATH_PREFIX}{page.slug}",
        url=page_url(page, settings),
    )


def _codes(value: str | None) -> Iterable[str]:
    return [code.strip() for code in (value or "").split(",") if code.strip()]
