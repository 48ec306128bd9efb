"""Turns a run message into a stored run: finds its session, saves the form, validates it."""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.datastructures import MultiValueDict

from playground.completions.forms import CompletionForm
from playground.completions.messages import form_data_from_message
from playground.completions.request_body import build_request_body
from playground.ids import parse_id
from playground.providers.capabilities import capabilities_for
from playground.providers.models import Provider
from playground.runs.models import Run
from playground.runs.tree import PlacementForm
from playground.sessions.models import PlaygroundSession
from playground.sessions.state import StateTooLarge, UnsavableState, save_state, session_state

from .fanout import plan_requests, sent_requests
from .limits import refusal_to_start


@dataclass
class Launch:
    run: Run | None = None
    form: CompletionForm | None = None
    # Of the run's provider and model, as the probe measured them (see fanout.py).
    quirks: list[str] = field(default_factory=list)
    # Set when the message cannot become a run at all (an unknown session, say).
    error: str = ""


def find_or_start_session(user, session_id) -> PlaygroundSession | None:
    if session_id in (None, ""):
        # A client that names no session gets a new one, so its runs are kept too. It is
        # saved once, with the form in it, rather than created empty and updated.
        return PlaygroundSession(owner=user)
    pk = parse_id(session_id)
    if pk is None:
        return None
    return PlaygroundSession.objects.owned_by(user).filter(pk=pk).first()


def save_form_state(session, data: MultiValueDict, provider: Provider | None, user) -> None:
    """save_state(), with the posted provider already looked up by a form (None: it is not
    one of the user's usable providers), so that it is not looked up again.

    save_state() sets the provider when the posted id is one of the user's usable
    providers; the form's provider field is that very lookup (Provider.usable_by).
    """
    provider_id = data.get("provider", "")
    state = data.copy()
    state.pop("provider", None)
    save_state(session, state, user)
    if provider_id.isdigit() and provider is not None:
        session.provider = provider


def launch_run(user, message: dict) -> Launch:
    """Stores the form in its session and, if it is valid, a new run.

    The database work is kept small: it is on the way to the first token.
    """
    session = find_or_start_session(user, message.get("session"))
    if session is None:
        return Launch(error="No such session: it was deleted, or it is not yours.")
    data = form_data_from_message(message)
    # The form fills the prompt's {{variables}} in: the run sends, and keeps, the filled text.
    form = CompletionForm(data, user=user, fill_variables=True)
    valid = form.is_valid()
    try:
        # The form is saved even when it is invalid: what the user typed is never lost.
        save_form_state(session, data, form.cleaned_data.get("provider"), user)
    except UnsavableState as exc:
        if session.pk is None:
            session.save()
        if isinstance(exc, StateTooLarge) and not valid:
            # The form's own errors name the field that is over its cap, and the cap.
            return Launch(form=form)
        return Launch(error=str(exc))
    placement = PlacementForm(
        data,
        runs=Run.objects.filter(session=session, owner=user) if session.pk else Run.objects.none(),
        document_length=len(data.get("prompt", "")) + len(data.get("suffix", "")),
    )
    if not placement.is_valid():
        for errors in placement.errors.values():
            for error in errors:
                form.add_error(None, error)
        valid = False
    if not valid:
        session.save()
        return Launch(form=form)
    provider = form.cleaned_data["provider"]
    body = build_request_body(form.cleaned_data)
    quirks = capabilities_for(provider, form.cleaned_data["model"]).quirks()
    # What will go upstream, for run.started and the card; the run trims it to what did.
    planned = sent_requests(body, plan_requests(body, quirks)[0])
    # One transaction, so one commit: the session's form and its new run.
    with transaction.atomic():
        refusal = refusal_to_start(user)
        if refusal:
            # The form is kept; only the run is refused.
            session.save()
            return Launch(form=form, error=refusal)
        session.last_run_at = timezone.now()
        session.save()
        run = new_run(user, session, form, body, planned, session_state(session), placement)
        run.save()
    return Launch(run=run, form=form, quirks=quirks)


def new_run(user, session, form, body: dict, planned: list, state: dict, placement, **extra) -> Run:
    """A run of the session as its valid form asks for it, not saved yet: planned, the
    requests that will go upstream (fanout.sent_requests); state, the form for Restore;
    placement, its place in the tree (a valid PlacementForm); extra, other fields."""
    provider = form.cleaned_data["provider"]
    return Run(
        owner=user,
        session=session,
        provider=provider,
        provider_name=provider.name,
        model=form.cleaned_data["model"],
        request_body=body,
        sent_requests=planned,
        form_state=state,
        **placement.placement(),
        **extra,
    )
