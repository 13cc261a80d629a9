"""Periodic jobs for ``rq cron notifications/cron_config.py`` (one cron process per deployment)."""

from rq import cron

from notifications.queue import QUEUE_NAME, housekeeping_job, relay_job, sweep_job, triage_job

cron.register(relay_job, QUEUE_NAME, interval=10, name="relay-outbox")
cron.register(sweep_job, QUEUE_NAME, interval=60, name="sweep-deadlines")
cron.register(triage_job, QUEUE_NAME, interval=30, name="triage-new-cases")
cron.register(housekeeping_job, QUEUE_NAME, interval=3600, name="housekeeping")
