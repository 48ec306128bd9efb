"""What changes a user's access asks that user's open sockets to re-check it (sockets.py)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.dispatch import receiver

from .sockets import ask_users_to_recheck

User = get_user_model()

# The fields of a user whose change can end a login: the password (Django's session auth
# hash is made from it) and being active. Logging in saves last_login alone, which changes
# nothing for the sockets.
LOGIN_FIELDS = {"password", "is_active"}


@receiver(user_logged_out, dispatch_uid="sockets_recheck_on_logout")
def logged_out(sender, request, user, **kwargs):
    if user is None:
        return
    session = getattr(request, "session", None)
    ask_users_to_recheck([user.pk], ended_session=session.session_key if session else None)


@receiver(post_save, sender=User, dispatch_uid="sockets_recheck_on_user_change")
def user_saved(sender, instance, created, update_fields, **kwargs):
    if created or (update_fields is not None and not LOGIN_FIELDS & set(update_fields)):
        return
    ask_users_to_recheck([instance.pk])


@receiver(post_delete, sender=User, dispatch_uid="sockets_recheck_on_user_delete")
def user_deleted(sender, instance, **kwargs):
    ask_users_to_recheck([instance.pk])


@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="sockets_recheck_on_groups")
def membership_changed(sender, instance, action, reverse, pk_set, **kwargs):
    """Leaving a group can end access to what is shared with that team.

    Both directions count: user.groups.remove(team) and team.user_set.remove(user). A clear
    names nobody afterwards, so its members are taken before it (the message still goes
    after it commits).
    """
    if action not in ("post_remove", "pre_clear"):
        return
    if not reverse:
        ask_users_to_recheck([instance.pk])
    elif action == "post_remove":
        ask_users_to_recheck(pk_set)
    else:
        ask_users_to_recheck(list(instance.user_set.values_list("pk", flat=True)))


@receiver(pre_delete, sender=Group, dispatch_uid="sockets_recheck_on_group_delete")
def group_deleted(sender, instance, **kwargs):
    # Deleting a group removes its memberships without m2m_changed.
    ask_users_to_recheck(list(instance.user_set.values_list("pk", flat=True)))
