"""Outbox delivery, templates, senders and RQ jobs. Filled by the workers-and-notifications issue."""
