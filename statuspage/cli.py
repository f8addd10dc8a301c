"""The `statuspage` command: a FlaskGroup, so every command runs inside the application."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, routes_command, shell_command

from . import clock, create_app
from .config import SettingsError
from .errors import AppError
from .models import Role
from .services import accounts, totp
from .services.audit import CLI


def _create_app():
    try:
        return create_app()
    except SettingsError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(1)


class _Commands(FlaskGroup):
    """A database that cannot be reached ends any command in one line, as a bad setting does."""

    def invoke(self, ctx: click.Context):
        from sqlalchemy.exc import OperationalError

        try:
            return super().invoke(ctx)
        except OperationalError as error:
            said = str(error.orig or error).strip()
            reason = said.splitlines()[0] if said else "no answer"
            click.echo(f"Error: the database of STATUSPAGE_DATABASE_URL cannot be used: {reason}", err=True)
            sys.exit(1)


@click.group(cls=_Commands, create_app=_create_app, add_default_commands=False, add_version_option=False,
             help="Status page and incident notification service.")
@click.version_option(package_name="statuspage", prog_name="statuspage")  # Flask's own says Python's and Flask's
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
@click.option("--language", default=None, help="Of the user's alert mail (en, de, fr); the site's default if not given.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Prompted for when not given.")
@_fail_on_app_error
def create_user(email, role, name, language, password):
    """Add a console user."""
    user = accounts.create_user(email, password, role=role, name=name, language=language, by=CLI, now=clock.now())
    click.echo(f"Created {user.role} {user.email}")


@main.command("remove-second-factor")
@click.argument("email")
@_fail_on_app_error
def remove_second_factor(email):
    """Remove a user's one-time-password app and recovery codes (all lost, and no admin can sign in)."""
    user = accounts.get_user_by_email(email)
    if not user.has_totp and user.totp_secret is None:  # nothing set up, nothing half set up: nothing to audit
        click.echo(f"{user.email} has no one-time-password app: nothing removed; they sign in with the password"
                   + (" and must set up an app." if totp.needs_enrolment(user) else " alone."))
        return
    user = totp.remove(user.id, by=CLI, now=clock.now())
    click.echo(f"Removed the one-time-password app of {user.email}; they can sign in with the password alone"
               + (" and must set up a new app." if totp.needs_enrolment(user) else "."))


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
    from .demo import DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD, is_empty, load_demo

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
    from . import scheduler as process

    process.configure_logging(current_app.config["SETTINGS"].log_level)
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
    from werkzeug.serving import run_simple

    # Not app.run(): inside the flask command line (FlaskGroup) it returns at once, serving nothing.
    run_simple(host, port, current_app._get_current_object(), use_reloader=debug, use_debugger=debug,
               threaded=True)


@main.group("checks")
def checks_group():
    """Health checks: load checks/ into the database, list them, run them once."""


@checks_group.command("sync")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where the check files are (default: STATUSPAGE_CHECKS_DIR, checks/).")
@_fail_on_app_error
def checks_sync(directory):
    """Make the database's file-managed checks match the TOML files: all or nothing."""
    from .monitoring.definitions import CheckFileError
    from .monitoring import checks

    directory = directory or current_app.config["SETTINGS"].checks_dir
    if not directory.is_dir():
        raise click.ClickException(f"{directory} is not a directory")
    try:
        report = checks.sync_files(directory, by=CLI, now=clock.now())
    except CheckFileError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{directory}: {report}")


@checks_group.command("list")
def checks_list():
    """Every check with its state and, for heartbeats, the URL to ping."""
    from .monitoring import checks

    base_url = current_app.config["SETTINGS"].base_url
    for check in checks.list_checks(per_page=1_000_000)[0]:
        state = "DOWN" if check.is_down else ("up" if check.last_ok is not None else "new")
        where = f"{base_url}{check.ping_path}" if check.ping_path else check.target
        last = (f"{check.last_latency_ms} ms" if check.last_latency_ms is not None else "") if check.last_ok \
            else (check.last_error or "")
        click.echo(f"{state:4}  {check.key:30} {check.kind.value:9} {check.component.slug:16} "
                   f"every {check.interval_seconds}s  {where}  {last}".rstrip())


@checks_group.command("run-once")
@click.argument("keys", nargs=-1)
def checks_run_once(keys):
    """Run every enabled check (or those named) once now, store the results, and print them."""
    from .monitoring import checks

    chosen = [check for check in checks.list_checks(per_page=1_000_000)[0]
              if (check.key in keys if keys else check.enabled)]
    unknown = sorted(set(keys) - {check.key for check in chosen})
    if unknown:
        raise click.ClickException(f"no check with key {', '.join(unknown)}")
    checks.run_checks(chosen, now=clock.now())
    for check in checks.list_checks(per_page=1_000_000)[0]:
        if check.id in {c.id for c in chosen}:
            verdict = f"ok    {check.last_latency_ms} ms" if check.last_ok else f"FAIL  {check.last_error}"
            click.echo(f"{check.key:30} {verdict}".replace(" None ms", ""))


@main.group("pages")
def pages_group():
    """Status pages: list, add, change and remove them (as /api/v1/pages and the console do)."""


def _page_options(func):
    """The fields of a page; an option left out stays as it is, an empty value ("") clears it."""
    options = [
        click.option("--name", default=None, help="The page's name (the default page's may be empty: the install's)."),
        click.option("--host", default=None, help="A domain the page answers at, e.g. status.example.com."),
        click.option("--languages", default=None, help="Comma-separated, among the install's (e.g. de,en)."),
        click.option("--default-language", default=None, help="One of the page's languages."),
        click.option("--time-zone", default=None, help="An IANA time zone, e.g. Europe/Paris."),
        click.option("--logo-url", default=None, help="An http(s) URL of the logo."),
        click.option("--accent-color", default=None, help="#rrggbb."),
        click.option("--visibility", type=click.Choice(["public", "private", "password"]), default=None),
        click.option("--all-components/--listed-components", "shows_all_components", default=None,
                     help="Show every component, new ones included, or only those listed."),
        click.option("--components", default=None, help="Comma-separated component slugs."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _page_fields(given: dict) -> dict:
    fields = {name: value for name, value in given.items() if value is not None}
    for name in ("languages", "components"):
        if name in fields:
            fields[name] = [part.strip() for part in fields[name].split(",") if part.strip()]
    for name in ("host", "default_language", "time_zone", "logo_url", "accent_color"):
        if fields.get(name) == "":
            fields[name] = None
    return fields


def _page_line(page) -> str:
    from .services.pages import page_url

    shows = "all components" if page.shows_all_components else (
        ", ".join(c.slug for c in page.components) or "no components")
    default = "  (default)" if page.is_default else ""
    return (f"{page.slug:20} {page_url(page, current_app.config['SETTINGS']):40} {page.visibility:8} "
            f"{page.name or current_app.config['SETTINGS'].site_name}{default}  [{shows}]")


@pages_group.command("list")
def pages_list():
    """Every page: slug, address, visibility, name and what it shows."""
    from .services import page_admin

    for page in page_admin.list_pages():
        click.echo(_page_line(page))


@pages_group.command("add")
@click.argument("slug")
@_page_options
@_fail_on_app_error
def pages_add(slug, **given):
    """Add a page (reached at /p/SLUG, or at --host)."""
    from .services import page_admin

    page = page_admin.create_page(slug=slug, **_page_fields(given), settings=current_app.config["SETTINGS"],
                                  by=CLI, now=clock.now())
    click.echo(f"Added {_page_line(page)}")


@pages_group.command("set")
@click.argument("slug")
@click.option("--slug", "new_slug", default=None, help="A new slug.")
@_page_options
@click.option("--password/--no-password", "password", default=None,
              help="Set the page's shared password (asked for, hidden, twice) or remove it.")
@_fail_on_app_error
def pages_set(slug, new_slug, password, **given):
    """Change a page's fields; those not given stay."""
    from .services import page_admin, page_members

    fields = _page_fields(given) | ({"slug": new_slug} if new_slug is not None else {})
    page = page_admin.get_page(slug)  # an unknown page is said before the password is asked for
    secret = click.prompt("Password", hide_input=True, confirmation_prompt=True) if password else None
    if fields or password is None:
        page = page_admin.update_page(slug, **fields, settings=current_app.config["SETTINGS"], by=CLI,
                                      now=clock.now())
        click.echo(f"Changed {_page_line(page)}")
    if password is not None:
        page = page_members.set_password(page.slug, secret, by=CLI, now=clock.now())
        click.echo(f"Password {'set' if secret else 'removed'} for page {page.slug}"
                   + ("" if page.visibility == "password" or not secret else
                      f" (asked for only while its visibility is password; it is {page.visibility})"))


@pages_group.command("remove")
@click.argument("slug")
@click.option("--move-subscribers-to", default=None, help="The page its subscribers move to (needed when it has any).")
@_fail_on_app_error
def pages_remove(slug, move_subscribers_to):
    """Remove a page (never the default one); its components stay."""
    from .services import page_admin

    page_admin.delete_page(slug, move_subscribers_to=move_subscribers_to, by=CLI, now=clock.now())
    click.echo(f"Removed page {slug}")


@pages_group.group("members")
def members_group():
    """A private page's members: list, invite (again), limit to components, revoke; their feed tokens."""


def _member(slug: str, which: str):
    """A member of the page named by id, or by email address."""
    from .services import page_members

    if which.isascii() and which.isdigit() and len(which) <= 10:
        return page_members.get_member(slug, int(which))
    wanted = which.strip().lower()
    found = [m for m in page_members.list_members(slug) if m.email == wanted]
    if not found:
        raise click.ClickException(f"No member '{which[:100]}' on page '{slug}' (give an id from "
                                   f"'statuspage pages members list {slug}', or an email address).")
    return found[0]


def _member_line(member) -> str:
    shows = (", ".join(c.slug for c in member.components) or "no component: all of theirs were deleted"
             ) if member.limited else "all components"
    signed_in = member.last_signed_in_at.isoformat(timespec="minutes") if member.last_signed_in_at else "never"
    state = "active" if member.is_active else f"revoked {member.revoked_at.isoformat(timespec='minutes')}"
    return (f"{member.id:<5} {member.email:32} {state:8}  signed in: {signed_in}  token: "
            f"{'yes' if member.token_hash else 'no'}  [{shows}]" + (f"  {member.name}" if member.name else ""))


@members_group.command("list")
@click.argument("slug")
@_fail_on_app_error
def members_list(slug):
    """The page's members, active and revoked: id, email, state, last sign-in, token, components, name."""
    from .services import page_members

    for member in page_members.list_members(slug):
        click.echo(_member_line(member))


@members_group.command("add")
@click.argument("slug")
@click.argument("email")
@click.option("--name", default="", help="For the console's list.")
@click.option("--component", "components", multiple=True,
              help="A component (slug) the member is limited to; repeat it for more; none: all of the page's.")
@_fail_on_app_error
def members_add(slug, email, name, components):
    """Invite someone: they get an email with a sign-in link (sent by the scheduler, or `statuspage deliver`)."""
    from .services import page_members

    member = page_members.invite_member(slug, email, name=name, components=list(components), by=CLI,
                                        now=clock.now())
    click.echo(f"Invited {_member_line(member)}")


@members_group.command("set")
@click.argument("slug")
@click.argument("member")
@click.option("--name", default=None, help="A new name.")
@click.option("--component", "components", multiple=True,
              help="A component (slug) the member is limited to; repeat it.")
@click.option("--all-components", is_flag=True, help="No limit: every component of the page.")
@_fail_on_app_error
def members_set(slug, member, name, components, all_components):
    """Change a member's name or the components they are limited to (MEMBER: an id or an email address)."""
    from .services import page_members

    if components and all_components:
        raise click.ClickException("give --component or --all-components, not both")
    chosen = [] if all_components else (list(components) if components else None)
    if name is None and chosen is None:
        raise click.ClickException("nothing to change: give --component, --all-components or --name")
    found = page_members.update_member(slug, _member(slug, member).id, name=name, components=chosen, by=CLI,
                                       now=clock.now())
    click.echo(f"Changed {_member_line(found)}")


@members_group.command("resend")
@click.argument("slug")
@click.argument("member")
@_fail_on_app_error
def members_resend(slug, member):
    """Send the invitation again, with a new sign-in link (the earlier one stops working), to a member who never
    signed in (MEMBER: an id or an email address)."""
    from .services import page_members

    found = page_members.resend_invitation(slug, _member(slug, member).id, by=CLI, now=clock.now())
    click.echo(f"Invited {found.email} to page {slug} again; the mail goes out with the next delivery")


@members_group.command("remove")
@click.argument("slug")
@click.argument("member")
@_fail_on_app_error
def members_remove(slug, member):
    """Revoke a member: their sessions, token, unused sign-in link and subscriptions end (they stay listed)."""
    from .services import page_members

    found = page_members.revoke_member(slug, _member(slug, member).id, by=CLI, now=clock.now())
    click.echo(f"Revoked {found.email} on page {slug}")


@members_group.command("token")
@click.argument("slug")
@click.argument("member")
@click.option("--revoke", is_flag=True, help="End the member's feed token instead of making one.")
@_fail_on_app_error
def members_token(slug, member, revoke):
    """Make a member's feed token (the previous one stops working); printed once, alone on the last line."""
    from .services import page_members

    found = _member(slug, member)
    if revoke:
        page_members.revoke_token(slug, found.id, by=CLI, now=clock.now())
        click.echo(f"The feed token of {found.email} on page {slug} stopped working")
        return
    token = page_members.issue_token(slug, found.id, by=CLI, now=clock.now())
    click.echo(f"Feed token of {found.email} on page {slug}; use it as ?token= or Authorization: Bearer. "
               "Keep it now, it is not shown again:")
    click.echo(token)


@main.group("tickets")
def tickets_group():
    """Support tickets: evaluate the matching of tickets to incidents."""


@tickets_group.command("evaluate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--scenario", type=click.Path(path_type=Path), default=None,
              help="With one tickets FILE: the status page it was labelled against (default: scenario.json beside it).")
@click.option("--misses", "show_misses", is_flag=True,
              help="Also list every wrongly decided ticket (expected, got, score, reasons).")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON instead of a table.")
def tickets_evaluate(paths, scenario, show_misses, as_json):
    """Replay labelled tickets against fresh databases; print precision, recall and incident accuracy.

    Each PATH is a tickets file (JSON lines; scenario.json beside it, or --scenario), a directory holding
    scenario.json and tickets.jsonl, or a directory of such directories. Figures are printed per scenario
    and language, and for all scenarios together.
    """
    import json

    from .support import evaluation
    from .tools.evaluation import replay

    try:
        reports = [replay(source, now=clock.now())
                   for source in evaluation.sources(list(paths), scenario)]
    except evaluation.EvaluationError as error:
        raise click.ClickException(str(error)) from None
    except (KeyError, TypeError, ValueError) as error:  # a shape the file checks above do not cover
        raise click.ClickException(f"cannot replay: {error!r}") from None
    if as_json:
        click.echo(json.dumps(evaluation.as_json(reports, misses=show_misses), indent=2, ensure_ascii=False))
        return
    if show_misses:
        for report in reports:
            for line in evaluation.miss_lines(report):
                click.echo(line)
    for line in evaluation.table(reports):
        click.echo(line)


@tickets_group.command("fit")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write the weights (JSON); point STATUSPAGE_TICKET_MODEL at it to use them.")
@click.option("--l2", default=0.1, show_default=True, type=click.FloatRange(min=0), help="Weight penalty.")
@click.option("--negative-weight", default=1.5, show_default=True, type=click.FloatRange(min=0.1),
              help="How much more a wrongly suppressed ticket counts than a missed one.")
def tickets_fit(paths, out, l2, negative_weight):
    """Fit the matcher's weights on labelled tickets (same PATHs as evaluate); never on held-out sets."""
    from .support import evaluation, model
    from .tools.training import fit_sources

    try:
        fitted = fit_sources(evaluation.sources(list(paths)), now=clock.now(), l2=l2,
                             negative_weight=negative_weight)
    except evaluation.EvaluationError as error:
        raise click.ClickException(str(error)) from None
    model.save(fitted, out)
    click.echo(f"{fitted.about}; written to {out}")


@main.command("export-static")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--watch", is_flag=True,
              help="Keep DIR fresh: export again within seconds of every change, until stopped.")
@click.option("--interval", default=2.0, show_default=True, type=click.FloatRange(min=0.2),
              help="With --watch: seconds between looks for a change.")
@click.option("--index-html", "index_links", is_flag=True,
              help="Link pages as .../index.html (object stores that serve no directory index).")
def export_static(directory, watch, interval, index_links):
    """Write the public site in every language, its feeds, v2 JSON and badges into DIR as static files."""
    import logging
    import time

    from .export import ExportError, ScheduledExport, export_site

    app = current_app._get_current_object()
    try:
        if not watch:
            click.echo(export_site(app, directory, index_links=index_links, now=clock.now()))
            return
        job = ScheduledExport(app, directory, index_links=index_links)
        click.echo(f"{clock.now().isoformat(timespec='seconds')} {job(now=clock.now())}")  # fails fast
        while True:
            time.sleep(interval)
            try:
                report = job(now=clock.now())
                if report is not None:
                    click.echo(f"{clock.now().isoformat(timespec='seconds')} {report}")
            except ExportError as error:  # a transient failure (a 5xx while the database restarts): try again
                logging.getLogger(__name__).error("export failed: %s", error)
    except ExportError as error:
        raise click.ClickException(str(error)) from None
    except KeyboardInterrupt:
        pass
