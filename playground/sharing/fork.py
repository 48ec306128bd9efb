"""A viewer's own copy of a shared session: same prompt, parameters and runs, no secrets."""

from django.db import transaction

from playground.providers.models import Provider
from playground.runs.models import Run
from playground.sessions.models import PlaygroundSession

RUN_COPY_FIELDS = (
    "provider_name",
    "model",
    "request_body",
    "sent_requests",
    "choices",
    "usage",
    "status",
    "error",
    "notices",
    "raw_response",
    "raw_truncated",
    "time_to_first_token_ms",
    "total_ms",
    "completion_tokens",
    "tokens_from_usage",
)


def _provider_for(viewer, provider: Provider | None) -> Provider | None:
    # The owner's personal provider (and its key) stays theirs: the viewer's choice instead.
    if provider is not None and provider.owner_id in (None, viewer.pk):
        return provider
    return Provider.objects.default_for(viewer)


@transaction.atomic
def fork_session(session: PlaygroundSession, viewer) -> PlaygroundSession:
    provider = _provider_for(viewer, session.provider)
    fork = PlaygroundSession.objects.create(
        owner=viewer,
        title=f"Fork of {session.display_title}"[:200],
        title_is_custom=True,
        provider=provider,
        model=session.model,
        prompt=session.prompt,
        parameters=session.parameters,
        last_run_at=session.last_run_at,
    )
    for run in session.runs.order_by("created_at", "id"):
        copy = Run.objects.create(
            owner=viewer,
            session=fork,
            provider=_provider_for(viewer, run.provider) if run.provider_id else None,
            form_state={**run.form_state, "provider": str(provider.pk if provider else "")},
            **{name: getattr(run, name) for name in RUN_COPY_FIELDS},
        )
        Run.objects.filter(pk=copy.pk).update(created_at=run.created_at)
    return fork
