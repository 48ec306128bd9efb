from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm

from .throttle import clear_failures, is_throttled, record_failure


def client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "") if request else ""


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's login form, refusing to even check a password after repeated failures."""

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        address = client_address(self.request)
        if is_throttled(username, address):
            minutes = max(settings.PLAYGROUND_LOGIN_THROTTLE_SECONDS // 60, 1)
            raise forms.ValidationError(
                f"Too many failed logins. Try again in {minutes} minutes.", code="throttled"
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            record_failure(username, address)
            raise
        clear_failures(username, address)
        return cleaned
