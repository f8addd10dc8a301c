"""Private and password pages, the read side: who reads a request (services/page_members.py writes).

A public page is read by everyone. A password page by whoever holds its password cookie, signed with the
install's secret key over the page's id and access_version (a new password moves it: every such cookie
dies). A private page by its active members: a member cookie (page id, member id, session_version: a
revocation or "sign out" moves it) or the member's feed token (?token= or Authorization: Bearer).
A cookie made for one page is never valid for another: each page has a cookie name of its own and the
signed value names the page.

A member may be limited to some components: the Reader carries them, and web/access.py narrows the
request's page to them (services/pages.py:PageView.limited_to), so every surface shows page ∩ member.
member_component_ids reads that limit, for requests and for the member's mail (notify/messages.py) alike.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from datetime import timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from werkzeug.security import check_password_hash

from ..config import Settings
from ..extensions import db
from ..models import Page, PageMember, PageMemberComponent, PageVisibility
from .accounts import _DUMMY_HASH
from .page_members import hash_token
from .pages import PageView

COOKIE_PREFIX = "sp_page_"
COOKIE_MAX_AGE = timedelta(days=30)


@dataclass(frozen=True)
class Reader:
    """Who reads a non-public page: a member (and the components they are limited to, None: all the
    page's), or whoever knows the password (member_id None)."""

    member_id: int | None
    component_ids: frozenset[int] | None


EVERYONE = Reader(None, None)


def cookie_name(page_id: int) -> str:
    return f"{COOKIE_PREFIX}{page_id}"


def _signer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt="page-access")


def password_matches(page_id: int, plain: str) -> bool:
    """Whether this is the password page's password (as long to answer for a page with none)."""
    page = db.session.get(Page, page_id)
    stored = page.password_hash if page is not None and page.visibility == PageVisibility.PASSWORD.value else None
    if not isinstance(plain, str) or len(plain) > 1000:
        return False
    matches = check_password_hash(stored or _DUMMY_HASH, plain)
    return matches and stored is not None


def password_cookie(page_id: int, settings: Settings) -> str:
    """The cookie value for whoever gave the password page's password."""
    page = db.session.get(Page, page_id)
    assert page is not None, "a page that is there"
    return _signer(settings).dumps({"p": page.id, "v": page.access_version})


def member_cookie(member: PageMember, settings: Settings) -> str:
    """The cookie value for a signed-in member."""
    return _signer(settings).dumps({"p": member.page_id, "m": member.id, "s": member.session_version})


def cookie_member_id(value: str | None, page_id: int, settings: Settings) -> int | None:
    """The member a (valid-looking) member cookie of this page names, for signing out; None otherwise."""
    data = _loads(value, settings)
    return data["m"] if data and data.get("p") == page_id and isinstance(data.get("m"), int) else None


def reader_for(view: PageView, *, cookie: str | None, token: str | None, settings: Settings) -> Reader | None:
    """Who reads this request of the page: EVERYONE on a public page; on another one the holder of a valid
    cookie or token, or None (nobody: the request gets the sign-in page or 401)."""
    if view.is_public:
        return EVERYONE
    page = db.session.get(Page, view.id)
    if page is None or page.is_public:
        return EVERYONE if page is not None else None
    if page.visibility == PageVisibility.PRIVATE.value and token:
        member = db.session.scalar(select(PageMember).where(
            PageMember.token_hash == hash_token(token), PageMember.page_id == page.id,
            PageMember.revoked_at.is_(None)))
        if member is not None:
            return _member_reader(member)
    data = _loads(cookie, settings)
    if data is None or data.get("p") != page.id:
        return None
    if page.visibility == PageVisibility.PASSWORD.value:
        if "m" not in data and page.password_hash is not None and data.get("v") == page.access_version:
            return EVERYONE
        return None
    member = db.session.get(PageMember, data["m"]) if isinstance(data.get("m"), int) else None
    if member is None or member.page_id != page.id or not member.is_active or member.session_version != data.get("s"):
        return None
    return _member_reader(member)


def _member_reader(member: PageMember) -> Reader:
    return Reader(member.id, member_component_ids(member.id))


def member_component_ids(member_id: int) -> frozenset[int] | None:
    """The components a member is limited to; None: not limited (every component of the page). A limited
    member whose components were all deleted has none left, not all: deleting never widens access. A
    member that is not there (any more) sees nothing."""
    member = db.session.get(PageMember, member_id)
    if member is None:
        return frozenset()
    if not member.limited:
        return None
    return frozenset(db.session.scalars(select(PageMemberComponent.component_id)
                                        .where(PageMemberComponent.member_id == member_id)))


def _loads(value: str | None, settings: Settings) -> dict[str, Any] | None:
    if not value or len(value) > 500:
        return None
    try:
        data = _signer(settings).loads(value, max_age=int(COOKIE_MAX_AGE.total_seconds()))
    except BadSignature:
        return None
    return data if isinstance(data, dict) else None
