"""Read a YAML or JSON file into plain data, remembering the line each value came from.

PyYAML's composed nodes carry marks; walking them gives a map from a field path
(``schedules[3].cron``) to its 1-based line, so any later error can point into the file.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import yaml
from yaml.constructor import SafeConstructor

from cronwright import errors

# libyaml's parser when PyYAML was built with it (much faster on large files); the same nodes.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ApplyError(errors.InvalidInput):
    """A declaration that cannot be applied, saying where: ``f.yaml:12: schedules[3].cron: ...``."""

    def __init__(self, *, file: str, line: int | None, field: str, message: str) -> None:
        super().__init__(field=field, message=message)
        self.file = file
        self.line = line
        where = file if line is None else f"{file}:{line}"
        self.args = (f"{where}: {field}: {message}" if field else f"{where}: {message}",)


class ApplyErrors(ApplyError):  # noqa: N818 - several ApplyError, one per line
    """Every error found in one file, in the order of its lines: one per line of the message,
    so a file with six mistakes needs one run to see them all."""

    def __init__(self, found: list[ApplyError]) -> None:
        ordered = sorted(found, key=lambda error: error.line or 0)
        first = ordered[0]
        super().__init__(file=first.file, line=first.line, field=first.field, message=first.message)
        self.errors = ordered
        self.args = ("\n".join(str(error) for error in ordered),)


class Collector:
    """Gathers the errors of independent parts of a file instead of stopping at the first."""

    def __init__(self) -> None:
        self.found: list[ApplyError] = []

    @contextmanager
    def each(self) -> Iterator[None]:
        try:
            yield
        except ApplyErrors as exc:
            self.found.extend(exc.errors)
        except ApplyError as exc:
            self.found.append(exc)

    def raise_any(self) -> None:
        if len(self.found) == 1:
            raise self.found[0]
        if self.found:
            raise ApplyErrors(self.found)


@dataclass(frozen=True, slots=True)
class Source:
    """The parsed data of one file and the line of every field path in it."""

    file: str
    data: object
    lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, path: str) -> int | None:
        """The line of ``path``, else of the nearest enclosing field that has one."""
        while path:
            if path in self.lines:
                return self.lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return self.lines.get("")

    def error(self, path: str, message: str) -> ApplyError:
        return ApplyError(file=self.file, line=self.line_of(path), field=path, message=message)


_TOML_AT = re.compile(r"^(.*) \(at line (\d+), column \d+\)$")


def parse(text: str, *, file: str) -> Source:
    """YAML (JSON files too: JSON errors are reported by the JSON parser, with their line);
    TOML for a file named ``*.toml`` (its values carry no line numbers)."""
    if file.endswith(".toml"):
        try:
            return Source(file, tomllib.loads(text))
        except tomllib.TOMLDecodeError as exc:
            found = _TOML_AT.match(str(exc))
            if found is None:
                raise ApplyError(file=file, line=None, field="", message=str(exc)) from None
            raise ApplyError(
                file=file, line=int(found.group(2)), field="", message=found.group(1)
            ) from None
    if file.endswith(".json"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ApplyError(file=file, line=exc.lineno, field="", message=exc.msg) from None
        try:
            return Source(file, data, _lines(yaml.compose(text, Loader=_LOADER)))
        except yaml.YAMLError:
            return Source(file, data)  # valid JSON that YAML 1.1 cannot read: no line numbers
    try:
        node = yaml.compose(text, Loader=_LOADER)
        data = None if node is None else SafeConstructor().construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = str(exc.problem or exc.context or "not valid YAML")
        if "alias" in f"{exc.context} {message}":
            message += " (quote values that start with '*', such as cron expressions)"
        line = None if mark is None else mark.line + 1
        raise ApplyError(file=file, line=line, field="", message=message) from None
    except yaml.YAMLError as exc:
        raise ApplyError(file=file, line=None, field="", message=str(exc)) from None
    return Source(file, data, _lines(node))


def _lines(root: yaml.Node | None) -> dict[str, int]:
    found: dict[str, int] = {}
    if root is None:
        return found
    stack: list[tuple[yaml.Node, str]] = [(root, "")]
    while stack:
        node, path = stack.pop()
        found.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    child = f"{path}.{key.value}" if path else str(key.value)
                    found.setdefault(child, key.start_mark.line + 1)
                    stack.append((value, child))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                stack.append((item, f"{path}[{index}]"))
    return found
