"""Time: cron cadences, each person's local time, quiet hours, and the scheduler that fires due work."""
