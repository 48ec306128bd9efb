"""Saved sessions: a user's prompt and parameters, kept as typed, with the runs made from them."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

TITLE_LENGTH = 60


class SessionQuerySet(models.QuerySet):
    def owned_by(self, user):
        return self.filter(owner=user, deleted_at__isnull=True)

    def in_trash_of(self, user):
        return self.filter(owner=user, deleted_at__isnull=False)

    def matching(self, query: str):
        if not query:
            return self
        return self.filter(Q(title__icontains=query) | Q(prompt__icontains=query))


class PlaygroundSession(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    title = models.CharField(max_length=200, blank=True)
    # Until the user renames it, the title follows the prompt.
    title_is_custom = models.BooleanField(default=False)
    provider = models.ForeignKey(
        "providers.Provider", null=True, blank=True, on_delete=models.SET_NULL
    )
    model = models.CharField(max_length=200, blank=True)
    prompt = models.TextField(blank=True)
    # Every other form field as the form posts it: {name: "value"} or {name: ["a", "b"]}.
    parameters = models.JSONField(default=dict, blank=True)
    # The editor: who wrote each stretch of prompt + suffix ([[look, length]], runs/tree.py),
    # and the tree node the document was last taken from ("run:choice", or "").
    looks = models.JSONField(default=list, blank=True)
    node = models.CharField(max_length=40, blank=True)
    # One more each time a finished run becomes the document on the server (state.take_in_run).
    # The page posts the version its document is based on, so that a save it sent before it
    # had the run (a request on its way, the last one as the page is left) does not put the
    # document from before the run back.
    document_version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    # Set when the session is in the trash; it can be restored until it is emptied.
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = SessionQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self):
        return self.display_title

    @property
    def display_title(self) -> str:
        return self.title or "Untitled session"

    def follow_prompt_title(self) -> None:
        if self.title_is_custom:
            return
        words = " ".join(self.prompt.split())
        self.title = words[:TITLE_LENGTH].rstrip() + ("…" if len(words) > TITLE_LENGTH else "")

    def move_to_trash(self) -> None:
        self.deleted_at = timezone.now()
        self.save(update_fields=["deleted_at"])

    def restore_from_trash(self) -> None:
        self.deleted_at = None
        self.save(update_fields=["deleted_at"])
