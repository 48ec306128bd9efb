import math

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.template.defaultfilters import pluralize

from . import throttle


def begin_attempt(request) -> throttle.Attempt:
    """Counts an attempt to log in as the POSTed username from the client's address.

    REMOTE_ADDR is the client's: trusted_proxies.py has put the address a trusted proxy
    vouches for there, and nothing else can.
    """
    return throttle.begin(request.POST.get("username", ""), request.META.get("REMOTE_ADDR", ""))


def _refusal(seconds: int) -> str:
    minutes = math.ceil(seconds / 60)
    return (
        "Too many failed logins to this account from your address. "
        f"Try again in {minutes} minute{pluralize(minutes)}."
    )


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's login form, checking the password only of an attempt the throttle admitted.

    The login view begins the attempt and waits as long as the throttle says before the
    form checks the password; given none, the form begins one itself (and cannot wait).
    """

    def __init__(self, request=None, *args, attempt: throttle.Attempt | None = None, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.attempt = attempt

    def clean(self):
        attempt = self.attempt or begin_attempt(self.request)
        if attempt.refused_for:
            raise forms.ValidationError(_refusal(attempt.refused_for), code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            throttle.failed(attempt)
            raise
        if self.user_cache is None:
            # A field was missing, so no password was checked: a failure all the same.
            throttle.failed(attempt)
        else:
            throttle.succeeded(attempt)
        return cleaned


def choose_among_teams_of(field: forms.ModelChoiceField, user) -> None:
    """Makes a sharing form's team field offer the teams (groups) user belongs to, by name."""
    field.queryset = user.groups.order_by("name")
    field.help_text = "Teams are the groups you belong to."
    field.empty_label = "Choose a team"
