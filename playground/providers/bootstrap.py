"""Shared providers made from the environment at start, and a word on the unreadable ones."""

import logging

from django.conf import settings

from .models import AuthStyle, Provider

OPENAI_ENV_KEY = "openai-env"

logger = logging.getLogger(__name__)


def sync_environment_provider() -> Provider | None:
    """OPENAI_API_KEY / OPENAI_BASE_URL (the OpenAI SDK's variables) give a shared provider.

    The key is stored anew each time, so a changed encryption key cannot leave it unreadable.
    """
    if not (settings.OPENAI_API_KEY or settings.OPENAI_BASE_URL):
        return None
    provider, _ = Provider.objects.update_or_create(
        system_key=OPENAI_ENV_KEY,
        owner=None,
        defaults={
            "name": "OpenAI (from environment)",
            "base_url": settings.OPENAI_BASE_URL or "https://api.openai.com/v1",
            "auth_style": AuthStyle.BEARER if settings.OPENAI_API_KEY else AuthStyle.NONE,
            "api_key": settings.OPENAI_API_KEY,
        },
    )
    if not provider.default_model:
        provider.default_model = "gpt-3.5-turbo-instruct"
        provider.save(update_fields=["default_model"])
    return provider


def report_unreadable_secrets() -> None:
    """Tells whoever starts the server which providers its keys cannot decrypt, and why."""
    unreadable = [p for p in Provider.objects.all() if p.secrets_unreadable]
    if unreadable:
        logger.warning(
            "The current encryption key cannot decrypt the stored secrets of %d provider(s): "
            "%s. They are unusable until their secrets are entered again, or the server is "
            "started with the old key in PLAYGROUND_OLD_ENCRYPTION_KEYS (or the old "
            "SECRET_KEY in SECRET_KEY_FALLBACKS).",
            len(unreadable),
            ", ".join(f"“{p.name}” (id {p.pk})" for p in unreadable),
        )
