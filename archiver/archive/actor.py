"""Who is acting, for the audit log: a person, named by the front end or the operating system.

The order (docs/cli.md): `--actor NAME`, else `$ARCHIVER_ACTOR`, else the user behind `sudo`
(`$SUDO_USER`, when running as root), else the login name of the effective user. A front end
names the person for what it does (the command line from `--actor` with `act_as`, the daemon's
cycles as `DAEMON` with `acting_as`); what runs outside one reads the environment at each event.
"""

from __future__ import annotations

import os
import pwd
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from archiver.errors import UsageError

DAEMON = "archiver (daemon)"  # the daemon's own events: no person asked for them
ENV = "ARCHIVER_ACTOR"
MAX_LENGTH = 128  # what audit_event.actor holds

# Set per command (or request, or daemon cycle): a context variable, so threads and future
# web requests each have their own.
_acting: ContextVar[str | None] = ContextVar("archiver_actor", default=None)


def checked(name: str, where: str) -> str:
    """`name` without the white space around it; raises UsageError naming `where` if it is
    empty, longer than MAX_LENGTH, or holds a control or other invisible character."""
    text = name.strip()
    if not text:
        raise UsageError(f"{where}: the actor is empty: name the person acting")
    bad = next((c for c in text if not c.isprintable()), None)
    if bad is not None:
        raise UsageError(
            f"{where}: the actor {text!r} holds a control or invisible character "
            f"(U+{ord(bad):04X}): name the person acting in plain text"
        )
    if len(text) > MAX_LENGTH:
        raise UsageError(f"{where}: the actor is longer than {MAX_LENGTH} characters")
    return text


def from_environment() -> str:
    """The person the environment names: $ARCHIVER_ACTOR (empty counts as unset), else
    $SUDO_USER when the effective user is root and it names someone else, else the login
    name of the effective user (not `os.getlogin()`: no terminal under systemd or cron).
    Raises UsageError if the name found is not a usable actor."""
    given = os.environ.get(ENV)
    if given:
        return checked(given, f"${ENV}")
    euid = os.geteuid()
    sudo = os.environ.get("SUDO_USER")
    if euid == 0 and sudo and sudo.strip() != "root":
        return checked(sudo, "$SUDO_USER")
    try:
        return checked(pwd.getpwuid(euid).pw_name, f"the login name of uid {euid}")
    except KeyError:  # no passwd entry (a container's arbitrary uid)
        return f"uid:{euid}"


def resolve(given: str | None) -> str:
    """The actor: `given` (from `--actor`) when there is one, else the environment's.
    Raises UsageError if it is not a usable actor."""
    return checked(given, "--actor") if given is not None else from_environment()


@contextmanager
def acting_as(name: str) -> Iterator[str]:
    """Name the person acting for every event appended in this context (this thread or
    task); raises UsageError if `name` is not a usable actor."""
    name = checked(name, "the actor")
    token = _acting.set(name)
    try:
        yield name
    finally:
        _acting.reset(token)


def act_as(name: str) -> str:
    """Name the person acting for the rest of the current context (a command line runs in a
    context of its own); the name, checked. Raises UsageError if it is not a usable actor."""
    name = checked(name, "the actor")
    _acting.set(name)
    return name


def current_actor() -> str:
    """Who is acting: the name `acting_as` set here, else the environment's (raises
    UsageError if that is not a usable actor)."""
    return _acting.get() or from_environment()
