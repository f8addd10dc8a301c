"""Migration 0021: an install as it was before pages becomes the default page, its subscribers with it."""
from datetime import datetime, timezone

from flask_migrate import upgrade
from sqlalchemy import text

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
        upgrade_to_head()
        with db.engine.connect() as conn:
            pages = conn.execute(text("SELECT id, slug, name, host, is_default, shows_all_components, visibility "
                                      "FROM pages")).all()
            subscriber_pages = conn.execute(text("SELECT page_id FROM subscribers")).scalars().all()
        assert [tuple(p) for p in pages] == [(1, "default", "", None, True, True, "public")]
        assert subscriber_pages == [1]
        # back to an up-to-date, empty schema for the tests after this one
        drop_everything()
        upgrade_to_head()
