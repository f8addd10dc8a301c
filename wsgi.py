import sys

from statuspage import create_app
from statuspage.config import SettingsError

try:
    app = create_app()
except SettingsError as error:
    # One line, not a traceback per worker; 4 is gunicorn's "the app failed to load": it stops the arbiter
    # instead of starting workers again.
    print(f"Error: {error}", file=sys.stderr, flush=True)
    sys.exit(4)
