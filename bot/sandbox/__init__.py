"""The sandbox: everything that plays Slack's part, so slabot runs with no Slack account.

- :mod:`bot.sandbox.emulator` — the Slack Web API emulator the real ``slack_sdk.WebClient`` talks to,
  Slack-style request signing, and builders for the requests Slack sends to an app (tests, benches,
  ``python -m bot.sandbox.emulator``).
- :mod:`bot.sandbox.demo` — ``slabot demo``: the real app driven through a simulated Monday.

The app itself never imports the sandbox; the sandbox imports the app (the demo boots it). The old
import paths ``bot.sandbox.emulator`` and ``bot.sandbox.demo`` are kept as aliases of these modules.
"""
