"""The datasets' answers to what the sessions app announces (it may not import datasets): a
session's file carries the datasets its dataset runs used, and an import brings them back as
the importer's own, checked by the one parser (parsing.py) before anything is created."""

import json

from django.dispatch import receiver

from playground.sessions.signals import exporting, import_checking, imported
from playground.sessions.transfer import InvalidExport

from .models import Dataset
from .parsing import DatasetError, parse_jsonl
from .storing import store


@receiver(exporting, dispatch_uid="datasets_export_with_session")
def datasets_of_session(sender, session, **kwargs):
    used = Dataset.objects.readable_by(session.owner).filter(runs__session=session)
    datasets = []
    for dataset in used.distinct().order_by("created_at", "id"):
        rows = dataset.rows.order_by("index").values_list("values", flat=True)
        datasets.append({"name": dataset.name, "columns": dataset.columns, "rows": list(rows)})
    return {"datasets": datasets} if datasets else {}


@receiver(import_checking, dispatch_uid="datasets_check_import")
def check_datasets(sender, data, **kwargs):
    tables = []
    for position, dataset in enumerate(data.get("datasets", [])):
        where = f"datasets[{position}]"
        # The rows as JSONL lines, through the one parser: a row's line is its place, from 1.
        text = "\n".join(json.dumps(row, ensure_ascii=False) for row in dataset["rows"])
        try:
            table = parse_jsonl(text)
        except DatasetError as exc:
            row = f".rows[{exc.line - 1}]" if exc.line is not None else ".rows"
            raise InvalidExport(f"Nothing was imported: {where}{row}: {exc.message}") from None
        tables.append((dataset["name"], table))
    return {"datasets": tables}


@receiver(imported, dispatch_uid="datasets_import_with_session")
def create_datasets(sender, session, user, extras, **kwargs):
    for name, table in extras.get("datasets", []):
        store(user, name, table)
