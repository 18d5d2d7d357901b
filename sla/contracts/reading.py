"""The contract file as text: YAML read with the line of every key and list item, within bounds a
hostile file cannot break, and the issues that point at a line (``file:line: path: message — hint``).

:mod:`sla.contracts.file` (the schema) and :mod:`sla.contracts.build` read files through
:func:`read_yaml`; both modules' names stay importable from :mod:`sla.contracts.file`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml

PathPart = str | int
KeyPath = tuple[PathPart, ...]
Severity = Literal["error", "warning"]


# --------------------------------------------------------------------------- issues


def format_path(path: Iterable[PathPart]) -> str:
    """``("contracts", "gold", "versions", 0, "targets")`` -> ``contracts.gold.versions[0].targets``."""
    out = ""
    for part in path:
        if isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


@dataclass(frozen=True)
class ConfigIssue:
    """One problem (or SMART warning) in a contract file, pointing at the line to fix."""

    file: str
    line: int | None
    path: str
    message: str
    hint: str | None = None
    severity: Severity = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        text = f"{where}: {self.path}: {self.message}"
        return f"{text} — {self.hint}" if self.hint else text


class ContractFileError(ValueError):
    """The contract file is invalid; ``errors`` lists every problem found, in file order."""

    def __init__(self, errors: list[ConfigIssue]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


def did_you_mean(word: object, choices: Iterable[str]) -> str | None:
    """``"did you mean 'calendar'?"`` when ``word`` is close to one of ``choices``."""
    options = [c for c in choices if isinstance(c, str)]
    match = difflib.get_close_matches(str(word), options, n=1, cutoff=0.6)
    return f"did you mean '{match[0]}'?" if match else None


def suggestion(word: object, choices: Iterable[str], what: str) -> str:
    """A hint: the closest choice, or else the list of what exists."""
    options = sorted({c for c in choices if isinstance(c, str)})
    close = did_you_mean(word, options)
    if close:
        return close
    if not options:
        return f"there are no {what}"
    return f"{what}: " + ", ".join(options)


def split_hint(message: str) -> tuple[str, str | None]:
    """Split ``"not a duration: 'x' — write 15m"`` into message and hint."""
    head, sep, tail = message.partition(" — ")
    return (head.strip(), tail.strip() or None) if sep else (message.strip(), None)


# --------------------------------------------------------------------------- YAML with lines


@dataclass(frozen=True)
class YamlDocument:
    """The parsed file: its data, and the line of every mapping key and list item."""

    filename: str
    data: Any
    lines: Mapping[KeyPath, int] = field(repr=False)

    def line_of(self, path: Sequence[PathPart]) -> int:
        """The line of ``path``, or of its nearest recorded ancestor (1 for the top level)."""
        p = tuple(path)
        while p:
            line = self.lines.get(p)
            if line is not None:
                return line
            p = p[:-1]
        return self.lines.get((), 1)

    def value_at(self, path: Sequence[PathPart]) -> Any:
        """The raw value at ``path`` (``None`` when absent)."""
        node = self.data
        for part in path:
            in_mapping = isinstance(node, Mapping) and part in node
            in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
            if in_mapping or in_list:
                node = node[part]
            else:
                return None
        return node

    def issue(
        self,
        path: Sequence[PathPart],
        message: str,
        hint: str | None = None,
        severity: Severity = "error",
    ) -> ConfigIssue:
        return ConfigIssue(self.filename, self.line_of(path), format_path(path), message, hint, severity)


#: A contract file is read whole at start-up and by ``slabot contracts check`` in CI (pull requests):
#: these bounds keep a hostile or broken file from taking the process down (a 391-byte file of nested
#: aliases once took 12.5 s and 1.1 GB; 20,000 levels of brackets crashed the YAML composer).
MAX_CONTRACT_FILE_BYTES = 1_000_000
#: mappings and lists inside each other (the example file needs 7)
MAX_NESTING = 64
#: nodes the document holds once every alias is expanded (the example file: about 1,000)
MAX_EXPANDED_NODES = 200_000


class _Lenient:
    """PyYAML's safe loading, but no value crashes it: a timestamp that is no date (``2026-13-01``,
    ``2026-02-30``) stays text, for the schema to report with its line; any other value a constructor
    cannot build is a YAML error at that value's line."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)  # type: ignore[misc]
        except yaml.MarkedYAMLError:
            raise
        except (ValueError, TypeError, AttributeError, OverflowError, ArithmeticError) as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read the value {node.value!r}: {exc}", node.start_mark
            ) from None

    def construct_lenient_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return self.construct_yaml_timestamp(node)  # type: ignore[attr-defined]
        except (ValueError, OverflowError, AttributeError):  # AttributeError: `!!timestamp nope`
            return self.construct_scalar(node)  # type: ignore[attr-defined]


class _Loader(_Lenient, yaml.SafeLoader):
    """The pure-Python parser: its messages say what is wrong (libyaml's are terser), so a file that
    does not read is read again with it, for the report."""


#: libyaml's parser where PyYAML has it (its wheels do): the same events, nodes and line marks as the
#: pure parser's at a tenth of the cost — a valid file is read with it
_FastLoader: type[yaml.SafeLoader] = (
    type("_FastLoader", (_Lenient, yaml.CSafeLoader), {}) if hasattr(yaml, "CSafeLoader") else _Loader
)

for _loader in {_Loader, _FastLoader}:
    _loader.add_constructor("tag:yaml.org,2002:timestamp", _loader.construct_lenient_timestamp)


def read_yaml(text: str, filename: str = "<string>") -> tuple[YamlDocument | None, list[ConfigIssue]]:
    """Parse YAML, recording lines; returns the document (None if unreadable) and any problems.

    Duplicate keys are problems (PyYAML would silently keep the last one); the document is
    still returned so that the rest of the file can be checked too. A file larger than
    :data:`MAX_CONTRACT_FILE_BYTES`, nested deeper than :data:`MAX_NESTING` or whose aliases expand
    beyond :data:`MAX_EXPANDED_NODES` nodes (or into themselves) is refused before it is built,
    with one line naming where.
    """
    refused = _refuse_unbounded(text, filename)
    if refused is not None:
        return None, [refused]
    try:
        return _composed(text, filename, _FastLoader)
    except yaml.YAMLError:
        pass  # read again with the pure parser, whose message is the one reported
    try:
        return _composed(text, filename, _Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = " ".join(p for p in (exc.context, exc.problem) if p) or "cannot read the YAML"
        hint = "check the indentation, colons and quotes on this line and the one before it"
        source_lines = text.splitlines()
        if 0 < line <= len(source_lines) and "\t" in source_lines[line - 1]:
            hint = "YAML does not allow tabs for indentation — use spaces"
        return None, [ConfigIssue(filename, line, "(YAML)", f"YAML syntax error: {problem}", hint)]
    except yaml.YAMLError as exc:  # pragma: no cover - PyYAML reports almost everything with a mark
        return None, [ConfigIssue(filename, 1, "(YAML)", f"YAML syntax error: {exc}", None)]


def _composed(
    text: str, filename: str, loader_class: type[yaml.SafeLoader]
) -> tuple[YamlDocument | None, list[ConfigIssue]]:
    """:func:`read_yaml` with one parser; a file that does not read raises PyYAML's error."""
    loader = loader_class(text)
    issues: list[ConfigIssue] = []
    try:
        node = loader.get_single_node()
        if node is not None:
            refused = _alias_budget(node, filename)
            if refused is not None:
                return None, [refused]
        if node is None:
            return None, [
                ConfigIssue(
                    filename,
                    1,
                    format_path(()),
                    "the file is empty",
                    "start from examples/contracts.yaml: agents, calendars, clients and contracts",
                )
            ]
        lines: dict[KeyPath, int] = {(): node.start_mark.line + 1}
        _record(loader, node, (), lines, issues, filename)
        data = loader.construct_document(node)
    finally:
        loader.dispose()
    return YamlDocument(filename, data, lines), issues


def _refuse_unbounded(text: str, filename: str) -> ConfigIssue | None:
    """The size and nesting limits, checked on the event stream (PyYAML's composer recurses per level)."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_CONTRACT_FILE_BYTES:
        return ConfigIssue(
            filename,
            1,
            "(file)",
            f"the file is {size:,} bytes; a contract file may have at most {MAX_CONTRACT_FILE_BYTES:,}",
            "split out what is not contracts, calendars, clients and agents",
        )
    for loader_class in dict.fromkeys((_FastLoader, _Loader)):
        try:
            return _too_deep(text, filename, loader_class)
        except yaml.YAMLError:
            # libyaml stops at 1,000 levels while it scans ahead, before a nesting event reaches us (or
            # the file does not read): the pure parser finds the 65th level, or the error read_yaml reports
            continue
    return None


def _too_deep(text: str, filename: str, loader_class: type[yaml.SafeLoader]) -> ConfigIssue | None:
    depth = 0
    for event in yaml.parse(text, Loader=loader_class):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_NESTING:
                return ConfigIssue(
                    filename,
                    event.start_mark.line + 1,
                    "(YAML)",
                    f"nested more than {MAX_NESTING} levels deep",
                    "a contract file needs far fewer levels — check the brackets on this line",
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return None


def _alias_budget(root: yaml.Node, filename: str) -> ConfigIssue | None:
    """Refuse aliases that expand (e.g. "billion laughs") past :data:`MAX_EXPANDED_NODES` or into
    themselves; linear in the file's size (each distinct node is counted once, memoised)."""
    sizes: dict[int, int] = {}
    in_progress: set[int] = set()

    def children(node: yaml.Node) -> list[yaml.Node]:
        if isinstance(node, yaml.MappingNode):
            return [part for pair in node.value for part in pair]
        if isinstance(node, yaml.SequenceNode):
            return list(node.value)
        return []

    # iterative post-order walk (the nesting limit bounds the depth, but a stack costs nothing)
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        key = id(node)
        if expanded:
            in_progress.discard(key)
            total = 1 + sum(sizes[id(child)] for child in children(node))
            sizes[key] = total
            if total > MAX_EXPANDED_NODES:
                return ConfigIssue(
                    filename,
                    node.start_mark.line + 1,
                    "(YAML)",
                    f"aliases here expand to more than {MAX_EXPANDED_NODES:,} values",
                    "write the values out, or use fewer nested aliases (&name / *name)",
                )
            continue
        if key in sizes:
            continue
        if key in in_progress:
            return ConfigIssue(
                filename,
                node.start_mark.line + 1,
                "(YAML)",
                "an alias refers to the value it is part of (it would never end)",
                "an &anchor cannot be used (*anchor) inside its own value",
            )
        in_progress.add(key)
        stack.append((node, True))
        for child in children(node):
            if id(child) not in sizes:
                if id(child) in in_progress:
                    return ConfigIssue(
                        filename,
                        child.start_mark.line + 1,
                        "(YAML)",
                        "an alias refers to the value it is part of (it would never end)",
                        "an &anchor cannot be used (*anchor) inside its own value",
                    )
                stack.append((child, False))
    return None


def _record(
    loader: yaml.SafeLoader,
    node: yaml.Node,
    path: KeyPath,
    lines: dict[KeyPath, int],
    issues: list[ConfigIssue],
    filename: str,
) -> None:
    if isinstance(node, yaml.MappingNode):
        first_seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = loader.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                hash(key)
            except TypeError:
                continue  # PyYAML reports unhashable keys itself when constructing
            child = (*path, key)
            if key in first_seen:
                issues.append(
                    ConfigIssue(
                        filename,
                        line,
                        format_path(child),
                        f"key '{key}' appears twice here (first on line {first_seen[key]})",
                        "YAML keeps only the last one — remove or rename one of them",
                    )
                )
            else:
                first_seen[key] = line
                lines[child] = line
            _record(loader, value_node, child, lines, issues, filename)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[(*path, i)] = item.start_mark.line + 1
            _record(loader, item, (*path, i), lines, issues, filename)
