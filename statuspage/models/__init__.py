"""Typed SQLAlchemy 2.0 models, one module per area; importing this registers them all."""
from .accounts import ApiToken, LoginSession, RecoveryCode, Role, SignInChallenge, User
from .alerts import AlertSource, ReceivedAlert
from .audit import AuditEntry
from .checks import Check, CheckKind, CheckResult, CheckSource, Rollup, RollupPeriod, RollupScope, SchedulerLease
from .components import Component, ComponentGroup, ComponentStatus
from .subscribers import (
    Channel, DeliveryStatus, DeskProblem, IntakeFollow, Notification, NotificationKind, Subscriber,
    SubscriberComponent, SubscriberIncident, UnsubscribedAddress,
)
from .pages import Page, PageComponent, PageMember, PageMemberComponent, PageVisibility
from .site import RateLimitCounter, SiteVersion
from .tickets import SeenSignature, Ticket, TicketChange, TicketStatus
from .incidents import (
    AffectedComponent,
    Impact,
    Incident,
    IncidentKind,
    IncidentStatus,
    IncidentTemplate,
    IncidentUpdate,
    MaintenanceStatus,
)

__all__ = [
    "AffectedComponent", "AlertSource", "ReceivedAlert",
    "ApiToken", "AuditEntry", "Check", "CheckKind", "CheckResult", "CheckSource",
    "Rollup", "RollupPeriod", "RollupScope", "SchedulerLease", "Component", "ComponentGroup", "ComponentStatus",
    "Impact", "Incident", "IncidentKind", "IncidentStatus", "IncidentTemplate", "IncidentUpdate",
    "MaintenanceStatus", "Role", "User", "LoginSession", "RecoveryCode", "SignInChallenge", "RateLimitCounter",
    "Channel", "DeliveryStatus",
    "DeskProblem",
    "Notification", "NotificationKind", "Page", "PageComponent", "PageMember", "PageMemberComponent", "PageVisibility",
    "Subscriber", "SubscriberComponent", "SubscriberIncident", "SeenSignature",
    "SiteVersion", "Ticket", "TicketChange", "TicketStatus", "IntakeFollow", "UnsubscribedAddress",
]
