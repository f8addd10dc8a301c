"""The bodies Prometheus Alertmanager (webhook_config, version 4) and Grafana (webhook contact point, version 1)
send, as documented by each; fields beyond these are accepted and ignored (senders add fields over time)."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

MAX_ALERTS = 1000  # per notification; Alertmanager's max_alerts (0: all) and Grafana's Max Alerts cut above it
ZERO_TIME_YEAR = 1  # Go's zero time, "0001-01-01T00:00:00Z": an alert still firing has no end


class Text(fields.String):
    """A string that can be stored: a NUL character (which PostgreSQL's text refuses) is refused here."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise self.make_error("invalid")
        return text


class AlertTime(fields.AwareDateTime):
    """An RFC 3339 instant with its offset (nanoseconds are cut to microseconds); Go's zero time is None."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        return None if moment.year == ZERO_TIME_YEAR else moment


def _string_map(max_items: int, max_value: int, **kwargs):
    return fields.Dict(keys=Text(validate=validate.Length(min=1, max=200)),
                       values=Text(validate=validate.Length(max=max_value)),
                       validate=validate.Length(max=max_items), **kwargs)


class AlertIn(Schema):
    """One alert: evaluated on its own, whatever the group's status says."""

    class Meta:
        unknown = EXCLUDE

    status = fields.String(required=True, validate=validate.OneOf(["firing", "resolved"]))
    labels = _string_map(100, 2000, required=True, metadata={
        "description": "statuspage_component=<slug> names the component; statuspage_status=<degraded_performance|"
                       "partial_outage|major_outage> what it shows while the alert fires (default partial_outage)."})
    annotations = _string_map(100, 20_000, load_default=dict, metadata={
        "description": "Kept for the console. statuspage_message, when set, is the public text of the incident "
                       "the alert opens."})
    startsAt = AlertTime(required=True)
    endsAt = AlertTime(allow_none=True, load_default=None)
    generatorURL = Text(load_default="", validate=validate.Length(max=2000))
    fingerprint = Text(required=True, validate=validate.Length(min=1, max=128))


class _Notification(Schema):
    class Meta:
        unknown = EXCLUDE

    receiver = fields.String(load_default="")
    status = fields.String(validate=validate.OneOf(["firing", "resolved"]))
    alerts = fields.List(fields.Nested(AlertIn), required=True, validate=validate.Length(max=MAX_ALERTS))
    groupLabels = _string_map(100, 2000, load_default=dict)
    commonLabels = _string_map(100, 2000, load_default=dict)
    commonAnnotations = _string_map(100, 20_000, load_default=dict)
    externalURL = fields.String(load_default="")
    groupKey = fields.String(load_default="")
    truncatedAlerts = fields.Integer(strict=True, load_default=0)


class AlertmanagerIn(_Notification):
    """Alertmanager's webhook_config body (payload version 4)."""

    version = fields.String(required=True, validate=validate.OneOf(["4"], error="Only payload version 4 is read."))


class GrafanaIn(_Notification):
    """Grafana's webhook contact point body (payload version 1)."""

    version = fields.String(required=True, validate=validate.OneOf(["1"], error="Only payload version 1 is read."))
    orgId = fields.Integer(strict=True, load_default=None, allow_none=True)
    title = fields.String(load_default="")
    state = fields.String(load_default="")
    message = fields.String(load_default="")


class AlertOutcomeOut(Schema):
    fingerprint = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["firing", "resolved"]))
    component = fields.String(allow_none=True)
    result = fields.String(required=True, validate=validate.OneOf(
        ["opened", "joined", "resolved", "recorded", "repeat", "ignored"]), metadata={
        "description": "opened or joined an incident, resolved one, recorded (changes nothing now: an incident "
                       "a person manages, maintenance), repeat (a resend), ignored (no such component)."})
    incident_id = fields.Integer(allow_none=True)
    note = fields.String()


class AlertsOut(Schema):
    received = fields.Integer(required=True)
    alerts = fields.List(fields.Nested(AlertOutcomeOut), required=True)
