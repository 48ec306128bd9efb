"""A comparison's columns as the session page shows them (static/compare.js): live, each
column's figures when it ends; after a reload, the newest comparison as it ended."""

from django.db.models import Prefetch

from . import tree
from .models import Comparison, Run


def column_figures(run: Run) -> dict:
    """What a column's footer shows once its run has ended."""
    return {
        "run": run.pk,
        "column": run.column,
        "status": run.status,
        "error": run.error,
        "notices": run.notices,
        "usage": run.usage,
        "time_to_first_token_ms": run.first_token_ms,
        "tokens_per_second": run.tokens_per_second,
        "completion_tokens": run.completion_tokens,
        "finish_reasons": [choice.get("finish_reason") for choice in run.choices],
        "cost": _cost(run),
    }


def _cost(run: Run) -> str | None:
    """The run's cost at its provider's prices, as text (up to 6 significant digits)."""
    cost = run.provider.cost_of(run.usage) if run.provider is not None else None
    return None if cost is None else f"{cost:.6g}"


def newest_comparison(session, shown: set[int] | None = None) -> dict | None:
    """The session's newest comparison as comparison_view() gives it, or None."""
    comparison = Comparison.objects.filter(session=session).first()
    return comparison_view(comparison, shown) if comparison else None


def comparison_view(comparison: Comparison, shown: set[int] | None = None) -> dict:
    """A comparison: its columns' settings and each column's run (those in `shown` only,
    when given: a share page leaves pruned runs out)."""
    results = []
    for run in comparison.runs.select_related("provider").order_by("column"):
        if shown is not None and run.pk not in shown:
            continue
        doc = tree.document(run, 0) if tree.choice_count(run) else {"text": "", "tokens": None}
        results.append(
            {
                **column_figures(run),
                "provider": run.provider_name,
                "model": run.model,
                "request": run.request_body,
                "text": doc["text"],
                "tokens": doc["tokens"],
            }
        )
    return {
        "comparison": comparison.pk,
        "created_at": comparison.created_at.isoformat(),
        "columns": comparison.columns,
        "results": results,
    }


def comparison_choices(session) -> list[dict]:
    """The session's comparisons, newest first, for the panel's list: when, and of what (each
    column's model as its run had it, as compare.started says it to the page)."""
    comparisons = Comparison.objects.filter(session=session).prefetch_related(
        Prefetch("runs", queryset=Run.objects.order_by("column").only("comparison", "model"))
    )
    return [
        {
            "id": comparison.pk,
            "created_at": comparison.created_at,
            "models": [run.model for run in comparison.runs.all()],
        }
        for comparison in comparisons
    ]
