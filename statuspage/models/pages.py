"""Pages: one install serves a public page per product or brand, each with its own components.

The default page (slug `default`) is what a single-page install always was: it shows every component,
new ones included, and answers every URL that names no other page. Its empty name and null settings mean
"the install's" (STATUSPAGE_SITE_NAME, STATUSPAGE_LANGUAGES, ...): services/pages.py:effective reads them.
"""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import Base, UTCDateTime
from .components import Component

DEFAULT_SLUG = "default"
SLUG_PATTERN = r"[a-z0-9][a-z0-9-]*"


class PageVisibility(StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"    # signed-in audience members only (page_members), or a member's feed token
    PASSWORD = "password"  # one shared password (pages.password_hash)


class Page(Base):
    __tablename__ = "pages"
    __table_args__ = (
        # Exactly one default page: the service keeps it so, the database refuses a second.
        Index("uq_pages_is_default", "is_default", unique=True,
              sqlite_where=text("is_default"), postgresql_where=text("is_default")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")  # empty: the install's STATUSPAGE_SITE_NAME
    host: Mapped[str | None] = mapped_column(String(253), unique=True)  # lowercase, no port; None: /p/<slug> only
    languages: Mapped[str | None] = mapped_column(String(40))  # "en,de"; None: the install's list
    default_language: Mapped[str | None] = mapped_column(String(8))
    time_zone: Mapped[str | None] = mapped_column(String(64))
    logo_url: Mapped[str | None] = mapped_column(String(500))
    accent_color: Mapped[str | None] = mapped_column(String(7))  # "#rrggbb"
    visibility: Mapped[str] = mapped_column(String(16), default=PageVisibility.PUBLIC.value)
    shows_all_components: Mapped[bool] = mapped_column(default=False)
    is_default: Mapped[bool] = mapped_column(default=False)
    # A password page's shared password (services/accounts.py's hasher); None: no password set.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # Signed into every password cookie: bumped when the password changes, so every such cookie dies.
    access_version: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)

    components: Mapped[list[Component]] = relationship(
        secondary="page_components", order_by="(Component.position, Component.id)")

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_public(self) -> bool:
        return self.visibility == PageVisibility.PUBLIC.value


class PageComponent(Base):
    """A component shown on a page (a component may be on several)."""

    __tablename__ = "page_components"

    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"), primary_key=True)
    component_id: Mapped[int] = mapped_column(ForeignKey("components.id", ondelete="CASCADE"), primary_key=True,
                                              index=True)


class PageMember(Base):
    """Someone in a private page's audience: signs in by a one-time email link (or single sign-on with the
    same verified address) and may hold one feed token for the page's feeds and v2 JSON.

    Revoking keeps the row (revoked_at) so the console can show who had access; it ends every session
    (session_version moves) and the token. Not `limited`: every component of the page; limited: only those
    in page_member_components, none when all of them were deleted (deleting never widens access)."""

    __tablename__ = "page_members"
    __table_args__ = (UniqueConstraint("page_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320))  # normalized: lowercase, trimmed
    name: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # In every member cookie; bumped on revoke or "sign out everywhere": every cookie issued before dies.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)  # sha256 hex; plain shown once
    token_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_signed_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The one invitation link that may be redeemed (and, before migration 0026, any sign-in link): a new
    # invitation replaces it, a link asked for on the page's form never does (form_link_nonce).
    sign_in_nonce: Mapped[str | None] = mapped_column(String(64))
    form_link_nonce: Mapped[str | None] = mapped_column(String(64))  # the latest link from the page's sign-in form
    limited: Mapped[bool] = mapped_column(default=False)  # to `components`

    components: Mapped[list[Component]] = relationship(
        secondary="page_member_components", order_by="(Component.position, Component.id)")

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class PageMemberComponent(Base):
    """A component a limited member (PageMember.limited) sees."""

    __tablename__ = "page_member_components"

    member_id: Mapped[int] = mapped_column(ForeignKey("page_members.id", ondelete="CASCADE"), primary_key=True)
    component_id: Mapped[int] = mapped_column(ForeignKey("components.id", ondelete="CASCADE"), primary_key=True,
                                              index=True)
