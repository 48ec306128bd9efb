"""Runs whose server died mid-stream are marked interrupted, keeping their partial text."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from .models import Run, RunStatus

# What an interrupted run's card says.
INTERRUPTED_ERROR = "The server stopped during this run; the text received until then is kept."


def stale_after_seconds() -> float:
    """How long a streaming run may go unsaved before it counts as abandoned."""
    return settings.PLAYGROUND_SAVE_INTERVAL * 3


def mark_abandoned_runs_interrupted() -> int:
    """Marks streaming runs that no live process has saved for a while.

    A streaming run is saved every PLAYGROUND_SAVE_INTERVAL seconds, so one untouched for
    several intervals belongs to a process that is gone; other processes' live runs are left.
    """
    stale_before = timezone.now() - timedelta(seconds=stale_after_seconds())
    return Run.objects.filter(status=RunStatus.STREAMING, updated_at__lt=stale_before).update(
        status=RunStatus.INTERRUPTED,
        error=INTERRUPTED_ERROR,
    )
