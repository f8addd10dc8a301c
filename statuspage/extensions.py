"""Flask extensions: created here, bound to the app in create_app."""
import gc
import sys
import threading
from contextlib import contextmanager, nullcontext

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from flask_wtf import CSRFProtect

from .database import Base

# CPython 3.11 runs the cyclic garbage collector inside object allocations, and one of those is the dict
# that an attribute store makes of an object's inline attribute values. When a session walks its states
# (close, rollback, commit) and stores an attribute on one whose object has just become cyclic garbage,
# that dict's allocation can start a collection that frees the object; SQLAlchemy's weakref callback
# (InstanceState._cleanup) then stores on the same state, turning the same values into a dict and freeing
# them, and the outer store goes on with the freed values: a use-after-free that corrupted the heap and
# crashed /history (SIGSEGV "Garbage-collecting", in later fetchall or GC passes). Python 3.12 runs the
# collector only between bytecodes (gh-97922), so there the walks need no pause.
_PAUSE_GC = sys.version_info < (3, 12)
_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_was_enabled = False


@contextmanager
def _gc_paused():
    """No cyclic collection inside the block (nested and across threads); the collector resumes as it was."""
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()


class Session(FlaskSession):
    """The session's walks over all its states run with the collector paused (CPython 3.11, see above)."""

    def _walk(self):
        return _gc_paused() if _PAUSE_GC else nullcontext()

    def close(self) -> None:
        with self._walk():
            super().close()

    def rollback(self) -> None:
        with self._walk():
            super().rollback()

    def commit(self) -> None:
        with self._walk():
            super().commit()

    def expunge_all(self) -> None:
        with self._walk():
            super().expunge_all()

    def expire_all(self) -> None:
        with self._walk():
            super().expire_all()


# Objects stay readable after commit: services return what they stored, views render it without reloading.
db = SQLAlchemy(model_class=Base, session_options={"class_": Session, "expire_on_commit": False})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
