"""The `statuspage` command: a FlaskGroup, so every command runs inside the application."""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import FlaskGroup, routes_command, shell_command

from . import clock, create_app
from .config import SettingsError
from .errors import AppError
from .models import Role
from .services import accounts
from .services.audit import CLI


def _create_app():
    try:
        return create_app()
    except SettingsError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(1)


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False,
             help="Status page and incident notification service.")
def main():
    pass


main.add_command(shell_command)
main.add_command(routes_command)


def _fail_on_app_error(func):
    """Service errors end the command with their one-line message and exit status 1."""
    import functools

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except AppError as error:
            raise click.ClickException(error.message) from None
    return wrapper


@main.command("init-db")
def init_db():
    """Create the database or migrate it to the newest schema."""
    from .database_admin import upgrade_to_head

    upgrade_to_head()
    click.echo(f"Database ready: {current_app.config['SETTINGS'].database_url.split('@')[-1]}")


@main.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in (Role.VIEWER, Role.RESPONDER, Role.ADMIN)]),
              default="viewer", show_default=True)
@click.option("--name", default="")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Prompted for when not given.")
@_fail_on_app_error
def create_user(email, role, name, password):
    """Add a console user."""
    user = accounts.create_user(email, password, role=role, name=name, by=CLI, now=clock.now())
    click.echo(f"Created {user.role} {user.email}")


@main.command("create-token")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--label", default="")
@_fail_on_app_error
def create_token(role, label):
    """Create an API token; it is printed once, alone on the last line."""
    token, plain = accounts.create_token(role=role, label=label, by=CLI, now=clock.now())
    click.echo(f"Token {token.id} ({token.role}{', ' + token.label if token.label else ''}); keep it now, it is not shown again:")
    click.echo(plain)


@main.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing (and succeed) when the database has data already.")
def demo(if_empty):
    """Load the demo page, and a demo admin, into an empty database."""
    from .services.demo import DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD, is_empty, load_demo

    if not is_empty():
        if if_empty:
            click.echo("The database has data already; demo data not loaded.")
            return
        raise click.ClickException("the database has data already; the demo loads only into an empty one")
    load_demo(now=clock.now())
    click.echo(f"Demo data loaded. Console: sign in as {DEMO_ADMIN_EMAIL} with password {DEMO_ADMIN_PASSWORD}")


@main.command("scheduler")
def scheduler():
    """Run the background jobs (notification delivery, maintenance windows) until stopped."""
    import logging

    from . import scheduler as process

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    process.run(current_app._get_current_object())


@main.command("deliver")
@click.option("--now", "at", type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S%z"]), default=None,
              help="Act as if it were this time (ISO 8601 with offset), e.g. to replay or test.")
def deliver(at):
    """Deliver the notifications that are due now, once (what the scheduler does every few seconds)."""
    from .notify.dispatch import deliver_due

    result = deliver_due(now=at or clock.now())
    click.echo(f"sent {result.sent}, retrying {result.retried}, failed {result.failed}")


@main.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--debug/--no-debug", default=False)
def run(host, port, debug):
    """Serve the site with the development server (use gunicorn in production)."""
    current_app.run(host=host, port=port, debug=debug, use_reloader=debug)
