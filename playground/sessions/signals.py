"""What the sessions app tells the apps above it, which it may not import (sharing, for one).

Receivers connect in their own app's ready(); sessions works the same with none connected.
"""

from django.dispatch import Signal

# A session's form was saved by autosave: session=. Sharing shows it to a live demo's viewers.
state_saved = Signal()

# The sessions list asks which other users' sessions this user may read: user=. A receiver
# returns a queryset of PlaygroundSession (sharing: those shared with one of the user's teams).
readable_sessions = Signal()

# A session is exported: session=. A receiver returns {field: JSON value}, fields of its own
# to add to the file (datasets: the datasets the session's dataset runs used).
exporting = Signal()

# A file is imported, before anything is created: data= (the file, checked against the
# schema). A receiver checks its own fields, raising transfer.InvalidExport to refuse the
# file, and returns {field: what to create}; `imported` gets them all back.
import_checking = Signal()

# The session of an imported file exists: session=, user=, extras= (every import_checking
# receiver's returns, merged). A receiver creates what it checked, in the same transaction.
imported = Signal()
