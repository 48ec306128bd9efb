"""The shared provider that points at the embedded local model."""

from playground.providers.models import LOCAL_MODEL_KEY, AuthStyle, Provider
from playground.providers.quirks import LLAMA_CPP_QUIRKS

from .server import MODEL_ALIAS, PROVIDER_NAME


def sync_local_provider(base_url: str) -> Provider:
    provider, _ = Provider.objects.update_or_create(
        system_key=LOCAL_MODEL_KEY,
        owner=None,
        defaults={
            "name": PROVIDER_NAME,
            "base_url": base_url,
            "auth_style": AuthStyle.NONE,
            "api_key": "",
            "default_model": MODEL_ALIAS,
            "quirks": LLAMA_CPP_QUIRKS,
        },
    )
    return provider
