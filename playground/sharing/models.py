"""Who may see a session besides its owner, and whether it is being presented live."""

import secrets

from django.contrib.auth.models import Group
from django.db import models


class Visibility(models.TextChoices):
    PRIVATE = "private", "Private: only you"
    TEAM = "team", "Team: read-only for a team of yours"
    LINK = "link", "Link: read-only for anyone with the link"


def new_token() -> str:
    return secrets.token_urlsafe(24)


class SessionShare(models.Model):
    session = models.OneToOneField(
        "saved_sessions.PlaygroundSession", on_delete=models.CASCADE, related_name="share"
    )
    visibility = models.CharField(max_length=10, choices=Visibility, default=Visibility.PRIVATE)
    team = models.ForeignKey(Group, null=True, blank=True, on_delete=models.SET_NULL)
    # Only a link-visible session has a token; revoking or replacing it kills the old URL.
    token = models.CharField(max_length=64, unique=True, null=True, blank=True)
    # Set while the owner presents the session live.
    live_since = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.session} ({self.visibility})"

    @property
    def is_live(self) -> bool:
        return self.live_since is not None


class LiveViewer(models.Model):
    """One open viewer socket of a live session, in whichever server process it is."""

    share = models.ForeignKey(SessionShare, on_delete=models.CASCADE, related_name="viewers")
    channel_name = models.CharField(max_length=200, unique=True)
    joined_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"Viewer of {self.share}"
