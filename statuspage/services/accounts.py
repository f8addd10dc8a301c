"""Console users and API tokens: create, authenticate, change, revoke."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from ..database import get_by_id, transaction
from ..errors import Conflict, Invalid, NotFound
from ..extensions import db
from ..models import ApiToken, Role, User
from . import audit, validate
from .audit import Actor

MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "sp_"
# Compared against when the address is unknown, so a wrong address costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not a real password")


def normalize_email(value) -> str:
    value = validate.text(value, "email", max_length=254)
    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise Invalid("invalid_email", "email must be a valid email address.", field="email") from None


def _check_password(password) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid("weak_password", f"The password must have at least {MIN_PASSWORD_LENGTH} characters.",
                      field="password")
    if len(password) > 1000:
        raise Invalid("too_long", "The password must be at most 1000 characters.", field="password")
    return password


def get_user(user_id: int) -> User:
    user = get_by_id(User, user_id)
    if user is None:
        raise NotFound("user_not_found", f"No user with id {user_id}.")
    return user


def create_user(email: str, password: str, *, role: str = Role.VIEWER, name: str = "", by: Actor,
                now: datetime) -> User:
    """Add a console user; the address must be new."""
    with transaction():
        email = normalize_email(email)
        role = validate.choice(Role, role, "role")
        if role is Role.INTAKE:
            raise Invalid("invalid_choice", "intake is a role for API tokens, not for people.", field="role")
        if db.session.scalar(select(User.id).where(User.email == email)) is not None:
            raise Conflict("email_taken", "A user with this email already exists.", field="email")
        user = User(email=email, name=validate.text(name, "name", max_length=100, required=False),
                    password_hash=generate_password_hash(_check_password(password)), role=role,
                    session_token=secrets.token_hex(16), created_at=now)
        db.session.add(user)
        db.session.flush()
        audit.record(by, "user.create", user, summary=f"{email} ({role})", now=now)
    return user


def authenticate(email: str, password: str, *, now: datetime) -> User | None:
    """The active user with this address and password, or None (taking the same time either way)."""
    try:
        email = normalize_email(email)
    except Invalid:
        email = ""
    user = db.session.scalar(select(User).where(User.email == email)) if email else None
    if user is None or not user.is_active:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or ""):
        return None
    with transaction():
        user.last_login_at = now
    return user


def change_password(user_id: int, current_password: str, new_password: str, *, by: Actor,
                    now: datetime) -> User:
    """Set a new password and end the user's other sessions (the session token changes)."""
    with transaction():
        user = get_user(user_id)
        if not check_password_hash(user.password_hash, current_password or ""):
            raise Invalid("wrong_password", "The current password is not right.", field="current_password")
        user.password_hash = generate_password_hash(_check_password(new_password))
        user.session_token = secrets.token_hex(16)
        audit.record(by, "user.password", user, summary=user.email, now=now)
    return user


def update_user(user_id: int, *, by: Actor, now: datetime, role: str | None = None,
                is_disabled: bool | None = None) -> User:
    """Change a user's role or disable the account; an admin cannot lock themselves out."""
    with transaction():
        user = get_user(user_id)
        if user.id == by.user_id and (role not in (None, Role.ADMIN) or is_disabled):
            raise Conflict("self_lockout", "You cannot remove your own admin role or disable yourself.")
        if role is not None:
            user.role = validate.choice(Role, role, "role")
        if is_disabled is not None:
            user.is_disabled = bool(is_disabled)
            user.session_token = secrets.token_hex(16)
        audit.record(by, "user.update", user, summary=f"{user.email}: {user.role}"
                     + (" (disabled)" if user.is_disabled else ""), now=now)
    return user


def load_session_user(session_id: str) -> User | None:
    """Flask-Login's loader: the session id is "<user id>:<session token>"."""
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = get_by_id(User, int(user_id))
    if user is None or not hmac.compare_digest(user.session_token, token):
        return None
    return user


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(*, role: str, label: str = "", by: Actor, now: datetime) -> tuple[ApiToken, str]:
    """Make a new API token; the plain token is returned once and only its hash is kept."""
    with transaction():
        role = validate.choice(Role, role, "role")
        plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = ApiToken(label=validate.text(label, "label", max_length=100, required=False),
                         prefix=plain[:10], token_hash=hash_token(plain), role=role, created_at=now,
                         created_by_id=by.user_id)
        db.session.add(token)
        db.session.flush()
        audit.record(by, "token.create", token, summary=f"{token.label or token.prefix} ({role})", now=now)
    return token, plain


def revoke_token(token_id: int, *, by: Actor, now: datetime) -> ApiToken:
    with transaction():
        token = get_by_id(ApiToken, token_id)
        if token is None:
            raise NotFound("token_not_found", f"No token with id {token_id}.")
        if token.revoked_at is None:
            token.revoked_at = now
            audit.record(by, "token.revoke", token, summary=token.label or token.prefix, now=now)
    return token


LAST_USE_RESOLUTION = timedelta(minutes=1)


def authenticate_token(plain: str, *, now: datetime) -> ApiToken | None:
    """The live token matching a bearer value (its last use noted), or None."""
    if not plain or len(plain) > 200:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(plain)))
    if token is None or token.is_revoked:
        return None
    if token.last_used_at is None or abs(now - token.last_used_at) >= LAST_USE_RESOLUTION:
        with transaction():     # not on every request: a busy intake token would write once per ticket
            token.last_used_at = now
    return token
