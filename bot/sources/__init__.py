"""Ticket sources beyond Slack: signed webhooks (slabot JSON, Zendesk, Jira Service Management)
and the CSV import, all through one ingest use case (:mod:`bot.sources.ingest`).

See docs/sources.md for the user's view (headers, body templates, mapping tables).
"""
