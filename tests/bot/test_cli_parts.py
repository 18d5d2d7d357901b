"""bot.cli_parts: a slabot command declared once; its help written as prose prints as one paragraph."""

from __future__ import annotations

import argparse

from bot.cli import build_parser
from bot.cli_parts import OneOf, Option, add_command, prose


def _parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += _parsers(sub)
    return found


def test_prose_folds_a_paragraph_written_over_lines() -> None:
    assert (
        prose("""Replay an events CSV
        through the contract file  and print""")
        == "Replay an events CSV through the contract file and print"
    )


def test_add_command_declares_the_parser_its_options_and_its_handler() -> None:
    sub = argparse.ArgumentParser(prog="slabot").add_subparsers(dest="command")
    handler = lambda args: 0  # noqa: E731
    options = (
        Option("--team", help="workspace\n  id"),
        OneOf(Option("--a", action="store_true"), Option("--b")),
    )
    parser = add_command(sub, "x", handler, help="one\n   line", description="two\n  lines", options=options)
    assert (parser.description, parser.get_default("handler")) == ("two lines", handler)
    assert [a.help for a in parser._actions if a.dest == "team"] == ["workspace id"]
    assert [a.dest for a in parser._mutually_exclusive_groups[0]._group_actions] == ["a", "b"]


def test_every_help_text_of_slabot_is_one_paragraph() -> None:
    texts = []
    for parser in _parsers(build_parser()):
        texts += [parser.description or ""] + [action.help or "" for action in parser._actions]
    assert texts and all("\n" not in t and "  " not in t for t in texts)
