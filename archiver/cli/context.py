"""What every command needs, built once at the edge and passed in: the app (settings, store,
keys, clock, the district's days), made from the --config option on first use.

Command modules import the services they call inside the command itself, so `archiver
--help` and a quick `show` load only what they use (start-up is most of such a command's time).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from archiver.app import App
    from archiver.clock import Clock


class Context:
    """The command line's --config option, and the app it names (made on first use)."""

    # The clock every command's app reads; None is the system's. Tests that run commands in
    # process put a fixed clock here (the one way to move a command's "now").
    clock: Clock | None = None

    def __init__(self, config: str | None) -> None:
        self.config_option = config
        self._app: App | None = None

    @property
    def config_path(self) -> Path:
        """The config file: --config, $ARCHIVER_CONFIG, ./archiver.toml or /etc's."""
        from archiver.settings import find_config

        return find_config(self.config_option)

    @property
    def app(self) -> App:
        if self._app is None:
            from archiver.app import App
            from archiver.settings import load_settings

            settings = load_settings(self.config_path)
            logging.getLogger().setLevel(settings.log.level.upper())
            self._app = App(settings, Context.clock)
        return self._app

    def close(self) -> None:
        if self._app is not None:
            self._app.close()


def context(ctx: click.Context) -> Context:
    obj = ctx.find_object(Context)
    if obj is None:  # every command runs under the `archiver` group, which makes one
        raise RuntimeError("no command-line context")
    return obj


def app(ctx: click.Context) -> App:
    """The app of this command line."""
    return context(ctx).app


def emit_json(doc: Any, stream: tuple[str, Iterable[Any]] | None = None) -> None:
    """Write the one JSON document of a --json command to stdout. `stream` names a key of
    `doc` whose list is written item by item from an iterable, as it comes (a list of a
    million items need not be in memory); the output is the same as with the list in `doc`."""
    if stream is None:
        sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        return
    key, items = stream
    text = json.dumps({**doc, key: [None]}, indent=2, ensure_ascii=False)
    # The list sits one level in: its items at four spaces, its brackets at two.
    marker = f"{json.dumps(key, ensure_ascii=False)}: [\n    null\n  ]"
    head, tail = text.split(marker)
    sys.stdout.write(head + marker[: marker.index("[") + 1])
    first = True
    for item in items:
        body = json.dumps(item, indent=2, ensure_ascii=False).replace("\n", "\n    ")
        sys.stdout.write(("\n    " if first else ",\n    ") + body)
        first = False
    sys.stdout.write(("]" if first else "\n  ]") + tail + "\n")


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


def actor_option(f: click.decorators.FC) -> click.decorators.FC:
    """`--actor NAME` on a command that writes audit events: the person acting, resolved (and
    checked) before the command runs, else from the environment (docs/cli.md), and named in
    every event the command writes."""

    def act(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
        from archiver.archive.actor import act_as, resolve

        act_as(resolve(value))  # UsageError (exit 2) for a bad name; ends with `run`'s context

    return click.option(
        "--actor",
        metavar="NAME",
        expose_value=False,
        callback=act,
        help="Who is acting, for the audit log (default: $ARCHIVER_ACTOR, else the user "
        "behind sudo, else your login name).",
    )(f)


def who() -> str:
    """The person acting in this command: its `--actor`, else the environment's."""
    from archiver.archive.actor import current_actor

    return current_actor()
