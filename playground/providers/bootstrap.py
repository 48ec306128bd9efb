"""Shared providers made from the environment at start."""

from django.conf import settings

from .models import AuthStyle, Provider

OPENAI_ENV_KEY = "openai-env"


def sync_environment_provider() -> Provider | None:
    """OPENAI_API_KEY / OPENAI_BASE_URL (the OpenAI SDK's variables) give a shared provider."""
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
