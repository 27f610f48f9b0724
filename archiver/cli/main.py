"""The `archiver` command group, error handling and exit codes (DESIGN.md section 10)."""

from __future__ import annotations

import contextvars
import importlib
import logging
import os
import sys
from collections.abc import Iterator, MutableMapping

import click

from archiver.cli.context import Context
from archiver.errors import ArchiverError, ConfigError
from archiver.platform.startup import pause_collection

# Every command: the module (in archiver/cli/) and the name that define it, and the first
# sentence of its help. `archiver --help` lists the commands from here, and a command's module
# is imported only when that command runs (or shows its own help): importing them all was
# most of a quick command's start-up. tests/unit/test_startup.py holds each summary to the
# command's own help.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "init": (
        "init_cmd",
        "init",
        "Create DIR/archiver.toml, DIR/archive/archive.db, DIR/keys/ and the maildir DIR/inbox/.",
    ),
    "config": ("config_cmd", "config", "Check the configuration."),
    "db": ("db_cmd", "db", "Database schema."),
    "keys": (
        "keys_cmd",
        "keys",
        "Key files: generate, list, rotate, and the disposal-cohort keys.",
    ),
    "import": (
        "import_cmd",
        "import_",
        "Archive messages from files, directories, mbox files and maildirs.",
    ),
    "show": (
        "records_cmd",
        "show",
        "Show a record (its hash is checked; the access is audited).",
    ),
    "verify": (
        "records_cmd",
        "verify",
        "Open every record, check every hash and every authenticated fact (status, dates, "
        "arrivals, tags, retention, holds, students, requests' decisions and redactions); exit "
        "code 3 naming any that fail.",
    ),
    "rederive": (
        "records_cmd",
        "rederive",
        "Understand every record again from its original bytes: forwarded originals, dates, "
        "student tags.",
    ),
    "search": (
        "search_cmd",
        "search_",
        'Search the archive: every WORD must match, "quoted phrases" match as phrases, and '
        "-WORD excludes.",
    ),
    "reindex": (
        "search_cmd",
        "reindex",
        "Rebuild the search index from the sealed records: the records not indexed under the "
        "current index key and tokenizer (all of them with --all).",
    ),
    "audit": ("audit_cmd", "audit", "The audit log."),
    "poll": ("collect_cmd", "poll", "One poll cycle of every source (or one), then exit."),
    "run": (
        "collect_cmd",
        "run",
        "The collection daemon: poll every source on its interval until SIGTERM.",
    ),
    "status": (
        "collect_cmd",
        "status_",
        "Per source: last successful cycle, last error, messages waiting, archived today.",
    ),
    "reconcile": (
        "reconcile_cmd",
        "reconcile",
        "Re-ingest what the sources' archived and quarantine folders hold but the archive lacks.",
    ),
    "students": ("students_cmd", "students", "The student roster."),
    "staff": (
        "staff_cmd",
        "staff",
        "The staff directory: staff names are never tagged as students.",
    ),
    "tag": ("students_cmd", "tag", "Student tags on records, set by hand."),
    "tags": ("students_cmd", "tags", "Student tags across the archive."),
    "retention": (
        "retention_cmd",
        "retention",
        "Retention: how long each record is kept, by the schedule (docs/records-management.md).",
    ),
    "hold": (
        "hold_cmd",
        "hold",
        "Legal holds: keep what a lawsuit, an audit or an investigation needs.",
    ),
    "request": (
        "request_cmd",
        "request",
        "Requests for records: public records (c.66 §10) and student records (603 CMR 23.07).",
    ),
    "redact": (
        "redact_cmd",
        "redact",
        "Redactions of a request's records: text removed before anything is produced.",
    ),
    "export": (
        "export_cmd",
        "export",
        "Write a signed export bundle at OUT (a directory; a zip if OUT ends in .zip), or "
        "check one.",
    ),
    "dispose": (
        "dispose_cmd",
        "dispose",
        "Disposition: destroy records whose retention has passed, in batches a second person "
        "approves, with a tombstone per record and a signed certificate "
        "(docs/records-management.md).",
    ),
    "users": (
        "users_cmd",
        "users",
        "Accounts of the web application: who may sign in, how, and with which role.",
    ),
    "web": ("web_cmd", "web", "Serve the web application until stopped (docs/web.md)."),
}


class _Commands(MutableMapping[str, click.Command]):
    """The group's commands by name (click's own lookup, listing and "did you mean"), each
    imported from its module the first time it is looked up."""

    def __init__(self) -> None:
        self._loaded: dict[str, click.Command] = {}

    def __getitem__(self, name: str) -> click.Command:
        if name not in self._loaded:
            module, attribute, _ = COMMANDS[name]
            command = getattr(importlib.import_module(f"archiver.cli.{module}"), attribute)
            self._loaded[name] = command
        return self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        return iter(COMMANDS)

    def __len__(self) -> int:
        return len(COMMANDS)

    def __setitem__(self, name: str, command: click.Command) -> None:
        raise TypeError(f"add {name!r} to COMMANDS in {__name__}")

    def __delitem__(self, name: str) -> None:
        raise TypeError(f"{name!r} is in COMMANDS in {__name__}")


class _Group(click.Group):
    """`archiver`: its list of commands written from their summaries, importing none."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        listed = {name: click.Command(name, help=text) for name, (_, _, text) in COMMANDS.items()}
        click.Group(commands=listed).format_commands(ctx, formatter)


@click.group(
    cls=_Group, commands=_Commands(), context_settings={"help_option_names": ["-h", "--help"]}
)
@click.option(
    "--config",
    "config",
    metavar="FILE",
    help="Config file (default: $ARCHIVER_CONFIG, ./archiver.toml, /etc/archiver/archiver.toml).",
)
@click.version_option(package_name="archiver")
@click.pass_context
def cli(ctx: click.Context, config: str | None) -> None:
    """Archive forwarded school records: collect, seal, search, retain."""
    context = Context(config)
    ctx.obj = context
    ctx.call_on_close(context.close)


def _error(message: str) -> None:
    """Write an error to stderr, every line of it beginning `error:` (one style for all)."""
    for line in message.splitlines() or [""]:
        click.echo(f"error: {line}", err=True)


def run(argv: list[str]) -> int:
    """Run one command; returns its exit code. ArchiverErrors become one message on stderr."""
    try:
        # In a context of its own: what the command sets (its actor) ends with it, even when
        # it fails before click closes it (tests run many commands in one process).
        code = contextvars.copy_context().run(
            cli.main, argv, prog_name="archiver", standalone_mode=False
        )
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 1
    except click.UsageError as exc:  # unknown command or option, missing argument
        hint = exc.ctx.command_path if exc.ctx is not None else "archiver"
        _error(f"{exc.format_message()} (see `{hint} --help`)")
        return 2
    except click.ClickException as exc:
        _error(exc.format_message())
        return 2
    except ConfigError as exc:
        for problem in exc.problems:
            _error(problem)
        return exc.exit_code
    except ArchiverError as exc:
        _error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    except MemoryError:
        click.echo(
            "error: out of memory: what was committed is kept; lower ingest.workers or "
            "ingest.max_message_mb, or give the service more memory, and run again",
            err=True,
        )
        return 1
    return code if isinstance(code, int) else 0


def main() -> None:
    """Console entry point."""
    pause_collection()  # until the archive is open (platform/startup.py)
    os.umask(0o077)  # keys, database and exports are nobody else's business
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    sys.exit(run(sys.argv[1:]))
