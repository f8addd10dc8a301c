"""Pages, the write side: create, change and delete a page (services/pages.py has the reads and the rules
of showing one). The console, the API and the CLI call these; every check a page's fields need is here, so
the three say the same.

Deleting a page: the default page never goes (it answers at the install's own address). A page that still
has subscribers is refused, naming how many, unless the caller says which page they move to: subscribers
chose to hear from a page, and silently dropping them (or their confirmations) is not ours to decide.
"""
from __future__ import annotations

import functools
import ipaddress
import re
import zoneinfo
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.orm import aliased
from werkzeug.security import generate_password_hash

from ..config import Settings
from ..database import MAX_ID, transaction
from ..errors import Conflict, Invalid, NotFound
from ..extensions import db
from ..models import Component, Subscriber
from ..models.pages import DEFAULT_SLUG, Page, PageMember, PageVisibility
from . import accounts, audit, validate
from .audit import Actor
from .pages import all_pages, default_page

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
SLUG_MAX = 60
NAME_MAX = 120
HOST_MAX = 253
LOGO_URL_MAX = 500
ACCENT = re.compile(r"^#[0-9a-f]{6}$")
HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
VISIBILITIES = tuple(v.value for v in PageVisibility)
# The fields a caller may set; is_default, id and the times are the service's.
FIELDS = ("name", "slug", "host", "languages", "default_language", "time_zone", "logo_url", "accent_color",
          "visibility", "shows_all_components", "components", "password")
PASSWORD_MAX = 1000


def list_pages() -> list[Page]:
    """Every page: the default one first (made when missing, as every reader of pages does: call it outside a
    transaction), then by slug."""
    default_page()
    return all_pages()


def get_page(slug: str) -> Page:
    page = db.session.scalar(select(Page).where(Page.slug == slug)) if isinstance(slug, str) else None
    if page is None and slug == DEFAULT_SLUG:
        page = default_page()  # an emptied database: made when first named, as when first read
    if page is None:
        raise NotFound("page_not_found", f"No page with slug '{slug}'.")
    return page


def chosen_components(page: Page) -> list[Component]:
    """The components the page lists (in their order), whether or not it shows all of them."""
    return list(page.components)


def subscriber_count(page: Page) -> int:
    """Subscribers who belong to the page (on the default page also those with no page: read as it)."""
    belongs = Subscriber.page_id == page.id
    if page.is_default:
        belongs = or_(belongs, Subscriber.page_id.is_(None))
    return db.session.scalar(select(func.count(Subscriber.id)).where(belongs)) or 0


def create_page(*, settings: Settings, by: Actor, now: datetime, **fields: Any) -> Page:
    """Add a page (never the default one: there is exactly one, made by the migration)."""
    _known(fields)
    with transaction():
        page = Page(slug="", name="", visibility=PageVisibility.PUBLIC.value, shows_all_components=False,
                    is_default=False,
                    created_at=now, updated_at=now)
        if "slug" not in fields:
            raise Invalid("required", "slug is required.", field="slug")
        if not validate.text(fields.get("name"), "name", max_length=NAME_MAX, required=False):
            raise Invalid("required", "name is required.", field="name")
        _apply(page, fields, settings)
        db.session.add(page)
        db.session.flush()
        audit.record(by, "page.create", page, summary=_summary(page), details=_jsonable(fields), now=now)
    return page


def update_page(slug: str, /, *, settings: Settings, by: Actor, now: datetime, **changes: Any) -> Page:
    """Change a page's fields; only those given change."""
    _known(changes)
    with transaction():
        page = get_page(slug)
        if page.is_default and "slug" in changes and changes["slug"] != page.slug:
            raise Invalid("default_page_slug", "The default page's slug stays 'default'.", field="slug")
        if not page.is_default and "name" in changes and not validate.text(
                changes["name"], "name", max_length=NAME_MAX, required=False):
            raise Invalid("required", "name is required.", field="name")
        was_private = page.visibility == PageVisibility.PRIVATE.value
        _apply(page, changes, settings)
        page.updated_at = now
        audit.record(by, "page.update", page, summary=_summary(page), details=_jsonable(changes), now=now)
        if page.visibility == PageVisibility.PRIVATE.value and not was_private:
            _end_non_member_subscriptions(page, by=by, now=now)
    return page


def _end_non_member_subscriptions(page: Page, *, by: Actor, now: datetime) -> None:
    """A page turned private: its subscriptions that belong to none of its active members end (made while it
    was public, or added by an admin), with an audit entry saying how many. They would never be sent to
    (notify/outbox.py:_private_page_allows); kept, they would start again unasked if the page ever turned
    public, and the console would list subscribers who hear nothing."""
    on_page = Subscriber.page_id.is_(None) if page.is_default else Subscriber.page_id == page.id
    member = exists().where(PageMember.id == Subscriber.member_id, PageMember.page_id == page.id,
                            PageMember.revoked_at.is_(None))
    ended = db.session.scalar(select(func.count(Subscriber.id)).where(on_page, ~member)) or 0
    if ended:
        db.session.execute(delete(Subscriber).where(on_page, ~member), execution_options={"synchronize_session": False})
        audit.record(by, "page.subscribers_ended", page, summary=f"{ended} subscriber(s) of {_summary(page)} "
                     f"who are not members", details={"subscribers": ended, "reason": "private"}, now=now)


def delete_page(slug: str, *, move_subscribers_to: str | None = None, by: Actor, now: datetime) -> None:
    """Remove a page. Its components stay (they may be on other pages); its subscribers must be moved to
    another page first (move_subscribers_to), else the deletion is refused naming how many there are."""
    with transaction():
        page = get_page(slug)
        if page.is_default:
            raise Conflict("default_page", "The default page cannot be deleted: it answers at the install's "
                                           "own address.")
        subscribers = subscriber_count(page)
        moved_to = None
        if move_subscribers_to not in (None, ""):
            moved_to = get_page(move_subscribers_to)
            if moved_to.id == page.id:
                raise Invalid("same_page", "Move the subscribers to another page than the one deleted.",
                              field="move_subscribers_to")
        if subscribers and moved_to is None:
            raise Conflict("page_has_subscribers",
                           f"The page has {subscribers} subscriber(s); say which page they move to "
                           f"(move_subscribers_to) or remove them first.", field="move_subscribers_to")
        if subscribers and moved_to is not None:
            _move_subscribers(page, moved_to)
        details = {"subscribers_moved_to": moved_to.slug, "subscribers": subscribers} if moved_to and subscribers \
            else None
        audit.record(by, "page.delete", page, summary=_summary(page), details=details, now=now)
        db.session.delete(page)


def _move_subscribers(page: Page, to: Page) -> None:
    """The page's subscribers go to the other page (the default page is page_id None); an address subscribed
    there already keeps that subscription, and its subscription here goes with the page."""
    to_id = None if to.is_default else to.id
    there = aliased(Subscriber)
    twin = exists().where(there.channel == Subscriber.channel, there.address == Subscriber.address,
                          there.page_id.is_(None) if to_id is None else there.page_id == to_id)
    db.session.execute(delete(Subscriber).where(Subscriber.page_id == page.id, twin),
                       execution_options={"synchronize_session": False})
    db.session.execute(update(Subscriber).where(Subscriber.page_id == page.id).values(page_id=to_id),
                       execution_options={"synchronize_session": False})


# The checks, one per field. Each raises Invalid naming the field, as the API reports it.

def _known(fields: dict[str, object]) -> None:
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise Invalid("unknown_field", f"{unknown[0]} is not a field of a page.", field=unknown[0])


def _apply(page: Page, fields: dict[str, Any], settings: Settings) -> None:
    if "name" in fields:
        page.name = validate.text(fields["name"], "name", max_length=NAME_MAX, required=False)
    if "slug" in fields:
        new_slug = page_slug(fields["slug"])
        # "default" is the default page's, also on a database where it is not made yet (emptied by hand).
        if new_slug != page.slug and (_taken(Page.slug, new_slug, page) or new_slug == DEFAULT_SLUG):
            raise Conflict("page_slug_taken", f"A page with slug '{new_slug}' already exists.", field="slug")
        page.slug = new_slug
    if "host" in fields:
        new_host = host_name(fields["host"])
        if new_host is not None:
            if new_host == settings.host.lower() and not page.is_default:
                raise Invalid("host_is_base_url", f"{new_host} is the install's own address (STATUSPAGE_BASE_URL), "
                                                  f"where the default page answers.", field="host")
            if _taken(Page.host, new_host, page):
                raise Conflict("page_host_taken", f"Another page answers at {new_host} already.", field="host")
        page.host = new_host
    if "languages" in fields:
        page.languages = _languages(fields["languages"], settings)
    if "default_language" in fields:
        value = fields["default_language"]
        page.default_language = None if value in (None, "") else validate.text(value, "default_language",
                                                                               max_length=8)
    if "languages" in fields or "default_language" in fields:
        offered = page.languages.split(",") if page.languages else list(settings.languages)
        if page.default_language is not None and page.default_language not in offered:
            raise Invalid("default_language_not_offered",
                          f"default_language must be one of the page's languages: {', '.join(offered)}.",
                          field="default_language")
    if "time_zone" in fields:
        page.time_zone = time_zone(fields["time_zone"])
    if "logo_url" in fields:
        page.logo_url = logo_url(fields["logo_url"])
    if "accent_color" in fields:
        page.accent_color = accent_color(fields["accent_color"])
    if "visibility" in fields:
        if fields["visibility"] not in VISIBILITIES:
            raise Invalid("invalid_choice", f"visibility must be one of: {', '.join(VISIBILITIES)}.",
                          field="visibility")
        if page.id is not None and fields["visibility"] != page.visibility:
            page.access_version = (page.access_version or 1) + 1  # a password cookie never outlives a switch
        page.visibility = fields["visibility"]
    if "shows_all_components" in fields:
        page.shows_all_components = validate.boolean(fields["shows_all_components"], "shows_all_components")
    if "components" in fields:
        page.components = named_components(fields["components"])
    if "password" in fields:
        set_page_password(page, fields["password"])


def set_page_password(page: Page, password: Any) -> None:
    """A password page's shared password (None or "": none), hashed as console passwords are. Every
    password cookie of the page dies (access_version moves), also when the same password is set again."""
    if password in (None, ""):
        page.password_hash = None
    else:
        if not isinstance(password, str) or len(password) < accounts.MIN_PASSWORD_LENGTH:
            raise Invalid("weak_password", f"The password must have at least {accounts.MIN_PASSWORD_LENGTH} "
                                           f"characters.", field="password")
        if len(password) > PASSWORD_MAX:
            raise Invalid("too_long", f"The password must be at most {PASSWORD_MAX} characters.", field="password")
        page.password_hash = generate_password_hash(password, method=accounts.PASSWORD_HASH_METHOD)
    page.access_version = (page.access_version or 1) + 1


def page_slug(value: Any) -> str:
    text = validate.text(value, "slug", max_length=SLUG_MAX)
    if not SLUG.match(text):
        raise Invalid("invalid_slug", "slug may hold only lowercase letters, digits and dashes, and starts with a "
                                      "letter or digit.", field="slug")
    return text


def host_name(value: Any) -> str | None:
    """A host name as the Host header carries it: lowercase, no port, no scheme, no trailing dot; an
    internationalised name is kept in its ASCII (punycode) form, which is what browsers send. Empty: none."""
    if value is None:
        return None
    text = validate.text(value, "host", max_length=HOST_MAX, required=False).lower().rstrip(".")
    if not text:
        return None
    if not text.isascii():
        try:
            text = text.encode("idna").decode("ascii")
        except UnicodeError:
            text = "\x00"  # refused below
    labels = text.split(".")
    if (len(text) > HOST_MAX or not all(HOST_LABEL.match(label) for label in labels)
            or labels[-1].isdigit()):
        raise Invalid("invalid_host", "host must be a host name such as status.example.com: letters, digits, "
                                      "dashes and dots, no scheme, port or path.", field="host")
    return text


def _languages(value: Any, settings: Settings) -> str | None:
    """A list (or a comma-separated string) of the install's languages; empty or null: the install's list."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, (list, tuple)) or not all(isinstance(code, str) for code in value):
        raise Invalid("invalid_type", "languages must be a list of language codes.", field="languages")
    chosen = list(dict.fromkeys(value))
    unknown = [code for code in chosen if code not in settings.languages]
    if unknown:
        raise Invalid("unknown_language", f"languages must be among the install's: "
                                          f"{', '.join(settings.languages)}.", field="languages")
    return ",".join(chosen)


@functools.cache
def time_zones() -> frozenset[str]:
    """The IANA zones (the system's copy, or the tzdata package), less the files that are not zones."""
    return frozenset(zone for zone in zoneinfo.available_timezones()
                     if zone not in ("localtime", "posixrules") and not zone.startswith(("posix/", "right/")))


def time_zone(value: Any) -> str | None:
    """A real IANA zone name (Europe/Berlin); empty or null: the install's."""
    if value in (None, ""):
        return None
    if not isinstance(value, str) or value.strip() not in time_zones():
        raise Invalid("invalid_time_zone", "time_zone must be an IANA time zone such as Europe/Berlin.",
                      field="time_zone")
    return value.strip()


def logo_url(value: Any) -> str | None:
    """An absolute http(s) URL of an image; empty or null: the install's logo.

    Its host must be a host name or an IP address: the page's Content-Security-Policy names it
    (logo_source), so a ";" or a comma in it would start a directive or a source of its own."""
    text = validate.text(value, "logo_url", max_length=LOGO_URL_MAX, required=False)
    if not text:
        return None
    try:
        parts = urlsplit(text)
        has_host = bool(parts.hostname)
        _ = parts.port  # raises on a port that is not a number
    except ValueError:
        parts, has_host = None, False
    if parts is None or parts.scheme not in ("http", "https") or not has_host or any(
            ch.isspace() or ord(ch) < 32 for ch in text) or '"' in text:
        raise Invalid("invalid_logo_url", "logo_url must be an http or https URL.", field="logo_url")
    if logo_source(text) is None:
        raise Invalid("invalid_logo_host", "logo_url's host must be a host name (letters, digits, dashes and dots) "
                                           "or an IP address.", field="logo_url")
    return text


def logo_source(url: str | None) -> str | None:
    """The logo's origin as a Content-Security-Policy source: scheme, host and port, rebuilt from the parsed
    URL (never copied from it, so nothing else of the URL reaches the header); None for anything else."""
    try:
        parts = urlsplit(url or "")
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not host:
        return None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None:
        shown = f"[{address.compressed}]" if address.version == 6 else address.compressed
    else:
        try:
            shown = host.encode("idna").decode("ascii") if not host.isascii() else host
        except UnicodeError:
            return None
        labels = shown.rstrip(".").split(".")
        if len(shown) > HOST_MAX or not all(HOST_LABEL.match(label) for label in labels):
            return None
    return f"{parts.scheme}://{shown}" + (f":{port}" if port is not None else "")


def accent_color(value: Any) -> str | None:
    """#rrggbb; empty or null: the install's colour."""
    if value in (None, ""):
        return None
    text = value.strip().lower() if isinstance(value, str) else ""
    if not ACCENT.match(text):
        raise Invalid("invalid_accent_color", "accent_color must be a colour written #rrggbb.",
                      field="accent_color")
    return text


def named_components(values: Any) -> list[Component]:
    """Components named by slug, or by id as the v2 JSON shows them ("12" or 12); every one must exist."""
    if (not isinstance(values, (list, tuple)) or len(values) > 10_000
            or any(isinstance(v, bool) or not isinstance(v, (str, int)) for v in values)):
        raise Invalid("invalid_type", "components must be a list of component slugs.", field="components")
    names = {str(value) for value in values}
    ids = sorted(int(name) for name in names if name.isascii() and name.isdigit() and len(name) <= 10
                 and int(name) <= MAX_ID)
    found = list(db.session.scalars(select(Component).where(
        or_(Component.slug.in_(sorted(names)), Component.id.in_(ids))).order_by(Component.id))) if names else []
    known = {c.slug for c in found} | {str(c.id) for c in found}
    missing = [name for name in names if name not in known]
    if missing:
        raise Invalid("unknown_component", f"No component '{sorted(missing)[0][:64]}'.", field="components")
    return found


def _taken(column: Any, value: str, page: Page) -> bool:
    query = select(Page.id).where(column == value)
    if page.id is not None:
        query = query.where(Page.id != page.id)
    return db.session.scalar(query) is not None


def _summary(page: Page) -> str:
    return f"{page.name or page.slug} ({page.slug})"


def _jsonable(fields: dict[str, Any]) -> dict[str, Any]:
    def plain(value: Any) -> Any:
        if isinstance(value, (str, int, float, bool, type(None))):
            return value
        if isinstance(value, Iterable):
            return [plain(item) for item in value]
        return str(value)
    # Never a password in the audit log: whether one was set.
    return {key: (value not in (None, "")) if key == "password" else plain(value) for key, value in fields.items()}
