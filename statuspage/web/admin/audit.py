"""The audit log in the console, newest first."""
from flask import render_template, request
from sqlalchemy import select

from ...extensions import db
from ...models import AuditEntry
from . import bp

PER_PAGE = 100


@bp.get("/audit")
def audit_log():
    page = min(max(request.args.get("page", 1, type=int), 1), 100_000)
    entries = list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
                                      .limit(PER_PAGE + 1).offset((page - 1) * PER_PAGE)))
    return render_template("admin/audit.html", entries=entries[:PER_PAGE], page=page,
                           has_more=len(entries) > PER_PAGE)
