from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from playground.completions.snippets import snippets_for

from .cards import render_run_card
from .models import Run
from .recovery import mark_abandoned_runs_interrupted


def _own_run(request, pk) -> Run:
    return get_object_or_404(
        Run.objects.select_related("provider", "session"),
        pk=pk,
        owner=request.user,
        session__deleted_at__isnull=True,
    )


@login_required
@require_GET
def run_detail(request, pk):
    """One run's card: the page fetches it after a reconnect to show the stored state.

    A card still streaming polls this, so a run whose server died turns interrupted.
    """
    mark_abandoned_runs_interrupted()
    return HttpResponse(render_run_card(_own_run(request, pk), request=request))


@login_required
@require_GET
def run_code(request, pk):
    """The run's request as curl, openai SDK, fetch and httpx code, with the key left out."""
    run = _own_run(request, pk)
    return render(request, "runs/code.html", {"run": run, "snippets": snippets_for(run)})
