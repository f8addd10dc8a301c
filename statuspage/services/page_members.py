"""Private and password pages, the write side: a page's shared password, its audience members, their
one-time sign-in links and their feed tokens. The console, the API and the CLI call these; the read side
(who reads a request) is services/page_access.py.

A member signs in by a link sent by email: signed with the install's secret key, it names the member, a
nonce kept on the member's row and when it was made. Redeeming it clears the nonce, so it works once. An
invitation's link and a link asked for on the page's sign-in form keep separate nonces: a newer link of one
kind replaces the older one of that kind only, so nobody who knows a member's address can cancel their
invitation by asking the form for links. Revoking a member keeps the row (who had access) but ends their
sessions (session_version moves), their token, any link not yet used and their subscriptions.

A member's feed token is shown once (issue_token returns it); the database keeps its sha256 only.
"""
from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, select

from ..config import Settings
from ..database import get_by_id, transaction
from ..errors import Conflict, Invalid, NotFound
from ..extensions import db
from ..models import (
    Component, DeliveryStatus, Notification, NotificationKind, Page, PageMember, PageVisibility, Subscriber,
)
from . import accounts, audit, validate
from .audit import Actor
from .page_admin import get_page, named_components, set_page_password
from .pages import effective, page_component_ids

SIGN_IN_LINK_TTL = timedelta(minutes=15)  # a link asked for on the page's sign-in form
INVITATION_LINK_TTL = timedelta(days=7)   # the link in an invitation: read when the invitee gets to it
TOKEN_PREFIX = "spm_"
NAME_MAX = 120
SIGN_IN_PATH = "/access/link/"  # under the page's address: web/access.py
FORM_LINK = "form"  # the last item of a link asked for on the page's form (an invitation's has none)


def _settings() -> Settings:
    settings: Settings = current_app.config["SETTINGS"]
    return settings


def _signer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.secret_key, salt="page-member-sign-in")


def hash_token(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


# ------------------------------------------------------------------------------------------------- reads

def list_members(slug: str) -> list[PageMember]:
    """The page's members, active and revoked, by email."""
    page = get_page(slug)
    return list(db.session.scalars(select(PageMember).where(PageMember.page_id == page.id)
                                   .order_by(PageMember.email)))


def get_member(slug: str, member_id: int) -> PageMember:
    """One member of the page; another page's member is not found, as one that does not exist."""
    page = get_page(slug)
    member = get_by_id(PageMember, member_id)
    if member is None or member.page_id != page.id:
        raise NotFound("member_not_found", f"No member with id {member_id} on page '{page.slug}'.")
    return member


def active_member_by_email(page_id: int, email: str) -> PageMember | None:
    """The page's active member with this address (compared normalized), or None."""
    try:
        address = accounts.normalize_email(email)
    except Invalid:
        return None
    return db.session.scalar(select(PageMember).where(PageMember.page_id == page_id, PageMember.email == address,
                                                      PageMember.revoked_at.is_(None)))


# ------------------------------------------------------------------------------------------------ writes

def invite_member(slug: str, email: str, *, name: str = "", components: Sequence[str | int] = (), by: Actor,
                  now: datetime) -> PageMember:
    """Add someone to the page's audience and queue the invitation mail with a sign-in link (in the page's
    language). A revoked member invited again comes back (with these components); an active one is a
    conflict. `components`: slugs or ids of the page's components; none: all of them."""
    with transaction():
        page = get_page(slug)
        address = accounts.normalize_email(email)
        chosen = _member_components(page, components)
        member = db.session.scalar(select(PageMember).where(PageMember.page_id == page.id,
                                                            PageMember.email == address))
        if member is not None and member.is_active:
            raise Conflict("member_exists", f"{address} is a member of this page already.", field="email")
        if member is None:
            member = PageMember(page_id=page.id, email=address, created_at=now, session_version=1)
            db.session.add(member)
        else:
            member.revoked_at = None
            member.session_version += 1
        member.name = _name(name)
        member.components, member.limited = chosen, bool(chosen)
        db.session.flush()
        _queue_sign_in_mail(page, member, invitation=True, now=now)
        audit.record(by, "page_member.invite", member, summary=f"{address} on {page.slug}",
                     details={"components": [c.slug for c in chosen]}, now=now)
    return member


def resend_invitation(slug: str, member_id: int, *, by: Actor, now: datetime) -> PageMember:
    """Queue the invitation mail again, with a new link (the earlier one dies), for an active member who
    never signed in: the first mail was lost, or its link expired."""
    with transaction():
        member = get_member(slug, member_id)
        if not member.is_active:
            raise Conflict("member_revoked", "This member's access was revoked; invite them again instead.")
        if member.last_signed_in_at is not None:
            raise Conflict("member_signed_in", "This member has signed in already: the page's sign-in form sends "
                                               "them a new link.")
        _queue_sign_in_mail(get_page(slug), member, invitation=True, now=now)
        audit.record(by, "page_member.resend", member, summary=f"{member.email} on {slug}", now=now)
    return member


def update_member(slug: str, member_id: int, *, by: Actor, now: datetime, name: str | None = None,
                  components: Sequence[str | int] | None = None) -> PageMember:
    """Change a member's name or the components they are limited to (empty: all of the page's)."""
    with transaction():
        member = get_member(slug, member_id)
        changes: dict[str, Any] = {}
        if name is not None:
            member.name = changes["name"] = _name(name)
        if components is not None:
            member.components = _member_components(get_page(slug), components)
            member.limited = bool(member.components)
            changes["components"] = [c.slug for c in member.components]
        audit.record(by, "page_member.update", member, summary=f"{member.email} on {slug}", details=changes,
                     now=now)
    return member


def revoke_member(slug: str, member_id: int, *, by: Actor, now: datetime) -> PageMember:
    """End a member's access: every session, the token, an unused link and their subscriptions."""
    with transaction():
        member = get_member(slug, member_id)
        if member.is_active:
            member.revoked_at = now
        member.session_version += 1
        member.token_hash = member.token_created_at = member.sign_in_nonce = member.form_link_nonce = None
        db.session.execute(delete(Subscriber).where(Subscriber.member_id == member.id),
                           execution_options={"synchronize_session": False})
        audit.record(by, "page_member.revoke", member, summary=f"{member.email} on {slug}", now=now)
    return member


def sign_out_everywhere(member_id: int, *, now: datetime) -> None:
    """Every member cookie issued so far dies (the member's own "sign out")."""
    with transaction():
        member = get_by_id(PageMember, member_id)
        if member is not None:
            member.session_version += 1


def issue_token(slug: str, member_id: int, *, by: Actor, now: datetime) -> str:
    """A new feed token for the member (the previous one stops working); the plain token is returned once."""
    with transaction():
        member = get_member(slug, member_id)
        if not member.is_active:
            raise Conflict("member_revoked", "This member's access was revoked; invite them again first.")
        plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
        member.token_hash = hash_token(plain)
        member.token_created_at = now
        audit.record(by, "page_member.token", member, summary=f"{member.email} on {slug}", now=now)
    return plain


def revoke_token(slug: str, member_id: int, *, by: Actor, now: datetime) -> PageMember:
    """The member's feed token stops working (their sign-in stays)."""
    with transaction():
        member = get_member(slug, member_id)
        member.token_hash = member.token_created_at = None
        audit.record(by, "page_member.token_revoke", member, summary=f"{member.email} on {slug}", now=now)
    return member


def set_password(slug: str, password: str | None, *, by: Actor, now: datetime) -> Page:
    """Set (or with None or "" clear) the page's shared password. Every password cookie of the page dies,
    also when the same password is set again."""
    with transaction():
        page = get_page(slug)
        set_page_password(page, password)
        page.updated_at = now
        audit.record(by, "page.password", page, summary=page.slug,
                     details={"has_password": page.password_hash is not None}, now=now)
    return page


def sign_in_link(member: PageMember, *, now: datetime, valid_for: timedelta = SIGN_IN_LINK_TTL,
                 invitation: bool = True) -> str:
    """A one-time sign-in URL for the member on their page: an invitation's (a new nonce: the earlier
    invitation's link dies) or, with invitation=False, one asked for on the page's form (the earlier such
    link dies; an invitation's stays good until used or expired)."""
    settings = _settings()
    with transaction():
        page = db.session.get(Page, member.page_id)
        assert page is not None, "a member belongs to a page"
        nonce = secrets.token_urlsafe(16)
        payload: list[object] = [member.id, nonce, int(now.timestamp()), int(valid_for.total_seconds())]
        if invitation:
            member.sign_in_nonce = nonce
        else:
            member.form_link_nonce = nonce
            payload.append(FORM_LINK)
        token = _signer(settings).dumps(payload)
    return effective(page, settings).url + SIGN_IN_PATH + token


def send_sign_in_link(page_id: int, email: str, *, now: datetime) -> None:
    """The page's sign-in form: queue a sign-in link to the address when it is an active member's, else do
    nothing. The caller answers the same either way (no one learns who is a member)."""
    with transaction():
        page = db.session.get(Page, page_id)
        member = active_member_by_email(page_id, email) if page is not None else None
        if page is None or member is None or page.visibility != PageVisibility.PRIVATE.value:
            return
        _queue_sign_in_mail(page, member, invitation=False, now=now)


def redeem(token: str, *, now: datetime, page_id: int | None = None) -> PageMember:
    """The member a sign-in link names, once: the nonce is cleared. Refused (Invalid) when the link was
    changed, has expired, was used or replaced, is for another page than page_id, or the member was revoked."""
    settings = _settings()
    try:
        payload = _signer(settings).loads(token)
        if not isinstance(payload, list) or len(payload) not in (4, 5) or payload[4:] not in ([], [FORM_LINK]):
            raise BadSignature("bad payload")
        member_id, nonce, issued, valid_s = payload[:4]
        from_form = payload[4:] == [FORM_LINK]
        if not (isinstance(member_id, int) and isinstance(nonce, str) and isinstance(issued, int)
                and isinstance(valid_s, int)):
            raise BadSignature("bad payload")
    except (BadSignature, ValueError, TypeError):
        raise Invalid("link_invalid", "This sign-in link is not valid: it was changed or cut short.") from None
    with transaction():
        member = get_by_id(PageMember, member_id)
        if member is None or (page_id is not None and member.page_id != page_id) or not member.is_active:
            raise Invalid("link_invalid", "This sign-in link is not valid here.")
        if now.timestamp() - issued > valid_s:
            raise Invalid("link_expired", "This sign-in link has expired; ask for a new one.")
        kept = member.form_link_nonce if from_form else member.sign_in_nonce
        if kept is None or not secrets.compare_digest(kept, nonce):
            raise Invalid("link_used", "This sign-in link was used already or replaced by a newer one.")
        if from_form:
            member.form_link_nonce = None
        else:
            member.sign_in_nonce = None
        member.last_signed_in_at = now
    return member


def record_sign_in(member: PageMember, *, now: datetime) -> None:
    """A member signed in another way (single sign-on)."""
    with transaction():
        member.last_signed_in_at = now


# ----------------------------------------------------------------------------------------------- helpers

def _name(value: object) -> str:
    return validate.text(value, "name", max_length=NAME_MAX, required=False)


def _member_components(page: Page, values: Sequence[str | int] | None) -> list[Component]:
    """The components named, each one the page shows."""
    if values is None or (isinstance(values, (list, tuple)) and not values):
        return []
    found = named_components(values)
    shown = page_component_ids(page)
    outside = [c.slug for c in found if shown is not None and c.id not in shown]
    if outside:
        raise Invalid("component_not_on_page", f"The page does not show the component '{outside[0]}'.",
                      field="components")
    return found


def _queue_sign_in_mail(page: Page, member: PageMember, *, invitation: bool, now: datetime) -> None:
    """The invitation or sign-in mail, in the page's language, with a fresh one-time link."""
    settings = _settings()
    view = effective(page, settings)
    link = sign_in_link(member, now=now, valid_for=INVITATION_LINK_TTL if invitation else SIGN_IN_LINK_TTL,
                        invitation=invitation)
    detail = {"member_id": member.id, "page_id": page.id, "invitation": invitation, "link": link,
              "page_name": view.name, "page_url": view.url + "/", "language": view.default_language,
              "valid_minutes": int(SIGN_IN_LINK_TTL.total_seconds() // 60), "valid_days": INVITATION_LINK_TTL.days}
    db.session.add(Notification(recipient=member.email, kind=NotificationKind.MEMBER_SIGN_IN,
                                detail=json.dumps(detail, ensure_ascii=False), status=DeliveryStatus.PENDING,
                                next_attempt_at=now, created_at=now))
