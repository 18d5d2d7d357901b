"""The Slack adapter: listeners (``commands``, ``actions``, ``views``, ``events``, ``home``, one module per
listener kind, registered by :func:`handlers.listeners.register`), Block Kit builders (``blocks``),
ids (``ids``), the notifier's rendering (``notifier``) and Slack's errors as types (``slack_errors``).
See docs/architecture.md."""
