"""The base of every HTML form, public and console."""
from __future__ import annotations

from flask import request
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice


def choices(pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


class Form(FlaskForm):
    """Every console form: text comes from the posted form fields only, never from uploaded files."""

    class Meta:
        def wrap_formdata(self, form, formdata):
            # Flask-WTF passes a marker (no getlist) meaning "read the request"; we read only request.form,
            # so an uploaded file or a JSON body never reaches a text field.
            if formdata is not None and not hasattr(formdata, "getlist"):
                return request.form if request.method in ("POST", "PUT", "PATCH", "DELETE") else None
            return formdata
