"""Sharing's answers to what the apps below it announce (they may not import sharing).

A change to who may watch a session asks its viewers and presenter to re-check access:
replacing or revoking the link, another visibility, another team, the session moved to the
trash or deleted can each cut off sockets that are watching right now (accounts/sockets.py
closes them). And the signals of the apps below: an autosave and a pruned branch reach a live
demo's viewers, and the sessions list shows what teams share.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from playground.accounts.sockets import ask_to_recheck
from playground.runs.signals import tree_changed
from playground.sessions.models import PlaygroundSession
from playground.sessions.signals import readable_sessions, state_saved

from .access import team_sessions
from .live import (
    presenter_group,
    show_state_to_live_viewers,
    show_tree_change_to_live_viewers,
    viewers_group,
)
from .models import SessionShare

# Going live or ending a demo saves live_since alone; nobody's access changes with it.
ACCESS_FIELDS = {"visibility", "team", "token"}


def _recheck_watchers(session_id: int) -> None:
    ask_to_recheck([viewers_group(session_id), presenter_group(session_id)])


@receiver(post_save, sender=SessionShare, dispatch_uid="sharing_recheck_on_share_change")
def share_saved(sender, instance, created, update_fields, **kwargs):
    if created or (update_fields is not None and not ACCESS_FIELDS & set(update_fields)):
        return
    _recheck_watchers(instance.session_id)


@receiver(post_delete, sender=SessionShare, dispatch_uid="sharing_recheck_on_share_delete")
def share_deleted(sender, instance, **kwargs):
    _recheck_watchers(instance.session_id)


@receiver(post_save, sender=PlaygroundSession, dispatch_uid="sharing_recheck_on_trash")
def session_saved(sender, instance, update_fields, **kwargs):
    # Only the trash and its undo save deleted_at, and a shared session in the trash is
    # shared no more (access.py).
    if update_fields is not None and "deleted_at" in update_fields:
        _recheck_watchers(instance.pk)


@receiver(state_saved, dispatch_uid="sharing_show_saved_state")
def state_saved_live(sender, session, **kwargs):
    show_state_to_live_viewers(session)


@receiver(tree_changed, dispatch_uid="sharing_show_tree_change")
def tree_changed_live(sender, session_id, **kwargs):
    show_tree_change_to_live_viewers(session_id)


@receiver(readable_sessions, dispatch_uid="sharing_team_sessions")
def sessions_shared_with_teams(sender, user, **kwargs):
    return team_sessions(user)
