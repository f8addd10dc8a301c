"""AppError family and the handlers that turn errors into pages or the contract's JSON envelope."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class AppError(Exception):
    """An error a user or client caused; its message is safe to show."""

    status = 400
    code = "bad_request"
    headers: dict[str, str] = {}

    def __init__(self, code: str | None = None, message: str = "", *, field: str | None = None):
        super().__init__(message)
        self.code = code or self.code
        self.message = message
        self.field = field


class NotFound(AppError):
    status = 404
    code = "not_found"


class Conflict(AppError):
    status = 409
    code = "conflict"


class Invalid(AppError):
    status = 422
    code = "invalid"


class Forbidden(AppError):
    status = 403
    code = "forbidden"


class Unauthorized(AppError):
    status = 401
    code = "unauthorized"
    headers = {"WWW-Authenticate": 'Bearer realm="statuspage"'}


class InvalidJson(AppError):
    status = 400
    code = "invalid_json"


class PreconditionFailed(AppError):
    status = 412
    code = "precondition_failed"


class UnsupportedMediaType(AppError):
    status = 415
    code = "unsupported_media_type"


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_json(status: int, code: str, message: str, field: str | None = None):
    """The contract's error envelope: {"error": {"code", "message"}}."""
    body = {"code": code, "message": message}
    if field:
        body["field"] = field
    return jsonify(error=body), status


def first_problem(problems, path: str) -> tuple[str, str]:
    """The dotted path and text of the first message in marshmallow's nested error dictionary."""
    if isinstance(problems, dict):
        key, inner = next(iter(problems.items()))
        # Dict fields nest as {"<key>": {"value": [...]}}; "value"/"key" inside a field are marshmallow's words,
        # not the client's (at the top they are the client's own fields: a check's key).
        words = key in ("value", "key") and bool(path)
        return first_problem(inner, path if words else f"{path}.{key}" if path else str(key))
    if isinstance(problems, list) and problems:
        return first_problem(problems[0], path)
    return path, str(problems)


def _validation_error(messages: dict):
    """A request that failed its schema: 422 naming the first field, with every field's messages."""
    flat = {field: problems for location in messages.values() for field, problems in location.items()}
    field, text = first_problem(flat, "")
    if field == "_schema":  # the body as a whole, e.g. a list where an object belongs
        body: dict[str, object] = {"code": "invalid", "message": f"The request body must be a JSON object: {text}"}
    else:
        body = {"code": "invalid", "message": f"{field}: {text}", "field": field, "fields": flat}
    return jsonify(error=body), 422


def register_error_handlers(app: Flask) -> None:
    from .extensions import db

    @app.errorhandler(AppError)
    def app_error(error: AppError):
        db.session.rollback()
        if wants_json():
            body, status = error_json(error.status, error.code, error.message, error.field)
            return body, status, error.headers
        return render_template("errors/error.html", status=error.status), error.status, error.headers

    @app.errorhandler(StaleDataError)
    @app.errorhandler(IntegrityError)
    def concurrent_change(error):
        """Two writers raced (a version moved on, or a unique value was taken meanwhile): 409, not 500."""
        db.session.rollback()
        log.info("write lost a race on %s %s: %s", request.method, request.path, type(error).__name__)
        return app_error(Conflict("concurrent_change", "Someone else changed this at the same moment; try again."))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        # Keep the headers the exception carries (Allow on 405, Retry-After on 429), drop its HTML body.
        headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
        if wants_json():
            messages = (getattr(error, "data", None) or {}).get("messages")
            if messages:
                return _validation_error(messages)
            code = (error.name or "error").lower().replace(" ", "_")
            body, status = error_json(status, code, error.description or error.name)
            return body, status, headers
        return render_template("errors/error.html", status=status), status, headers

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        log.exception("unexpected error on %s %s", request.method, request.path)
        db.session.rollback()
        if wants_json():
            return error_json(500, "internal_error", "Something went wrong on our side; it has been logged.")
        return render_template("errors/error.html", status=500), 500
