"""The console's forms (Flask-WTF: CSRF on every one)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField, DateTimeLocalField, EmailField, PasswordField, SelectField,
    SelectMultipleField, StringField, TextAreaField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, Regexp

from ...i18n import COMPONENT_STATUS_LABELS, IMPACT_LABELS, INCIDENT_STATUS_LABELS
from ...models import Impact, IncidentStatus, MaintenanceStatus
from ...models.accounts import USER_ROLES, Role
from ...services.accounts import MIN_PASSWORD_LENGTH
from ..forms import Form, choices

ROLE_LABELS = {"viewer": _l("Viewer"), "responder": _l("Responder"), "admin": _l("Admin"), "intake": _l("Intake"),
               "alerts": _l("Alerts")}


def _choices(values, labels):
    return choices((value.value, labels[value.value]) for value in values)


class LoginForm(Form):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)],
                       render_kw={"autocomplete": "email", "spellcheck": "false"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1000)],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Keep me signed in"))


class CodeForm(Form):
    """A six-digit code from the authenticator app, or a recovery code."""

    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=64),
                                               Regexp(r"^[0-9A-Za-z \t-]*$", message=_l("The code is not right."))],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "text", "spellcheck": "false",
                                  "autocapitalize": "off"})


class PasswordForm(Form):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=1000)],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(_l("New password"),
                                 validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=1000)],
                                 render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[EqualTo("new_password", message=_l("The passwords do not match."))],
                            render_kw={"autocomplete": "new-password"})


class LanguageForm(Form):
    """The language of the alert mail a user gets (incidents suspected from support tickets)."""

    language = SelectField(_l("Language of your alert emails"), validators=[Optional()])


class IncidentForm(Form):
    name = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    impact = SelectField(_l("Impact"), choices=_choices(Impact, IMPACT_LABELS), default="minor")
    status = SelectField(_l("Status"), choices=_choices(
        [IncidentStatus.INVESTIGATING, IncidentStatus.IDENTIFIED, IncidentStatus.MONITORING], INCIDENT_STATUS_LABELS),
        default="investigating")
    body = TextAreaField(_l("Message (Markdown)"), validators=[DataRequired(), Length(max=20_000)])
    deliver_notifications = BooleanField(_l("Notify subscribers"), default=True)


class IncidentEditForm(Form):
    name = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    impact = SelectField(_l("Impact"), choices=_choices(Impact, IMPACT_LABELS))


class UpdateForm(Form):
    """An update on an incident; the view narrows the status choices to those the incident can take now."""

    status = SelectField(_l("Status"), choices=_choices(IncidentStatus, INCIDENT_STATUS_LABELS))
    body = TextAreaField(_l("Message (Markdown)"), validators=[DataRequired(), Length(max=20_000)])
    deliver_notifications = BooleanField(_l("Notify subscribers"), default=True)


class MaintenanceUpdateForm(Form):
    status = SelectField(_l("Status"), choices=_choices(MaintenanceStatus, INCIDENT_STATUS_LABELS))
    body = TextAreaField(_l("Message (Markdown)"), validators=[Optional(), Length(max=20_000)])
    deliver_notifications = BooleanField(_l("Notify subscribers"), default=True)


REMINDERS = {"": _l("No reminder"), "60": _l("1 hour before"), "1440": _l("24 hours before")}


class MaintenanceForm(Form):
    name = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    scheduled_for = DateTimeLocalField(_l("Starts"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    scheduled_until = DateTimeLocalField(_l("Ends"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    components = SelectMultipleField(_l("Components"), choices=[], validate_choice=True)
    body = TextAreaField(_l("Message (Markdown)"), validators=[DataRequired(), Length(max=20_000)])
    deliver_notifications = BooleanField(_l("Notify subscribers now that it is scheduled"), default=True)
    remind_minutes_before = SelectField(_l("Reminder"), choices=choices(REMINDERS.items()), default="60")
    notify_at_start = BooleanField(_l("Notify subscribers when it starts"), default=True)
    notify_at_end = BooleanField(_l("Notify subscribers when it ends"), default=True)


class ComponentForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    slug = StringField(_l("Slug"), validators=[
        Optional(), Length(max=64),
        Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", message=_l("Use lowercase letters, digits and single dashes."))])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    group_id = SelectField(_l("Group"), choices=[], validate_choice=True)
    status = SelectField(_l("Status"), choices=choices(COMPONENT_STATUS_LABELS.items()))
    only_show_if_degraded = BooleanField(_l("Show only when not operational"))
    aliases = StringField(_l("Other names"), validators=[Optional(), Length(max=2000)])


class GroupForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])


class UserForm(Form):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)],
                       render_kw={"autocomplete": "off", "spellcheck": "false"})
    name = StringField(_l("Name"), validators=[Optional(), Length(max=100)], render_kw={"autocomplete": "off"})
    role = SelectField(_l("Role"), choices=_choices(USER_ROLES, ROLE_LABELS))
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=1000)],
                             render_kw={"autocomplete": "new-password"})


class RoleForm(Form):
    role = SelectField(_l("Role"), choices=_choices(USER_ROLES, ROLE_LABELS))
    is_disabled = BooleanField(_l("Disabled"))
    totp_required = BooleanField(_l("Requires a one-time-password app at sign-in"))


class TokenForm(Form):
    label = StringField(_l("Label"), validators=[Optional(), Length(max=100)])
    role = SelectField(_l("Role"), choices=_choices(Role, ROLE_LABELS))


class TemplateForm(Form):
    name = StringField(_l("Template name"), validators=[DataRequired(), Length(max=100)])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    impact = SelectField(_l("Impact"), choices=_choices(Impact, IMPACT_LABELS), default="minor")
    body = TextAreaField(_l("Message (Markdown)"), validators=[DataRequired(), Length(max=20_000)])


class ConfirmForm(Form):
    """A bare form for buttons that change something: it carries the CSRF token."""


CHECK_KINDS = {"http": "HTTP", "tcp": "TCP", "dns": "DNS", "tls": "TLS", "heartbeat": _l("Heartbeat")}


class CheckForm(Form):
    """The common fields of a check; the file format (README) has every option, the API takes them all too.
    Its validators are the browser's hints (required, maxlength) and what lets text become numbers; the
    definition it makes is validated by monitoring/definitions.py:CheckInSchema, as a file's or the API's."""

    key = StringField(_l("Key"), validators=[DataRequired(), Length(max=100)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    component = SelectField(_l("Component"), choices=[], validate_choice=True)
    kind = SelectField(_l("Kind"), choices=choices(CHECK_KINDS.items()))
    target = StringField(_l("Target"), validators=[Optional(), Length(max=2000)])
    interval = StringField(_l("Interval"), default="60s", validators=[Optional(), Length(max=20)])
    timeout = StringField(_l("Timeout"), validators=[Optional(), Length(max=20)])
    period = StringField(_l("Heartbeat period"), validators=[Optional(), Length(max=20)])
    grace = StringField(_l("Heartbeat grace"), validators=[Optional(), Length(max=20)])
    failure_status = SelectField(_l("A failure means"), choices=choices(
        (value, COMPONENT_STATUS_LABELS[value]) for value in ("degraded_performance", "partial_outage", "major_outage")),
        default="major_outage")
    failures_to_open = StringField(_l("Failures before an incident"), default="3",
                                   validators=[Optional(), Regexp(r"^\d{1,3}$")])
    successes_to_close = StringField(_l("Successes before recovery"), default="2",
                                     validators=[Optional(), Regexp(r"^\d{1,3}$")])
    expect_status = StringField(_l("Expected status codes"), validators=[Optional(), Regexp(r"^[\d ,]{1,100}$")])
    body_contains = StringField(_l("Body contains"), validators=[Optional(), Length(max=1000)])
    max_latency_ms = StringField(_l("Slowest acceptable answer (ms)"), validators=[Optional(), Regexp(r"^\d{1,6}$")])
    enabled = BooleanField(_l("Enabled"), default=True)

    def definition(self) -> dict:
        """The form as a check definition (the same dict a check file or an API body gives)."""
        filled = {name: (getattr(self, name).data or "").strip() for name in (
            "target", "interval", "timeout", "period", "grace", "failures_to_open", "successes_to_close",
            "expect_status", "body_contains", "max_latency_ms")}
        data = {"key": self.key.data, "name": self.name.data, "component": self.component.data,
                "kind": self.kind.data, "failure_status": self.failure_status.data, "enabled": self.enabled.data}
        data |= {name: filled[name] for name in ("target", "interval", "timeout", "period", "grace") if filled[name]}
        data |= {name: int(filled[name]) for name in ("failures_to_open", "successes_to_close") if filled[name]}
        expect: dict[str, object] = {}
        if filled["expect_status"].replace(",", " ").split():
            expect["status"] = [int(code) for code in filled["expect_status"].replace(",", " ").split()]
        if filled["body_contains"]:
            expect["body_contains"] = filled["body_contains"]
        if filled["max_latency_ms"]:
            expect["max_latency_ms"] = int(filled["max_latency_ms"])
        if expect:
            data["expect"] = expect
        return data


PRIORITY_LABELS = {"1": _l("1 · business critical"), "2": _l("2 · degraded service"), "3": _l("3 · general issue")}


class ReclassifyForm(Form):
    priority = SelectField(_l("Priority"), choices=choices(PRIORITY_LABELS.items()))
    reason = TextAreaField(_l("Why"), validators=[DataRequired(), Length(max=2000)])


class UnlinkForm(Form):
    unlink_reason = TextAreaField(_l("Why it is not about this incident"), validators=[Optional(), Length(max=2000)])


class LinkForm(Form):
    incident_id = SelectField(_l("Incident or maintenance"), choices=[], validate_choice=True)
    link_reason = TextAreaField(_l("Why it is about this incident"), validators=[Optional(), Length(max=2000)])


class ChatSubscriberForm(Form):
    """An admin adds a chat or push destination (an Apprise URL), e.g. the team's own Slack channel."""

    notify_url = StringField(_l("Apprise URL"), validators=[DataRequired(), Length(max=2000)],
                             render_kw={"autocomplete": "off", "spellcheck": "false"})
    components = SelectMultipleField(_l("Components (none chosen: all of them)"), choices=[], validate_choice=True)
    lang = SelectField(_l("Language of the messages"), choices=[])
    confirmed = BooleanField(_l("Already confirmed: send no confirmation message"), default=True)


PAGE_VISIBILITY_LABELS = {"public": _l("Public"), "private": _l("Private: members only"),
                          "password": _l("Password-protected")}


class PageForm(Form):
    """A status page: its name and address, languages, time zone and look; its components come from the
    component picker (request.form, read by the view)."""

    name = StringField(_l("Name"), validators=[Optional(), Length(max=120)])
    slug = StringField(_l("Slug"), validators=[
        Optional(), Length(max=60),
        Regexp(r"^[a-z0-9][a-z0-9-]*$", message=_l("Use lowercase letters, digits and dashes."))],
        render_kw={"spellcheck": "false", "autocapitalize": "off"})
    host = StringField(_l("Domain"), validators=[Optional(), Length(max=253)],
                       render_kw={"spellcheck": "false", "autocapitalize": "off", "autocomplete": "off",
                                  "placeholder": "status.example.com"})
    languages = SelectMultipleField(_l("Languages"), choices=[], validate_choice=True)
    default_language = SelectField(_l("Default language"), choices=[], validate_choice=True, default="")
    time_zone = StringField(_l("Time zone"), validators=[Optional(), Length(max=64)],
                            render_kw={"spellcheck": "false", "autocapitalize": "off", "autocomplete": "off",
                                       "list": "time-zones"})
    logo_url = StringField(_l("Logo URL"), validators=[Optional(), Length(max=500)],
                           render_kw={"type": "url", "spellcheck": "false", "autocomplete": "off",
                                      "placeholder": "https://example.com/logo.svg"})
    accent_color = StringField(_l("Accent colour"), validators=[
        Optional(), Regexp(r"^#[0-9A-Fa-f]{6}$", message=_l("Write the colour as #rrggbb, e.g. #0b5fff."))],
        render_kw={"spellcheck": "false", "autocapitalize": "off", "autocomplete": "off", "placeholder": "#0b5fff",
                   "size": 8})
    visibility = SelectField(_l("Who can read it"), choices=choices(PAGE_VISIBILITY_LABELS.items()),
                             default="public")
    shows_all_components = BooleanField(_l("Show every component, new ones included"))


class PageDeleteForm(Form):
    move_subscribers_to = SelectField(_l("Move its subscribers to"), choices=[], validate_choice=False)


class PagePasswordForm(Form):
    """A password page's shared password: write-only (the form never shows the one set)."""

    password = PasswordField(_l("New password"),
                             validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=1000)],
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[EqualTo("password", message=_l("The passwords do not match."))],
                            render_kw={"autocomplete": "new-password"})


class MemberInviteForm(Form):
    """Someone invited to a private page; the components come from the picker (request.form)."""

    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)],
                       render_kw={"autocomplete": "off", "spellcheck": "false"})
    name = StringField(_l("Name"), validators=[Optional(), Length(max=120)], render_kw={"autocomplete": "off"})


class MemberForm(Form):
    """A member's name; the components come from the picker (request.form)."""

    name = StringField(_l("Name"), validators=[Optional(), Length(max=120)], render_kw={"autocomplete": "off"})
