"""Providers: where completions come from, and how to authenticate to them."""

import json
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from .redaction import Redactor
from .secrets import EncryptedTextField, UnreadableSecret
from .validators import BaseURLValidator

# The system_key of the shared provider of the embedded local model.
LOCAL_MODEL_KEY = "local-model"


class AuthStyle(models.TextChoices):
    BEARER = "bearer", "Authorization: Bearer <key>"
    API_KEY = "api-key", "api-key: <key> header"
    NONE = "none", "No authentication"


class ProviderQuerySet(models.QuerySet):
    def usable_by(self, user):
        """Shared providers plus the user's own, with their owners (see client._client_for)."""
        usable = self.filter(Q(owner__isnull=True) | Q(owner=user)).select_related("owner")
        if not settings.PLAYGROUND_LOCAL_MODEL:
            usable = usable.exclude(system_key=LOCAL_MODEL_KEY)
        return usable

    def probable_by(self, user):
        """What the user may probe: their own providers, and the shared ones if staff."""
        if user.is_staff:
            return self.filter(Q(owner__isnull=True) | Q(owner=user)).select_related("owner")
        return self.filter(owner=user).select_related("owner")

    def default_for(self, user):
        """The embedded local model when it is on, else the first usable provider."""
        usable = self.usable_by(user)
        return usable.filter(system_key=LOCAL_MODEL_KEY).first() or usable.first()


def _price_field(label: str, **extra) -> models.DecimalField:
    """An optional price per million tokens, never negative."""
    return models.DecimalField(
        label,
        max_digits=12,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        **extra,
    )


class Provider(models.Model):
    # No owner means shared: staff manage it in the admin and every user may use it.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE
    )
    name = models.CharField(max_length=100)
    base_url = models.CharField(
        "base URL",
        max_length=500,
        validators=[BaseURLValidator()],
        help_text="The API root, such as https://api.openai.com/v1",
    )
    auth_style = models.CharField(max_length=10, choices=AuthStyle, default=AuthStyle.BEARER)
    api_key = EncryptedTextField(blank=True)
    # A JSON object of header name -> value, such as OpenAI-Organization; encrypted too.
    extra_headers = EncryptedTextField(blank=True)
    default_model = models.CharField(max_length=200, blank=True)
    # Prices per million tokens, in the user's own currency (the page shows the number): a
    # comparison's columns show a cost where both usage and prices are known.
    price_prompt_per_million = _price_field(
        "price per 1M prompt tokens",
        help_text="Optional. With the completion price, runs with usage show their cost.",
    )
    price_completion_per_million = _price_field("price per 1M completion tokens")
    # Marks the provider made from OPENAI_* variables or the local model, so start-up can update it.
    system_key = models.CharField(max_length=50, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # When a probe was queued for the background worker (tasks.py), until it has run: the
    # provider's page says it is coming rather than "not probed yet".
    probe_queued_at = models.DateTimeField(null=True, blank=True)
    # Dataset runs (playground/datasetruns) send at most this many requests to the provider
    # at once, across all their workers and all users' runs, so that a run over a thousand
    # rows does not flood it. Single runs from the editor are bound by the per-user caps.
    max_concurrency = models.PositiveSmallIntegerField(
        "concurrency for dataset runs",
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(64)],
        help_text="The most requests dataset runs send to this provider at once (1 to 64), "
        "across every worker and every user's run.",
    )

    objects = ProviderQuerySet.as_manager()

    class Meta:
        ordering = ["owner_id", "name"]

    def __str__(self):
        return self.name if self.owner_id else f"{self.name} (shared)"

    @property
    def is_shared(self) -> bool:
        return self.owner_id is None

    def may_reach_private_networks(self) -> bool:
        """Whether it may reach loopback, private and link-local addresses (addresses.py)."""
        return (
            settings.PLAYGROUND_ALLOW_PRIVATE_UPSTREAMS
            or self.owner_id is None
            or (self.owner is not None and self.owner.is_staff)
        )

    def cost_of(self, usage) -> Decimal | None:
        """What a run's usage cost at this provider's prices; None without both prices or
        without the usage's token counts."""
        prompt_price, completion_price = (
            self.price_prompt_per_million,
            self.price_completion_per_million,
        )
        if prompt_price is None or completion_price is None or not isinstance(usage, dict):
            return None
        prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
        if not isinstance(prompt, int) or not isinstance(completion, int):
            return None
        return (prompt * prompt_price + completion * completion_price) / 1_000_000

    @property
    def has_api_key(self) -> bool:
        return bool(self.api_key) or isinstance(self.api_key, UnreadableSecret)

    @property
    def secrets_unreadable(self) -> bool:
        """Whether a stored secret is encrypted with a key the server no longer has."""
        return self.unreadable_secrets != ""

    @property
    def unreadable_secrets(self) -> str:
        """What cannot be read, in words: "API key", "extra headers", both, or ""."""
        names = [
            name
            for name, value in (("API key", self.api_key), ("extra headers", self.extra_headers))
            if isinstance(value, UnreadableSecret)
        ]
        return " and ".join(names)

    def unreadable_message(self) -> str:
        """Why the provider cannot be used now, and what to do; "" when it can."""
        what = self.unreadable_secrets
        if not what:
            return ""
        both = what == "API key and extra headers"
        them, they_were = ("them", "they were") if both else ("it", "it was")
        return (
            f"The stored {what} cannot be decrypted with the current encryption key "
            f"(PLAYGROUND_ENCRYPTION_KEY or SECRET_KEY changed since {they_were} saved), so "
            f"nothing is sent to “{self.name}”. Enter {them} again on the provider's form "
            "(staff, in the admin for a shared provider), or start the server with the old "
            "key in PLAYGROUND_OLD_ENCRYPTION_KEYS (or the old SECRET_KEY in "
            "SECRET_KEY_FALLBACKS)."
        )

    def redactor(self) -> Redactor:
        """Takes this provider's secrets (key and header values) out of its answers."""
        return Redactor.for_secrets(self.api_key, self.extra_header_items())

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")

    def extra_header_items(self) -> dict[str, str]:
        return json.loads(self.extra_headers) if self.extra_headers else {}

    def request_headers(self) -> dict[str, str]:
        headers = dict(self.extra_header_items())
        if self.api_key and self.auth_style == AuthStyle.BEARER:
            headers["Authorization"] = f"Bearer {self.api_key}"
        elif self.api_key and self.auth_style == AuthStyle.API_KEY:
            # Azure OpenAI and its look-alikes take the key in an api-key header instead.
            headers["api-key"] = self.api_key
        return headers


class ProviderCapabilities(models.Model):
    """What one provider honours for one model, as its probe measured it (probe.py).

    results maps a capability's name (a field of capabilities.Capabilities) to
    {"value": ..., "evidence": "...", "measured_at": "<ISO 8601>"}: each keeps the time it
    was measured, since a probe that cannot reach the provider leaves the others as they were.
    """

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="capabilities")
    model = models.CharField(max_length=200)
    results = models.JSONField(default=dict)
    measured_at = models.DateTimeField()

    class Meta:
        ordering = ["provider_id", "model"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "model"], name="one_probe_per_model")
        ]

    def __str__(self):
        return f"{self.provider.name}: {self.model or '(no model)'}"
