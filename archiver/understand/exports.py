"""Reading the CSV exports of a district's systems (student information, HR directory):
the encodings Excel writes, recognising an export by its columns, one error for a file's
problems. Pure: no keys and no database."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from archiver.errors import InputError


def column_mapping(
    header: list[str],
    fmt: str,
    presets: dict[str, dict[str, tuple[str, ...]]],
    required: tuple[tuple[str, ...], ...],
    path: Path,
    what: str,
) -> tuple[str, dict[str, int]]:
    """The preset whose columns `header` has (the one named by `fmt`, or the first that fits
    for "auto") and each field's column; `required` lists alternatives (each a set of fields
    that together are enough). Raises InputError naming the file and what is missing."""
    columns = {name.strip(): i for i, name in enumerate(header)}
    tried = [fmt] if fmt != "auto" else list(presets)
    for name in tried:
        preset = presets.get(name)
        if preset is None:
            raise InputError(f"unknown {what} format {name!r} (use {', '.join(presets)})")
        found = {
            field: next(columns[c] for c in candidates if c in columns)
            for field, candidates in preset.items()
            if any(c in columns for c in candidates)
        }
        if any(all(f in found for f in option) for option in required):
            return name, found
    first = presets[tried[0]]
    want = " or ".join("; ".join(f"{f}: one of {first[f]}" for f in option) for option in required)
    raise InputError(
        f"{path}: line 1: the columns do not look like a {' or '.join(tried)} "
        f"{what} export (need {want}; found {', '.join(columns)})"
    )


def csv_rows(path: Path, what: str) -> list[list[str]]:
    """The rows of a CSV export (UTF-8, with or without a BOM, else Windows-1252 as Excel
    writes it); InputError naming the file when it cannot be read or is empty."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")  # Excel's default on Windows
        except UnicodeDecodeError:
            raise InputError(f"{path}: neither UTF-8 nor Windows-1252 text") from None
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise InputError(f"{path}: empty file: no {what} in it")
    return rows


def problems_error(problems: list[str]) -> InputError:
    """One error for every problem found in a file (the first 20 listed)."""
    more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
    return InputError("\n".join(problems[:20]) + more)
