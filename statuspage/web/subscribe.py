"""Subscribing from the page: the form, the confirmation link, and the manage / unsubscribe links."""
from __future__ import annotations

import hashlib
import hmac

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from limits import parse_many
from wtforms import EmailField, SelectField, SelectMultipleField, URLField
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from .. import clock
from ..errors import AppError, Invalid
from ..extensions import csrf, limiter
from ..i18n import LANGUAGE_NAMES, current_language
from ..notify.messages import policy
from ..services import subscriptions
from ..services.accounts import normalize_email
from ..services.components import list_components
from .forms import Form, choices, explain

bp = Blueprint("subscribe", __name__)


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SubscribeForm(Form):
    email = EmailField(_l("Email address"), validators=[Optional(), Length(max=254)])
    webhook_url = URLField(_l("Or a webhook URL"), validators=[Optional(), Length(max=2000)])
    components = CheckboxList(_l("Components (none chosen: everything)"), choices=[])
    lang = SelectField(_l("Language of the messages"), choices=[])


class ManageForm(Form):
    components = CheckboxList(_l("Components (none chosen: everything)"), choices=[])
    lang = SelectField(_l("Language of the messages"), choices=[])


def _policy() -> subscriptions.SubscriptionPolicy:
    return policy(current_app.config["SETTINGS"])


def _fill_choices(form) -> None:
    form.components.choices = choices((c.slug, c.name) for c in list_components())
    form.lang.choices = choices((code, LANGUAGE_NAMES[code]) for code in current_app.config["SETTINGS"].languages)


@bp.get("/subscribe")
def form():
    subscribe_form = SubscribeForm(formdata=None, lang=current_language())
    _fill_choices(subscribe_form)
    return render_template("public/subscribe.html", form=subscribe_form)


@bp.post("/subscribe")
@limiter.limit(lambda: current_app.config["SETTINGS"].subscribe_rate_limit)
def create():
    subscribe_form = SubscribeForm()
    _fill_choices(subscribe_form)
    if subscribe_form.validate_on_submit():
        email, url = subscribe_form.email.data, subscribe_form.webhook_url.data
        if bool(email) == bool(url):
            subscribe_form.email.errors.append(_("Give an email address or a webhook URL (one of them)."))
        elif not _may_confirm("email" if email else "webhook", email or url):
            # The same answer as always, and nothing sent: no one can flood an address with confirmations.
            return render_template("public/subscribe_sent.html", channel="email" if email else "webhook")
        else:
            try:
                subscriptions.subscribe("email" if email else "webhook", email or url,
                                        components=subscribe_form.components.data, language=subscribe_form.lang.data,
                                        policy=_policy(), now=clock.now())
            except Invalid as error:
                field = subscribe_form.webhook_url if url else subscribe_form.email
                field.errors.append(explain(error))
            else:
                # The same answer whether or not the address was known: it reveals nothing.
                return render_template("public/subscribe_sent.html", channel="email" if email else "webhook")
    return render_template("public/subscribe.html", form=subscribe_form), 400


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
    subscriber = subscriptions.confirm(token, policy=_policy(), now=clock.now())
    return redirect(url_for("subscribe.manage", token=subscriptions.manage_token(subscriber, _policy()),
                            confirmed=1))


@bp.route("/subscribe/manage/<token>", methods=["GET", "POST"])
def manage(token: str):
    subscriber = subscriptions.from_manage_token(token, policy=_policy())
    manage_form = ManageForm(components=[c.slug for c in subscriber.components], lang=subscriber.language)
    _fill_choices(manage_form)
    saved = False
    if manage_form.validate_on_submit():
        try:
            subscriptions.change(subscriber, components=manage_form.components.data, language=manage_form.lang.data,
                                 policy=_policy())
            saved = True
        except AppError as error:
            manage_form.components.errors.append(explain(error))
    status = 400 if manage_form.is_submitted() and not saved else 200
    return render_template("public/subscription.html", form=manage_form, subscriber=subscriber, token=token,
                           saved=saved, confirmed=request.args.get("confirmed") == "1"), status


@bp.route("/subscribe/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # authorized by the signed link; mail clients' one-click unsubscribe (RFC 8058) posts no token
def unsubscribe(token: str):
    subscriber = subscriptions.from_manage_token(token, policy=_policy())
    if request.method == "POST":
        subscriptions.unsubscribe(subscriber.id, now=clock.now())
        return render_template("public/unsubscribed.html")
    return render_template("public/unsubscribe.html", subscriber=subscriber, token=token)
