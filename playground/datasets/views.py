"""The datasets' pages: list, new (paste or upload), detail, rename, share, delete, download.

Every view loads its dataset through the queryset of what this user may do with it
(readable_by, owned_by), so access is checked again on every request: an outsider, and a
teammate once the share or the team membership ends, gets a 404.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .forms import DatasetForm, RenameForm, SessionChoiceForm, ShareForm
from .matching import missing_columns, session_variables
from .models import Dataset, DatasetRun
from .parsing import to_csv, to_jsonl
from .storing import ROWS_PER_INSERT, store

SHOWN_ROWS = 20
SHOWN_RUNS = 10


@login_required
@require_GET
def dataset_list(request):
    datasets = Dataset.objects.readable_by(request.user).select_related("owner", "team")
    return render(request, "datasets/dataset_list.html", {"datasets": datasets})


@login_required
@require_http_methods(["GET", "POST"])
def dataset_new(request):
    form = DatasetForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        dataset = store(request.user, form.cleaned_data["name"], form.table)
        messages.success(request, f"Stored {dataset.row_count:,} rows.")
        return redirect("dataset_detail", pk=dataset.pk)
    caps = {
        "max_rows": f"{settings.PLAYGROUND_DATASET_MAX_ROWS:,}",
        "max_value": f"{settings.PLAYGROUND_MAX_PROMPT_CHARS:,}",
        "max_bytes": f"{settings.PLAYGROUND_DATASET_MAX_BYTES:,}",
    }
    return render(request, "datasets/dataset_new.html", {"form": form, **caps})


@login_required
@require_GET
def dataset_detail(request, pk):
    dataset = get_object_or_404(
        Dataset.objects.readable_by(request.user).select_related("owner", "team"), pk=pk
    )
    rows = [
        [row.values.get(name, "") for name in dataset.columns]
        for row in dataset.rows.all()[:SHOWN_ROWS]
    ]
    check = SessionChoiceForm(request.GET or None, user=request.user)
    session = check.cleaned_data.get("session") if check.is_valid() else None
    variables = session_variables(session) if session else []
    missing = missing_columns(dataset, session) if session else []
    context = {
        "dataset": dataset,
        "rows": rows,
        "is_owner": dataset.owner_id == request.user.pk,
        "check": check,
        "checked_session": session,
        "variables": variables,
        "missing": missing,
        # A session the dataset can fill: the links to the run form choose it.
        "fits": bool(variables) and not missing,
        "runs": DatasetRun.objects.filter(owner=request.user, dataset=dataset)[:SHOWN_RUNS],
        "rename_form": RenameForm(instance=dataset),
        "share_form": ShareForm(instance=dataset),
    }
    return render(request, "datasets/dataset_detail.html", context)


def _owned(request, pk) -> Dataset:
    return get_object_or_404(Dataset.objects.owned_by(request.user), pk=pk)


@login_required
@require_POST
def dataset_rename(request, pk):
    dataset = _owned(request, pk)
    form = RenameForm(request.POST, instance=dataset)
    if form.is_valid():
        form.save()
        messages.success(request, "Renamed.")
    else:
        messages.error(request, " ".join(form.errors["name"]))
    return redirect("dataset_detail", pk=dataset.pk)


@login_required
@require_POST
def dataset_share(request, pk):
    dataset = _owned(request, pk)
    form = ShareForm(request.POST, instance=dataset)
    if form.is_valid():
        form.save()
        if dataset.team is None:
            messages.success(request, f"Only you can see “{dataset.name}” now.")
        else:
            messages.success(
                request,
                f"Shared with {dataset.team.name}: its members can read “{dataset.name}” and "
                "run over it; only you can change it.",
            )
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("dataset_detail", pk=dataset.pk)


@login_required
@require_http_methods(["GET", "POST"])
def dataset_delete(request, pk):
    dataset = _owned(request, pk)
    if request.method == "POST":
        name = dataset.name
        dataset.delete()
        messages.success(request, f"Deleted the dataset {name}.")
        return redirect("dataset_list")
    return render(request, "datasets/dataset_confirm_delete.html", {"dataset": dataset})


DOWNLOADS = {
    "csv": (to_csv, "text/csv; charset=utf-8"),
    "jsonl": (to_jsonl, "application/jsonl; charset=utf-8"),
}


@login_required
@require_GET
def dataset_download(request, pk, format):
    dataset = get_object_or_404(Dataset.objects.readable_by(request.user), pk=pk)
    write, content_type = DOWNLOADS[format]
    values = (row.values for row in dataset.rows.all().iterator(chunk_size=ROWS_PER_INSERT))
    response = HttpResponse(write(dataset.columns, values), content_type=content_type)
    filename = f"{slugify(dataset.name) or 'dataset'}.{format}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
