from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from playground.ids import parse_id

from .client import UpstreamError, list_models
from .forms import ProviderForm
from .models import Provider


@login_required
def provider_list(request):
    return render(
        request,
        "providers/provider_list.html",
        {
            "own_providers": Provider.objects.filter(owner=request.user),
            "shared_providers": Provider.objects.filter(owner__isnull=True),
        },
    )


@login_required
def provider_create(request):
    form = ProviderForm(request.POST or None, instance=Provider(owner=request.user))
    if request.method == "POST" and form.is_valid():
        provider = form.save()
        messages.success(request, f"Provider “{provider.name}” added.")
        return redirect("provider_list")
    return render(request, "providers/provider_form.html", {"form": form})


@login_required
def provider_edit(request, pk):
    provider = get_object_or_404(Provider, pk=pk, owner=request.user)
    form = ProviderForm(request.POST or None, instance=provider)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Provider “{provider.name}” saved.")
        return redirect("provider_list")
    return render(request, "providers/provider_form.html", {"form": form, "provider": provider})


@login_required
@require_POST
def provider_delete(request, pk):
    provider = get_object_or_404(Provider, pk=pk, owner=request.user)
    provider.delete()
    messages.success(request, f"Provider “{provider.name}” deleted.")
    return redirect("provider_list")


@login_required
@require_GET
def provider_models(request):
    """The model suggestions for the form's model field, cached; ?refresh=1 fetches anew."""
    provider_id = parse_id(request.GET.get("provider", ""))
    if provider_id is None:
        raise Http404("No such provider.")
    provider = get_object_or_404(Provider.objects.usable_by(request.user), pk=provider_id)
    cache_key = f"provider-models:{provider.pk}:{provider.updated_at.timestamp()}"
    models, error = cache.get(cache_key), ""
    if models is None or request.GET.get("refresh"):
        try:
            models = async_to_sync(list_models)(provider)
            cache.set(cache_key, models, settings.PLAYGROUND_MODELS_CACHE_SECONDS)
        except UpstreamError as exc:
            models, error = [], exc.message
    return render(
        request,
        "providers/model_options.html",
        {"models": models, "models_error": error, "provider": provider},
    )
