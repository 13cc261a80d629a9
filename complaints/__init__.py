"""The domain core: models, the case state machine, deadlines, the working-day calendar, audit trail.

Nothing in this package touches Flask's request objects: functions take explicit arguments (a session,
the acting staff member, the current instant) and only ``flush``; the API layer owns commit and rollback.
"""
