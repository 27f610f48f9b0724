"""A private notmuch database for the benchmarks that compare with notmuch (`search_bench.py`,
`import_bench.py`): its own config file, its database inside the maildir it indexes, and
nothing of the user's (no NOTMUCH_PROFILE, no hooks). Needs Debian's `notmuch`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

MISSING = "notmuch is not installed (apt-get install notmuch, as root)"
# `notmuch new`'s arguments: quiet, and no hooks (a fresh database has none: say so anyway)
NEW = ("new", "--quiet", "--no-hooks")


def ensure_notmuch() -> str | None:
    """The notmuch executable; installed with apt-get when missing and we are root."""
    exe = shutil.which("notmuch")
    if exe:
        return exe
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("notmuch is missing: apt-get install -y notmuch ...", file=sys.stderr, flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
        proc = subprocess.run(
            ["apt-get", "install", "-y", "-qq", "notmuch"], env=env, capture_output=True
        )
        if proc.returncode == 0:
            return shutil.which("notmuch")
    return None


class NotmuchDb:
    """notmuch on `maildir`, configured by `root/notmuch-<maildir name>.config`."""

    def __init__(self, exe: str, root: Path, maildir: Path, zone: str | None = None) -> None:
        self.exe = exe
        self.maildir = maildir
        self.config = root / f"notmuch-{maildir.name}.config"
        self.xapian = maildir / ".notmuch" / "xapian"
        self.env = dict(os.environ, NOTMUCH_CONFIG=str(self.config))
        self.env.pop("NOTMUCH_PROFILE", None)
        if zone:  # date: ranges are read in the process's time zone
            self.env["TZ"] = zone

    def create(self, settings: str = "") -> None:
        """Remove any database of the maildir and write the config: the maildir, a user (so
        notmuch guesses nothing), then `settings` (config sections; without them, notmuch's
        defaults: `new.tags` unread;inbox, flags synchronised)."""
        shutil.rmtree(self.maildir / ".notmuch", ignore_errors=True)
        self.config.write_text(
            "[database]\n"
            f"path={self.maildir}\n"
            "[user]\n"
            "name=Bench\n"
            "primary_email=bench@example.org\n" + settings
        )

    def command(self, *args: str) -> list[str]:
        return [self.exe, *args]

    def run(self, *args: str) -> str:
        proc = subprocess.run(
            self.command(*args), env=self.env, capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:
            raise RuntimeError(f"notmuch {' '.join(args)}: exit {proc.returncode}: {proc.stderr}")
        return proc.stdout

    def count(self) -> int:
        return int(self.run("count", "*").strip())

    def version(self) -> str:
        return self.run("--version").strip()

    def size(self) -> int:
        """Bytes of the Xapian database."""
        return sum(p.stat().st_size for p in self.xapian.rglob("*") if p.is_file())
