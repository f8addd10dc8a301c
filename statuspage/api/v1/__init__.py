"""The management API under /api/v1: JSON in and out, bearer tokens, OpenAPI generated from the code."""
from __future__ import annotations

from flask import Flask
from flask_smorest import Api, Blueprint
from webargs.flaskparser import FlaskParser

from ...errors import InvalidJson, UnsupportedMediaType
from ...database import MAX_ID
from ...web.converters import GroupIdConverter, IdConverter
from .schemas import ErrorSchema


class ManagementApi(Api):
    """flask-smorest's Api, with errors left to errors.py so every error has the contract's envelope."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        pass


class BodyParser(FlaskParser):
    """Writes take JSON: another content type is 415, a body that does not parse (or nests too deep) is 400.

    Read when a view's arguments are, so after its token and role are checked (auth.requires wraps the
    parsing): an anonymous caller gets 401 whatever it sends, and learns nothing about validation. The body
    is read through the app's JSON provider (json_input.py), as request.get_json() reads it.
    """

    def load_json(self, req, schema):
        if not req.is_json:
            raise UnsupportedMediaType(message="Send the request body as JSON (Content-Type: application/json).")
        data = req.get_json(silent=True)
        if data is None:
            raise InvalidJson(message="The request body is not valid JSON (or nests too deep).")
        return data


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = BodyParser()


blp = ApiBlueprint("api_v1", __name__, description="Components, groups, incidents, maintenance and pages.")


def init_app(app: Flask) -> None:
    from ...extensions import csrf
    from . import alerts, checks, components, incidents, page_members, pages, subscribers, tickets  # noqa: F401  (their routes join blp)

    app.config.update(
        API_TITLE="statuspage management API", API_VERSION="v1", OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1", OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "info": {"description": "Manage components, incidents and maintenance. Send "
                                    "`Authorization: Bearer <token>`; tokens carry a role (viewer, responder, admin; "
                                    "intake only posts tickets, alerts only posts Alertmanager and Grafana "
                                    "alerts)."},
            "servers": [{"url": "/"}],
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearerAuth": []}],
        },
    )
    api = ManagementApi(app)
    api.register_converter(IdConverter, lambda _converter: {"type": "integer", "minimum": 1, "maximum": MAX_ID})
    api.register_converter(GroupIdConverter, lambda _converter: {"type": "string", "pattern": r"^g?[0-9]{1,10}$"})
    csrf.exempt(blp)
    api.register_blueprint(blp, url_prefix="/api/v1")
