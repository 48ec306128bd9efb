"""Per-user caps on starting runs: how many may go at once, and how many may start a minute.

Both are counted from the Run rows themselves rather than from cache counters. Every server
process shares the database (with or without Redis), a run is counted the moment its row
exists, and a crashed process cannot leak a slot: its runs stop being saved, go stale and
stop counting, with no counter left to repair.
"""

import math
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from playground.runs.models import Run, RunStatus
from playground.runs.recovery import stale_after_seconds

RATE_WINDOW = timedelta(minutes=1)


def _lock_user(user) -> None:
    # Launches of one user queue here, so two tabs cannot both take the last free slot.
    # (SQLite ignores FOR UPDATE, but its IMMEDIATE transactions are serialized already.)
    list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk"))


def _running_count(user) -> int:
    saved_since = timezone.now() - timedelta(seconds=stale_after_seconds())
    return Run.objects.filter(
        owner=user, status=RunStatus.STREAMING, updated_at__gte=saved_since
    ).count()


def _concurrency_refusal(user) -> str:
    cap = settings.PLAYGROUND_MAX_CONCURRENT_RUNS
    if cap and _running_count(user) >= cap:
        return (
            f"You already have {cap} runs going, the most you may have at once (across all "
            "your tabs): stop one or wait for one to finish."
        )
    return ""


def _rate_refusal(user) -> str:
    cap = settings.PLAYGROUND_RUNS_PER_MINUTE
    if not cap:
        return ""
    # A sliding window: the cap-th most recent run says when the next one may start.
    recent = Run.objects.filter(owner=user).order_by("-created_at")
    starts = list(recent.values_list("created_at", flat=True)[cap - 1 : cap])
    if not starts:
        return ""
    wait = starts[0] + RATE_WINDOW - timezone.now()
    if wait.total_seconds() <= 0:
        return ""
    seconds = max(1, math.ceil(wait.total_seconds()))
    return (
        f"You may start at most {cap} runs a minute: try again in {seconds} "
        f"second{'s' if seconds != 1 else ''}."
    )


def refusal_to_start(user) -> str:
    """Why the user may not start another run now, or "" when they may.

    Call it inside the transaction that creates the run: it locks the user's row until the
    run exists, so the count it checks cannot change underneath.
    """
    _lock_user(user)
    return _concurrency_refusal(user) or _rate_refusal(user)
