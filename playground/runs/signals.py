"""What the runs app tells the apps above it, which it may not import (sharing, for one).

Receivers connect in their own app's ready(); runs works the same with none connected.
"""

from django.dispatch import Signal

# A session's tree changed other than by a run: a branch was pruned or brought back.
# session_id=. Sharing tells a live demo's viewers, whose tree panel then asks again.
tree_changed = Signal()
