from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from playground.sessions.state import restore_state

from .models import Run
from .recovery import mark_abandoned_runs_interrupted
from .snippets import snippets_for


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
    return render(request, "runs/playground.html#run-card", {"run": _own_run(request, pk)})


@login_required
@require_GET
def run_code(request, pk):
    """The run's request as curl, openai SDK, fetch and httpx code, with the key left out."""
    run = _own_run(request, pk)
    return render(request, "runs/code.html", {"run": run, "snippets": snippets_for(run)})


@login_required
@require_POST
def run_restore(request, pk):
    """Puts the run's prompt and parameters back into its session's form."""
    run = _own_run(request, pk)
    session = run.session
    if session is None:
        raise Http404("This run belongs to no session.")
    if not run.form_state:
        # An imported run may come without its form: restoring it would blank the form.
        raise Http404("This run kept no form to restore.")
    restore_state(session, run.form_state, request.user)
    session.save()
    if request.htmx:
        return HttpResponseClientRedirect(reverse("session_detail", args=[session.pk]))
    return redirect("session_detail", pk=session.pk)
