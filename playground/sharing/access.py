"""Who may read which shared session: the one place these rules live."""

from django.conf import settings
from django.http import Http404

from playground.sessions.models import PlaygroundSession

from .models import SessionShare, Visibility

# What a viewer reads once a change of the share, of their teams or of their login has cut
# them off (the watch socket says it, and so does the page when its socket is refused).
ACCESS_ENDED = (
    "Your access to this shared session ended: it is no longer shared with you, "
    "or you logged out. This page no longer follows it."
)


def share_for_token(token: str, user) -> SessionShare:
    """The link share behind token, if this user may open it; else Http404."""
    share = (
        SessionShare.objects.select_related("session", "session__owner")
        .filter(
            token=token,
            visibility=Visibility.LINK,
            session__deleted_at__isnull=True,
        )
        .first()
        if token
        else None
    )
    if share is None:
        raise Http404("No such shared session.")
    if not user.is_authenticated and not settings.PLAYGROUND_ANONYMOUS_SHARE_LINKS:
        raise Http404("Log in to open shared sessions.")
    return share


def team_sessions(user):
    """Other users' sessions shared with a team this user belongs to."""
    if not user.is_authenticated:
        return PlaygroundSession.objects.none()
    return (
        PlaygroundSession.objects.filter(
            deleted_at__isnull=True,
            share__visibility=Visibility.TEAM,
            share__team__in=user.groups.all(),
        )
        .exclude(owner=user)
        .select_related("owner")
    )


def share_for_team_member(session_id: int, user) -> SessionShare:
    session = team_sessions(user).filter(pk=session_id).first()
    if session is None:
        raise Http404("No such team session.")
    return session.share
