"""Request and response schemas of the management API; the OpenAPI document is built from them."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ...database import MAX_ID
from ...i18n import LANGUAGE_NAMES
from ...models import Channel, ComponentStatus, Impact, IncidentStatus, MaintenanceStatus, TicketStatus
from ...monitoring.definitions import REDACTED, CheckInSchema
from ...support import sla

COMPONENT_STATUSES = [s.value for s in ComponentStatus]
SLUG = validate.Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", error="Use lowercase letters, digits and single dashes.")


def _text(max_length: int, **kwargs):
    return fields.String(validate=validate.Length(max=max_length), **kwargs)


def _name(max_length: int, **kwargs):
    """A name: never empty, whether required (POST) or optional (PATCH)."""
    return fields.String(validate=validate.Length(min=1, max=max_length), **kwargs)


def _integer(**kwargs):
    """Whole numbers only: 2.5 is refused, not truncated."""
    return fields.Integer(strict=True, **kwargs)


class StrictBoolean(fields.Boolean):
    """JSON true or false only: 0, 1 and "yes" are refused, not guessed at."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class GroupId(fields.Field):
    """A group's id as the API shows it ("g3"), or the bare number (3)."""

    default_error_messages = {"invalid": "Not a group id such as \"g3\"."}

    def _deserialize(self, value, attr, data, **kwargs):
        text = value.removeprefix("g") if isinstance(value, str) else value
        if isinstance(text, str) and text.isdigit():
            text = int(text)
        if isinstance(text, bool) or not isinstance(text, int) or not 1 <= text <= MAX_ID:
            raise self.make_error("invalid")
        return text

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else f"g{value}"


class ErrorDetail(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    field = fields.String()
    fields_ = fields.Dict(data_key="fields")


class ErrorSchema(Schema):
    """The contract's error envelope."""

    error = fields.Nested(ErrorDetail, required=True)


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class IncidentListArgs(PageArgs):
    status = fields.String(validate=validate.OneOf([s.value for s in IncidentStatus]))
    component = fields.String(validate=validate.Length(max=64))


class MaintenanceListArgs(PageArgs):
    status = fields.String(validate=validate.OneOf([s.value for s in MaintenanceStatus]))
    component = fields.String(validate=validate.Length(max=64))


# Requests

class GroupIn(Schema):
    name = _name(100, required=True)
    description = _text(2000)
    position = _integer(validate=validate.Range(min=0, max=1_000_000))


class ComponentIn(Schema):
    slug = fields.String(required=True, validate=[validate.Length(min=1, max=64), SLUG])
    name = _name(100, required=True)
    description = _text(2000)
    group_id = GroupId(allow_none=True)
    position = _integer(validate=validate.Range(min=0, max=1_000_000))
    status = fields.String(validate=validate.OneOf(COMPONENT_STATUSES))
    only_show_if_degraded = StrictBoolean()
    aliases = fields.List(fields.String(validate=validate.Length(min=1, max=100)), validate=validate.Length(max=20),
                          metadata={"description": "Other names customers use (any language), for matching tickets."})


class GroupPatch(GroupIn):
    """Any of a group's fields."""


class ComponentPatch(ComponentIn):
    """Any of a component's fields."""


class IncidentIn(Schema):
    name = _name(200, required=True)
    status = fields.String(load_default="investigating", validate=validate.OneOf(
        [IncidentStatus.INVESTIGATING, IncidentStatus.IDENTIFIED, IncidentStatus.MONITORING]))
    impact = fields.String(load_default="minor", validate=validate.OneOf([i.value for i in Impact]))
    body = _text(20_000, load_default="")
    components = fields.Dict(keys=fields.String(validate=validate.Length(max=64)),
                             values=fields.String(validate=validate.OneOf(COMPONENT_STATUSES)), load_default=dict)
    deliver_notifications = StrictBoolean(load_default=True, metadata={
        "description": "Tell subscribers of this update (default); false posts it on the page only."})


class IncidentPatch(Schema):
    name = _name(200)
    impact = fields.String(validate=validate.OneOf([i.value for i in Impact]))
    status = fields.String(validate=validate.OneOf([s.value for s in IncidentStatus]))
    body = _text(20_000)
    deliver_notifications = StrictBoolean(metadata={
        "description": "With a new status: tell subscribers of that update (default true)."})


class UpdateIn(Schema):
    status = fields.String(required=True, validate=validate.OneOf([s.value for s in IncidentStatus]))
    body = _text(20_000, load_default="")
    components = fields.Dict(keys=fields.String(validate=validate.Length(max=64)),
                             values=fields.String(validate=validate.OneOf(COMPONENT_STATUSES)), load_default=dict)
    deliver_notifications = StrictBoolean(load_default=True, metadata={
        "description": "Tell subscribers of this update (default); false posts it on the page only."})


class MaintenanceUpdateIn(Schema):
    status = fields.String(required=True, validate=validate.OneOf([s.value for s in MaintenanceStatus]))
    body = _text(20_000, load_default="")
    components = fields.Dict(keys=fields.String(validate=validate.Length(max=64)),
                             values=fields.String(validate=validate.OneOf([ComponentStatus.UNDER_MAINTENANCE.value])),
                             load_default=dict)
    deliver_notifications = StrictBoolean(load_default=True, metadata={
        "description": "Tell subscribers of this update (default); false posts it on the page only."})


class MaintenanceIn(Schema):
    name = _name(200, required=True)
    status = fields.String(load_default="scheduled", validate=validate.OneOf([s.value for s in MaintenanceStatus]))
    body = _text(20_000, load_default="")
    scheduled_for = fields.AwareDateTime(required=True)
    scheduled_until = fields.AwareDateTime(required=True)
    components = fields.Dict(keys=fields.String(validate=validate.Length(max=64)), values=fields.String(),
                             load_default=dict, metadata={"description": "slug: any status; in progress they show "
                                                                         "under_maintenance"})
    deliver_notifications = StrictBoolean(load_default=True, metadata={
        "description": "Tell subscribers of this update (default); false posts it on the page only."})
    remind_minutes_before = fields.Integer(strict=True, allow_none=True,
                                           validate=validate.Range(min=1, max=10_080), metadata={
        "description": "Remind subscribers this many minutes before the start (at most a week); null: no reminder. "
                       "Left out: STATUSPAGE_MAINTENANCE_REMINDER_MINUTES (60 unless set; 0 there: none)."})
    notify_at_start = StrictBoolean(load_default=True, metadata={
        "description": "Tell subscribers when the window starts (it moves to in_progress by itself)."})
    notify_at_end = StrictBoolean(load_default=True, metadata={
        "description": "Tell subscribers when the window ends (it moves to completed by itself)."})


class MaintenancePatch(Schema):
    name = _name(200)
    status = fields.String(validate=validate.OneOf([s.value for s in MaintenanceStatus]))
    body = _text(20_000)
    scheduled_for = fields.AwareDateTime()
    scheduled_until = fields.AwareDateTime()
    deliver_notifications = StrictBoolean(metadata={
        "description": "With a new status: tell subscribers of that update (default true)."})
    remind_minutes_before = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1, max=10_080))
    notify_at_start = StrictBoolean()
    notify_at_end = StrictBoolean()


# Responses: the shapes of Statuspage's v2 API, plus a few fields of our own (slug).

class ComponentOut(Schema):
    id = fields.String(required=True)
    slug = fields.String()
    name = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(COMPONENT_STATUSES))
    created_at = fields.String(required=True)
    updated_at = fields.String(required=True)
    position = _integer(required=True)
    description = fields.String(allow_none=True)
    showcase = fields.Boolean()
    start_date = fields.String(allow_none=True)
    group_id = fields.String(allow_none=True)
    page_id = fields.String()
    group = fields.Boolean()
    only_show_if_degraded = fields.Boolean()
    components = fields.List(fields.String())
    aliases = fields.List(fields.String())


class AffectedComponentOut(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    old_status = fields.String(required=True)
    new_status = fields.String(required=True)


class UpdateOut(Schema):
    id = fields.String(required=True)
    status = fields.String(required=True)
    body = fields.String(required=True)
    incident_id = fields.String(required=True)
    created_at = fields.String(required=True)
    updated_at = fields.String(required=True)
    display_at = fields.String(required=True)
    affected_components = fields.List(fields.Nested(AffectedComponentOut), allow_none=True)
    deliver_notifications = fields.Boolean()
    custom_tweet = fields.String(allow_none=True)
    tweet_id = fields.String(allow_none=True)


class IncidentOut(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    status = fields.String(required=True)
    created_at = fields.String(required=True)
    updated_at = fields.String(required=True)
    monitoring_at = fields.String(allow_none=True)
    resolved_at = fields.String(allow_none=True)
    impact = fields.String(required=True)
    shortlink = fields.String()
    started_at = fields.String(required=True)
    page_id = fields.String()
    incident_updates = fields.List(fields.Nested(UpdateOut), required=True)
    components = fields.List(fields.Nested(ComponentOut), required=True)
    scheduled_for = fields.String(allow_none=True)
    scheduled_until = fields.String(allow_none=True)


class SubscriberIn(Schema):
    email = fields.Email(validate=validate.Length(max=254))
    webhook_url = fields.String(validate=validate.Length(min=1, max=2000))
    notify_url = fields.String(validate=validate.Length(min=1, max=2000), metadata={
        "description": "an Apprise URL for chat or push (slack://..., workflows://..., discord://..., ntfy://..., "
                       "json://host/path ...); only services reached over HTTP(S), public hosts only",
        "example": "slack://T0AAAAAAA/B0BBBBBBB/XXXXXXXXXXXXXXXXXXXXXXXX/#status"})
    components = fields.List(fields.String(validate=validate.Length(max=64)), load_default=list)
    lang = fields.String(load_default="en", validate=validate.OneOf(list(LANGUAGE_NAMES)))
    confirmed = StrictBoolean(load_default=False, metadata={"description": "import an already-confirmed address"})
    page = fields.String(load_default=None, validate=validate.Length(min=1, max=60), metadata={
        "description": "the slug of the page it subscribes on (its links lead there; it hears of that page's "
                       "incidents); default: the default page. One address may subscribe on several pages."})


class SubscriberOut(Schema):
    id = fields.String(required=True)
    channel = fields.String(required=True, validate=validate.OneOf([c.value for c in Channel]))
    email = fields.String(allow_none=True)
    webhook_url = fields.String(allow_none=True)
    notify_url = fields.String(allow_none=True, metadata={
        "description": "chat: the Apprise URL as it may be shown (scheme, host, a fingerprint), never in full"})
    components = fields.List(fields.String(), required=True)
    follows_everything = fields.Boolean(metadata={
        "description": "no component chosen by the subscriber; a support ticket's follower never follows everything"})
    incidents = fields.List(fields.String(), metadata={"description": "incidents followed because of a ticket"})
    lang = fields.String(required=True)
    confirmed = fields.Boolean(required=True)
    created_at = fields.String(required=True)
    page = fields.String(required=True, metadata={"description": "the slug of the page it subscribed on"})


# Health checks: the fields of a check file (docs/CONTRACT.md); the request's schema is
# monitoring/definitions.py's CheckInSchema, which validates a file and a request body alike.

class CheckPatch(CheckInSchema):
    """Any fields of a check; the key cannot change."""


class CheckStateOut(Schema):
    status = fields.String(metadata={"description": "new (not run yet), up or down (confirmed)."})
    last_run_at = fields.String(allow_none=True)
    last_ok = fields.Boolean(allow_none=True)
    last_error = fields.String(allow_none=True)
    last_latency_ms = fields.Integer(allow_none=True)
    last_beat_at = fields.String(allow_none=True)
    consecutive_failures = fields.Integer()
    consecutive_successes = fields.Integer()
    incident_id = fields.String(allow_none=True)


class CheckOut(CheckInSchema):
    id = fields.Integer(required=True)
    source = fields.String(metadata={"description": "file (managed by checks/*.toml: read-only here) or api."})
    source_file = fields.String()
    headers = fields.Raw(metadata={"description": "http: header names to values; for a token below the admin "
                                                  f"role each value reads \"{REDACTED}\" (the names stay)."})
    ping_id = fields.Raw(metadata={"description": "heartbeat: the UUID in /ping/<ping_id>; "
                                                  f"\"{REDACTED}\" for a token below the admin role."})
    ping_url = fields.String(allow_none=True, metadata={
        "description": f"heartbeat: the URL the job pings; \"{REDACTED}\" for a token below the admin role."})
    state = fields.Nested(CheckStateOut)


class CheckResultOut(Schema):
    id = fields.Integer(required=True)
    at = fields.String(required=True)
    ok = fields.Boolean(required=True)
    latency_ms = fields.Integer(allow_none=True)
    status_code = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)


class CheckListArgs(PageArgs):
    component = fields.String(validate=validate.Length(max=64))


# Tickets: the intake hook's request and answer (docs/CONTRACT.md); the request's schema is support/intake.py's.

class DeskPayload(Schema):
    """A help desk's own webhook body (see the README for the templates); mapped onto the contract's body
    and loaded by support/intake.py:ticket_in."""

    class Meta:
        unknown = "include"


# Dicts passed through as they are (the answer is built by support/intake.py), documented by their properties.
MATCH = {
    "score": {"type": "number"},
    "reasons": {"type": "array", "items": {"type": "string"}},
    "alternatives": {"type": "array", "description": "Other incidents that scored close to the best: the "
                     "matcher says so instead of guessing (empty when none).", "items": {
                         "type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                                                          "score": {"type": "number"}}}},
}
UNDONE = {
    "by": {"type": "string", "enum": ["customer", "agent"]},
    "at": {"type": "string", "format": "date-time"},
    "reason": {"type": "string"},
    "incident_id": {"type": "integer", "nullable": True},
}


class TicketOut(Schema):
    id = fields.Integer(required=True)
    external_id = fields.String(allow_none=True)
    status = fields.String(required=True)
    priority = fields.Integer(required=True)
    plan = fields.String(required=True)
    first_response_due = fields.String(allow_none=True)
    incident = fields.Dict(allow_none=True)
    match = fields.Dict(metadata={"properties": MATCH})
    reply = fields.Dict()
    warnings = fields.List(fields.Dict(), metadata={"description": "What intake changed or left undone, each "
                                                                   "{code, message}: e.g. created_at_clamped."})


class TicketDetailOut(TicketOut):
    subject = fields.String()
    body = fields.String()
    source = fields.String()
    requester = fields.Dict()
    requested_priority = fields.Integer(allow_none=True)
    environment = fields.String()
    component = fields.String(allow_none=True)
    language = fields.String()
    created_at = fields.String()
    received_at = fields.String()
    undone = fields.Dict(allow_none=True, metadata={
        "properties": UNDONE, "description": "How the ticket's link to an incident was undone, while that stands: "
                                             "by the customer's link in the auto-reply or by an agent's unlink."})
    changes = fields.List(fields.Dict(metadata={"properties": {
        "at": {"type": "string"}, "by": {"type": "string"},
        "action": {"type": "string", "enum": ["reclassify", "link", "unlink", "not_mine"]},
        "reason": {"type": "string"}, "old_priority": {"type": "integer"}, "new_priority": {"type": "integer"},
        "incident_id": {"type": "integer", "nullable": True}}}))


class TicketPatch(Schema):
    """Re-classify ({"priority", "reason"}), link to an incident ({"incident_id": N, "reason"}) or unlink
    ({"incident_id": null, "reason"}): one of priority and incident_id."""

    priority = fields.Integer(strict=True, validate=validate.Range(min=1, max=3))
    incident_id = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1, max=MAX_ID),
                                 metadata={"description": "An open incident or maintenance in progress to link an "
                                                          "accepted ticket to; null unlinks a suppressed one."})
    reason = fields.String(validate=validate.Length(max=2000),
                           metadata={"description": "Why: required with priority, optional with incident_id."})

    @validates_schema
    def _one_change(self, data, **_kwargs):
        if ("priority" in data) == ("incident_id" in data):
            raise ValidationError("Give priority (re-classify) or incident_id (link, or null to unlink), one of them.",
                                  field_name="priority")
        if "priority" in data and not data.get("reason"):
            raise ValidationError("Missing data for required field.", field_name="reason")


class TicketListArgs(PageArgs):
    status = fields.String(validate=validate.OneOf([s.value for s in TicketStatus]))
    plan = fields.String(validate=validate.OneOf(sla.PLANS))
    priority = fields.Integer(validate=validate.Range(min=1, max=3))
    incident = fields.Integer(validate=validate.Range(min=1, max=MAX_ID))


# Pages: one install serves several status pages (services/page_admin.py checks the fields' meaning).

PAGE_SLUG = validate.Regexp(r"^[a-z0-9][a-z0-9-]*$", error="Use lowercase letters, digits and dashes; start with a "
                                                           "letter or digit.")
PAGE_VISIBILITIES = ["public", "private", "password"]


class PageIn(Schema):
    name = _name(120, required=True)
    slug = fields.String(required=True, validate=[validate.Length(min=1, max=60), PAGE_SLUG], metadata={
        "description": "The page's path when it has no host: /p/<slug>."})
    host = fields.String(allow_none=True, validate=validate.Length(max=253), metadata={
        "description": "A host name (custom domain) the page answers at, chosen by the Host header: lowercase, "
                       "no port; null: reached by /p/<slug> only.", "example": "status.example.com"})
    languages = fields.List(fields.String(validate=validate.Length(min=1, max=8)), allow_none=True,
                            validate=validate.Length(max=20), metadata={
        "description": "Some of the install's languages (STATUSPAGE_LANGUAGES); null: all of them."})
    default_language = fields.String(allow_none=True, validate=validate.Length(max=8), metadata={
        "description": "One of the page's languages; null: the install's default."})
    time_zone = fields.String(allow_none=True, validate=validate.Length(max=64), metadata={
        "description": "An IANA time zone; null: the install's (STATUSPAGE_TIMEZONE).", "example": "Europe/Paris"})
    logo_url = fields.String(allow_none=True, validate=validate.Length(max=500), metadata={
        "description": "An http(s) URL of the logo; null: none (the name is shown)."})
    accent_color = fields.String(allow_none=True, validate=validate.Regexp(r"^#[0-9A-Fa-f]{6}$"), metadata={
        "description": "#rrggbb; null: the install's colour.", "example": "#0b5fff"})
    visibility = fields.String(validate=validate.OneOf(PAGE_VISIBILITIES), metadata={
        "description": "public (default); private: its audience members only (/pages/<slug>/members); "
                       "password: whoever gives the page's shared password (set it with PATCH `password`)."})
    shows_all_components = StrictBoolean(metadata={
        "description": "Show every component, new ones included, whatever `components` lists."})
    components = fields.List(fields.String(validate=validate.Length(min=1, max=64)),
                             validate=validate.Length(max=10_000), metadata={
        "description": "The components the page shows, by slug (or id); a group shows when one of its "
                       "components does."})


class PagePatch(PageIn):
    """Any of a page's fields; the default page keeps its slug."""

    name = _text(120, metadata={"description": "Empty only on the default page: the install's name."})
    password = fields.String(allow_none=True, load_only=True, validate=validate.Length(max=1000), metadata={
        "description": "Write-only: a password page's shared password (at least 10 characters); null or empty "
                       "removes it. Every reader signed in with the old one must give the new one."})


class PageDeleteArgs(Schema):
    move_subscribers_to = fields.String(validate=[validate.Length(min=1, max=60), PAGE_SLUG], metadata={
        "description": "The slug of the page its subscribers move to; a page with subscribers is not deleted "
                       "without it (409)."})


class PageOut(Schema):
    id = fields.String(required=True)
    slug = fields.String(required=True)
    name = fields.String(required=True, metadata={"description": "Empty on the default page: the install's name."})
    host = fields.String(allow_none=True)
    url = fields.String(required=True, metadata={"description": "Where the public reads it."})
    languages = fields.List(fields.String(), allow_none=True)
    default_language = fields.String(allow_none=True)
    time_zone = fields.String(allow_none=True)
    logo_url = fields.String(allow_none=True)
    accent_color = fields.String(allow_none=True)
    visibility = fields.String(required=True, validate=validate.OneOf(PAGE_VISIBILITIES))
    shows_all_components = fields.Boolean(required=True)
    components = fields.List(fields.String(), required=True, metadata={"description": "slugs"})
    is_default = fields.Boolean(required=True, metadata={"description": "Read-only: the page at the install's "
                                                                        "own address; there is exactly one."})
    subscribers = fields.Integer(metadata={"description": "How many subscribers belong to the page."})
    has_password = fields.Boolean(required=True, metadata={"description": "Whether a shared password is set "
                                                                          "(the password itself is never shown)."})
    created_at = fields.String(required=True)
    updated_at = fields.String(required=True)


# A private page's audience (services/page_members.py).

class PageMemberIn(Schema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=254), metadata={
        "description": "Where the invitation (a one-time sign-in link) goes; one member per address and page."})
    name = _text(120)
    components = fields.List(fields.String(validate=validate.Length(min=1, max=64)),
                             validate=validate.Length(max=10_000), metadata={
        "description": "The page's components the member sees, by slug (or id); empty: all of the page's."})


class PageMemberPatch(Schema):
    name = _text(120)
    components = fields.List(fields.String(validate=validate.Length(min=1, max=64)),
                             validate=validate.Length(max=10_000), metadata={
        "description": "The page's components the member sees; empty: all of the page's."})


class PageMemberOut(Schema):
    id = fields.String(required=True)
    email = fields.String(required=True)
    name = fields.String(required=True)
    components = fields.List(fields.String(), required=True, metadata={
        "description": "slugs; empty: all of the page's, unless `limited`"})
    limited = fields.Boolean(required=True, metadata={
        "description": "Limited to `components`: true with none left when all of them were deleted (the "
                       "member then sees no component; deleting never widens access)."})
    is_active = fields.Boolean(required=True, metadata={"description": "False once revoked (DELETE)."})
    has_token = fields.Boolean(required=True, metadata={"description": "Whether a feed token is issued."})
    created_at = fields.String(required=True)
    revoked_at = fields.String(allow_none=True)
    token_created_at = fields.String(allow_none=True)
    last_signed_in_at = fields.String(allow_none=True)


class PageMemberTokenOut(Schema):
    token = fields.String(required=True, metadata={
        "description": "Shown this once: the member's feed token for the page's feeds, calendars, badges and "
                       "v2 JSON (?token=... or Authorization: Bearer ...). A new one replaces it."})
    created_at = fields.String(required=True)
