"""Console users and API tokens: create, authenticate, change, revoke."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import bindparam, delete, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..database import get_by_id, transaction
from ..errors import Conflict, Invalid, NotFound
from ..extensions import db
from ..models import ApiToken, LoginSession, Role, User
from ..models.accounts import TOKEN_ONLY_ROLES
from . import audit, validate
from .audit import Actor

MIN_PASSWORD_LENGTH = 10
SESSION_DAYS = 366  # a login session (and its remember cookie, 365 days) is forgotten after this
TOKEN_PREFIX = "sp_"
# How new password hashes are made (werkzeug's method string; a check reads the method from the stored hash).
# scrypt, werkzeug's default, takes about a quarter of a second on purpose; the tests set a cheap one
# (tests/conftest.py), so that their hundreds of users cost nothing, without changing what is checked.
PASSWORD_HASH_METHOD = "scrypt"
# Compared against when the address is unknown, so a wrong address costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not a real password")


def normalize_email(value: object) -> str:
    value = validate.text(value, "email", max_length=254)
    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise Invalid("invalid_email", "email must be a valid email address.", field="email") from None


def _check_password(password: object) -> str:
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


def get_user_by_email(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None:
        raise NotFound("user_not_found", f"No user with the address {email}.")
    return user


def create_user(email: str, password: str, *, role: str = Role.VIEWER, name: str = "", by: Actor,
                now: datetime, language: str | None = None) -> User:
    """Add a console user; the address must be new. `language`: of their alert mail (None: the site's)."""
    with transaction():
        email = normalize_email(email)
        role = validate.choice(Role, role, "role")
        if role in TOKEN_ONLY_ROLES:
            raise Invalid("invalid_choice", f"{role} is a role for API tokens, not for people.", field="role")
        if db.session.scalar(select(User.id).where(User.email == email)) is not None:
            raise Conflict("email_taken", "A user with this email already exists.", field="email")
        user = User(email=email, name=validate.text(name, "name", max_length=100, required=False),
                    password_hash=generate_password_hash(_check_password(password), PASSWORD_HASH_METHOD), role=role,
                    language=_language(language), session_token=secrets.token_hex(16), created_at=now)
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
        user.password_hash = generate_password_hash(_check_password(new_password), PASSWORD_HASH_METHOD)
        _end_every_session(user)
        audit.record(by, "user.password", user, summary=user.email, now=now)
    return user


def update_user(user_id: int, *, by: Actor, now: datetime, role: str | None = None,
                is_disabled: bool | None = None, totp_required: bool | None = None) -> User:
    """Change a user's role, disable the account, or require a second factor (services/totp.py) at their
    password sign-in; an admin cannot lock themselves out."""
    with transaction():
        user = get_user(user_id)
        if user.id == by.user_id and (role not in (None, Role.ADMIN) or is_disabled):
            raise Conflict("self_lockout", "You cannot remove your own admin role or disable yourself.")
        if role is not None:
            user.role = validate.choice(Role, role, "role")
            if user.role in TOKEN_ONLY_ROLES:
                raise Invalid("invalid_choice", f"{role} is a role for API tokens, not for people.", field="role")
        if is_disabled is not None:
            user.is_disabled = bool(is_disabled)
            _end_every_session(user)
        if totp_required is not None:
            user.totp_required = bool(totp_required)
        audit.record(by, "user.update", user, summary=f"{user.email}: {user.role}"
                     + (" (disabled)" if user.is_disabled else "")
                     + (" (second factor required)" if user.totp_required else ""), now=now)
    return user


def set_language(user_id: int, language: str | None, *, by: Actor, now: datetime) -> User:
    """The language of a user's alert mail; None (or "") for the site's default language."""
    with transaction():
        user = get_user(user_id)
        user.language = _language(language)
        audit.record(by, "user.language", user, summary=f"{user.email}: {user.language or 'site default'}", now=now)
    return user


def _language(language: str | None) -> str | None:
    if not language:
        return None
    offered = current_app.config["SETTINGS"].languages
    if language not in offered:
        raise Invalid("invalid_choice", f"language must be one of {', '.join(offered)}.", field="language")
    return language


def start_session(user: User, *, now: datetime) -> User:
    """A login session for one browser, to sign in with: its secret joins the user's id in the cookie
    (User.get_id). Sessions older than SESSION_DAYS (as long as a remember cookie lasts) go on the way."""
    secret = secrets.token_urlsafe(32)
    with transaction():
        db.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id,
                                                      LoginSession.created_at < now - timedelta(days=SESSION_DAYS)))
        db.session.add(LoginSession(user_id=user.id, secret_hash=hash_token(secret), created_at=now))
    user.login_secret = secret
    return user


def end_session(session_id: str) -> None:
    """Sign-out: the session's row goes, so a copy of its cookie (or its remember cookie) signs nobody in."""
    secret = session_id.split(":")[-1]
    with transaction():
        db.session.execute(delete(LoginSession).where(LoginSession.secret_hash == hash_token(secret)))


def _end_every_session(user: User) -> None:
    """Inside a transaction: a new session token refuses every cookie made before, and their rows go."""
    user.session_token = secrets.token_hex(16)
    db.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))


def load_session_user(session_id: str) -> User | None:
    """Flask-Login's loader: the id is "<user id>:<session token>:<login session secret>", and the session
    must still be there (not signed out, not ended by a password change)."""
    parts = session_id.split(":")
    if len(parts) != 3 or not parts[0].isdigit() or not all(parts):
        return None
    user = get_by_id(User, int(parts[0]))
    if user is None or not hmac.compare_digest(user.session_token.encode(), parts[1].encode()):
        return None
    live = db.session.scalar(select(LoginSession.id).where(LoginSession.user_id == user.id,
                                                           LoginSession.secret_hash == hash_token(parts[2])))
    if live is None:
        return None
    user.login_secret = parts[2]
    return user


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


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
_BY_HASH = select(ApiToken).where(ApiToken.token_hash == bindparam("token_hash"))   # made once: asked per request


def authenticate_token(plain: str, *, now: datetime) -> ApiToken | None:
    """The live token matching a bearer value (its last use noted), or None."""
    if not plain or len(plain) > 200:
        return None
    token = db.session.scalar(_BY_HASH, {"token_hash": hash_token(plain)})
    if token is None or token.is_revoked:
        return None
    if token.last_used_at is None or abs(now - token.last_used_at) >= LAST_USE_RESOLUTION:
        with transaction():     # not on every request: a busy intake token would write once per ticket
            token.last_used_at = now
    return token
