"""Bearer tokens: who calls, with which role; 401 without a live token, 403 when the role is too weak."""
from __future__ import annotations

import functools

from flask import g, request

from ... import clock
from ...errors import Forbidden, Unauthorized
from ...models import Role
from ...services import accounts
from ...services.audit import Actor
from . import blp
from .schemas import ErrorSchema


def _bearer() -> str:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def requires(role: Role):
    """Let the view run for a live token whose role includes `role`; g.actor names the token."""
    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            token = accounts.authenticate_token(_bearer(), now=clock.now())
            if token is None:
                raise Unauthorized(message="Send a valid API token: Authorization: Bearer <token>.")
            if not token.role.allows(role):
                raise Forbidden("forbidden", f"This needs the {role.value} role; the token has {token.role.value}.")
            g.actor = Actor(label=f"token:{token.label or token.prefix}", role=token.role)
            return view(*args, **kwargs)
        documented = blp.alt_response(401, schema=ErrorSchema, description="No valid API token.")(wrapper)
        return blp.alt_response(403, schema=ErrorSchema, description=f"The token's role is weaker than {role.value}.")(
            documented)
    return decorate


def actor() -> Actor:
    return g.actor
