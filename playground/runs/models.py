"""A run: one request to a provider's /completions and everything that came back."""

from django.conf import settings
from django.db import models

from playground.completions import variables


class RunStatus(models.TextChoices):
    STREAMING = "streaming", "Streaming"
    COMPLETED = "completed", "Completed"
    STOPPED = "stopped", "Stopped"
    FAILED = "failed", "Failed"
    INTERRUPTED = "interrupted", "Interrupted"


class RunQuerySet(models.QuerySet):
    def owned_by(self, user):
        return self.filter(owner=user)


class Comparison(models.Model):
    """One prompt sent to 2 to 6 columns at once (execution/comparing.py): each column is a
    run of its own, with its provider, model and parameters, and the column's place."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    session = models.ForeignKey(
        "saved_sessions.PlaygroundSession", on_delete=models.CASCADE, related_name="comparisons"
    )
    # The columns as the page set them: [{"provider": id, "model", "label", "changes": {...}}],
    # each column's changes to the session's parameters, as the form posts them.
    columns = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Comparison {self.pk} ({len(self.columns)} columns)"


class Run(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    session = models.ForeignKey(
        "saved_sessions.PlaygroundSession",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="runs",
    )
    provider = models.ForeignKey(
        "providers.Provider", null=True, blank=True, on_delete=models.SET_NULL
    )
    # Kept so the run still says where it came from after the provider is deleted.
    provider_name = models.CharField(max_length=100)
    model = models.CharField(max_length=200)
    # The JSON body as the form asked for it, which is what went upstream unless the
    # provider's quirks split it (sent_requests); keys travel in headers, never in here.
    request_body = models.JSONField()
    # The requests that went upstream, in order, as [{"times": k, "changed": {...}}]: k
    # requests in a row, each request_body with the changed fields (fanout.sent_requests).
    # Changes rather than bodies: n=128 as 128 requests would copy the prompt 128 times.
    # [] when nothing was sent; None for runs stored before the playground kept this.
    sent_requests = models.JSONField(null=True, blank=True)
    # The form as it was when the run started, for "Restore".
    form_state = models.JSONField(default=dict, blank=True)
    # [{"index", "text", "logprobs", "finish_reason"}], ordered by index.
    choices = models.JSONField(default=list)
    usage = models.JSONField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=RunStatus, default=RunStatus.STREAMING)
    error = models.TextField(blank=True)
    # What the provider returned short of what was asked, said plainly.
    notices = models.JSONField(default=list)
    # The response, or the stream's chunks (capped), for the raw view.
    raw_response = models.JSONField(default=list)
    raw_truncated = models.BooleanField(default=False)
    time_to_first_token_ms = models.FloatField(null=True, blank=True)
    total_ms = models.FloatField(null=True, blank=True)
    completion_tokens = models.IntegerField(null=True, blank=True)
    # True when completion_tokens came from the provider's usage, not from counting chunks.
    tokens_from_usage = models.BooleanField(default=False)
    # The session's tree (runs/tree.py): each choice of a run is a node, whose parent is a
    # choice of an earlier run of the same session. None for a root (a prompt typed anew).
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    parent_choice = models.PositiveIntegerField(null=True, blank=True)
    # How many of the parent choice's tokens were kept before branching; None: all of them
    # (a continuation from the end, or an edit of the whole text).
    branch_token = models.PositiveIntegerField(null=True, blank=True)
    # The alternative token put in at the branch point, when the branch came from one.
    forced_text = models.TextField(blank=True)
    # Who wrote each stretch of the document sent (prompt, then suffix): [[look, length]],
    # look "p" typed, "g" generated, "e" generated then edited (tree.LOOKS).
    looks = models.JSONField(default=list, blank=True)
    # A column of a comparison: which, and its place (0 is the column others are compared to).
    comparison = models.ForeignKey(
        Comparison, null=True, blank=True, on_delete=models.CASCADE, related_name="runs"
    )
    column = models.PositiveSmallIntegerField(null=True, blank=True)
    # Pruned from the tree (with its descendants), undoable until the session is emptied.
    pruned_at = models.DateTimeField(null=True, blank=True)
    # False for a record of a completion made elsewhere: a dataset run's cell opened as a
    # session (datasetruns/opening.py), a fork's copy (sharing/fork.py), a run imported
    # from a file (sessions/transfer.py). It started nothing here, so no cap counts it.
    started_here = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Touched by every save while streaming: a stale one means the server died mid-run.
    updated_at = models.DateTimeField(auto_now=True)

    objects = RunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "updated_at"]),
            # A user's latest runs, for the per-minute cap (limits.py).
            models.Index(fields=["owner", "-created_at"], name="run_owner_recent"),
        ]

    def __str__(self):
        return f"Run {self.pk} ({self.model}, {self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status != RunStatus.STREAMING

    @property
    def streamed(self) -> bool:
        return bool(self.request_body.get("stream"))

    @property
    def first_token_ms(self) -> float | None:
        """The time to the first token, which only a streamed run has.

        A non-streamed run gets its whole answer at once: runs stored before this rule
        have a "first token" that is the total time, and it is not shown.
        """
        return self.time_to_first_token_ms if self.streamed else None

    @property
    def tokens_per_second(self) -> float | None:
        """The tokens after the first over the time from the first token to the end, for a
        streamed run of two tokens or more.

        A non-streamed run has no such span, and a run of one token has no speed: dividing
        by the moments after its only token gave thousands of tokens a second.
        """
        if self.first_token_ms is None or not self.completion_tokens or self.total_ms is None:
            return None
        generating_ms = self.total_ms - self.first_token_ms
        if self.completion_tokens < 2 or generating_ms <= 0:
            return None
        return (self.completion_tokens - 1) / (generating_ms / 1000)

    @property
    def prompt_text(self) -> str:
        prompt = self.request_body.get("prompt", "")
        return prompt if isinstance(prompt, str) else ""

    @property
    def written_prompt_and_suffix(self) -> tuple[str, str]:
        """The prompt and suffix as the editor had them: with their {{variables}}, where the
        request body has them filled in. So a run taken into the document keeps the
        template, and the next run fills it again. Taken from the form the run kept, only
        when filling that in gives exactly what was sent."""
        sent = (self.prompt_text, self.request_body.get("suffix") or "")
        state = self.form_state or {}
        prompt, suffix = state.get("prompt"), state.get("suffix") or ""
        if not isinstance(prompt, str) or not isinstance(suffix, str):
            return sent
        if (prompt, suffix) == sent:
            return sent
        try:
            values = variables.parse_values(state.get("variables") or "")
            filled = (variables.fill(prompt, values), variables.fill(suffix, values))
        except ValueError:
            return sent
        return (prompt, suffix) if filled == sent else sent
