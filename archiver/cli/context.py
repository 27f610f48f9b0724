"""What every command needs, built once at the edge and passed in: settings, store, keys."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

import click

from archiver.archive import audit
from archiver.archive.keys import load_keyring
from archiver.crypto.keyring import Keyring
from archiver.ingest.prepare import IngestPolicy
from archiver.settings import Settings, find_config, load_settings
from archiver.store.db import Store
from archiver.understand.indexing import TextLimits


class App:
    """Lazily loaded settings, database and keyring for one command."""

    def __init__(self, config: str | None) -> None:
        self._config = config
        self._settings: Settings | None = None
        self._store: Store | None = None
        self._keyring: Keyring | None = None

    @property
    def config_option(self) -> str | None:
        """The --config value, if one was given."""
        return self._config

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(find_config(self._config))
            logging.getLogger().setLevel(self._settings.log.level.upper())
        return self._settings

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store.open(
                self.settings.database_url, lock_timeout=self.settings.archive.lock_timeout
            )
            audit.anchor_store(self._store, self.settings.audit_anchor)
        return self._store

    @property
    def keyring(self) -> Keyring:
        if self._keyring is None:
            self._keyring = load_keyring(self.store, self.settings.keys_dir)
        return self._keyring

    def ingest_policy(self) -> IngestPolicy:
        return IngestPolicy.from_settings(self.settings.ingest, self.keyring)

    def text_limits(self) -> TextLimits:
        """How long attachment text may take, for `reindex`, `rederive` and repairs."""
        ingest = self.settings.ingest
        return TextLimits(ingest.attachment_text_timeout, ingest.attachment_text_budget)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


def app(ctx: click.Context) -> App:
    obj = ctx.find_object(App)
    assert obj is not None
    return obj


def emit_json(doc: Any) -> None:
    """Write the one JSON document of a --json command to stdout."""
    sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


class Progress:
    """A one-line progress display on stderr, shown only when stderr is a terminal."""

    def __init__(self, label: str, total: int | None, unit: str = "") -> None:
        self.label = label
        self.total = total
        self.unit = unit
        self.enabled = sys.stderr.isatty()

    def __call__(self, done: int) -> None:
        if not self.enabled:
            return
        if self.total:
            pct = min(100.0, 100.0 * done / self.total)
            bar = "#" * int(pct / 4)
            text = f"\r{self.label} [{bar:<25}] {pct:5.1f}%"
        else:
            text = f"\r{self.label} {done}{self.unit}"
        sys.stderr.write(text)
        sys.stderr.flush()

    def finish(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
