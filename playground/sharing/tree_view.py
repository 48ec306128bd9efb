"""What viewers of a shared session see of its tree (runs/tree.py): every node but the pruned
ones and what grew from them, which stay the owner's until they are brought back."""

from playground.runs import tree
from playground.runs.models import Run


def visible_runs(session) -> list[Run]:
    """The session's runs, oldest first, without the pruned ones and their descendants."""
    runs = list(session.runs.select_related("comparison").order_by("created_at", "id"))
    hidden = tree.hidden_runs(runs)
    return [run for run in runs if run.pk not in hidden]


def visible_run(session, run_pk: int) -> Run | None:
    return next((run for run in visible_runs(session) if run.pk == run_pk), None)


def has_choice(run: Run, choice: int) -> bool:
    """As the owner's editor asks (runs/views.py): a run that failed before any choice still
    has its choice 0, its prompt with nothing after it."""
    return 0 <= choice < max(tree.choice_count(run), 1)


def visible_node(session, text: str) -> tuple[Run, int] | None:
    """The run and choice of a node id ("run:choice") that viewers may see, or None."""
    node = tree.parse_node(text)
    if node is None:
        return None
    run = visible_run(session, node[0])
    if run is None or not has_choice(run, node[1]):
        return None
    return run, node[1]


def shown_node(session) -> str:
    """The node the owner's editor shows, if viewers may see it; else ""."""
    found = visible_node(session, session.node) if session.node else None
    return tree.node_id(found[0].pk, found[1]) if found else ""
