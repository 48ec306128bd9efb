from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from playground.runs import tree
from playground.runs.cards import render_run_card
from playground.runs.comparisons import newest_comparison
from playground.sessions.models import PlaygroundSession
from playground.sessions.views import render_session_page

from .access import ACCESS_ENDED, share_for_team_member, share_for_token
from .fork import fork_session
from .forms import ForkForm, ShareForm
from .live import live_mode_available, public_state, send_to_viewers_now, shown_state
from .models import SessionShare, Visibility, new_token
from .tree_view import has_choice, visible_node, visible_run, visible_runs

# What a visitor who is not logged in reads on the login page a share link sends them to.
LOG_IN_TO_OPEN = (
    "Log in to open the shared session: on this playground, share links are for people "
    "with an account."
)


def _shared_with(share: SessionShare) -> str:
    if share.visibility == Visibility.LINK:
        return "Shared by link, read-only: anyone you give the link below to can open it."
    if share.visibility == Visibility.TEAM and share.team is not None:
        return f"Shared with {share.team.name}, read-only."
    return "Only you can see this session now."


def _own_share(request, pk) -> SessionShare:
    session = get_object_or_404(PlaygroundSession.objects.owned_by(request.user), pk=pk)
    share, _ = SessionShare.objects.get_or_create(session=session)
    return share


@login_required
def share_settings(request, pk):
    share = _own_share(request, pk)
    form = ShareForm(request.POST or None, instance=share, owner=request.user)
    if request.method == "POST" and form.is_valid():
        share = form.save(commit=False)
        if share.visibility == Visibility.LINK:
            share.token = share.token or new_token()
        else:
            share.token = None
        if share.visibility != Visibility.TEAM:
            share.team = None
        if share.visibility == Visibility.PRIVATE and share.is_live:
            share.live_since = None
            send_to_viewers_now(share.session_id, {"type": "live.ended"})
        share.save()
        messages.success(request, _shared_with(share))
        return redirect("share_settings", pk=pk)
    return render(
        request,
        "sharing/share_settings.html",
        {
            "share": share,
            "session": share.session,
            "form": form,
            "share_url": request.build_absolute_uri(f"/s/{share.token}/") if share.token else "",
            "live_unavailable": not live_mode_available(),
        },
    )


@login_required
@require_POST
def share_regenerate(request, pk):
    """A new link; the old one answers 404 from now on."""
    share = _own_share(request, pk)
    share.visibility, share.token = Visibility.LINK, new_token()
    share.save()
    messages.success(request, "A new link replaces the old one, which no longer works.")
    return redirect("share_settings", pk=pk)


@login_required
@require_POST
def share_revoke(request, pk):
    share = _own_share(request, pk)
    share.visibility, share.token, share.team = Visibility.PRIVATE, None, None
    if share.is_live:
        share.live_since = None
        send_to_viewers_now(share.session_id, {"type": "live.ended"})
    share.save()
    messages.success(request, "The session is private again; its link no longer works.")
    return redirect("share_settings", pk=pk)


def _render_shared(request, share, watch_path, page_path):
    session = share.session
    runs = visible_runs(session)
    state = public_state(session)
    shown = visible_node(session, state["node"]) if state["node"] else None
    return render(
        request,
        "sharing/shared_session.html",
        {
            "share": share,
            "session": session,
            "state": shown_state(state),
            "runs": runs[::-1],
            "tree_nodes": tree.nodes(runs),
            "comparison": newest_comparison(session, {run.pk for run in runs}),
            # The document of the node the owner's editor shows, for the page to start with.
            "document": tree.document(*shown) if shown else None,
            "read_only": True,
            "watch_path": watch_path,
            "fork_url": f"{page_path}fork/",
            "tree_url": f"{page_path}tree/",
            # Where the page fetches a run's card that was too large for its socket, and a
            # node's document (runs/<id>/document/).
            "runs_path": f"{page_path}runs/",
            "access_ended": ACCESS_ENDED,
            "live_unavailable": not live_mode_available(),
        },
    )


@require_GET
def shared_session(request, token):
    if not request.user.is_authenticated and not settings.PLAYGROUND_ANONYMOUS_SHARE_LINKS:
        messages.info(request, LOG_IN_TO_OPEN)
        return redirect_to_login(request.get_full_path())
    share = share_for_token(token, request.user)
    return _render_shared(request, share, f"/ws/watch/{token}/", f"/s/{token}/")


@login_required
@require_GET
def team_session(request, pk):
    share = share_for_team_member(pk, request.user)
    return _render_shared(request, share, f"/ws/watch/team/{pk}/", f"/team/{pk}/")


@require_GET
def shared_run(request, token, run_pk):
    """A run's card as viewers see it: the share page fetches a card too large for its socket."""
    return _shared_card(request, share_for_token(token, request.user), run_pk, f"/s/{token}/")


@login_required
@require_GET
def team_run(request, pk, run_pk):
    return _shared_card(request, share_for_team_member(pk, request.user), run_pk, f"/team/{pk}/")


def _shared_card(request, share, run_pk, page_path):
    run = visible_run(share.session, run_pk)
    if run is None:
        raise Http404("No such run in this shared session.")
    card = render_run_card(run, read_only=True, request=request, runs_path=f"{page_path}runs/")
    return HttpResponse(card)


@require_GET
def shared_tree(request, token):
    """The nodes of the shared session's tree, as the share page lists them."""
    return _tree(share_for_token(token, request.user))


@login_required
@require_GET
def team_tree(request, pk):
    return _tree(share_for_team_member(pk, request.user))


def _tree(share):
    return JsonResponse({"nodes": tree.nodes(visible_runs(share.session))})


@require_GET
def shared_document(request, token, run_pk):
    """A node's document (its prompt, the choice's text and tokens, its suffix, with who
    wrote what), as the owner's editor gets it: the share page shows the node chosen."""
    return _document(request, share_for_token(token, request.user), run_pk)


@login_required
@require_GET
def team_document(request, pk, run_pk):
    return _document(request, share_for_team_member(pk, request.user), run_pk)


def _document(request, share, run_pk):
    run = visible_run(share.session, run_pk)
    choice = request.GET.get("choice", "0")
    if run is None or not choice.isdigit() or not has_choice(run, int(choice)):
        return JsonResponse({"error": "This shared session has no such node."}, status=404)
    return JsonResponse(tree.document(run, int(choice)))


@login_required
@require_POST
def fork_shared(request, token):
    share = share_for_token(token, request.user)
    return _forked(request, share)


@login_required
@require_POST
def fork_team(request, pk):
    return _forked(request, share_for_team_member(pk, request.user))


def _forked(request, share):
    # Access was checked just now (share_for_token, share_for_team_member): a fork needs
    # the grant as it is when it is asked for, not as it was when the page opened.
    form = ForkForm(request.POST, session=share.session)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, f"Nothing was forked: {error}")
        return redirect(request.path.removesuffix("fork/"))
    node = form.cleaned_data["node"]
    fork = fork_session(share.session, request.user, node)
    where = " at the node you chose" if node else ""
    messages.success(request, f"Forked into your sessions{where} as “{fork.title}”.")
    return redirect("session_detail", pk=fork.pk)


@login_required
@require_GET
def session_present(request, pk):
    """Presenter mode: the session page in large type, with the live-demo controls."""
    share = _own_share(request, pk)
    return render_session_page(
        request, share.session, presenting=True, live_unavailable=not live_mode_available()
    )
