"""Incident templates: prepared titles and messages, filled by plain placeholder substitution."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from ..database import get_by_id, transaction
from ..errors import Conflict, NotFound
from ..extensions import db
from ..models import Impact, IncidentTemplate
from . import audit, validate
from .audit import Actor

PLACEHOLDERS = ("components", "site")


def fill(text: str, values: dict[str, str]) -> str:
    """Replace {components} and {site} with their values; nothing else in the text is interpreted.

    User text is never rendered as a template: str.replace cannot run code or read attributes.
    """
    for name in PLACEHOLDERS:
        text = text.replace("{" + name + "}", values.get(name, ""))
    return text


def list_templates() -> list[IncidentTemplate]:
    return list(db.session.scalars(select(IncidentTemplate).order_by(IncidentTemplate.name)))


def get_template(template_id: int) -> IncidentTemplate:
    template = get_by_id(IncidentTemplate, template_id)
    if template is None:
        raise NotFound("template_not_found", f"No template with id {template_id}.")
    return template


def save_template(template_id: int | None, *, name: str, title: str, impact: str, body: str, by: Actor,
                  now: datetime) -> IncidentTemplate:
    """Create a template (template_id None) or change one; names are unique."""
    with transaction():
        template = IncidentTemplate() if template_id is None else get_template(template_id)
        name = validate.text(name, "name", max_length=100)
        clash = db.session.scalar(select(IncidentTemplate.id).where(IncidentTemplate.name == name))
        if clash is not None and clash != template_id:
            raise Conflict("name_taken", "A template with this name exists already.", field="name")
        template.name = name
        template.title = validate.text(title, "title", max_length=200)
        template.impact = validate.choice(Impact, impact, "impact")
        template.body = validate.text(body, "body", max_length=20_000)
        db.session.add(template)
        db.session.flush()
        audit.record(by, "template.save", template, summary=template.name, now=now)
    return template


def delete_template(template_id: int, *, by: Actor, now: datetime) -> None:
    with transaction():
        template = get_template(template_id)
        audit.record(by, "template.delete", template, summary=template.name, now=now)
        db.session.delete(template)
