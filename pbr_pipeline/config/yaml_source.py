"""Reading an area file's YAML: one document, no key given twice, dates left as text.

A key given twice is found here because pydantic never sees it: PyYAML settles it silently by
keeping the last value.
"""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path
from typing import Any

import yaml

from pbr_pipeline.config.errors import ConfigError, key_path


def read_area_file(path: Path) -> Any:
    """The file's YAML document; a file that cannot be read or parsed is a ConfigError."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(path, "<file>", f"cannot be read: {error}") from error
    try:
        return _AreaFileLoader(text, path).get_single_data()
    except yaml.YAMLError as error:
        raise ConfigError(path, "<file>", _yaml_problem(error)) from error


def _where(mark: yaml.Mark) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}"


def _node_locations(root: yaml.Node) -> dict[yaml.Node, tuple]:
    """The location of every node of a document, for messages about a node being constructed.

    A node reached twice through an alias keeps one of its locations, so a recursive alias ends
    the walk.
    """
    locations: dict[yaml.Node, tuple] = {}
    pending: list[tuple[yaml.Node, tuple]] = [(root, ())]
    while pending:
        node, loc = pending.pop()
        if node in locations:
            continue
        locations[node] = loc
        if isinstance(node, yaml.MappingNode):
            pending += [(value, (*loc, key.value)) for key, value in node.value]
        elif isinstance(node, yaml.SequenceNode):
            pending += [(item, (*loc, i)) for i, item in enumerate(node.value)]
    return locations


class _AreaFileLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in a mapping and leaves dates as text.

    Timestamps are constructed as the text written, for the models' date type to parse: PyYAML's
    own constructor fails on 2012-02-30 with a message naming neither the file nor the key.
    """

    yaml_constructors = {
        **yaml.SafeLoader.yaml_constructors,
        "tag:yaml.org,2002:timestamp": yaml.SafeLoader.construct_yaml_str,
    }

    def __init__(self, text: str, file: Path):
        super().__init__(text)
        self.file = file
        self.locations: dict[yaml.Node, tuple] = {}

    def construct_document(self, node: yaml.Node) -> Any:
        self.locations = _node_locations(node)
        return super().construct_document(node)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        first_marks: dict[Any, yaml.Mark] = {}
        for key_node, _ in node.value:
            # A key of the mapping's own after `<<: *anchor` is how YAML overrides a merged key;
            # super() merges them. `<<` itself has no constructor.
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, Hashable):
                continue  # super() reports an unhashable key, with its place
            if key in first_marks:
                raise ConfigError(
                    self.file,
                    key_path((*self.locations[node], key_node.value)),
                    f"duplicated key, at {_where(key_node.start_mark)} (first at {_where(first_marks[key])})",
                )
            first_marks[key] = key_node.start_mark
        return super().construct_mapping(node, deep)


def _yaml_problem(error: yaml.YAMLError) -> str:
    """One line for a YAML error: PyYAML's own message spans lines, quoting the file under a caret."""
    if not isinstance(error, yaml.MarkedYAMLError):
        return f"not valid YAML: {' '.join(str(error).split())}"  # a control character, placed by offset
    mark = error.problem_mark or error.context_mark
    where = f" at {_where(mark)}" if mark else ""
    return f"not valid YAML{where}: {', '.join(part for part in (error.context, error.problem) if part)}"
