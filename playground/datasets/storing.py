"""Storing a dataset: the one way one is made, from a page's paste or upload or from a
session's file."""

from django.db import transaction

from .models import Dataset, DatasetRow
from .parsing import Table

ROWS_PER_INSERT = 500


def store(owner, name: str, table: Table) -> Dataset:
    # One transaction: a dataset is stored whole or not at all.
    with transaction.atomic():
        dataset = Dataset.objects.create(
            owner=owner, name=name, columns=table.columns, row_count=len(table.rows)
        )
        DatasetRow.objects.bulk_create(
            (
                DatasetRow(dataset=dataset, index=index, values=values)
                for index, values in enumerate(table.rows)
            ),
            batch_size=ROWS_PER_INSERT,
        )
    return dataset
