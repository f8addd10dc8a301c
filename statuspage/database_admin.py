"""Schema management: migrate to the newest Alembic revision."""
from flask_migrate import upgrade
from sqlalchemy import text

from .extensions import db

from .paths import MIGRATIONS_DIR


def upgrade_to_head() -> None:
    """Create or migrate the database to the newest schema; safe to run again."""
    upgrade(directory=str(MIGRATIONS_DIR))


def drop_everything() -> None:
    """Empty the database completely, migration record included: for tests and benchmarks, never a live site."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    else:
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
