"""The base of every form: a field reads only what it can take from the request."""

from functools import lru_cache

from flask import request
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto  # Flask-WTF's "read the request" marker
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms import FileField, SelectField
from wtforms.fields.choices import Choice
from wtforms.widgets import Select


def _trimmed(value):
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list):
        return [item.strip() if isinstance(item, str) else item for item in value]
    return value


class OptionsOnce(Select):
    """A select whose options are rendered once per value, label and state.

    WTForms builds each option's attributes anew on every render: the country list (250 options)
    cost about 40 ms of every inquiry page, and a time-zone list more on the staff's account page.
    """

    @classmethod
    def render_option(cls, choice, **kwargs):
        label = choice.label or choice.value
        if kwargs or choice.render_kw or isinstance(label, Markup):
            return super().render_option(choice, **kwargs)
        return _option(choice.value, str(label), bool(choice.selected))


@lru_cache(maxsize=16384)
def _option(value, label: str, selected: bool) -> Markup:
    return Select.render_option(Choice(value, label, selected, None))


class Form(FlaskForm):
    class Meta:
        def bind_field(self, form, unbound_field, options):
            """Choices arrive trimmed: Optional() takes "  " for empty and clears the "not a
            valid choice" error, so a padded value reached the database as no list offers it
            (an int() on it raised, PostgreSQL refused it as too long)."""
            if issubclass(unbound_field.field_class, SelectField):
                filters = [*unbound_field.kwargs.get("filters", ()), _trimmed]
                options = {**options, "filters": filters}
                widget = unbound_field.field_class.widget
                if type(widget) is Select and "widget" not in unbound_field.kwargs:
                    options["widget"] = OptionsOnce(multiple=widget.multiple)
            return super().bind_field(form, unbound_field, options)

        def wrap_formdata(self, form, formdata):
            """The request's form values, and its files only under the names of file fields.

            Flask-WTF mixes every uploaded file into the form data, so a file sent in place of a
            text field reached that field's filters (a 500 on every form); it now reads as the
            field left empty. JSON bodies are not form posts here: none of our forms takes one.
            """
            if formdata is not _Auto:
                return formdata
            if not form.is_submitted():
                return None
            file_fields = {field.name for field in form if isinstance(field, FileField)}
            data = MultiDict(request.form)
            for name in file_fields & set(request.files):
                data.setlist(name, request.files.getlist(name))
            return data or None  # as Flask-WTF: nothing sent reads as no form data
