"""Background work on providers: probing one when it is added or its address changes.

Through Django's Tasks framework: with its default backend (ImmediateBackend) the probe runs
at once, after the commit, in the request that added the provider, which the probe's short
timeouts (probe.py) allow for; a deployment with a task worker moves it off the request.
"""

from django.db import transaction
from django.tasks import task

from .models import Provider
from .probe import probe_and_record


@task
def probe_provider(provider_id: int, model: str) -> None:
    provider = Provider.objects.select_related("owner").filter(pk=provider_id).first()
    if provider is not None:  # It may have been deleted since.
        probe_and_record(provider, model)


def probe_after_commit(provider: Provider) -> None:
    """Probes the provider's default model once the transaction that saved it commits."""
    provider_id, model = provider.pk, provider.default_model
    transaction.on_commit(lambda: probe_provider.enqueue(provider_id, model))
