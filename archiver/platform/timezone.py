"""The machine's time zone, as an IANA name (for `archiver init` to write into the config)."""

from __future__ import annotations

import os
from pathlib import Path

_ZONEINFO = "zoneinfo/"


def machine_zone() -> str | None:
    """The IANA name of this machine's time zone ($TZ, /etc/timezone, or where /etc/localtime
    points), or None if it cannot be told."""
    tz = os.environ.get("TZ", "").lstrip(":")
    if tz and "/" in tz and not tz.startswith("/"):
        return tz
    try:
        name = Path("/etc/timezone").read_text(encoding="ascii").strip()
        if name:
            return name
    except (OSError, UnicodeDecodeError):
        pass
    try:
        target = os.readlink("/etc/localtime")
    except OSError:
        return None
    _, found, name = target.partition(_ZONEINFO)
    return name if found and name else None


def district_zone(default: str) -> str:
    """The zone `init` writes: the machine's, unless the machine runs on UTC (servers often
    do, and a district's days are not UTC days): then `default`."""
    zone = machine_zone()
    if zone is None or zone in ("UTC", "Etc/UTC", "Etc/UCT", "UCT", "Universal", "Zulu"):
        return default
    return zone
