"""Finds templates/ and static/: inside the package when installed, beside it in a checkout."""
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def shared_dir(name: str) -> Path:
    """templates/ or static/: inside the package when installed, beside it in a checkout."""
    for candidate in (PACKAGE_DIR / name, PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise RuntimeError(f"{name}/ not found in or next to {PACKAGE_DIR}")


MIGRATIONS_DIR = PACKAGE_DIR / "migrations"
TRANSLATIONS_DIR = PACKAGE_DIR / "translations"
