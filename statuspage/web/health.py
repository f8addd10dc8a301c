"""/healthz (the process answers), /readyz (the database answers too), and heartbeat pings."""
from flask import Blueprint, Response
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .. import clock
from ..extensions import csrf, db
from ..monitoring import checks

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return {"status": "ok"}


@bp.get("/readyz")
def readyz():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return {"status": "unavailable", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}


@bp.route("/ping/<ping_id>", methods=["GET", "POST", "HEAD"])
@csrf.exempt
def ping(ping_id: str):
    """A heartbeat check's beat (the healthchecks.io model): no token, the unguessable id is the secret.

    Answered as plain text for `curl -fsS` in cron jobs; any body (a job's log, say) is ignored.
    """
    if not checks.record_beat(ping_id, now=clock.now()):
        return Response("not found: no heartbeat check has this ping id\n", 404, mimetype="text/plain")
    return Response("OK\n", mimetype="text/plain", headers={"Cache-Control": "no-store"})
