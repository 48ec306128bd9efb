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


class DatasetRunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    STOPPING = "stopping", "Stopping"
    STOPPED = "stopped", "Stopped"
    FINISHED = "finished", "Finished"


# A dataset run in these states counts as one run going against the user's cap
# (execution/limits.py).
GOING_STATUSES = (DatasetRunStatus.QUEUED, DatasetRunStatus.RUNNING, DatasetRunStatus.STOPPING)


class DatasetRun(models.Model):
    """A session's prompt run over every row of a dataset, by the background worker
    (playground/datasetruns): once with the session's settings, or once per column of a
    comparison. What ran is a snapshot, so later edits of the session change nothing here."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="runs")
    # Where it came from; the run keeps its own copy of the form (session_state).
    session = models.ForeignKey(
        "saved_sessions.PlaygroundSession",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="dataset_runs",
    )
    session_title = models.CharField(max_length=200, blank=True)
    # The session's form as sessions/state.session_state gives it, when the run was made.
    session_state = models.JSONField(default=dict)
    # Each column's changes to that form, as Comparison.columns holds them; [{}] is one
    # column with the session's settings as they are.
    columns = models.JSONField(default=list)
    # What each column is called on the page: "provider · model · temperature 0.2".
    column_labels = models.JSONField(default=list)
    # Whether each row also scores the log-probability of its `expected` as the
    # continuation of its prompt: one more request a row (datasetruns/likelihood.py).
    score_likelihood = models.BooleanField(default=False)
    status = models.CharField(
        max_length=10, choices=DatasetRunStatus, default=DatasetRunStatus.QUEUED
    )
    # Rows times columns: the results it makes.
    result_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # When a worker last said it works on this run, and when a task was last queued for
    # it: a run with work left and neither recent has lost its worker (datasetruns/claims.py).
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Dataset run {self.pk} of {self.dataset}"

    @property
    def is_going(self) -> bool:
        return self.status in GOING_STATUSES


class ResultStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class DatasetResult(models.Model):
    """One row of a dataset run in one column: what the provider gave, and its scores.

    A worker claims a pending result for a while (claimed_by, claimed_until) and renews the
    claim as it works; only the holder of the claim may write the result, and a result
    done is never claimed again.
    """

    run = models.ForeignKey(DatasetRun, on_delete=models.CASCADE, related_name="results")
    row = models.ForeignKey(DatasetRow, on_delete=models.CASCADE, related_name="results")
    # The row's index (DatasetRow.index), kept here for ordering a run's results cheaply.
    row_index = models.PositiveIntegerField()
    column = models.PositiveSmallIntegerField(default=0)
    # The column's provider: dataset runs send at most its max_concurrency at once.
    provider = models.ForeignKey(
        "providers.Provider", null=True, blank=True, on_delete=models.SET_NULL
    )
    status = models.CharField(max_length=10, choices=ResultStatus, default=ResultStatus.PENDING)
    # The first choice's text, and every choice ({"text", "finish_reason"}) when n > 1.
    output = models.TextField(blank=True)
    choices = models.JSONField(default=list)
    logprobs = models.JSONField(null=True, blank=True)
    usage = models.JSONField(null=True, blank=True)
    completion_tokens = models.PositiveIntegerField(null=True, blank=True)
    time_to_first_token_ms = models.FloatField(null=True, blank=True)
    total_ms = models.FloatField(null=True, blank=True)
    finish_reason = models.CharField(max_length=50, blank=True)
    # As the provider client words it (redacted), or why the row could not be sent.
    error = models.TextField(blank=True)
    # Requests sent for it, retries and a lapsed worker's included.
    attempts = models.PositiveSmallIntegerField(default=0)
    # {"exact": true, "contains": true, "regex": false}, against the row's `expected`.
    scores = models.JSONField(default=dict)
    claimed_by = models.CharField(max_length=64, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "row_index", "column"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "row", "column"], name="dataset_result_once_per_row_and_column"
            )
        ]
        indexes = [
            models.Index(fields=["run", "status"], name="dataset_result_run_status"),
            models.Index(fields=["provider", "status"], name="dataset_result_provider_status"),
        ]

    def __str__(self):
        return f"{self.run} row {self.row_index} column {self.column}"
