"""Users and API tokens in the console (admin)."""
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from ...errors import AppError
from ...extensions import db
from ...models import ApiToken, Role, User
from ...services import accounts, totp
from ..forms import explain
from . import actor, bp, now, requires
from .forms import ConfirmForm, RoleForm, TokenForm, UserForm


@bp.get("/users")
@requires(Role.ADMIN)
def users():
    return render_template("admin/users/list.html", users=db.session.scalars(select(User).order_by(User.email)),
                           form=UserForm(formdata=None), confirm=ConfirmForm())


@bp.post("/users")
@requires(Role.ADMIN)
def user_create():
    form = UserForm()
    errors = []
    if form.validate_on_submit():
        try:
            accounts.create_user(form.email.data, form.password.data, role=form.role.data, name=form.name.data or "",
                                 by=actor(), now=now())
        except AppError as error:
            errors.append(explain(error))
        else:
            flash(_("User added."), "info")
            return redirect(url_for("admin.users"))
    return render_template("admin/users/list.html", users=db.session.scalars(select(User).order_by(User.email)),
                           form=form, confirm=ConfirmForm(), errors=errors), 400


@bp.route("/users/<id:user_id>", methods=["GET", "POST"])
@requires(Role.ADMIN)
def user_edit(user_id: int):
    user = accounts.get_user(user_id)
    form = RoleForm(obj=user)
    errors = []
    if form.validate_on_submit():
        try:
            accounts.update_user(user.id, role=form.role.data, is_disabled=form.is_disabled.data,
                                 totp_required=form.totp_required.data, by=actor(), now=now())
        except AppError as error:
            errors.append(explain(error))
        else:
            flash(_("User changed."), "info")
            return redirect(url_for("admin.users"))
    return render_template("admin/users/edit.html", user=user, form=form, errors=errors, confirm=ConfirmForm()), \
        400 if form.is_submitted() else 200


@bp.post("/users/<id:user_id>/remove-second-factor")
@requires(Role.ADMIN)
def user_remove_totp(user_id: int):
    """For someone who lost both the authenticator and the recovery codes."""
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("admin.user_edit", user_id=user_id))
    user = totp.remove(user_id, by=actor(), now=now())
    flash(_("The one-time-password app of %(email)s is removed.", email=user.email), "info")
    return redirect(url_for("admin.user_edit", user_id=user_id))


@bp.get("/tokens")
@requires(Role.ADMIN)
def tokens():
    return _tokens_page(TokenForm(formdata=None))


def _tokens_page(form, new_token: str | None = None, status: int = 200):
    return render_template("admin/users/tokens.html", form=form, new_token=new_token, confirm=ConfirmForm(),
                           tokens=db.session.scalars(select(ApiToken).order_by(ApiToken.created_at.desc()))), status


@bp.post("/tokens")
@requires(Role.ADMIN)
def token_create():
    form = TokenForm()
    if not form.validate_on_submit():
        return _tokens_page(form, status=400)
    try:
        _token, plain = accounts.create_token(role=form.role.data, label=form.label.data or "", by=actor(), now=now())
    except AppError as error:
        form.label.errors.append(explain(error))
        return _tokens_page(form, status=400)
    flash(_("Token created. Copy it now: it is shown only once."), "info")
    return _tokens_page(TokenForm(formdata=None), new_token=plain)


@bp.post("/tokens/<id:token_id>/revoke")
@requires(Role.ADMIN)
def token_revoke(token_id: int):
    if ConfirmForm().validate_on_submit():
        accounts.revoke_token(token_id, by=actor(), now=now())
        flash(_("Token revoked."), "info")
    return redirect(url_for("admin.tokens"))
