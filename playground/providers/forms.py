"""The provider form: the key and header values are write-only."""

import json

from django import forms

from .models import Provider


class ProviderForm(forms.ModelForm):
    api_key = forms.CharField(
        label="API key",
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Stored encrypted and never shown again. Leave blank to keep the current key.",
    )
    clear_api_key = forms.BooleanField(label="Remove the stored key", required=False)
    extra_headers = forms.CharField(
        label="extra headers",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": '{"OpenAI-Organization": "org-…"}'}),
        help_text="A JSON object of header name → value, such as OpenAI-Organization or "
        "OpenAI-Project. Values are stored encrypted and not shown again; leave blank to keep "
        "the current headers.",
    )
    clear_extra_headers = forms.BooleanField(label="Remove the extra headers", required=False)

    class Meta:
        model = Provider
        fields = ["name", "base_url", "auth_style", "default_model"]

    def clean_base_url(self):
        url = self.cleaned_data["base_url"].strip()
        if not url.lower().startswith(("http://", "https://")):
            raise forms.ValidationError("The base URL must start with http:// or https://.")
        return url.rstrip("/")

    def clean_extra_headers(self):
        text = self.cleaned_data["extra_headers"].strip()
        if not text:
            return None
        try:
            headers = json.loads(text)
        except ValueError as exc:
            raise forms.ValidationError(f"extra headers is not valid JSON: {exc.msg}.") from exc
        if not isinstance(headers, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
        ):
            raise forms.ValidationError("extra headers must be an object of strings to strings.")
        for name, value in headers.items():
            if not name or any(c in name for c in " :\r\n") or any(c in value for c in "\r\n"):
                raise forms.ValidationError(f"{name!r} is not a valid header.")
            if name.lower() in ("authorization", "api-key"):
                raise forms.ValidationError(
                    f"Put the key in the API key field, not in a {name} header."
                )
        return headers

    def save(self, commit=True):
        provider = super().save(commit=False)
        if self.cleaned_data.get("clear_api_key"):
            provider.api_key = ""
        elif self.cleaned_data.get("api_key"):
            provider.api_key = self.cleaned_data["api_key"]
        if self.cleaned_data.get("clear_extra_headers"):
            provider.extra_headers = ""
        elif self.cleaned_data.get("extra_headers") is not None:
            provider.extra_headers = json.dumps(self.cleaned_data["extra_headers"])
        if commit:
            provider.save()
        return provider
