"""Background work on providers: probing one when it is added or its address changes.

Through Django's Tasks framework (settings.TASKS): the request that saved the provider only
queues the probe, once its transaction commits, and a worker runs it (`manage.py serve` starts
one: playground/worker.py). Its arguments are JSON values, as the database's and Redis's
queues keep them. Until it has run, the provider's probe_queued_at tells its page that a
probe is coming.
"""

import logging
from datetime import datetime

from django.db import transaction
from django.tasks import task
from django.utils import timezone

from .models import Provider
from .probe import probe_and_record

logger = logging.getLogger(__name__)


@task
def probe_provider(provider_id: int, model: str, queued_at: str) -> None:
    """Probes the model; queued_at (ISO 8601) is the provider's probe_queued_at it answers."""
    try:
        provider = Provider.objects.select_related("owner").filter(pk=provider_id).first()
        if provider is not None:  # It may have been deleted since.
            probe_and_record(provider, model)
    finally:
        _clear_queued(provider_id, datetime.fromisoformat(queued_at))


def _clear_queued(provider_id: int, queued_at: datetime) -> None:
    # Only this probe's mark: one queued since (a new address) stays until its own has run.
    Provider.objects.filter(pk=provider_id, probe_queued_at=queued_at).update(probe_queued_at=None)


def probe_after_commit(provider: Provider) -> None:
    """Marks the provider's default model as queued for a probe, and queues the probe once
    the transaction that saved the provider commits."""
    queued_at = timezone.now()
    Provider.objects.filter(pk=provider.pk).update(probe_queued_at=queued_at)
    provider.probe_queued_at = queued_at
    provider_id, model = provider.pk, provider.default_model

    def enqueue() -> None:
        try:
            probe_provider.enqueue(provider_id, model, queued_at.isoformat())
        except Exception:
            # The queue's store (Redis, or the database) is down: the provider stays saved,
            # unprobed, and its page says so (Probe now is there).
            logger.exception("Could not queue the probe of provider %s.", provider_id)
            _clear_queued(provider_id, queued_at)

    transaction.on_commit(enqueue)
