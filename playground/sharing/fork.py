"""A viewer's own copy of a shared session, no secrets: the whole of it, or one node's.

The whole session: its prompt, parameters and every run viewers see (tree_view.py), linked
as they were. At a node: a session whose document is that node's (its prompt, the choice's
text, its suffix, with who wrote what), with the runs on the path from the root to it.
"""

from django.db import transaction

from playground.providers.models import Provider
from playground.runs import tree
from playground.runs.models import Comparison, Run
from playground.sessions.models import PlaygroundSession

from .tree_view import shown_node, visible_runs

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
    # Its place in the tree; parent is set to the parent's copy.
    "parent_choice",
    "branch_token",
    "forced_text",
    "looks",
)


def _provider_for(viewer, provider: Provider | None) -> Provider | None:
    # The owner's personal provider (and its key) stays theirs: the viewer's choice instead.
    if provider is not None and provider.owner_id in (None, viewer.pk):
        return provider
    return Provider.objects.default_for(viewer)


def _copy_comparison(comparison: Comparison, fork: PlaygroundSession, viewer, provider):
    """A comparison's copy in the fork: its columns on the viewer's provider, not the owner's."""
    chosen = str(provider.pk if provider else "")
    columns = [{**column, "provider": chosen} for column in comparison.columns]
    copy = Comparison.objects.create(owner=viewer, session=fork, columns=columns)
    Comparison.objects.filter(pk=copy.pk).update(created_at=comparison.created_at)
    return copy


def _copy_runs(runs: list[Run], fork: PlaygroundSession, viewer, provider) -> dict[int, Run]:
    """Copies runs (oldest first, each parent before its children) into the fork, with their
    tree links pointing at the copies, and the comparisons they are columns of: {original
    id: copy}."""
    copies: dict[int, Run] = {}
    comparisons: dict[int, Comparison] = {}
    for run in runs:
        comparison = None
        if run.comparison is not None:
            if run.comparison_id not in comparisons:
                comparisons[run.comparison.pk] = _copy_comparison(
                    run.comparison, fork, viewer, provider
                )
            comparison = comparisons[run.comparison.pk]
        copy = Run.objects.create(
            owner=viewer,
            session=fork,
            provider=_provider_for(viewer, run.provider) if run.provider_id else None,
            form_state={**run.form_state, "provider": str(provider.pk if provider else "")},
            parent=copies.get(run.parent_id) if run.parent_id is not None else None,
            comparison=comparison,
            column=run.column if comparison is not None else None,
            # A copy: the viewer started nothing, so no cap counts it.
            started_here=False,
            **{name: getattr(run, name) for name in RUN_COPY_FIELDS},
        )
        Run.objects.filter(pk=copy.pk).update(created_at=run.created_at)
        copies[run.pk] = copy
    return copies


def _copied_node(text: str, copies: dict[int, Run]) -> str:
    node = tree.parse_node(text)
    return tree.node_id(copies[node[0]].pk, node[1]) if node and node[0] in copies else ""


def _path(runs: list[Run], run: Run) -> list[Run]:
    """run and its ancestors, the root first."""
    by_id = {each.pk: each for each in runs}
    path = [run]
    while path[-1].parent_id in by_id:
        path.append(by_id[path[-1].parent_id])
    return path[::-1]


@transaction.atomic
def fork_session(
    session: PlaygroundSession, viewer, node: tuple[Run, int] | None = None
) -> PlaygroundSession:
    """node: a node viewers may see (tree_view.visible_node), to fork at; None, the whole."""
    provider = _provider_for(viewer, session.provider)
    runs = visible_runs(session)
    fork = PlaygroundSession(
        owner=viewer,
        title=f"Fork of {session.display_title}"[:200],
        title_is_custom=True,
        provider=provider,
        model=session.model,
        prompt=session.prompt,
        parameters=session.parameters,
        looks=session.looks,
        last_run_at=session.last_run_at,
    )
    if node is not None:
        run, choice = node
        document = tree.document(run, choice)
        runs = _path(runs, run)
        fork.model = run.model
        # The whole document is the prompt now, as the editor keeps it after a save.
        fork.prompt, fork.looks = tree.document_text_and_looks(document)
        fork.parameters = {**session.parameters, "suffix": ""}
    fork.save()
    copies = _copy_runs(runs, fork, viewer, provider)
    fork.node = _copied_node(
        tree.node_id(node[0].pk, node[1]) if node else shown_node(session), copies
    )
    fork.save(update_fields=["node"])
    return fork
