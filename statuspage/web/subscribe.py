"""Subscribing from the page: the form, the confirmation link, and the manage / unsubscribe links."""
from __future__ import annotations

import hashlib
import hmac

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from limits import parse_many
from wtforms import EmailField, HiddenField, SelectField, SelectMultipleField, StringField, URLField
from wtforms.validators import Length, Optional

from .. import clock
from ..errors import AppError, Invalid, NotFound
from ..extensions import csrf, limiter
from ..i18n import LANGUAGE_NAMES, current_language, speak
from ..notify.messages import policy
from ..services import subscriptions
from ..services.accounts import normalize_email
from ..services.components import list_components
from . import access
from .forms import Form, choices, explain
from .page_choice import current_page

bp = Blueprint("subscribe", __name__)


class ComponentChoice(Form):
    """The components to hear about, grouped as on the page (templates/public/_component_picker.html draws
    them). A ticked group box stands for all its components: without JavaScript it is how a whole group is
    chosen, and it is never drawn ticked, so unticking one of its components is never undone by it."""

    components = SelectMultipleField(_l("Components (none chosen: everything)"), choices=[])
    groups = SelectMultipleField(_l("Groups"), choices=[])
    lang = SelectField(_l("Language of the messages"), choices=[])

    def chosen(self) -> list[str]:
        """The slugs chosen, each component once, ticked one by one or by its group."""
        slugs = list(self.components.data or [])
        wanted = set(self.groups.data or [])
        slugs += [c.slug for c in self.listed if c.group_id is not None and str(c.group_id) in wanted]
        return list(dict.fromkeys(slugs))


class SubscribeForm(ComponentChoice):
    email = EmailField(_l("Email address"), validators=[Optional(), Length(max=254)])
    notify_url = StringField(_l("Apprise URL of your chat or push service"), validators=[Optional(), Length(max=2000)])
    webhook_url = URLField(_l("Webhook URL"), validators=[Optional(), Length(max=2000)])
    via = HiddenField()


# The tabs of /subscribe: how to hear from us. Each is a link (?via=), so they work without JavaScript.
TABS = ("email", "chat", "webhook", "feeds")
FIELD_OF = {"email": "email", "chat": "notify_url", "webhook": "webhook_url"}


def _tab(chosen) -> str:
    return chosen if chosen in TABS else "email"


class ManageForm(ComponentChoice):
    pass


def _policy() -> subscriptions.SubscriptionPolicy:
    return policy(current_app.config["SETTINGS"])


def _fill_choices(form: ComponentChoice) -> None:
    """Every component in page order, and the groups (each with its components) for the picker."""
    form.listed = list_components(current_page())
    form.components.choices = choices((c.slug, c.name) for c in form.listed)
    form.groups.choices = choices(dict.fromkeys((str(c.group_id), c.group.name) for c in form.listed
                                                if c.group_id is not None))
    form.sections = page_sections(form.listed)
    form.lang.choices = choices((code, LANGUAGE_NAMES[code]) for code in current_page().languages)


def page_sections(components) -> list[tuple[object, list]]:
    """(group or None, its components) in page order: ungrouped components first, as on `/`."""
    sections: dict[int | None, tuple[object, list]] = {None: (None, [])}
    for component in components:
        sections.setdefault(component.group_id, (component.group, []))[1].append(component)
    return [section for section in sections.values() if section[1]]


@bp.get("/subscribe")
def form():
    tab = _tab(request.args.get("via"))
    subscribe_form = SubscribeForm(formdata=None, lang=current_language(), via=tab)
    _fill_choices(subscribe_form)
    return render_template("public/subscribe.html", form=subscribe_form, tab=tab, tabs=TABS)


@bp.post("/subscribe")
@limiter.limit(lambda: current_app.config["SETTINGS"].subscribe_rate_limit)
def create():
    subscribe_form = SubscribeForm()
    _fill_choices(subscribe_form)
    given = [channel for channel, name in FIELD_OF.items() if getattr(subscribe_form, name).data]
    tab = given[0] if len(given) == 1 else _tab(subscribe_form.via.data)
    valid = subscribe_form.validate_on_submit()
    # The page shows one tab's field: the tab whose field has a problem, so the problem is seen.
    tab = next((channel for channel, name in FIELD_OF.items() if getattr(subscribe_form, name).errors), tab)
    if valid:
        if len(given) != 1:
            field = getattr(subscribe_form, FIELD_OF.get(tab, "email"))
            field.errors.append(_("Give an email address, an Apprise URL or a webhook URL (one of them)."))
        else:
            channel = given[0]
            address = getattr(subscribe_form, FIELD_OF[channel]).data
            if not _may_confirm(channel, address):
                # The same answer as always, and nothing sent: no one can flood an address with confirmations.
                return render_template("public/subscribe_sent.html", channel=channel)
            try:
                subscriptions.subscribe(channel, address, components=subscribe_form.chosen(),
                                        language=subscribe_form.lang.data, policy=_policy(), now=clock.now(),
                                        page_id=current_page().id or None, member_id=access.member_id())
            except Invalid as error:
                getattr(subscribe_form, FIELD_OF[channel]).errors.append(explain(error))
            else:
                # The same answer whether or not the address was known: it reveals nothing.
                return render_template("public/subscribe_sent.html", channel=channel)
    subscribe_form.components.data = subscribe_form.chosen()  # a group ticked shows as its components ticked
    subscribe_form.via.data = tab
    return render_template("public/subscribe.html", form=subscribe_form, tab=tab, tabs=TABS), 400


def _may_confirm(channel: str, address: str) -> bool:
    """Counts a confirmation to this address (STATUSPAGE_CONFIRMATION_RATE_LIMIT, e.g. 3 per day, in the
    rate limits' shared storage); False once the address has had its share."""
    try:
        key = normalize_email(address) if channel == "email" else address.strip().lower()
    except Invalid:
        return True  # not an address: subscribe() refuses it and sends nothing
    settings = current_app.config["SETTINGS"]
    # Counted under an HMAC of the address: the counters keep no address.
    digest = hmac.new(settings.secret_key.encode(), f"{channel}:{key}".encode(), hashlib.sha256).hexdigest()
    rates = parse_many(settings.confirmation_rate_limit)
    return all([limiter.limiter.hit(rate, "confirmation", digest) for rate in rates])  # every rate counts the try


@bp.get("/subscribe/confirm/<token>")
def confirm(token: str):
    try:
        subscriber = subscriptions.confirm(token, policy=_policy(), now=clock.now())
    except (Invalid, NotFound) as error:
        return _link_problem(error, confirming=True)
    return redirect(url_for("subscribe.manage", token=subscriptions.manage_token(subscriber, _policy()),
                            confirmed=1))


def _link_problem(error: AppError, *, confirming: bool = False):
    """A confirmation, manage or unsubscribe link that cannot be used: what happened, and a way to subscribe
    again. 410 when the link was good but its time or its subscription is gone, 400 when it was altered."""
    problem = {"link_expired": "expired", "link_invalid": "invalid"}.get(error.code, "gone")
    return render_template("public/link_problem.html", problem=problem, confirming=confirming,
                           confirm_link_days=_policy().confirm_link_days), 400 if problem == "invalid" else 410


def _subscriber_from(token: str):
    """The subscriber a manage or unsubscribe link names; its pages speak the subscriber's language unless
    the reader chose another here (?lang=)."""
    subscriber = subscriptions.from_manage_token(token, policy=_policy())
    if request.args.get("lang") not in current_app.config["SETTINGS"].languages:
        speak(subscriber.language)
    return subscriber


@bp.route("/subscribe/manage/<token>", methods=["GET", "POST"])
def manage(token: str):
    try:
        subscriber = _subscriber_from(token)
    except (Invalid, NotFound) as error:
        return _link_problem(error)
    manage_form = ManageForm(components=[c.slug for c in subscriber.components], lang=subscriber.language)
    _fill_choices(manage_form)
    saved = False
    if manage_form.validate_on_submit():
        try:
            subscriptions.change(subscriber, components=manage_form.chosen(), language=manage_form.lang.data,
                                 policy=_policy())
            saved = True
        except AppError as error:
            manage_form.components.errors.append(explain(error))
        if saved and request.args.get("lang") not in current_app.config["SETTINGS"].languages:
            speak(subscriber.language)  # the page answers in the language just chosen
    manage_form.components.data = manage_form.chosen()
    status = 400 if manage_form.is_submitted() and not saved else 200
    return render_template("public/subscription.html", form=manage_form, subscriber=subscriber, token=token,
                           saved=saved, confirmed=request.args.get("confirmed") == "1"), status


@bp.route("/subscribe/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # authorized by the signed link; mail clients' one-click unsubscribe (RFC 8058) posts no token
def unsubscribe(token: str):
    try:
        subscriber = _subscriber_from(token)
    except (Invalid, NotFound) as error:
        return _link_problem(error)
    if request.method == "POST":
        subscriptions.unsubscribe(subscriber.id, now=clock.now())
        return render_template("public/unsubscribed.html")
    return render_template("public/unsubscribe.html", subscriber=subscriber, token=token)
