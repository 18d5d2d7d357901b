"""The cursor a command's reader walks: tokens to take, the pieces every command shares (a ref, a
priority, a client), and failures carrying the usage of the command being read."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Protocol, TypeVar

from bot.grammar.values import UsageError
from bot.grammar.words import PRIORITY_HINT, Token, _shorten, _unknown, parse_priority, parse_ticket

T = TypeVar("T")


class CommandSyntax(Protocol):
    """What a reader needs of its command's row in the table (:class:`bot.grammar.table.SlaCommand`)."""

    name: str
    examples: tuple[str, ...]

    @property
    def usage_line(self) -> str: ...


class _Fail(Exception):
    """Internal: carries a UsageError out of a command reader; never escapes :func:`parse`."""

    def __init__(self, error: UsageError) -> None:
        self.error = error


class _Reader:
    def __init__(self, syntax: CommandSyntax, tokens: list[Token], clients: Collection[str] | None) -> None:
        self.syntax = syntax
        self.command = syntax.name
        self.tokens = tokens
        self.clients = None if clients is None else {c.lower(): c for c in clients}

    # -- failures
    def fail(self, message: str) -> _Fail:
        return _Fail(UsageError(message, self.syntax.usage_line))

    def example(self) -> str:
        return self.syntax.examples[0] if self.syntax.examples else f"/sla {self.command}"

    # -- cursor
    def peek(self) -> Token | None:
        return self.tokens[0] if self.tokens else None

    def take(self) -> Token:
        return self.tokens.pop(0)

    def rest(self) -> list[Token]:
        rest, self.tokens = self.tokens, []
        return rest

    def done(self, understood: str) -> None:
        if self.tokens:
            extra = " ".join(t.text for t in self.tokens)
            raise self.fail(f"I understood `{understood}` but not '{_shorten(extra)}' after it.")

    # -- pieces
    def expect(
        self, parse: Callable[[str], T | None], missing: str, wrong: Callable[[str], str]
    ) -> tuple[T, Token]:
        """The next word as ``parse`` reads it, taken, with its token; fails with ``missing`` when
        there is no word left, with ``wrong(word)`` (the word shortened) when it does not read."""
        tok = self.peek()
        if tok is None:
            raise self.fail(missing)
        found = parse(tok.text)
        if found is None:
            raise self.fail(wrong(_shorten(tok.text)))
        self.take()
        return found, tok

    def ref(self) -> str:
        return self.expect(
            parse_ticket,
            f"`/sla {self.command}` needs a ticket, e.g. `{self.example()}`",
            lambda word: (
                f"`/sla {self.command}` needs a ticket first, and '{word}' is not one — "
                f"tickets look like `T-12` (or the helpdesk's id: `35436`, `ZD-35436`, `GLX-7`), "
                f"e.g. `{self.example()}`"
            ),
        )[0]

    def priority(self) -> str:
        return self.expect(
            parse_priority,
            f"`/sla {self.command}` needs a priority — {PRIORITY_HINT}, e.g. `{self.example()}`",
            lambda word: f"'{word}' is not a priority — {PRIORITY_HINT}, e.g. `{self.example()}`",
        )[0]

    def client(self, text: str) -> str:
        """Canonical client key for ``text`` (checked against the known clients when given)."""
        if self.clients is None:
            return text
        key = self.clients.get(text.lower())
        if key is None:
            raise self.fail(_unknown("client", text, list(self.clients.values())))
        return key

    def is_known_client(self, text: str) -> bool:
        return self.clients is not None and text.lower() in self.clients

    def explicit_client(self) -> str | None:
        """``client acme`` (or ``client:acme``) at the cursor."""
        tok = self.peek()
        if tok is None or tok.quoted:
            return None
        if tok.low.startswith("client:") and len(tok.text) > 7:
            self.take()
            return self.client(tok.text[7:])
        if tok.low in ("client", "customer"):
            self.take()
            name = self.peek()
            if name is None:
                raise self.fail(f"'client' needs a client's name, e.g. `/sla {self.command} client acme`")
            self.take()
            return self.client(name.text)
        return None
