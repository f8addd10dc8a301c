"""Console users and API tokens."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import cast

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..database import Base, UTCDateTime
from .components import str_enum


class Role(StrEnum):
    """What a user or token may do; each role includes the ones ranked below it. intake (posts tickets) and
    alerts (posts Alertmanager and Grafana alerts) stand apart: tokens kept in another system's config that
    may do that one thing and nothing else (admin may do both)."""

    VIEWER = "viewer"
    RESPONDER = "responder"
    ADMIN = "admin"
    INTAKE = "intake"
    ALERTS = "alerts"

    def allows(self, needed: Role) -> bool:
        if self in TOKEN_ONLY_ROLES or needed in TOKEN_ONLY_ROLES:
            return self is needed or self is Role.ADMIN
        ranks = [Role.VIEWER, Role.RESPONDER, Role.ADMIN]
        return ranks.index(self) >= ranks.index(needed)


USER_ROLES = (Role.VIEWER, Role.RESPONDER, Role.ADMIN)
TOKEN_ONLY_ROLES = frozenset({Role.INTAKE, Role.ALERTS})  # for API tokens, never for people


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(str_enum(Role, 16), default=Role.VIEWER)
    # Part of every login session's id: changing it (a password change, disabling) ends all of them.
    session_token: Mapped[str] = mapped_column(String(64))
    is_disabled: Mapped[bool] = mapped_column(default=False)
    language: Mapped[str | None] = mapped_column(String(8))  # of the alert mail; None: the site's default
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The subject ("sub") the OpenID provider knows this user by, once they signed in with it.
    oidc_subject: Mapped[str | None] = mapped_column(String(255), unique=True)
    # The one-time-password secret, encrypted with a key derived from the secret key (services/totp.py);
    # in use once confirmed with a code. The last time step used: a code is good once.
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column()
    totp_required: Mapped[bool] = mapped_column(default=False)  # an admin asked this user for a second factor

    # The secret of the login session this object was signed in or loaded for (services/accounts.py); not a
    # column: a user has one row and any number of sessions.
    # (typed by a cast: an annotation would make the ORM map it)
    login_secret = cast("str | None", None)

    # Flask-Login's user interface.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return not self.is_disabled

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """What the session (and remember) cookie holds: "<user id>:<session token>:<login session secret>"."""
        return f"{self.id}:{self.session_token}:{self.login_secret or ''}"

    @property
    def has_totp(self) -> bool:
        return self.totp_confirmed_at is not None

    @property
    def has_password(self) -> bool:
        """Users made by single sign-on have none (an unusable hash) until an admin or they set one."""
        return self.password_hash.startswith(("pbkdf2:", "scrypt:"))

    def can(self, needed: Role) -> bool:
        return self.role.allows(needed)

    @property
    def label(self) -> str:
        return self.email


class LoginSession(Base):
    """One signed-in browser. Its secret is part of the session cookie (only its SHA-256 is kept here);
    signing out deletes the row, so a copy of the cookie signs nobody in afterwards."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RecoveryCode(Base):
    """One of a user's ten recovery codes for a lost authenticator: only its SHA-256 is kept; good once."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SignInChallenge(Base):
    """Half a sign-in: the password was right, the one-time code is still to come. The browser holds the
    secret (only its SHA-256 is here); wrong codes are counted here, not in the browser's cookie, so a
    replayed cookie cannot reset them."""

    __tablename__ = "sign_in_challenges"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    attempts: Mapped[int] = mapped_column(default=0)
    remember: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApiToken(Base):
    """A bearer token for the management API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(str_enum(Role, 16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
