"""The run card: the one place it is rendered on its own, for the run's view, the run socket
and its viewers. Pages that list runs include runs/run_card.html in their own template."""

from django.template.loader import render_to_string

from .models import Run

CARD_TEMPLATE = "runs/run_card.html"


def render_run_card(
    run: Run, read_only: bool = False, request=None, runs_path: str | None = None
) -> str:
    """read_only: without the owner's actions (restore, insert), as viewers see it.

    runs_path: where viewers fetch a run's card ("/s/<token>/runs/"), which a card still
    streaming polls; the owner's card polls the run's own URL.
    """
    context = {"run": run, "read_only": read_only, "runs_path": runs_path}
    return render_to_string(CARD_TEMPLATE, context, request)
