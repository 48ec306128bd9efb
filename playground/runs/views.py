from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from playground.providers.models import Provider

from .forms import CompletionForm
from .models import Run
from .recovery import mark_abandoned_runs_interrupted

RECENT_RUNS = 20


def _initial_parameters(user) -> dict:
    provider = Provider.objects.default_for(user)
    if provider is None:
        return {"stream": True}
    return {"provider": provider, "model": provider.default_model, "stream": True}


@login_required
@require_GET
def playground(request):
    mark_abandoned_runs_interrupted()
    form = CompletionForm(initial=_initial_parameters(request.user), user=request.user)
    return render(
        request,
        "runs/playground.html",
        {
            "form": form,
            "has_providers": form.fields["provider"].queryset.exists(),
            "runs": Run.objects.owned_by(request.user)[:RECENT_RUNS],
        },
    )


@login_required
@require_GET
def run_detail(request, pk):
    """One run's card: the page fetches it after a reconnect to show the stored state."""
    run = get_object_or_404(Run, pk=pk, owner=request.user)
    return render(request, "runs/playground.html#run-card", {"run": run})
