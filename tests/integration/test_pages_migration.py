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
