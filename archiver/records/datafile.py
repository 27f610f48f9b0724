"""Records-management data files: TOML the archiver ships as package data, or a district names.

The retention schedule (`schedule.py`) and the exemptions (`exemptions.py`) are such files. Both
read them the same way: the shipped copy from its package, or a file by path; then UTF-8 and
TOML, each problem prefixed with a label naming the file (and the line, for TOML syntax), so a
district editing its own copy is told exactly where it went wrong.
"""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

_TOML_AT = re.compile(r"^(.*) \(at line (\d+), column (\d+)\)$")


def built_in_label(name: str) -> str:
    """What problems and `source` call the shipped file `name`.toml."""
    return f"built-in {name}"


def read_data_file(
    path: Path | None, package: str, name: str, noun: str
) -> tuple[str, bytes | None, list[str]]:
    """(label for messages, the file's bytes or None, problems).

    `path` None reads `name`.toml from package `package` (the shipped copy). `noun` says what
    the file is in a problem: "schedule" gives "X: schedule file not found".
    """
    if path is None:
        data = (resources.files(package) / f"{name}.toml").read_bytes()
        return built_in_label(name), data, []
    label = str(path)
    try:
        return label, path.read_bytes(), []
    except FileNotFoundError:
        return label, None, [f"{label}: {noun} file not found"]
    except OSError as exc:
        return label, None, [f"{label}: cannot read the {noun}: {exc.strerror or exc}"]


def parse_toml(label: str, data: bytes) -> tuple[dict[str, Any] | None, list[str]]:
    """The TOML document in `data`, or None and its one problem (prefixed with `label`)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [f"{label}: not UTF-8 text (byte {exc.start})"]
    try:
        return tomllib.loads(text), []
    except tomllib.TOMLDecodeError as exc:
        return None, [_toml_problem(label, text, exc)]


def _toml_problem(label: str, text: str, exc: tomllib.TOMLDecodeError) -> str:
    """tomllib's message, reworded to lead with the file and line as every other problem does."""
    message = str(exc)
    m = _TOML_AT.match(message)
    if m:
        return f"{label}: line {m.group(2)}: {m.group(1)} (column {m.group(3)}), not valid TOML"
    if message.endswith(" (at end of document)"):
        last = text.count("\n") + (0 if text.endswith("\n") else 1)
        reason = message.removesuffix(" (at end of document)")
        return f"{label}: line {max(last, 1)}: {reason} (at the end of the file), not valid TOML"
    return f"{label}: not valid TOML: {message}"


def text_problem(value: Any) -> str | None:
    """The problem with `value` as a required piece of text, or None."""
    if isinstance(value, str) and value.strip():
        return None
    return f"must be a non-empty string, got {value!r}"
