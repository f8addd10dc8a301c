"""`statuspage pages list|add|set|remove`: the same rules as /api/v1/pages, one line per answer."""
from sqlalchemy import select

from statuspage.cli import main
from statuspage.extensions import db
from statuspage.models import AuditEntry, Page
from statuspage.services.pages import default_page
from tests.builders import make_component


def test_a_page_is_added_changed_listed_and_removed(app, runner, clock):
    with app.app_context():
        make_component("api")
        make_component("checkout")
    added = runner.invoke(main, ["pages", "add", "shop", "--name", "Shop status", "--host", "Status.Shop.Example",
                                 "--languages", "de,en", "--default-language", "de", "--time-zone", "Europe/Vienna",
                                 "--accent-color", "#0b5fff", "--components", "checkout"])
    assert added.exit_code == 0, added.output
    assert added.output.startswith("Added shop") and "https://status.shop.example" in added.output
    changed = runner.invoke(main, ["pages", "set", "shop", "--host", "", "--components", "api,checkout",
                                   "--languages", ""])
    assert changed.exit_code == 0, changed.output
    assert "https://status.example.com/p/shop" in changed.output and "[api, checkout]" in changed.output
    with app.app_context():
        page = db.session.scalar(select(Page).where(Page.slug == "shop"))
        assert (page.host, page.languages, page.default_language, page.time_zone) == (
            None, None, "de", "Europe/Vienna")
        assert db.session.scalar(select(AuditEntry.actor).where(AuditEntry.action == "page.create")) == "cli"
    listed = runner.invoke(main, ["pages", "list"]).output.splitlines()
    assert [line.split()[0] for line in listed] == ["default", "shop"]
    assert "(default)" in listed[0] and "[all components]" in listed[0]
    removed = runner.invoke(main, ["pages", "remove", "shop"])
    assert removed.exit_code == 0 and removed.output.strip() == "Removed page shop"
    assert [line.split()[0] for line in runner.invoke(main, ["pages", "list"]).output.splitlines()] == ["default"]


def test_mistakes_end_with_one_line_and_exit_status_1(app, runner, clock):
    with app.app_context():
        default_page()  # as the migration made it
    for arguments, words in ((["add", "shop", "--name", "Shop", "--time-zone", "Mars/Base"], "IANA time zone"),
                             (["add", "Shop", "--name", "Shop"], "slug may hold only"),
                             (["add", "shop"], "name is required"),
                             (["set", "nope", "--name", "x"], "No page with slug 'nope'"),
                             (["remove", "default"], "cannot be deleted")):
        result = runner.invoke(main, ["pages", *arguments])
        assert result.exit_code == 1, (arguments, result.output)
        assert len(result.output.strip().splitlines()) == 1 and words in result.output, (arguments, result.output)
