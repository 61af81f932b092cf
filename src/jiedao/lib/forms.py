"""What every form of the project shares."""

from django import forms

from .formatting import colon


class LanguageColonForm(forms.Form):
    """Labels drawn with ``label_tag`` end with the language's colon (： in Chinese, ": " in
    English); Django's own suffix is an ASCII colon in Chinese too."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", colon())
        super().__init__(*args, **kwargs)


def iso_date_input() -> forms.DateInput:
    # <input type=date> takes only YYYY-MM-DD; Chinese date formatting (2026/12/04) would leave it
    # empty, and a pre-filled date would have to be typed again.
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
