"""Turns a run message into a stored run: finds its session, saves the form, validates it."""

from dataclasses import dataclass

from django.utils import timezone

from playground.sessions.models import PlaygroundSession
from playground.sessions.state import UnsavableState, save_state, session_state

from .forms import CompletionForm
from .messages import form_data_from_message
from .models import Run
from .request_body import build_request_body


@dataclass
class Launch:
    run: Run | None = None
    form: CompletionForm | None = None
    # Set when the message cannot become a run at all (an unknown session, say).
    error: str = ""


def _find_or_start_session(user, session_id) -> PlaygroundSession | None:
    if session_id in (None, ""):
        # A client that names no session gets a new one, so its runs are kept too.
        return PlaygroundSession.objects.create(owner=user)
    if not str(session_id).isdigit():
        return None
    return PlaygroundSession.objects.owned_by(user).filter(pk=session_id).first()


def launch_run(user, message: dict) -> Launch:
    session = _find_or_start_session(user, message.get("session"))
    if session is None:
        return Launch(error="No such session: it was deleted, or it is not yours.")
    data = form_data_from_message(message)
    try:
        # The form is saved even when it is invalid: what the user typed is never lost.
        save_state(session, data, user)
    except UnsavableState as exc:
        return Launch(error=str(exc))
    form = CompletionForm(data, user=user)
    if not form.is_valid():
        session.save()
        return Launch(form=form)
    provider = form.cleaned_data["provider"]
    session.last_run_at = timezone.now()
    session.save()
    run = Run.objects.create(
        owner=user,
        session=session,
        provider=provider,
        provider_name=provider.name,
        model=form.cleaned_data["model"],
        request_body=build_request_body(form.cleaned_data),
        form_state=session_state(session),
    )
    return Launch(run=run, form=form)
