"""Key files and the keyring: finding, reading and checking keys, and deriving sub-keys.

Key material never enters the database. Each key is a file `<id>.key` (base64 of 32 bytes,
mode 0600) in the keys directory or in systemd's $CREDENTIALS_DIRECTORY. The database's key
registry names the keys, marks which is current, and holds a check value that catches a
wrong or corrupted key file before it is used; the keyring is given the registry's rows.

Disposal-cohort keys (`cohort-...`) live in their own directory, `<keys dir>/cohorts/`, and
only there: they are made while the archive runs and destroyed at disposition, so a copy
that systemd handed the service at start must not stand in for them.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from archiver.crypto import envelope
from archiver.crypto.facts import FactSeal
from archiver.domain import KeyRow
from archiver.errors import KeyFileError, WrongKeyError
from archiver.platform import credentials

COHORT = "cohort"  # wraps the data keys of one retention series and month (archive/cohorts.py)
GENERATED = ("kek", "index", "signing")  # what `keys generate` makes; signing: Ed25519
KINDS = (*GENERATED, COHORT)
CURRENT = "current"
RETIRED = "retired"
DESTROYED = "destroyed"  # a cohort key destroyed at disposition: its file is gone for good
COHORTS_DIR = "cohorts"


def new_key_id(kind: str, now: datetime) -> str:
    """A readable, unique key id such as kek-20261128-3fa9c2."""
    return f"{kind}-{now:%Y%m%d}-{secrets.token_hex(3)}"


def key_filename(key_id: str) -> str:
    return f"{key_id}.key"


def cohorts_dir(keys_dir: Path) -> Path:
    """Where cohort key files live: apart from the KEKs, to be backed up on their own."""
    return keys_dir / COHORTS_DIR


def _fsync_dir(path: Path) -> None:
    dir_fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def write_key_file(keys_dir: Path, key_id: str, material: bytes) -> Path:
    """Create `<id>.key` (mode 0600, never overwriting) and flush it to disk. The file is
    given to the directory's owner when root writes it, so a key that `sudo archiver` makes
    in a directory the service owns stays readable by the service."""
    keys_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = keys_dir / key_filename(key_id)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        owner = keys_dir.stat()
        if os.geteuid() == 0 and (owner.st_uid, owner.st_gid) != (0, 0):
            os.fchown(fd, owner.st_uid, owner.st_gid)
        os.write(fd, base64.b64encode(material) + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    _fsync_dir(keys_dir)
    return path


def delete_key_file(path: Path) -> bool:
    """Delete a key file and flush its directory, so the deletion survives a crash; whether
    there was a file."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    _fsync_dir(path.parent)
    return True


def key_file_problem(path: Path) -> str | None:
    """What is wrong with a key file, or None if it is usable."""
    problem = credentials.exposure_problem(path)
    if problem:
        return problem.replace("file missing", "key file missing")
    try:
        material = base64.b64decode(path.read_bytes().strip(), validate=True)
    except (binascii.Error, ValueError):
        return f"{path}: not a key file (expected base64 of {envelope.KEY_BYTES} bytes)"
    except OSError as exc:
        return f"{path}: cannot read key file: {exc.strerror}"
    if len(material) != envelope.KEY_BYTES:
        return f"{path}: key has {len(material)} bytes, expected {envelope.KEY_BYTES}"
    return None


def locate_key(keys_dir: Path, key_id: str, kind: str | None = None) -> Path:
    """Where key `key_id` (of `kind`) is: a cohort key in the cohorts directory; any other a
    systemd credential, else the keys directory."""
    if kind == COHORT:
        return cohorts_dir(keys_dir) / key_filename(key_id)
    return credentials.locate(key_filename(key_id), keys_dir)


def _registered_key_remedy(path: Path, key_id: str) -> str:
    """What to do when registered key `key_id`'s file `path` cannot be used (a key that is
    registered cannot be generated again: only its file from the key backup will do)."""
    if not path.exists():
        if key_id.startswith(f"{COHORT}-"):
            return (
                f" (cohort key {key_id} is registered in the database: restore this file from "
                "the backup of the cohort keys; no command can make it again)"
            )
        return (
            f" (key {key_id} is registered in the database: restore this file from the key "
            "backup; `archiver keys generate` cannot make it again)"
        )
    if not os.access(path, os.R_OK):
        return " (run the command as the user that owns the key files, e.g. with sudo)"
    if "readable by" in (credentials.exposure_problem(path) or ""):
        return ""  # the chmod to run is in the problem
    return f" (restore key {key_id}'s file from the key backup)"


class Keyring:
    """Key material for one run, loaded lazily and checked against the registry.

    `lookup` finds a key the registry rows given did not name (a cohort key another process
    made since): a long-running process learns it instead of failing."""

    def __init__(
        self,
        keys_dir: Path,
        registry: list[KeyRow],
        lookup: Callable[[str], KeyRow | None] | None = None,
    ) -> None:
        self.keys_dir = keys_dir
        self._registry = {k.id: k for k in registry}
        self._lookup = lookup
        self._material: dict[str, bytes] = {}
        self._fact_seals: dict[str, FactSeal] = {}
        self._audit_keys: dict[str, bytes] = {}  # derived once: every search appends an event

    def row(self, key_id: str) -> KeyRow | None:
        """The registry's row of `key_id`, if this keyring knows it."""
        if key_id not in self._registry and self._lookup is not None:
            found = self._lookup(key_id)
            if found is not None:
                self._registry[key_id] = found
        return self._registry.get(key_id)

    def learn(self, row: KeyRow, material: bytes | None = None) -> None:
        """Know a key registered since this keyring was made (and its material, when the
        caller has just made it); a destroyed key's material is dropped."""
        self._registry[row.id] = row
        if row.state == DESTROYED:
            self._material.pop(row.id, None)
            self._audit_keys.pop(row.id, None)
        elif material is not None:
            self._material[row.id] = material

    def current_id(self, kind: str) -> str:
        for row in self._registry.values():
            if row.kind == kind and row.state == CURRENT:
                return row.id
        raise KeyFileError(
            [f"no current {kind} key is registered in the database: run `archiver keys generate`"]
        )

    def material(self, key_id: str) -> bytes:
        """The key `key_id`; raises KeyFileError if unknown, missing or not the registered key."""
        if key_id in self._material:
            return self._material[key_id]
        row = self.row(key_id)
        if row is None:
            raise KeyFileError([f"key {key_id} is not registered in the database"])
        if row.state == DESTROYED:
            when = f" on {row.destroyed_at:%Y-%m-%d}" if row.destroyed_at else ""
            raise KeyFileError(
                [f"key {key_id} was destroyed{when} (disposition): what it wrapped cannot be read"]
            )
        path = locate_key(self.keys_dir, key_id, row.kind)
        problem = key_file_problem(path)
        if problem:
            raise KeyFileError([problem + _registered_key_remedy(path, key_id)])
        material = base64.b64decode(path.read_bytes().strip())
        if not secrets.compare_digest(envelope.key_check(material), row.check_value):
            raise WrongKeyError(
                [f"{path}: this is not key {key_id} (its check value differs): wrong file?"]
            )
        self._material[key_id] = material
        return material

    def current_kek(self) -> tuple[str, bytes]:
        key_id = self.current_id("kek")
        return key_id, self.material(key_id)

    def index_key(self) -> tuple[str, bytes]:
        key_id = self.current_id("index")
        return key_id, self.material(key_id)

    def signing_key(self) -> tuple[str, bytes]:
        """The current signing key's id and its 32 bytes (an Ed25519 private key)."""
        key_id = self.current_id("signing")
        return key_id, self.material(key_id)

    def fact_seal(self, key_id: str | None = None) -> FactSeal:
        """The seal of plaintext facts under index key `key_id` (default: the current one);
        raises KeyFileError."""
        key_id = key_id or self.current_id("index")
        if key_id not in self._fact_seals:
            self._fact_seals[key_id] = FactSeal(key_id, self.material(key_id))
        return self._fact_seals[key_id]

    def web_key(self) -> bytes:
        """The web application's cookie and CSRF key, derived from the current index key: the
        same in every process serving the archive (a rotation signs everyone out)."""
        return envelope.derive(self.material(self.current_id("index")), "archiver web v1")

    def audit_key(self, index_key_id: str) -> bytes:
        """The key that chains audit events, derived from an index key."""
        if index_key_id not in self._audit_keys:
            material = self.material(index_key_id)
            self._audit_keys[index_key_id] = envelope.derive(material, "archiver audit chain v1")
        return self._audit_keys[index_key_id]
