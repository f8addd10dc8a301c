"""Migration 0021: an install as it was before pages becomes the default page, its subscribers with it; 0023:
the default page's subscribers are page_id NULL, and an address may subscribe once on each page."""
from datetime import datetime, timezone

import pytest
from flask_migrate import upgrade
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from statuspage.database_admin import drop_everything, upgrade_to_head
from statuspage.extensions import db
from statuspage.paths import MIGRATIONS_DIR


def test_an_existing_install_becomes_the_default_page_with_its_subscribers(app):
    with app.app_context():
        drop_everything()
        upgrade(directory=str(MIGRATIONS_DIR), revision="0020")
        now = datetime(2026, 12, 1, tzinfo=timezone.utc).isoformat()
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO subscribers (id, channel, address, language, secret, created_at, "
                              "incidents_only) VALUES (7, 'email', 'old@example.com', 'en', 's', :now, false)"),
                         {"now": now})
        upgrade(directory=str(MIGRATIONS_DIR), revision="0022")
        with db.engine.connect() as conn:
            pages = conn.execute(text("SELECT id, slug, name, host, is_default, shows_all_components, visibility "
                                      "FROM pages")).all()
            subscriber_pages = conn.execute(text("SELECT page_id FROM subscribers")).scalars().all()
        assert [tuple(p) for p in pages] == [(1, "default", "", None, True, True, "public")]
        assert subscriber_pages == [1]
        upgrade_to_head()
        with db.engine.begin() as conn:
            assert conn.execute(text("SELECT page_id FROM subscribers")).scalars().all() == [None]
            conn.execute(text("INSERT INTO pages (id, slug, name, visibility, shows_all_components, is_default, "
                              "created_at, updated_at, version) VALUES (2, 'shop', 'Shop', 'public', false, false, "
                              ":now, :now, 1)"), {"now": now})
            conn.execute(text("INSERT INTO subscribers (id, channel, address, language, secret, created_at, "
                              "incidents_only, page_id) VALUES (8, 'email', 'old@example.com', 'en', 's', :now, "
                              "false, 2)"), {"now": now})
        for page_id in ("NULL", "2"):  # but only once on each page
            with pytest.raises(IntegrityError), db.engine.begin() as conn:
                conn.execute(text("INSERT INTO subscribers (channel, address, language, secret, created_at, "
                                  f"incidents_only, page_id) VALUES ('email', 'old@example.com', 'en', 's', :now, "
                                  f"false, {page_id})"), {"now": now})
        # back to an up-to-date, empty schema for the tests after this one
        drop_everything()
        upgrade_to_head()


def test_members_with_components_become_limited_and_the_others_not(app):
    """Migration 0025: `limited` says what an empty list of components used to mean only by being empty."""
    with app.app_context():
        drop_everything()
        upgrade(directory=str(MIGRATIONS_DIR), revision="0024")
        now = datetime(2026, 12, 1, tzinfo=timezone.utc).isoformat()
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO pages (id, slug, name, visibility, shows_all_components, is_default, "
                              "created_at, updated_at, version) VALUES (2, 'vault', 'Vault', 'private', true, false, "
                              ":now, :now, 1)"), {"now": now})
            conn.execute(text("INSERT INTO components (id, slug, name, description, position, status, "
                              "only_show_if_degraded, aliases, created_at, updated_at) VALUES (5, 'eu', 'EU', '', 0, "
                              "'operational', false, '[]', :now, :now)"), {"now": now})
            for member_id, email in ((1, "all@example.com"), (2, "eu@example.com")):
                conn.execute(text("INSERT INTO page_members (id, page_id, email, name, created_at) "
                                  "VALUES (:id, 2, :email, '', :now)"), {"id": member_id, "email": email, "now": now})
            conn.execute(text("INSERT INTO page_member_components (member_id, component_id) VALUES (2, 5)"))
        upgrade_to_head()
        with db.engine.connect() as conn:
            limited = conn.execute(text("SELECT email, limited FROM page_members ORDER BY id")).all()
            kept = conn.execute(text("SELECT member_id, component_id FROM page_member_components")).all()
        assert [tuple(row) for row in kept] == [(2, 5)]  # the table change keeps the limits (SQLite too)
        assert [tuple(row) for row in limited] == [("all@example.com", False), ("eu@example.com", True)]
        drop_everything()
        upgrade_to_head()
