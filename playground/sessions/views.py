import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from playground.completions.forms import CompletionForm
from playground.providers.models import Provider
from playground.runs.comparisons import comparison_choices, comparison_view, newest_comparison
from playground.runs.models import Run
from playground.runs.recovery import mark_abandoned_runs_interrupted
from playground.runs.tree import looks_are_valid, nodes, pruned, typed

from .file_schema import file_schema
from .forms import ImportForm, RenameForm, SearchForm
from .models import PlaygroundSession
from .signals import readable_sessions, state_saved
from .state import UnsavableState, form_initial, restore_state, save_state
from .transfer import export_session, import_session, runs_as_jsonl

SESSIONS_PER_PAGE = 20


def _new_session(user) -> PlaygroundSession:
    provider = Provider.objects.default_for(user)
    return PlaygroundSession.objects.create(
        owner=user, provider=provider, model=provider.default_model if provider else ""
    )


@login_required
@require_GET
def playground(request):
    """Opening the playground goes back to the session edited last (a closed tab loses
    nothing), or starts one; "New session" starts afresh."""
    # Sessions are ordered by updated_at, which every edit, run and rename moves on.
    latest = PlaygroundSession.objects.owned_by(request.user).first()
    session = latest or _new_session(request.user)
    return redirect("session_detail", pk=session.pk)


@login_required
@require_POST
def session_new(request):
    return redirect("session_detail", pk=_new_session(request.user).pk)


@login_required
@require_GET
def session_detail(request, pk):
    session = get_object_or_404(PlaygroundSession.objects.owned_by(request.user), pk=pk)
    return render_session_page(request, session)


def render_session_page(request, session, **extra_context):
    """The session page, for its owner. The apps above add to it (sharing: presenter mode,
    with `presenting` and `live_unavailable`) through extra_context."""
    mark_abandoned_runs_interrupted()
    initial = form_initial(session)
    # The document is the prompt and the text after the cursor, which a run from the middle
    # of the document sent as its suffix.
    document = initial["prompt"] + (initial.get("suffix") or "")
    initial["prompt"] = document
    looks = session.looks if looks_are_valid(session.looks, len(document)) else typed(len(document))
    if initial["provider"] is None:
        initial["provider"] = Provider.objects.default_for(request.user)
    form = CompletionForm(initial=initial, user=request.user)
    runs = list(session.runs.all())
    return render(
        request,
        "sessions/session.html",
        {
            "session": session,
            "form": form,
            "has_providers": form.fields["provider"].queryset.exists(),
            "runs": _runs_with_previous_bodies(session),
            "tree_nodes": nodes(runs),
            "pruned_branches": pruned(runs),
            "comparison": newest_comparison(session),
            "comparisons": comparison_choices(session),
            "looks_json": json.dumps(looks),
            **extra_context,
        },
    )


def _runs_with_previous_bodies(session) -> list:
    runs = list(session.runs.order_by("-created_at", "-id"))
    for position, run in enumerate(runs):
        earlier = runs[position + 1] if position + 1 < len(runs) else None
        run.previous_request_body = earlier.request_body if earlier else None
    return runs


@login_required
@require_GET
def session_tree(request, pk):
    """The session's tree of runs, for the editor's tree panel, and the version of the stored
    document: the editor's saves are based on it once it shows the newest run it took in."""
    session = get_object_or_404(PlaygroundSession.objects.owned_by(request.user), pk=pk)
    runs = list(session.runs.all())
    return JsonResponse(
        {
            "nodes": nodes(runs),
            "pruned": pruned(runs),
            "document_version": session.document_version,
        }
    )


@login_required
@require_GET
def session_comparison(request, pk, comparison):
    """One of the session's comparisons, as the comparison panel shows it."""
    session = get_object_or_404(PlaygroundSession.objects.owned_by(request.user), pk=pk)
    found = get_object_or_404(session.comparisons.all(), pk=comparison)
    return JsonResponse(comparison_view(found))


@login_required
@require_POST
def session_autosave(request, pk):
    with transaction.atomic():
        # Locked (on PostgreSQL) until saved, as a finished run's taking in is (state.py).
        sessions = PlaygroundSession.objects.owned_by(request.user).select_for_update()
        session = get_object_or_404(sessions, pk=pk)
        try:
            document_saved = save_state(session, request.POST, request.user)
        except UnsavableState as exc:
            return render(
                request, "sessions/session.html#save-state", {"session": session, "error": str(exc)}
            )
        session.save()
    state_saved.send(PlaygroundSession, session=session)
    if not document_saved:
        # The page's document is from before a run that finished since: what the server holds
        # has the run's text, so it stays. The page that sent this has the run by now, and
        # saves again; a page that never will (another tab) is told.
        error = (
            "the document here. A completion finished in this session after this page last "
            "had it, and the stored document has that completion. The other settings are "
            "saved. Reload the page to see the document as it is stored."
        )
        return render(
            request, "sessions/session.html#save-state", {"session": session, "error": error}
        )
    context = {
        "session": session,
        "saved": True,
        "title_follows_prompt": not session.title_is_custom,
    }
    return render(request, "sessions/session.html#save-state", context)


@login_required
@require_GET
def session_list(request):
    search = SearchForm(request.GET)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    last_run = Run.objects.filter(session=OuterRef("pk")).order_by("-created_at", "-id")
    sessions = (
        PlaygroundSession.objects.owned_by(request.user)
        .matching(query)
        .annotate(last_run_model=Subquery(last_run.values("model")[:1]))
    )
    page = Paginator(sessions, SESSIONS_PER_PAGE).get_page(request.GET.get("page"))
    template = "sessions/session_list.html"
    if request.htmx and request.htmx.target == "session-results":
        template += "#results"
    context = {
        "page": page,
        "search": search,
        "query": query,
        # Shown read-only under "Team": teammates' sessions shared with a team of this user.
        "team_sessions": [
            session
            for _, readable in readable_sessions.send(PlaygroundSession, user=request.user)
            for session in readable.matching(query)[:SESSIONS_PER_PAGE]
        ],
    }
    return render(request, template, context)


@login_required
@require_POST
def session_rename(request, pk):
    session = get_object_or_404(PlaygroundSession.objects.owned_by(request.user), pk=pk)
    form = RenameForm(request.POST, instance=session)
    if form.is_valid():
        form.save()
    elif not request.htmx:
        messages.error(request, " ".join(form.errors["title"]))
    if request.htmx:
        return render(request, "sessions/session.html#title", {"session": session, "form": form})
    return HttpResponseRedirect(_safe_next(request) or reverse("session_detail", args=[session.pk]))


def _safe_next(request) -> str:
    """The page to go back to, if it is one of this site's."""
    url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return ""


@login_required
@require_POST
def session_duplicate(request, pk):
    session = get_object_or_404(PlaygroundSession.objects.owned_by(request.user), pk=pk)
    copy = PlaygroundSession.objects.create(
        owner=request.user,
        title=f"Copy of {session.display_title}"[:200],
        title_is_custom=True,
        provider=session.provider,
        model=session.model,
        prompt=session.prompt,
        parameters=session.parameters,
    )
    messages.success(request, f"Duplicated as “{copy.title}”.")
    return redirect("session_detail", pk=copy.pk)


@login_required
@require_POST
def session_delete(request, pk):
    session = get_object_or_404(PlaygroundSession.objects.owned_by(request.user), pk=pk)
    session.move_to_trash()
    messages.success(request, f"“{session.display_title}” moved to the trash.", extra_tags="undo")
    request.session["undo_session"] = session.pk
    return redirect("session_list")


@login_required
@require_POST
def session_restore(request, pk):
    session = get_object_or_404(PlaygroundSession.objects.in_trash_of(request.user), pk=pk)
    session.restore_from_trash()
    request.session.pop("undo_session", None)
    messages.success(request, f"“{session.display_title}” restored.")
    return redirect("session_detail", pk=session.pk)


@login_required
@require_GET
def session_trash(request):
    sessions = PlaygroundSession.objects.in_trash_of(request.user).order_by("-deleted_at")
    return render(request, "sessions/trash.html", {"sessions": sessions})


@login_required
@require_POST
def session_purge(request, pk):
    session = get_object_or_404(PlaygroundSession.objects.in_trash_of(request.user), pk=pk)
    session.delete()
    messages.success(request, f"“{session.display_title}” deleted for good.")
    return redirect("session_trash")


@login_required
@require_GET
def session_export(request, pk):
    session = get_object_or_404(PlaygroundSession.objects.owned_by(request.user), pk=pk)
    response = JsonResponse(export_session(session), json_dumps_params={"indent": 2})
    response["Content-Disposition"] = f'attachment; filename="session-{session.pk}.json"'
    return response


@login_required
@require_GET
def session_export_jsonl(request, pk):
    session = get_object_or_404(PlaygroundSession.objects.owned_by(request.user), pk=pk)
    response = HttpResponse(runs_as_jsonl(session), content_type="application/jsonl")
    response["Content-Disposition"] = f'attachment; filename="session-{session.pk}-runs.jsonl"'
    return response


@require_GET
def session_import_schema(request):
    """The import format as JSON Schema: documentation, so it is served to anyone."""
    return JsonResponse(file_schema(), json_dumps_params={"indent": 2})


@login_required
@require_POST
def session_import(request):
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        for error in form.errors.get("file", []):
            messages.error(request, f"Nothing was imported: {error}")
        return redirect("session_list")
    session = import_session(form.cleaned_data["file"], request.user)
    messages.success(request, f"Imported “{session.display_title}”.")
    return redirect("session_detail", pk=session.pk)


@login_required
@require_POST
def run_restore(request, pk):
    """Puts the run's prompt and parameters back into its session's form."""
    run = get_object_or_404(
        Run.objects.select_related("session"),
        pk=pk,
        owner=request.user,
        session__deleted_at__isnull=True,
    )
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
