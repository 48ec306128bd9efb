"""Per-user caps: on starting runs, and on the explorer's and prompt scoring's requests.

Runs: how many may go at once, and how many may start a minute. A comparison (comparing.py)
is one thing going at once, however many columns it has, and each of its columns is a run
started. A dataset run (datasetruns/) is one thing going at once from when it is queued
until it has stopped or finished, and starts no run: its rows are bounded by each
provider's concurrency setting instead, not by the runs a minute. All are counted from the
Run rows themselves rather than from cache counters. Every server process shares the
database (with or without Redis), a run is counted the moment its row exists, and a crashed
process cannot leak a slot: its runs stop being saved, go stale and stop counting, with no
counter left to repair.

Explorer and scoring requests (exploring.py) are no runs and leave no row: they count
against neither run cap, and have a budget of their own, PLAYGROUND_EXPLORE_REQUESTS_PER_MINUTE
a user, kept in the cache as the login throttle keeps its counts (accounts/throttle.py):
shared by every process when REDIS_URL is set, and per process with the in-memory cache of
a single-process install. A person stepping through tokens sends one every second or so;
the cap is there for a script, or a page gone wrong, that would send them as fast as the
provider answers. While Redis is down the cache keeps nothing and these requests go
unthrottled, as logins do. Each socket also has at most one of each kind in flight: a new
one supersedes it (consumers.py), so a burst of them cannot pile up on a provider.
"""

import contextlib
import math
import time
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import timezone

from playground.datasets.models import GOING_STATUSES, DatasetRun
from playground.runs.models import Run, RunStatus
from playground.runs.recovery import stale_after_seconds

RATE_WINDOW = timedelta(minutes=1)


def _lock_user(user) -> None:
    # Launches of one user queue here, so two tabs cannot both take the last free slot.
    # (SQLite ignores FOR UPDATE, but its IMMEDIATE transactions are serialized already.)
    list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk"))


def _running_count(user) -> int:
    """What is going at once: each run alone, each comparison (all its columns) as one, and
    each dataset run (all its rows and columns) as one."""
    saved_since = timezone.now() - timedelta(seconds=stale_after_seconds())
    going = Run.objects.filter(owner=user, status=RunStatus.STREAMING, updated_at__gte=saved_since)
    alone = going.filter(comparison__isnull=True).count()
    compared = going.filter(comparison__isnull=False).values("comparison").distinct().count()
    # No staleness here: a dataset run whose worker died is taken up by another
    # (datasetruns/claims.py), and Stop ends one that no worker will take.
    over_datasets = DatasetRun.objects.filter(owner=user, status__in=GOING_STATUSES).count()
    return alone + compared + over_datasets


def _concurrency_refusal(user) -> str:
    cap = settings.PLAYGROUND_MAX_CONCURRENT_RUNS
    if cap and _running_count(user) >= cap:
        return (
            f"You already have {cap} runs going, the most you may have at once (across all "
            "your tabs): stop one or wait for one to finish."
        )
    return ""


def _rate_refusal(user, starting: int) -> str:
    cap = settings.PLAYGROUND_RUNS_PER_MINUTE
    if not cap:
        return ""
    if starting > cap:
        return f"You may start at most {cap} runs a minute, and this would start {starting}."
    # A sliding window: the (cap - starting + 1)-th most recent run says when `starting`
    # more may start.
    recent = Run.objects.filter(owner=user, started_here=True).order_by("-created_at")
    starts = list(recent.values_list("created_at", flat=True)[cap - starting : cap - starting + 1])
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


def refusal_to_start(user, runs: int = 1) -> str:
    """Why the user may not start another run now, or "" when they may.

    runs: how many start together. More than one is a comparison's columns, which count as
    one against PLAYGROUND_MAX_CONCURRENT_RUNS (one thing going, of at most
    comparing.MAX_COLUMNS streams) and each as a run against PLAYGROUND_RUNS_PER_MINUTE.
    0 is a dataset run: one thing going, and no run started.

    Call it inside the transaction that creates the runs: it locks the user's row until the
    runs exist, so the count it checks cannot change underneath.
    """
    _lock_user(user)
    return _concurrency_refusal(user) or (_rate_refusal(user, runs) if runs else "")


EXPLORE_WINDOW_SECONDS = 60


def _count_in(key: str) -> int | None:
    """Adds one to the count at key; returns it, or None when the cache keeps nothing."""
    # Two windows: a window's count is read through the whole of the next one.
    cache.add(key, 0, 2 * EXPLORE_WINDOW_SECONDS + 5)
    try:
        # Atomic in Redis (django-redis) and in the local-memory cache (under its lock).
        return cache.incr(key)
    except ValueError:
        # Gone since add(): it expired just then.
        cache.set(key, 1, 2 * EXPLORE_WINDOW_SECONDS + 5)
        return 1


def _explore_wait(cap: int, previous: int, current: int, elapsed: float) -> int:
    """Seconds until one more request fits, with `current` counted in this window so far."""
    window = EXPLORE_WINDOW_SECONDS
    room = cap - 1 - current
    if room >= 0 and previous:
        # Within this window, once enough of the last one has slid out of the minute.
        wait = window * (1 - room / previous) - elapsed
    else:
        # This window is full: in the next, its count slides out in turn.
        wait = window - elapsed + max(0.0, window * (1 - (cap - 1) / max(current, 1)))
    return max(1, math.ceil(wait))


def refusal_to_explore(user, now: float | None = None) -> str:
    """Why the user may not send another explorer or scoring request now, or "" when they
    may; a request allowed is counted. (Any other one-token look-up the page makes for the
    user belongs under this cap too.)

    A sliding minute, as two one-minute counters: the requests of this window, and those of
    the last one weighted by how much of it still lies within the last 60 seconds (as if
    they were spread evenly), so that a burst at the end of a window still counts at the
    start of the next. A refused request is not counted, so a page that keeps asking is let
    in again as soon as the minute allows.
    """
    cap = settings.PLAYGROUND_EXPLORE_REQUESTS_PER_MINUTE
    if not cap:
        return ""
    now = time.time() if now is None else now
    window = int(now // EXPLORE_WINDOW_SECONDS)
    elapsed = now - window * EXPLORE_WINDOW_SECONDS
    key = f"explore-requests:{user.pk}:{window}"
    count = _count_in(key)
    if count is None:
        return ""
    previous = cache.get(f"explore-requests:{user.pk}:{window - 1}") or 0
    still_counted = previous * (EXPLORE_WINDOW_SECONDS - elapsed) / EXPLORE_WINDOW_SECONDS
    if still_counted + count <= cap:
        return ""
    with contextlib.suppress(ValueError):
        # Not counted after all (ValueError: it expired meanwhile).
        cache.decr(key)
    seconds = _explore_wait(cap, previous, count - 1, elapsed)
    return (
        f"You may send at most {cap} explorer and scoring requests a minute: try again in "
        f"{seconds} second{'s' if seconds != 1 else ''}."
    )
