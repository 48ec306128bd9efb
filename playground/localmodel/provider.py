"""The shared provider that points at the embedded local model."""

from playground.providers.models import LOCAL_MODEL_KEY, AuthStyle, Provider
from playground.providers.probe import probe_and_record

from .server import MODEL_ALIAS, PROVIDER_NAME


def sync_local_provider(base_url: str) -> Provider:
    """Points the shared local-model provider at base_url, then probes what it honours.

    Probed at every start rather than written down: the server behind base_url may be
    another one (or another version) than last time, and its quirks with it.
    """
    provider, _ = Provider.objects.update_or_create(
        system_key=LOCAL_MODEL_KEY,
        owner=None,
        defaults={
            "name": PROVIDER_NAME,
            "base_url": base_url,
            "auth_style": AuthStyle.NONE,
            "api_key": "",
            "default_model": MODEL_ALIAS,
        },
    )
    probe_and_record(provider, MODEL_ALIAS)
    return provider
