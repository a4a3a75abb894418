"""What happens to a meeting that others must act upon, announced by the meeting's methods in
the transaction of the change: the e-mails of `notifications` listen (connected in
CommitteesConfig.ready), so that the models never import the messages, and the messages are
written with the change or not at all.

Every signal is sent with `sender=Meeting` and the meeting; `convened` answers with the number
of convocations queued.
"""

from django.dispatch import Signal

convened = Signal()  # meeting, by, at
agenda_changed = Signal()  # meeting, changes, by
cancelled = Signal()  # meeting, by
minutes_validated = Signal()  # meeting, by
minutes_archived = Signal()  # meeting: its PDF is stored
