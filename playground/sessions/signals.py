"""What the sessions app tells the apps above it, which it may not import (sharing, for one).

Receivers connect in their own app's ready(); sessions works the same with none connected.
"""

from django.dispatch import Signal

# A session's form was saved by autosave: session=. Sharing shows it to a live demo's viewers.
state_saved = Signal()

# The sessions list asks which other users' sessions this user may read: user=. A receiver
# returns a queryset of PlaygroundSession (sharing: those shared with one of the user's teams).
readable_sessions = Signal()
