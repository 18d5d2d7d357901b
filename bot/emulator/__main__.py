"""``python -m bot.emulator``: see :mod:`bot.sandbox.emulator.__main__`."""

from bot.sandbox.emulator.__main__ import main

if __name__ == "__main__":
    raise SystemExit(main())
