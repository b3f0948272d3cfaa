"""ConfigError, and how the first problem pydantic reports becomes one.

A ConfigError names the file, the key path (`schedules[0].weights.D1_REDUCED_USE`) and the
problem, in one line. The models word their own problems (`problem()`); pydantic's only word
that reaches a message is a missing key.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError
from pydantic_core import PydanticCustomError

PROBLEM_TYPE = "area_config"
# The built-in error pydantic raises for us: a key left out, or given as null (models.py drops those).
_PYDANTIC_PROBLEMS = {"missing": "is required"}


class ConfigError(ValueError):
    """A configuration file that must not be used; the message names file, key and problem."""

    def __init__(self, file: Path | str, key: str, problem: str):
        self.file, self.key, self.problem = str(file), key, problem
        super().__init__(": ".join(_one_line(part) for part in (self.file, key, problem)))


def _one_line(text: str) -> str:
    """The text, or its repr if it holds a line break or another control character.

    A file name or a key may hold one; the run log shows one error per line.
    """
    return text if text.isprintable() else repr(text)


def key_path(loc: tuple) -> str:
    """The key path of a location: names joined by dots, list positions in brackets.

    A key written as "" names nothing: the path stops at its mapping.
    """
    path = ""
    for part in loc:
        if part == "":
            continue
        if isinstance(part, int):
            path = f"{path}[{part}]"
        else:
            path = f"{path}.{part}" if path else str(part)
    return path or "<top>"


def problem(text: str, *at: str | int, file: Path | None = None) -> PydanticCustomError:
    """A problem for a validator to raise, in the words ConfigError shows.

    `at` places it below the value being validated (a list's rule names the item and key it is
    about); with `file` it is a problem of another file, and `at` is its key path there.
    """
    context: dict = {"problem": text, "at": at}
    if file is not None:
        context["file"] = str(file)
    return PydanticCustomError(PROBLEM_TYPE, "{problem}", context)


def first_config_error(file: Path, error: ValidationError) -> ConfigError:
    """The first problem pydantic reports: the models are laid out so that it is the first one
    the file has, in the order its keys are read (models.py)."""
    first = error.errors(include_url=False)[0]
    if first["type"] != PROBLEM_TYPE:
        return ConfigError(file, key_path(_location(first)), _PYDANTIC_PROBLEMS.get(first["type"], first["msg"]))
    context = first["ctx"]
    if "file" in context:
        return ConfigError(context["file"], key_path(context["at"]), context["problem"])
    return ConfigError(file, key_path(_location(first) + context["at"]), context["problem"])


def _location(error: dict) -> tuple:
    loc = error["loc"]
    if loc[-1:] == ("[key]",):
        # A mapping's key itself is at fault: name it as written (pydantic places `true:` at 1).
        return (*loc[:-2], str(error["input"]))
    return loc
