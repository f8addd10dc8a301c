"""A private page's audience members (admin only): list, invite (and invite again), read, change, revoke;
feed tokens."""
from __future__ import annotations

from flask import current_app

from ... import clock
from ...models import PageMember, Role
from ...serialize import Serializer
from ...services import page_members as service
from . import blp
from .auth import actor, requires
from .schemas import PageMemberIn, PageMemberOut, PageMemberPatch, PageMemberTokenOut


def _out(member: PageMember) -> dict:
    time = Serializer(current_app.config["SETTINGS"]).time
    return {"id": str(member.id), "email": member.email, "name": member.name,
            "components": [component.slug for component in member.components], "limited": member.limited,
            "is_active": member.is_active,
            "has_token": member.token_hash is not None, "created_at": time(member.created_at),
            "revoked_at": time(member.revoked_at), "token_created_at": time(member.token_created_at),
            "last_signed_in_at": time(member.last_signed_in_at)}


@blp.get("/pages/<slug>/members")
@requires(Role.ADMIN)
@blp.response(200, PageMemberOut(many=True))
def list_page_members(slug):
    """The page's members, active and revoked, by email."""
    return [_out(member) for member in service.list_members(slug)]


@blp.post("/pages/<slug>/members")
@requires(Role.ADMIN)
@blp.arguments(PageMemberIn)
@blp.response(201, PageMemberOut)
def invite_page_member(fields, slug):
    """Invite someone: they get a mail with a one-time sign-in link (valid 7 days). An active member with
    the address is a conflict (409); a revoked one comes back."""
    return _out(service.invite_member(slug, fields["email"], name=fields.get("name", ""),
                                      components=fields.get("components", []), by=actor(), now=clock.now()))


@blp.get("/pages/<slug>/members/<id:member_id>")
@requires(Role.ADMIN)
@blp.response(200, PageMemberOut)
def get_page_member(slug, member_id):
    """One member of the page."""
    return _out(service.get_member(slug, member_id))


@blp.patch("/pages/<slug>/members/<id:member_id>")
@requires(Role.ADMIN)
@blp.arguments(PageMemberPatch)
@blp.response(200, PageMemberOut)
def update_page_member(fields, slug, member_id):
    """Change a member's name or the components they see (empty: all of the page's)."""
    return _out(service.update_member(slug, member_id, name=fields.get("name"), components=fields.get("components"),
                                      by=actor(), now=clock.now()))


@blp.delete("/pages/<slug>/members/<id:member_id>")
@requires(Role.ADMIN)
@blp.response(204)
def revoke_page_member(slug, member_id):
    """Revoke a member: their sessions, token, unused sign-in link and subscriptions end; the row stays."""
    service.revoke_member(slug, member_id, by=actor(), now=clock.now())


@blp.post("/pages/<slug>/members/<id:member_id>/invitation")
@requires(Role.ADMIN)
@blp.response(202, PageMemberOut)
def resend_page_member_invitation(slug, member_id):
    """The invitation mail again, with a new one-time link (the earlier one stops working), for an active member
    who never signed in: 409 `member_revoked` or `member_signed_in` otherwise."""
    return _out(service.resend_invitation(slug, member_id, by=actor(), now=clock.now()))


@blp.post("/pages/<slug>/members/<id:member_id>/token")
@requires(Role.ADMIN)
@blp.response(201, PageMemberTokenOut)
def issue_page_member_token(slug, member_id):
    """A new feed token for the member, shown this once; the previous one stops working."""
    token = service.issue_token(slug, member_id, by=actor(), now=clock.now())
    member = service.get_member(slug, member_id)
    return {"token": token, "created_at": Serializer(current_app.config["SETTINGS"]).time(member.token_created_at)}


@blp.delete("/pages/<slug>/members/<id:member_id>/token")
@requires(Role.ADMIN)
@blp.response(204)
def revoke_page_member_token(slug, member_id):
    """The member's feed token stops working (their sign-in stays)."""
    service.revoke_token(slug, member_id, by=actor(), now=clock.now())
