"""The provider form: the key and header values are write-only."""

import json
import re

import httpx
from django import forms

from .addresses import forbidden_reason, resolve
from .models import Provider

# A header name is an RFC 9110 token.
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


class WriteOnlyTextarea(forms.Textarea):
    """A textarea that never shows a value, not even the one just posted with an error."""

    def format_value(self, value):
        return None


class ProviderForm(forms.ModelForm):
    api_key = forms.CharField(
        label="API key",
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Stored encrypted and never shown again.",
    )
    clear_api_key = forms.BooleanField(label="Remove the stored key", required=False)
    extra_headers = forms.CharField(
        label="Extra headers",
        required=False,
        widget=WriteOnlyTextarea(
            attrs={"rows": 3, "placeholder": '{"OpenAI-Organization": "org-…"}'}
        ),
        help_text="A JSON object of header name → value, such as OpenAI-Organization or "
        "OpenAI-Project. Values are stored encrypted and not shown again.",
    )
    clear_extra_headers = forms.BooleanField(label="Remove the extra headers", required=False)

    class Meta:
        model = Provider
        fields = [
            "name",
            "base_url",
            "auth_style",
            "default_model",
            "price_prompt_per_million",
            "price_completion_per_million",
            "max_concurrency",
        ]
        widgets = {"base_url": forms.URLInput}

    # What is stored, and its box that removes it; left blank, the field keeps it.
    STORED = {"api_key": "clear_api_key", "extra_headers": "clear_extra_headers"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Left out (a script, an older page), it keeps what the provider has.
        self.fields["max_concurrency"].required = False
        # A provider with no key (a new one) has none to keep or remove: no box, no word of it.
        for name, remove in self.STORED.items():
            if name in self.stored(self.instance):
                self.fields[name].help_text += " Leave blank to keep the current one."
            elif remove in self.fields:
                del self.fields[remove]

    @classmethod
    def stored(cls, provider: Provider | None) -> list[str]:
        """Which of the key and the extra headers the provider has stored."""
        if provider is None or provider.pk is None:
            return []
        has = {"api_key": provider.has_api_key, "extra_headers": bool(provider.extra_headers)}
        return [name for name in cls.STORED if has[name]]

    @classmethod
    def removable(cls, provider: Provider | None) -> list[str]:
        """The boxes that remove what the provider has stored (the admin lists its fields)."""
        return [cls.STORED[name] for name in cls.stored(provider)]

    def clean_max_concurrency(self):
        value = self.cleaned_data.get("max_concurrency")
        if value is None:
            return self.instance.max_concurrency
        return value

    def clean_base_url(self):
        url = self.cleaned_data["base_url"].strip()
        if not url.lower().startswith(("http://", "https://")):
            raise forms.ValidationError("The base URL must start with http:// or https://.")
        try:
            # Parsed as the client will parse it: that is what the requests will go to.
            parsed = httpx.URL(url)
        except httpx.InvalidURL as exc:  # 0177.0.0.1, which other parsers read as 127.0.0.1
            raise forms.ValidationError(f"Enter a valid URL ({exc}).") from exc
        if parsed.userinfo:
            raise forms.ValidationError(
                "The base URL may not hold a user name or password: put the key in the API "
                "key field."
            )
        return url.rstrip("/")

    def clean_api_key(self):
        key = self.cleaned_data["api_key"]
        # The key travels in a header, and httpx sends header values as ASCII.
        if key and not (key.isascii() and key.isprintable()):
            raise forms.ValidationError("The API key must be printable ASCII text.")
        return key

    def clean_extra_headers(self):
        text = self.cleaned_data["extra_headers"].strip()
        if not text:
            return None
        try:
            headers = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"Extra headers are not valid JSON: {exc.msg}.") from exc
        except (ValueError, RecursionError) as exc:
            # Not a syntax error, so no .msg: an integer of thousands of digits, say.
            raise forms.ValidationError("Extra headers are not valid JSON.") from exc
        if not isinstance(headers, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
        ):
            raise forms.ValidationError("extra headers must be an object of strings to strings.")
        for name, value in headers.items():
            if not _HEADER_NAME.fullmatch(name):
                raise forms.ValidationError(f"{name!r} is not a valid header.")
            # httpx sends header values as ASCII: anything else would fail every request.
            if not (value.isascii() and value.isprintable()):
                raise forms.ValidationError(
                    f"The value of the {name} header must be printable ASCII text."
                )
            if name.lower() in ("authorization", "api-key"):
                raise forms.ValidationError(
                    f"Put the key in the API key field, not in a {name} header."
                )
        return headers

    def clean(self):
        cleaned_data = super().clean()
        # The admin's form chooses the owner; the providers page's belong to the user.
        owner = cleaned_data.get("owner") if "owner" in self.fields else self.instance.owner
        url = cleaned_data.get("base_url")
        if url and not Provider(owner=owner).may_reach_private_networks():
            reason = _forbidden_host_reason(url)
            if reason:
                self.add_error("base_url", reason)
        return cleaned_data

    def changes_what_it_answers(self) -> bool:
        """Whether the saved change may change what the provider honours: then it is probed."""
        data = self.cleaned_data
        return bool(
            {"base_url", "auth_style", "default_model"} & set(self.changed_data)
            or data.get("api_key")
            or data.get("clear_api_key")
            or data.get("extra_headers") is not None
            or data.get("clear_extra_headers")
        )

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


def _forbidden_host_reason(url: str) -> str | None:
    """Why the URL's host may not be reached by a provider that a user adds, if it may not.

    A host that does not resolve now passes: it is checked again at every connection.
    """
    host = httpx.URL(url).raw_host.decode("ascii")
    try:
        return forbidden_reason(host, resolve(host))
    except OSError:
        return None


class ModelChoiceForm(forms.Form):
    """Which of a provider's models to probe, or to tell the capabilities of."""

    model = forms.CharField(
        label="model",
        max_length=200,
        required=False,
        help_text="Blank for the provider's default model.",
    )

    def clean_model(self):
        model = self.cleaned_data["model"].strip()
        if model and not model.isprintable():
            raise forms.ValidationError("The model must be printable text.")
        return model
