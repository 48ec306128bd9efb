from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from playground.ids import parse_id

from .capabilities import capabilities_for, model_or_default, table
from .client import UpstreamError, list_models
from .forms import ModelChoiceForm, ProviderForm
from .models import Provider
from .probe import PROBE_COOLDOWN_SECONDS, claim_probe, probe_and_record
from .tasks import probe_after_commit


def _capabilities_context(request, provider, probe_form=None) -> dict:
    """The provider's measured capabilities, a table per probed model, and who may probe."""
    can_probe = provider.owner_id == request.user.pk or (
        provider.owner_id is None and request.user.is_staff
    )
    return {
        "provider": provider,
        "probes": [{"row": row, "lines": table(row)} for row in provider.capabilities.all()],
        "can_probe": can_probe,
        "probe_form": probe_form or ModelChoiceForm(initial={"model": provider.default_model}),
    }


@login_required
def provider_list(request):
    shared = Provider.objects.filter(owner__isnull=True).prefetch_related("capabilities")
    return render(
        request,
        "providers/provider_list.html",
        {
            "own_providers": Provider.objects.filter(owner=request.user),
            "shared_providers": [_capabilities_context(request, p) for p in shared],
        },
    )


@login_required
def provider_create(request):
    form = ProviderForm(request.POST or None, instance=Provider(owner=request.user))
    if request.method == "POST" and form.is_valid():
        provider = form.save()
        probe_after_commit(provider)
        messages.success(
            request,
            f"Provider “{provider.name}” added. A probe of what it honours is queued: its page "
            "shows the results once the background worker has run it.",
        )
        return redirect("provider_list")
    return render(request, "providers/provider_form.html", {"form": form})


@login_required
def provider_edit(request, pk):
    provider = get_object_or_404(Provider, pk=pk, owner=request.user)
    form = ProviderForm(request.POST or None, instance=provider)
    if request.method == "POST" and form.is_valid():
        if "base_url" in form.changed_data:
            # Measured on another server: they say nothing about the new one.
            provider.capabilities.all().delete()
        form.save()
        saved = f"Provider “{provider.name}” saved."
        if form.changes_what_it_answers():
            probe_after_commit(provider)
            saved += " A probe of what it honours now is queued."
        messages.success(request, saved)
        return redirect("provider_list")
    context = {"form": form, **_capabilities_context(request, provider)}
    return render(request, "providers/provider_form.html", context)


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


@login_required
@require_POST
def provider_probe(request, pk):
    """Probes a model of the provider now, and shows what it measured (owner, or staff)."""
    provider = get_object_or_404(Provider.objects.probable_by(request.user), pk=pk)
    form = ModelChoiceForm(request.POST)
    if form.is_valid():
        model = model_or_default(provider, form.cleaned_data["model"])
        wait = claim_probe(provider, model)
        if wait:
            form.add_error(
                "model",
                f"{model} was probed less than {PROBE_COOLDOWN_SECONDS} s ago: "
                f"probe it again in {wait} s.",
            )
        else:
            probe_and_record(provider, form.cleaned_data["model"])
    if request.htmx:
        context = _capabilities_context(request, provider, None if form.is_valid() else form)
        return render(request, "providers/capabilities.html#capabilities", context)
    if form.is_valid():
        messages.success(request, f"Probed “{provider.name}”.")
    else:
        messages.error(request, "; ".join(form.errors["model"]))
    if provider.owner_id:
        return redirect("provider_edit", provider.pk)
    return redirect("provider_list")


@require_GET
def provider_capabilities_panel(request, pk):
    """The capabilities panel alone: a page with a probe queued asks for it until it ends.

    Once the page may no longer see the provider (its login ended, or the provider was
    deleted or unshared), the page's asking gets a panel that says so, with htmx's "stop
    polling" status (286): not a 404 every 3 s for ever, nor the login page in the panel.
    """
    user = request.user
    provider = (
        Provider.objects.usable_by(user).filter(pk=pk).first() if user.is_authenticated else None
    )
    if provider is None:
        if not request.htmx:
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            raise Http404("No such provider.")
        context = {"pk": pk, "login_ended": not user.is_authenticated}
        return render(request, "providers/capabilities.html#capabilities-gone", context, status=286)
    context = _capabilities_context(request, provider)
    return render(request, "providers/capabilities.html#capabilities", context)


@login_required
@require_GET
def provider_capabilities(request, pk):
    """What a usable provider honours for ?model= (its default model when blank), as JSON.

    Each capability is its value, null when unknown (never probed, or not measurable).
    """
    provider = get_object_or_404(Provider.objects.usable_by(request.user), pk=pk)
    form = ModelChoiceForm(request.GET)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    model = model_or_default(provider, form.cleaned_data["model"])
    capabilities = capabilities_for(provider, model)
    measured_at = capabilities.measured_at
    return JsonResponse(
        {
            "provider": provider.pk,
            "model": model,
            "measured_at": measured_at.isoformat() if measured_at else None,
            "capabilities": capabilities.as_json(),
            "evidence": capabilities.evidence,
        }
    )
