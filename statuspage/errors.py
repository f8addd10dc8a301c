"""AppError family and the handlers that turn errors into pages or the contract's JSON envelope."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class AppError(Exception):
    """An error a user or client caused; its message is safe to show."""

    status = 400
    code = "bad_request"

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


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_json(status: int, code: str, message: str, field: str | None = None):
    """The contract's error envelope: {"error": {"code", "message"}}."""
    body = {"code": code, "message": message}
    if field:
        body["field"] = field
    return jsonify(error=body), status


def register_error_handlers(app: Flask) -> None:
    from .extensions import db

    @app.errorhandler(AppError)
    def app_error(error: AppError):
        db.session.rollback()
        if wants_json():
            return error_json(error.status, error.code, error.message, error.field)
        return render_template("errors/error.html", status=error.status), error.status

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        if wants_json():
            code = (error.name or "error").lower().replace(" ", "_")
            response = error_json(status, code, error.description or error.name)
        else:
            response = render_template("errors/error.html", status=status), status
        if status == 405 and error.valid_methods:
            resp = app.make_response(response)
            resp.headers["Allow"] = ", ".join(error.valid_methods)
            return resp
        return response

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        log.exception("unexpected error on %s %s", request.method, request.path)
        db.session.rollback()
        if wants_json():
            return error_json(500, "internal_error", "Something went wrong on our side; it has been logged.")
        return render_template("errors/error.html", status=500), 500
