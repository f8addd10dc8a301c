"""The migrations build exactly the schema the models describe, and init-db can run again safely."""
from pprint import pformat

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from statuspage.cli import main
from statuspage.extensions import db


def test_the_migrated_schema_matches_the_models(app):
    # The app fixture built the session database with the migrations alone (upgrade to head).
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], "the models and the migrations disagree; add a migration for:\n" + pformat(diff)


def test_init_db_succeeds_on_a_database_that_is_already_up_to_date_and_again(app):
    runner = app.test_cli_runner()
    for attempt in ("first", "second"):
        result = runner.invoke(main, ["init-db"])
        assert result.exit_code == 0, f"{attempt} run: {result.output}{result.exception!r}"
        assert "Database ready" in result.output
