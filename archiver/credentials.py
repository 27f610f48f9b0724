"""Finding secret files (keys, passwords, OAuth secrets): systemd credentials first, then disk.

Under systemd, `LoadCredential=NAME:PATH` puts a file in $CREDENTIALS_DIRECTORY, and a
directory PATH becomes one credential per file, named `NAME_FILE`. So a secret called `x` is
looked for there as `x` and as `*_x`, and only then at its path on disk.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


def locate(name: str, fallback_dir: Path) -> Path:
    """Where the secret file `name` is: an absolute path as given, else a credential, else disk."""
    path = Path(name).expanduser()
    if path.is_absolute():
        return path
    creds = os.environ.get("CREDENTIALS_DIRECTORY")
    if creds and os.sep not in name:
        base = Path(creds)
        if (base / name).exists():
            return base / name
        found = sorted(base.glob(f"*_{name}"))
        if found:
            return found[0]
    return fallback_dir / path


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
    if st.st_mode & 0o077:
        return (
            f"{path}: readable by others (mode {stat.S_IMODE(st.st_mode):04o}); "
            f"run chmod 600 {path}"
        )
    return None
