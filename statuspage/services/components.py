"""Components and groups: create, change, order, delete, and the status incidents give them."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, selectinload

from ..database import get_by_id, transaction
from ..errors import Conflict, Invalid, NotFound
from ..extensions import db
from ..models import AffectedComponent, Component, ComponentGroup, ComponentStatus, Incident
from ..models.incidents import ACTIVE_MAINTENANCE_STATUSES, IncidentKind
from . import audit, validate
from .audit import Actor
from .pages import PageScope, scope_components


def get_component(slug: str) -> Component:
    component = db.session.scalar(select(Component).where(Component.slug == slug))
    if component is None:
        raise NotFound("component_not_found", f"No component with slug '{slug}'.")
    return component


def get_group(group_id: int) -> ComponentGroup:
    group = get_by_id(ComponentGroup, group_id)
    if group is None:
        raise NotFound("group_not_found", f"No component group with id {group_id}.")
    return group


def list_groups() -> list[ComponentGroup]:
    return list(db.session.scalars(
        select(ComponentGroup).options(selectinload(ComponentGroup.components))
        .order_by(ComponentGroup.position, ComponentGroup.id)))


def list_components(page: PageScope | None = None) -> list[Component]:
    """All components (or a page's: services/pages.py) in page order: by group position, then their own."""
    return list(db.session.scalars(scope_components(
        select(Component).outerjoin(Component.group).options(contains_eager(Component.group)), page)
        .order_by(func.coalesce(ComponentGroup.position, -1), ComponentGroup.id, Component.position, Component.id)))


def component_tree() -> list[tuple[ComponentGroup | None, list[Component]]]:
    """Every component (hidden ones too) grouped as the public page shows them: ungrouped first, then each
    group in order, empty groups left out. One query."""
    components = list_components()
    by_group: dict[int | None, list[Component]] = {}
    for component in components:
        by_group.setdefault(component.group_id, []).append(component)
    tree = [(None, by_group[None])] if by_group.get(None) else []
    groups = sorted({c.group for c in components if c.group is not None}, key=lambda g: (g.position, g.id))
    return tree + [(group, by_group[group.id]) for group in groups]


def _next_position(model: type[Component | ComponentGroup], **filters: object) -> int:
    query = select(func.max(model.position))
    for name, value in filters.items():
        query = query.where(getattr(model, name) == value)
    highest = db.session.scalar(query)
    return 0 if highest is None else highest + 1


def create_group(name: str, *, description: str = "", position: int | None = None, by: Actor,
                 now: datetime) -> ComponentGroup:
    """Add a component group, last unless a position is given."""
    with transaction():
        group = ComponentGroup(
            name=validate.text(name, "name", max_length=100),
            description=validate.text(description, "description", max_length=2000, required=False),
            position=_next_position(ComponentGroup) if position is None else validate.integer(position, "position"),
            created_at=now, updated_at=now)
        db.session.add(group)
        db.session.flush()
        audit.record(by, "group.create", group, summary=group.name, now=now)
    return group


def update_group(group_id: int, *, by: Actor, now: datetime, **changes: object) -> ComponentGroup:
    """Change a group's name, description or position."""
    with transaction():
        group = get_group(group_id)
        if "name" in changes:
            group.name = validate.text(changes["name"], "name", max_length=100)
        if "description" in changes:
            group.description = validate.text(changes["description"], "description", max_length=2000,
                                              required=False)
        if "position" in changes:
            group.position = validate.integer(changes["position"], "position")
        group.updated_at = now
        audit.record(by, "group.update", group, summary=group.name, details=_jsonable(changes), now=now)
    return group


def delete_group(group_id: int, *, by: Actor, now: datetime) -> None:
    """Remove a group; its components stay, ungrouped."""
    with transaction():
        group = get_group(group_id)
        for component in group.components:
            component.group_id = None
        audit.record(by, "group.delete", group, summary=group.name, now=now)
        db.session.delete(group)


def create_component(*, slug: str, name: str, description: str = "", group_id: int | None = None,
                     position: int | None = None, status: str = ComponentStatus.OPERATIONAL,
                     only_show_if_degraded: bool = False, aliases: list[str] | None = None, by: Actor,
                     now: datetime) -> Component:
    """Add a component; its slug must be new."""
    with transaction():
        slug = validate.slug(slug)
        if db.session.scalar(select(Component.id).where(Component.slug == slug)) is not None:
            raise Conflict("slug_taken", f"A component with slug '{slug}' already exists.", field="slug")
        if group_id is not None:
            get_group(validate.integer(group_id, "group_id"))
        component = Component(
            slug=slug, name=validate.text(name, "name", max_length=100),
            description=validate.text(description, "description", max_length=2000, required=False),
            group_id=group_id,
            position=(_next_position(Component, group_id=group_id) if position is None
                      else validate.integer(position, "position")),
            status=validate.choice(ComponentStatus, status, "status"),
            only_show_if_degraded=bool(only_show_if_degraded), aliases=_aliases(aliases or []),
            created_at=now, updated_at=now)
        db.session.add(component)
        db.session.flush()
        audit.record(by, "component.create", component, summary=f"{component.name} ({slug})", now=now)
    return component


def update_component(slug: str, /, *, by: Actor, now: datetime, **changes: object) -> Component:
    """Change a component's fields; a new slug must be free."""
    with transaction():
        component = get_component(slug)
        if "slug" in changes and changes["slug"] != component.slug:
            new_slug = validate.slug(changes["slug"])
            if db.session.scalar(select(Component.id).where(Component.slug == new_slug)) is not None:
                raise Conflict("slug_taken", f"A component with slug '{new_slug}' already exists.", field="slug")
            component.slug = new_slug
        if "name" in changes:
            component.name = validate.text(changes["name"], "name", max_length=100)
        if "description" in changes:
            component.description = validate.text(changes["description"], "description", max_length=2000,
                                                  required=False)
        if "group_id" in changes:
            group_id = changes["group_id"]
            component.group_id = None if group_id in (None, "") else get_group(
                validate.integer(group_id, "group_id")).id
        if "position" in changes:
            component.position = validate.integer(changes["position"], "position")
        if "status" in changes:
            component.status = validate.choice(ComponentStatus, changes["status"], "status")
        if "only_show_if_degraded" in changes:
            component.only_show_if_degraded = bool(changes["only_show_if_degraded"])
        if "aliases" in changes:
            component.aliases = _aliases(changes["aliases"])
        component.updated_at = now
        audit.record(by, "component.update", component, summary=component.name, details=_jsonable(changes),
                     now=now)
    return component


_TRANSLITERATE = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "æ": "ae", "œ": "oe", "ø": "o",
                                "đ": "d", "ł": "l", "þ": "th"})


def slug_from(name: str) -> str:
    """A slug made from a name ("Zahlungsübersicht (EU)" -> "zahlungsuebersicht-eu"); empty when the name has
    no letter or digit a URL can carry as they are. static/console.js makes the same one while people type."""
    text = unicodedata.normalize("NFKD", (name or "").lower().translate(_TRANSLITERATE))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:64].strip("-")


@dataclass
class DeletionImpact:
    """What goes with a component (or a group) when it is deleted: what the confirmation says."""

    incidents: int = 0              # incidents and maintenance that list it: they keep their history, without it
    open_incidents: int = 0         # ... of them still open
    subscribers: int = 0            # subscribers who chose it
    subscribers_only_this: int = 0  # ... and nothing else: with no component left they hear of everything
    checks: list[str] = field(default_factory=list)  # health checks deleted with it (and their results)
    components: list[str] = field(default_factory=list)  # a group's components: they stay, ungrouped


def component_deletion_impact(slug: str) -> DeletionImpact:
    """What deleting this component takes with it (a few counting queries)."""
    from ..models import Check, SubscriberComponent

    component = get_component(slug)
    links = select(AffectedComponent.incident_id).where(AffectedComponent.component_id == component.id)
    incidents = db.session.execute(select(func.count()).select_from(links.subquery())).scalar_one()
    open_incidents = db.session.execute(select(func.count(Incident.id)).where(
        Incident.id.in_(links), Incident.unclosed())).scalar_one()
    choosers = select(SubscriberComponent.subscriber_id).where(SubscriberComponent.component_id == component.id)
    subscribers = db.session.execute(select(func.count()).select_from(choosers.subquery())).scalar_one()
    only_this = db.session.execute(
        select(func.count()).select_from(
            select(SubscriberComponent.subscriber_id).where(SubscriberComponent.subscriber_id.in_(choosers))
            .group_by(SubscriberComponent.subscriber_id).having(func.count() == 1).subquery())).scalar_one()
    checks = list(db.session.scalars(select(Check.name).where(Check.component_id == component.id)
                                     .order_by(Check.name)))
    return DeletionImpact(incidents=incidents, open_incidents=open_incidents, subscribers=subscribers,
                          subscribers_only_this=only_this, checks=checks)


def group_deletion_impact(group_id: int) -> DeletionImpact:
    """What deleting this group changes: its components stay, ungrouped."""
    return DeletionImpact(components=[component.name for component in get_group(group_id).components])


def delete_component(slug: str, *, by: Actor, now: datetime) -> None:
    """Remove a component; incidents keep their history but no longer list it."""
    with transaction():
        component = get_component(slug)
        audit.record(by, "component.delete", component, summary=f"{component.name} ({component.slug})", now=now)
        db.session.delete(component)


MOVABLE = {Component: "component", ComponentGroup: "group"}


def move(model: type[Component | ComponentGroup], item_id: int, direction: int, *, by: Actor, now: datetime) -> None:
    """Swap a group or component with its neighbour above (-1) or below (+1), renumbering its siblings."""
    with transaction():
        item = get_by_id(model, item_id)
        if item is None:
            raise NotFound("not_found", "Nothing to move with that id.")
        siblings_query = select(model).order_by(model.position, model.id)
        if isinstance(item, Component):  # model is Component
            siblings_query = siblings_query.where(Component.group_id.is_(item.group_id))
        siblings: list[Component | ComponentGroup] = list(db.session.scalars(siblings_query))
        index = siblings.index(item)
        target = index + (1 if direction > 0 else -1)
        if 0 <= target < len(siblings):
            siblings[index], siblings[target] = siblings[target], siblings[index]
        for position, sibling in enumerate(siblings):
            sibling.position = position
        audit.record(by, f"{MOVABLE[model]}.move", item, summary=item.name, details={"direction": direction},
                     now=now)


class StatusChange(NamedTuple):
    """A component's status before and after recompute_statuses."""

    old: ComponentStatus
    new: ComponentStatus


def recompute_statuses(components: Iterable[Component], *, now: datetime) -> dict[int, StatusChange]:
    """Give each component the worst status its open incidents and active maintenance hold it at.

    Returns {component id: StatusChange} for those that changed.
    """
    components = list(components)
    if not components:
        return {}
    db.session.flush()
    rows = db.session.execute(
        select(AffectedComponent.component_id, AffectedComponent.status, Incident.kind, Incident.status)
        .join(Incident).where(AffectedComponent.component_id.in_([c.id for c in components]))
        .where(Incident.unclosed(), Incident.is_published))
    held: dict[int, ComponentStatus] = {}
    for component_id, affected_status, kind, incident_status in rows:
        if kind == IncidentKind.MAINTENANCE:
            if incident_status not in ACTIVE_MAINTENANCE_STATUSES:
                continue
            affected_status = ComponentStatus.UNDER_MAINTENANCE
        current = held.get(component_id, ComponentStatus.OPERATIONAL)
        if affected_status.severity > current.severity:
            held[component_id] = affected_status
    changed: dict[int, StatusChange] = {}
    for component in components:
        new_status = held.get(component.id, ComponentStatus.OPERATIONAL)
        if component.status != new_status:
            changed[component.id] = StatusChange(component.status, new_status)
            component.status = new_status
            component.updated_at = now
    return changed


def _aliases(values: object) -> list[str]:
    """Other names of a component (e.g. "Konsole", "tableau de bord"): up to 20, each one line."""
    if not isinstance(values, (list, tuple)) or len(values) > 20:
        raise Invalid("invalid_aliases", "aliases must be a list of at most 20 names.", field="aliases")
    cleaned = [validate.text(value, "aliases", max_length=100) for value in values]
    return list(dict.fromkeys(value for value in cleaned if value))


def _jsonable(changes: dict[str, object]) -> dict[str, object]:
    return {key: value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
            for key, value in changes.items()}
