"""Every command that writes audit events takes `--actor NAME` (DESIGN.md section 10), so a
records officer can always say who acts; a new command is taken to write some until it is
listed here as writing none."""

from __future__ import annotations

from collections.abc import Iterator

import click

from archiver.cli.main import cli

# Commands that write no audit event (the daemon's events are its own: `archiver (daemon)`).
# `audit log` has an `--actor` of its own: a filter. `web` names each event's actor from the
# signed-in person, never from its command line.
WRITE_NO_EVENTS = {
    "config validate", "keys list", "audit verify", "audit log", "run", "status", "users list",
    "web",
}  # fmt: skip


def _commands(group: click.Group, path: str = "") -> Iterator[tuple[str, click.Command]]:
    for name, command in group.commands.items():
        here = f"{path} {name}".strip()
        if isinstance(command, click.Group):
            yield from _commands(command, here)
        else:
            yield here, command


def _actor(command: click.Command) -> click.Parameter | None:
    return next((p for p in command.params if "--actor" in p.opts), None)


def _names_the_actor(command: click.Command) -> bool:
    """The command's `--actor` says who acts (rather than filtering by actor)."""
    option = _actor(command)
    return option is not None and not option.expose_value


def test_every_command_that_audits_takes_the_actor() -> None:
    commands = dict(_commands(cli))
    assert set(commands) >= WRITE_NO_EVENTS
    missing = [
        p for p, c in commands.items() if p not in WRITE_NO_EVENTS and not _names_the_actor(c)
    ]
    assert missing == []
    strays = [p for p in WRITE_NO_EVENTS if _names_the_actor(commands[p])]
    assert strays == []
