"""The pure core: tasks, dates, rules, identity, tracking and the weekly view. No I/O here."""
