"""The base of every HTML form, public and console."""
from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from ..errors import AppError


def choices(pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


class Form(FlaskForm):
    """Every console form: text comes from the posted form fields only, never from uploaded files."""

    class Meta:
        def wrap_formdata(self, form, formdata):
            # Flask-WTF passes a marker (no getlist) meaning "read the request"; we read only request.form,
            # so an uploaded file or a JSON body never reaches a text field.
            if formdata is not None and not hasattr(formdata, "getlist"):
                return request.form if request.method in ("POST", "PUT", "PATCH", "DELETE") else None
            return formdata


# Service errors in the reader's language; anything not listed shows the service's own sentence.
ERROR_MESSAGES = {
    "slug_taken": _l("A component with this slug exists already."),
    "name_taken": _l("This name is taken already."),
    "email_taken": _l("A user with this email exists already."),
    "already_closed": _l("This is closed already; it cannot be reopened."),
    "invalid_window": _l("The end must be after the start."),
    "unknown_component": _l("One of the components does not exist (any more)."),
    "self_lockout": _l("You cannot remove your own admin role or disable yourself."),
    "weak_password": _l("The password is too short."),
    "invalid_email": _l("Enter a valid email address."),
    "invalid_webhook_url": _l("This URL cannot receive webhooks from us (it must be a public http or https "
                              "address)."),
    "invalid_notify_url": _l("We cannot send to this URL: give the Apprise URL of a chat or push service reached "
                             "over HTTP(S) (Slack, Teams, Discord, ntfy, json:// …) at a public address."),
    "page_slug_taken": _l("A page with this slug already exists."),
    "page_host_taken": _l("Another page answers at this domain already."),
    "invalid_host": _l("Give a host name such as status.example.com: no https://, port or path."),
    "host_is_base_url": _l("This is the install's own address, where the default page answers."),
    "default_language_not_offered": _l("The default language must be one of the page's languages."),
    "unknown_language": _l("Choose languages from the list."),
    "invalid_time_zone": _l("Give an IANA time zone such as Europe/Paris."),
    "invalid_logo_url": _l("The logo's address must start with http:// or https://."),
    "invalid_logo_host": _l("The logo's address must name a host such as cdn.example.com: letters, digits, dashes "
                            "and dots, or an IP address."),
    "invalid_accent_color": _l("Write the colour as #rrggbb, e.g. #0b5fff."),
    "default_page": _l("The default page cannot be deleted."),
    "page_has_subscribers": _l("The page has subscribers: choose the page they move to."),
    "member_exists": _l("This address is a member of the page already."),
    "member_revoked": _l("This member's access was revoked: invite them again first."),
    "member_signed_in": _l("This member has signed in already: the page's sign-in form sends them a new link."),
    "component_not_on_page": _l("Choose components the page shows."),
    "page_members_only": _l("This page is private: only its members subscribe to it. Invite the address as a "
                            "member first."),
}


def explain(error: AppError) -> str:
    """What went wrong, for a form: in the reader's language where the code is known."""
    return str(ERROR_MESSAGES.get(error.code, error.message))
