"""The audit log in the console, newest first, each entry in words ("Alice resolved incident “DB down”")."""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask import render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...extensions import db
from ...i18n import INCIDENT_STATUS_LABELS
from ...models import AuditEntry
from ...services.audit import target_names, user_names
from . import bp

PER_PAGE = 100

# What happened, by action code: %(who)s did it to %(what)s (the name of what it is about).
SENTENCES = {
    "incident.open": _l("%(who)s opened incident “%(what)s”"),
    "incident.edit": _l("%(who)s edited incident “%(what)s”"),
    "incident.publish": _l("%(who)s published incident “%(what)s”"),
    "incident.dismiss": _l("%(who)s dismissed suspected incident “%(what)s”"),
    "incident.merge": _l("%(who)s merged suspected incident “%(what)s” into a confirmed one"),
    "incident.suspect": _l("%(who)s suspected incident “%(what)s” from support tickets"),
    "maintenance.schedule": _l("%(who)s scheduled maintenance “%(what)s”"),
    "maintenance.edit": _l("%(who)s edited maintenance “%(what)s”"),
    "maintenance.remind": _l("%(who)s reminded subscribers of maintenance “%(what)s”"),
    "component.create": _l("%(who)s added component “%(what)s”"),
    "component.update": _l("%(who)s changed component “%(what)s”"),
    "component.delete": _l("%(who)s deleted component “%(what)s”"),
    "component.move": _l("%(who)s moved component “%(what)s”"),
    "group.create": _l("%(who)s added group “%(what)s”"),
    "group.update": _l("%(who)s changed group “%(what)s”"),
    "group.delete": _l("%(who)s deleted group “%(what)s”"),
    "group.move": _l("%(who)s moved group “%(what)s”"),
    "page.create": _l("%(who)s added page “%(what)s”"),
    "page.update": _l("%(who)s changed page “%(what)s”"),
    "page.delete": _l("%(who)s deleted page “%(what)s”"),
    "check.create": _l("%(who)s added check “%(what)s”"),
    "check.update": _l("%(who)s changed check “%(what)s”"),
    "check.delete": _l("%(who)s deleted check “%(what)s”"),
    "check.attach": _l("%(who)s failed and joined incident “%(what)s”"),
    "check.detach": _l("%(who)s passes again and left incident “%(what)s”"),
    "alert.attach": _l("%(who)s fired and joined incident “%(what)s”"),
    "alert.resolve": _l("%(who)s resolved in incident “%(what)s”"),
    "user.create": _l("%(who)s added user %(what)s"),
    "user.update": _l("%(who)s changed user %(what)s"),
    "user.password": _l("%(who)s changed the password of %(what)s"),
    "user.sign_in_sso": _l("%(who)s signed in with single sign-on as %(what)s"),
    "user.totp_enrol": _l("%(who)s set up a one-time-password app for %(what)s"),
    "user.totp_remove": _l("%(who)s removed the one-time-password app of %(what)s"),
    "user.totp_locked": _l("%(who)s gave too many wrong one-time codes for %(what)s"),
    "user.recovery_code": _l("%(who)s used a recovery code of %(what)s"),
    "token.create": _l("%(who)s created API token “%(what)s”"),
    "token.revoke": _l("%(who)s revoked API token “%(what)s”"),
    "subscriber.create": _l("%(who)s added subscriber %(what)s"),
    "subscriber.delete": _l("%(who)s removed subscriber %(what)s"),
    "template.save": _l("%(who)s saved template “%(what)s”"),
    "template.delete": _l("%(who)s deleted template “%(what)s”"),
    "ticket.accepted": _l("%(who)s took in ticket “%(what)s” for the queue"),
    "ticket.suppressed": _l("%(who)s took in ticket “%(what)s” and linked it to a known incident"),
    "ticket.reclassify": _l("%(who)s re-classified ticket “%(what)s”"),
    "ticket.link": _l("%(who)s linked ticket “%(what)s” to an incident"),
    "ticket.unlink": _l("%(who)s unlinked ticket “%(what)s” from its incident"),
    "ticket.not_mine": _l("%(who)s said ticket “%(what)s” is not about its incident"),
}
# Updates read by the status they give.
UPDATE_SENTENCES = {
    ("incident", "resolved"): _l("%(who)s resolved incident “%(what)s”"),
    ("incident", "postmortem"): _l("%(who)s posted the postmortem of incident “%(what)s”"),
    ("incident", None): _l("%(who)s updated incident “%(what)s”: %(status)s"),
    ("maintenance", "completed"): _l("%(who)s completed maintenance “%(what)s”"),
    ("maintenance", None): _l("%(who)s updated maintenance “%(what)s”: %(status)s"),
}
ADVANCE = _l("%(who)s moved maintenance “%(what)s” on: %(status)s")
UNKNOWN = _l("%(who)s: %(action)s “%(what)s”")
# Who, when it is not a console user: the system's own actors.
ACTORS = {"scheduler": _l("The scheduler"), "cli": _l("The command line"), "customer": _l("The customer"),
          "ticket-intake": _l("Ticket intake"), "intake:signed": _l("Ticket intake"), "demo": _l("The demo")}
ACTOR_PREFIXES = {"check:": _l("Check %(name)s"), "token:": _l("API token %(name)s"),
                  "alert:": _l("Alert %(name)s")}  # alert:<alertmanager|grafana>:<alertname>


FROM_FILE = _l("%(name)s (from %(file)s)")  # checks sync's summary: a check's name and the file it came from
_FROM_FILE = re.compile(r"(?P<name>.+) \(from (?P<file>[^()]+\.toml)\)")


@dataclass(frozen=True)
class Described:
    entry: AuditEntry
    sentence: str
    silent: bool  # an update posted without telling subscribers
    summary: str = ""  # the entry's summary in the reader's language where the system wrote it


def _summary(entry: AuditEntry) -> str:
    """The summary as stored, but the words checks sync adds around a check's name and file, translated."""
    if entry.action.startswith("check.") and (found := _FROM_FILE.fullmatch(entry.summary or "")):
        return str(FROM_FILE) % {"name": found["name"], "file": found["file"]}
    return entry.summary or ""


def _who(entry: AuditEntry, users: dict[int, str]) -> str:
    if entry.user_id in users:
        return users[entry.user_id]
    if entry.actor in ACTORS:
        return str(ACTORS[entry.actor])
    for prefix, words in ACTOR_PREFIXES.items():
        if entry.actor.startswith(prefix):
            return str(words) % {"name": entry.actor[len(prefix):]}
    return entry.actor


def _what(entry: AuditEntry, names: dict[tuple[str, str], str]) -> str:
    name = names.get((entry.target_type, entry.target_id))
    if name:
        return name
    if entry.action.endswith((".update", ".advance")) or entry.action.startswith(("check.", "alert.")):
        return f"#{entry.target_id}"  # their summary is a status or a check's words, not a name
    return entry.summary.split(": ")[0] if entry.action.startswith("subscriber.") else (entry.summary
                                                                                        or f"#{entry.target_id}")


def describe(entry: AuditEntry, names: dict, users: dict) -> Described:
    """One entry in the reader's language."""
    details = entry.details if isinstance(entry.details, dict) else {}
    words = {"who": _who(entry, users), "what": _what(entry, names), "action": entry.action}
    kind, _, verb = entry.action.partition(".")
    if verb == "update" and kind in ("incident", "maintenance"):
        status = details.get("status") or entry.summary.split(":", 1)[0]
        sentence = UPDATE_SENTENCES.get((kind, status)) or UPDATE_SENTENCES[(kind, None)]
        words["status"] = str(INCIDENT_STATUS_LABELS.get(status, status))
    elif entry.action == "maintenance.advance":
        sentence = ADVANCE
        words["status"] = str(INCIDENT_STATUS_LABELS.get(entry.summary, entry.summary))
    else:
        sentence = SENTENCES.get(entry.action, UNKNOWN)
    return Described(entry, str(sentence) % words, details.get("deliver_notifications") is False, _summary(entry))


@bp.get("/audit")
def audit_log():
    page = min(max(request.args.get("page", 1, type=int), 1), 100_000)
    entries = list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
                                      .limit(PER_PAGE + 1).offset((page - 1) * PER_PAGE)))
    shown = entries[:PER_PAGE]
    names, users = target_names(shown), user_names(shown)
    return render_template("admin/audit.html", entries=[describe(entry, names, users) for entry in shown],
                           page=page, has_more=len(entries) > PER_PAGE)
