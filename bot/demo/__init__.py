"""``slabot demo``: the whole product on a simulated Monday, no Slack account needed."""
