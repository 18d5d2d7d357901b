"""``slabot demo``: the whole product on a simulated Monday, no Slack account needed."""

#: pause between steps (wall seconds), so a person can read along (here, not in ``bot.sandbox.demo.play``, so
#: that ``slabot --help`` lists them without importing the demo's runner)
SPEEDS = {"instant": 0.0, "fast": 0.15, "normal": 0.4, "slow": 1.5}
