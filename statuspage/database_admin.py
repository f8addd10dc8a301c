"""Schema management: migrate to the newest Alembic revision."""
from flask_migrate import upgrade

from .paths import MIGRATIONS_DIR


def upgrade_to_head() -> None:
    """Create or migrate the database to the newest schema; safe to run again."""
    upgrade(directory=str(MIGRATIONS_DIR))
