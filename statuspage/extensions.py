"""Flask extensions: created here, bound to the app in create_app."""
import functools
import gc
import sys
import threading
from contextlib import contextmanager

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
import flask_login
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


def _with_gc_paused(walk):
    @functools.wraps(walk)
    def paused(self, *args, **kwargs):
        with _gc_paused():
            return walk(self, *args, **kwargs)
    return paused


class Session(FlaskSession):
    """The session's walks over all its states run with the collector paused (CPython 3.11, see above)."""


if _PAUSE_GC:
    for _walk in ("close", "rollback", "commit", "expunge_all", "expire_all"):
        setattr(Session, _walk, _with_gc_paused(getattr(FlaskSession, _walk)))


class LoginManager(flask_login.LoginManager):
    """Flask-Login's, except that a remember cookie that is not ASCII (none of ours is) counts as no cookie:
    Flask-Login hands it to hmac.compare_digest, which raises TypeError on non-ASCII text (a 500)."""

    def _load_user_from_remember_cookie(self, cookie: str):
        if not cookie.isascii():
            return None
        return super()._load_user_from_remember_cookie(cookie)


# Objects stay readable after commit: services return what they stored, views render it without reloading.
db = SQLAlchemy(model_class=Base, session_options={"class_": Session, "expire_on_commit": False})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
