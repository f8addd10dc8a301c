"""Components, incidents and maintenance as Statuspage's v2 API shows them (v1 answers the same shapes).

Below the rules on purpose: the API (api/v2.py, api/v1/) answers with these shapes and webhooks
(notify/messages.py) send them, so it reads models and settings and imports nothing above them.
"""
from __future__ import annotations

import hashlib
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from .config import Settings
from .models import Component, ComponentGroup, ComponentStatus, Incident, IncidentUpdate

if TYPE_CHECKING:  # only a type here: services/page.py computes it, the API passes it in
    from .services.page import PageStatus


class Serializer:
    """Turns models into v2 dictionaries for one site (its URL, zone and page id)."""

    def __init__(self, settings: Settings, *, url: str | None = None, tz: ZoneInfo | None = None,
                 shown: set[int] | None = None):
        """For one page of several (services/pages.py): its URL and zone, and the ids of the components it
        shows (None: all), the only ones an incident lists. The default page's id stays the site's."""
        self.base_url = url or settings.base_url
        self.tz: ZoneInfo = tz or settings.tz
        self.page_id = page_id(settings) if url is None or url == settings.base_url.rstrip("/") else \
            hashlib.sha256(url.encode()).hexdigest()[:12]
        self.shown = shown

    def time(self, value: datetime | None) -> str | None:
        """ISO 8601 with milliseconds and the page's offset, as hosted Statuspage pages write it."""
        return None if value is None else value.astimezone(self.tz).isoformat(timespec="milliseconds")

    def page(self, name: str, updated_at: datetime | None) -> dict:
        return {"id": self.page_id, "name": name, "url": self.base_url, "time_zone": str(self.tz),
                "updated_at": self.time(updated_at)}

    @staticmethod
    def status(status: PageStatus) -> dict:
        return {"indicator": status.indicator, "description": status.description}

    def component(self, component: Component) -> dict:
        return {
            "id": str(component.id), "name": component.name, "status": component.status.value,
            "created_at": self.time(component.created_at), "updated_at": self.time(component.updated_at),
            "position": component.position, "description": component.description or None, "showcase": True,
            "start_date": None, "group_id": group_key(component.group_id) if component.group_id else None,
            "page_id": self.page_id, "group": False, "only_show_if_degraded": component.only_show_if_degraded,
            "slug": component.slug,
        }

    def group(self, group: ComponentGroup, members: list[Component]) -> dict:
        worst = max((c.status for c in members), key=lambda s: s.severity, default=ComponentStatus.OPERATIONAL)
        return {
            "id": group_key(group.id), "name": group.name, "status": worst.value,
            "created_at": self.time(group.created_at), "updated_at": self.time(group.updated_at),
            "position": group.position, "description": group.description or None, "showcase": False,
            "start_date": None, "group_id": None, "page_id": self.page_id, "group": True,
            "only_show_if_degraded": False, "components": [str(c.id) for c in members],
        }

    def components(self, groups: list[ComponentGroup], components: list[Component]) -> list[dict]:
        """Groups listed among the components with group: true, as Statuspage does; members carry group_id."""
        members: dict[int, list[Component]] = {}
        for component in components:
            if component.group_id is not None:
                members.setdefault(component.group_id, []).append(component)
        return [self.group(g, members.get(g.id, [])) for g in groups] + [self.component(c) for c in components]

    def update(self, update: IncidentUpdate) -> dict:
        return {
            "id": str(update.id), "status": update.status, "body": update.body,
            "incident_id": str(update.incident_id), "created_at": self.time(update.created_at),
            "updated_at": self.time(update.created_at), "display_at": self.time(update.created_at),
            "affected_components": self._shown_changes(update.affected_components),
            "deliver_notifications": update.deliver_notifications,
            "custom_tweet": None, "tweet_id": None,
        }

    def _shown_changes(self, changes: list[dict] | None) -> list[dict] | None:
        """An update's component changes, those of the page's components only (a component another page
        shows, a private one say, is not named here)."""
        if changes is None or self.shown is None:
            return changes
        return [change for change in changes if str(change.get("code")) in {str(i) for i in self.shown}] or None

    def incident(self, incident: Incident) -> dict:
        body = {
            "id": str(incident.id), "name": incident.name, "status": incident.status,
            "created_at": self.time(incident.created_at), "updated_at": self.time(incident.updated_at),
            "monitoring_at": self.time(incident.monitoring_at), "resolved_at": self.time(incident.resolved_at),
            "impact": incident.impact.value, "shortlink": self.base_url + incident.public_path,
            "started_at": self.time(incident.started_at), "page_id": self.page_id,
            "incident_updates": [self.update(u) for u in incident.updates],
            "components": [self.component(c) for c in incident.components
                           if self.shown is None or c.id in self.shown],
        }
        if incident.is_maintenance:
            body["scheduled_for"] = self.time(incident.scheduled_for)
            body["scheduled_until"] = self.time(incident.scheduled_until)
        return body


GROUP_PREFIX = "g"


def group_key(group_id: int) -> str:
    """A group's id on the wire: Statuspage lists groups among the components, so ids must not collide."""
    return f"{GROUP_PREFIX}{group_id}"


def page_id(settings: Settings) -> str:
    """A stable 12-character page id derived from the site's URL (hosted pages use 12 letters and digits)."""
    return hashlib.sha256(settings.base_url.encode()).hexdigest()[:12]
