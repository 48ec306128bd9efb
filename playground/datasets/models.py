"""Datasets: a user's tables of rows, one column per prompt variable, to run a prompt over.

A row is a table row of its own (DatasetRow), numbered from 0 in the file's order, so that
a dataset run's result can point at the row it came from, and a run over thousands of rows
can read them a page at a time.
"""

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models


class Visibility(models.TextChoices):
    # The datasets app keeps its own share settings, rather than sharing's SessionShare:
    # sharing sits above execution, which will run datasets, so datasets sit below it.
    PRIVATE = "private", "Private: only you"
    TEAM = "team", "Team: read-only for a team of yours"


class DatasetQuerySet(models.QuerySet):
    def owned_by(self, user):
        return self.filter(owner=user)

    def readable_by(self, user):
        """The user's own, and those shared with a team the user is in (read-only)."""
        if not user.is_authenticated:
            return self.none()
        shared = models.Q(visibility=Visibility.TEAM, team__in=user.groups.all())
        return self.filter(models.Q(owner=user) | shared).distinct()


class Dataset(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    name = models.CharField(max_length=200)
    # In the file's order: the variables' columns, and "expected" and "id" where given.
    columns = models.JSONField(default=list)
    row_count = models.PositiveIntegerField(default=0)
    visibility = models.CharField(max_length=10, choices=Visibility, default=Visibility.PRIVATE)
    team = models.ForeignKey(Group, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DatasetQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self):
        return self.name


class DatasetRow(models.Model):
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="rows")
    # The row's place in the file, from 0.
    index = models.PositiveIntegerField()
    # Column name -> text, for every column of the dataset.
    values = models.JSONField(default=dict)

    class Meta:
        ordering = ["dataset", "index"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "index"], name="dataset_row_index_unique")
        ]

    def __str__(self):
        return f"{self.dataset} row {self.index}"
