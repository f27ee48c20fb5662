"""The background service: APScheduler wiring, crontab, workdays, locks and catch-up."""
