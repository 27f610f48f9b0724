"""The `archiver` command group, error handling and exit codes (DESIGN.md section 10)."""

from __future__ import annotations

import contextvars
import logging
import os
import sys

import click

from archiver.cli import (
    audit_cmd,
    collect_cmd,
    config_cmd,
    db_cmd,
    dispose_cmd,
    export_cmd,
    hold_cmd,
    import_cmd,
    init_cmd,
    keys_cmd,
    reconcile_cmd,
    records_cmd,
    redact_cmd,
    request_cmd,
    retention_cmd,
    search_cmd,
    staff_cmd,
    students_cmd,
    users_cmd,
    web_cmd,
)
from archiver.cli.context import Context
from archiver.errors import ArchiverError, ConfigError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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


for command in (
    init_cmd.init,
    config_cmd.config,
    db_cmd.db,
    keys_cmd.keys,
    import_cmd.import_,
    records_cmd.show,
    records_cmd.verify,
    records_cmd.rederive,
    search_cmd.search_,
    search_cmd.reindex,
    audit_cmd.audit,
    collect_cmd.poll,
    collect_cmd.run,
    collect_cmd.status_,
    reconcile_cmd.reconcile,
    students_cmd.students,
    staff_cmd.staff,
    students_cmd.tag,
    students_cmd.tags,
    retention_cmd.retention,
    hold_cmd.hold,
    request_cmd.request,
    redact_cmd.redact,
    export_cmd.export,
    dispose_cmd.dispose,
    users_cmd.users,
    web_cmd.web,
):
    cli.add_command(command)


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
    os.umask(0o077)  # keys, database and exports are nobody else's business
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    sys.exit(run(sys.argv[1:]))
