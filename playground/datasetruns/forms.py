"""The form that starts a dataset run: which dataset, which session, which columns."""

from typing import cast

from django import forms
from django.db.models import QuerySet

from playground.datasets.models import Dataset
from playground.runs.models import Comparison
from playground.sessions.forms import SessionChoiceField


class DatasetRunForm(forms.Form):
    dataset = forms.ModelChoiceField(queryset=Dataset.objects.none())
    session = SessionChoiceField(
        help_text="Its prompt, with a {{variable}} for each column, and its parameters.",
    )
    with_comparison = forms.BooleanField(
        required=False,
        label="Run each column of the session's latest comparison",
        help_text="Unticked, the session's own settings are the one column.",
    )
    score_likelihood = forms.BooleanField(
        required=False,
        label="Also score the log-probability of expected",
        help_text="One more request a row (echo with logprobs, generating nothing), where "
        "the provider gives logprobs for the prompt's own tokens.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dataset"].queryset = Dataset.objects.readable_by(user)
        self.fields["session"].offer_sessions_of(user)
        if not self.is_bound:
            for name in ("dataset", "session"):
                self._choose_the_only_choice(name)

    def _choose_the_only_choice(self, name: str) -> None:
        """A field with one choice, and none given by the page that linked here, starts
        with that choice rather than the empty one."""
        if self.initial.get(name):
            return
        offered = cast(QuerySet, cast(forms.ModelChoiceField, self.fields[name]).queryset)
        choices = list(offered.values_list("pk", flat=True)[:2])
        if len(choices) == 1:
            self.initial[name] = choices[0]

    def clean(self):
        cleaned = super().clean()
        session = cleaned.get("session")
        cleaned["comparison"] = None
        if session is not None and cleaned.get("with_comparison"):
            cleaned["comparison"] = Comparison.objects.filter(session=session).first()
            if cleaned["comparison"] is None:
                self.add_error(
                    "with_comparison", f"“{session.display_title}” has no comparison yet."
                )
        return cleaned
