"""The dataset runs' pages: start one, follow it (progress, Stop, Resume, results), export
it, open a cell as a session. A run is its owner's only: every view loads it through
owner=request.user, so anyone else gets a 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from playground.datasets.models import DatasetResult, DatasetRun

from . import lifecycle, results
from .forms import DatasetRunForm
from .opening import open_as_session
from .progress import progress_of

ROWS_PER_PAGE = 50


def _owned(request, pk) -> DatasetRun:
    return get_object_or_404(
        DatasetRun.objects.filter(owner=request.user).select_related("dataset"), pk=pk
    )


@login_required
@require_http_methods(["GET", "POST"])
def dataset_run_new(request):
    form = DatasetRunForm(request.POST or None, user=request.user, initial=request.GET.dict())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        outcome = lifecycle.start(
            request.user,
            data["dataset"],
            data["session"],
            data["comparison"],
            score_likelihood=data["score_likelihood"],
        )
        if outcome.run is not None:
            return redirect("dataset_run_detail", pk=outcome.run.pk)
        form.add_error(None, outcome.error)
    recent = DatasetRun.objects.filter(owner=request.user).select_related("dataset")[:20]
    return render(request, "datasetruns/new.html", {"form": form, "recent": recent})


@login_required
@require_GET
def dataset_run_detail(request, pk):
    run = _owned(request, pk)
    # A run left without a worker (it died) gets one when its page is looked at.
    lifecycle.ensure_worker(run.pk)
    run.refresh_from_db()
    which = request.GET.get("show", "")
    if which not in results.FILTERS:
        which = ""
    page = Paginator(results.row_indexes(run, which), ROWS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "run": run,
        "progress": progress_of(run),
        "summaries": results.summaries(run),
        "pass_at": results.pass_at(run),
        "rows": results.rows_of(run, list(page.object_list)),
        "page": page,
        "filters": results.FILTERS,
        "show": which,
        # Earlier runs of the same dataset, to see which rows changed score since.
        "other_runs": DatasetRun.objects.filter(owner=request.user, dataset=run.dataset_id)
        .exclude(pk=run.pk)
        .order_by("-created_at")[:20],
    }
    return render(request, "datasetruns/detail.html", context)


@login_required
@require_GET
def dataset_run_diff(request, pk, other):
    """What changed from an earlier run of the same dataset (`other`) to this one: the rows
    whose scores moved, better or worse."""
    run, earlier = _owned(request, pk), _owned(request, other)
    if earlier.dataset_id != run.dataset_id:
        messages.error(request, "Only two runs of the same dataset can be compared.")
        return redirect("dataset_run_detail", pk=run.pk)
    changes = results.score_changes(earlier, run)
    context = {
        "run": run,
        "earlier": earlier,
        "changes": changes,
        "better": sum(change.direction == "better" for change in changes),
        "worse": sum(change.direction == "worse" for change in changes),
        "means": results.means_side_by_side(earlier, run),
    }
    return render(request, "datasetruns/diff.html", context)


def _progress_or_page(request, run: DatasetRun):
    if request.htmx:
        run.refresh_from_db()
        context = {"run": run, "progress": progress_of(run)}
        return render(request, "datasetruns/detail.html#progress", context)
    return redirect("dataset_run_detail", pk=run.pk)


@login_required
@require_POST
def dataset_run_stop(request, pk):
    run = _owned(request, pk)
    lifecycle.stop(run)
    return _progress_or_page(request, run)


@login_required
@require_POST
def dataset_run_resume(request, pk):
    run = _owned(request, pk)
    refusal = lifecycle.resume(request.user, run)
    if refusal:
        messages.error(request, refusal)
        if request.htmx:
            response = _progress_or_page(request, run)
            response["HX-Refresh"] = "true"
            return response
    return _progress_or_page(request, run)


EXPORTS = {
    "csv": (results.to_csv, "text/csv; charset=utf-8"),
    "jsonl": (results.to_jsonl, "application/jsonl; charset=utf-8"),
}


@login_required
@require_GET
def dataset_run_export(request, pk, format):
    run = _owned(request, pk)
    write, content_type = EXPORTS[format]
    response = HttpResponse(write(run), content_type=content_type)
    name = slugify(f"{run.dataset.name} run {run.pk}") or f"run-{run.pk}"
    response["Content-Disposition"] = f'attachment; filename="{name}.{format}"'
    return response


@login_required
@require_POST
def dataset_run_open_cell(request, pk, result_pk):
    run = _owned(request, pk)
    result = get_object_or_404(
        DatasetResult.objects.select_related("row", "run"), pk=result_pk, run=run
    )
    session = open_as_session(request.user, result)
    return redirect("session_detail", pk=session.pk)
