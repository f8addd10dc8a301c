"""The one place that reads the wall clock."""
from datetime import datetime, timezone


def now() -> datetime:
    """The current instant, time-zone-aware UTC."""
    return datetime.now(timezone.utc)
