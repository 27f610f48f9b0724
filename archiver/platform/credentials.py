"""Finding secret files (keys, passwords, OAuth secrets): systemd credentials first, then disk.

Under systemd, `LoadCredential=NAME:PATH` puts a file in $CREDENTIALS_DIRECTORY, and a
directory PATH becomes one credential per file, named `NAME_FILE`. So a secret called `x` is
looked for there as `x` and as `*_x`, and only then at its path on disk.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from archiver.errors import ConfigError


def _credentials_dir() -> Path | None:
    creds = os.environ.get("CREDENTIALS_DIRECTORY")
    return Path(creds) if creds else None


def locate(name: str, fallback_dir: Path) -> Path:
    """Where the secret file `name` is: an absolute path as given, else a credential with its
    file name, else `name` relative to `fallback_dir` (so "secrets/x" works both ways)."""
    path = Path(name).expanduser()
    if path.is_absolute():
        return path
    creds = _credentials_dir()
    if creds is not None:
        if (creds / path.name).exists():
            return creds / path.name
        found = sorted(creds.glob(f"*_{path.name}"))
        if found:
            return found[0]
    return fallback_dir / path


def files(suffix: str, fallback_dir: Path) -> dict[str, Path]:
    """Every secret file named `*suffix` (names without `_`, such as key files) in the
    credentials or in `fallback_dir`, by name, each where `locate` finds it: what a service
    with these credentials would use."""
    try:
        names = {p.name for p in fallback_dir.glob(f"*{suffix}")}
    except OSError:
        names = set()
    creds = _credentials_dir()
    if creds is not None:
        names |= {p.name.rsplit("_", 1)[-1] for p in creds.glob(f"*{suffix}")}
    return {name: locate(name, fallback_dir) for name in sorted(names)}


def exposure_problem(path: Path) -> str | None:
    """Why a secret file cannot be used (missing, not a file, open to others), or None."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return f"{path}: file missing"
    except OSError as exc:
        return f"{path}: cannot read: {exc.strerror}"
    if not stat.S_ISREG(st.st_mode):
        return f"{path}: not a regular file"
    creds = _credentials_dir()
    if creds is not None and path.parent == creds:
        return None  # systemd's private copy (0400, or 0440 from systemd 254 on)
    if st.st_mode & 0o077:
        who = "others" if st.st_mode & 0o007 else "its group"
        return (
            f"{path}: readable by {who} (mode {stat.S_IMODE(st.st_mode):04o}); run chmod 600 {path}"
        )
    return None


def read_secret(path: Path, what: str) -> str:
    """The secret in the file at `path` (without a final line break); raises ConfigError
    naming `what` (the setting that names the file) if it is missing, unreadable or open to
    others."""
    problem = exposure_problem(path)
    if problem:
        raise ConfigError([f"{what} {problem}"])
    try:
        return path.read_text(encoding="utf-8").strip("\r\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{what} {path}: cannot read: {exc}"]) from None
