from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from playground.completions.snippets import snippets_for

from . import tree
from .cards import render_run_card
from .models import Run
from .recovery import mark_abandoned_runs_interrupted
from .signals import tree_changed


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


@login_required
@require_GET
def run_document(request, pk):
    """What the editor shows for one of the run's choices (a node of the session's tree)."""
    run = _own_run(request, pk)
    choice = request.GET.get("choice", "0")
    if not choice.isdigit() or int(choice) >= max(tree.choice_count(run), 1):
        return JsonResponse({"error": "This run has no such choice."}, status=404)
    return JsonResponse(tree.document(run, int(choice)))


def _prune(request, pk, pruned_at):
    run = _own_run(request, pk)
    Run.objects.filter(pk=run.pk).update(pruned_at=pruned_at)
    if run.session_id is not None:
        tree_changed.send(Run, session_id=run.session_id)
    runs = list(run.session.runs.all()) if run.session else []
    return JsonResponse({"nodes": tree.nodes(runs), "pruned": tree.pruned(runs)})


@login_required
@require_POST
def run_prune(request, pk):
    """Takes the run's nodes, and all that grew from them, out of the tree; undone by
    run_unprune, until the session itself is emptied from the trash."""
    return _prune(request, pk, timezone.now())


@login_required
@require_POST
def run_unprune(request, pk):
    return _prune(request, pk, None)
