"""What a command loads before it answers: start-up is most of a typed command's time, so
`--help` loads no database, crypto, mail or PDF library and no command's module, and `show`
and `search` no parser, tagger, PDF renderer or other command's module; and the command list
`--help` writes without importing the commands is the one they would write themselves.
(The times themselves are measured by benchmarks/startup_bench.py, not asserted here.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest

from archiver.cli.main import cli

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "01-gmail-inline-absence.eml"

# Run a command in a fresh interpreter and list the modules it ended up with.
PROBE = """
import contextlib, io, json, sys
from archiver.cli.main import run
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    code = run(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _loaded(*args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True
    )
    doc = json.loads(done.stdout)
    assert doc["code"] == 0, doc
    return set(doc["modules"])


def _roots(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules} | modules


def test_help_loads_no_database_crypto_or_mail_library() -> None:
    loaded = _roots(_loaded("--help"))
    heavy = {
        "sqlalchemy",
        "cryptography",
        "mailparser",
        "alembic",
        "imapclient",
        "pypdf",
        "holidays",
        "weasyprint",
    }
    assert not heavy & loaded, heavy & loaded
    assert not {m for m in loaded if m.startswith(("archiver.store", "archiver.ingest"))}
    assert _commands_loaded(loaded) == set()
    assert "archiver.settings" not in loaded


def _commands_loaded(modules: set[str]) -> set[str]:
    return {m for m in modules if m.startswith("archiver.cli.") and m.endswith("_cmd")}


@pytest.mark.parametrize("width", [40, 60, 80, 100])
def test_help_lists_each_command_as_its_own_help_would(width: int) -> None:
    """`archiver --help` lists the commands from their summaries in main.py; the list must
    be the one click writes from the commands themselves, at any terminal width."""

    def listing(group: click.Group) -> str:
        ctx = click.Context(group, info_name="archiver", terminal_width=width)
        formatter = ctx.make_formatter()
        group.format_commands(ctx, formatter)
        return formatter.getvalue()

    ctx = click.Context(cli)
    commands: dict[str, click.Command] = {}
    for name in cli.list_commands(ctx):  # imports every command's module
        command = cli.get_command(ctx, name)
        assert command is not None and command.name == name
        commands[name] = command
    assert listing(cli) == listing(click.Group(commands=commands))
    listed = [line.split()[0] for line in listing(cli).splitlines()[1:]]
    assert listed == sorted(commands) and {"search", "show", "import", "web"} <= set(listed)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("startup") / "demo"
    exe = [sys.executable, "-m", "archiver"]
    subprocess.run([*exe, "init", str(root)], capture_output=True, check=True)
    config = root / "archiver.toml"
    done = subprocess.run(
        [*exe, "--config", str(config), "import", "--json", str(EXAMPLE)],
        capture_output=True,
        text=True,
        check=True,
    )
    return config, str(json.loads(done.stdout)["items"][0]["id"])


def test_show_and_search_load_no_parser_tagger_or_ingest(demo: tuple[Path, str]) -> None:
    config, record_id = demo
    # Each command, and the command modules it loads: its own and what it prints with.
    for command, modules in (
        (["show", record_id], {"records_cmd", "retention_cmd"}),
        (["search", "spanish"], {"search_cmd"}),
    ):
        loaded = _roots(_loaded("--config", str(config), *command))
        assert "sqlalchemy" in loaded  # it did open the archive
        unwanted = {
            "mailparser",
            "archiver.understand.parse",
            "archiver.understand.forwards",
            "archiver.understand.extract",
            "archiver.archive.tagging",
            "archiver.crypto.signing",
            "archiver.ingest",
            "sqlalchemy.dialects.postgresql",
            "weasyprint",
            "pypdf",
            "docx",
            "flask",
        }
        assert not unwanted & loaded, (command, unwanted & loaded)
        assert _commands_loaded(loaded) == {f"archiver.cli.{m}" for m in modules}


def test_the_collector_pauses_only_until_the_archive_is_open(demo: tuple[Path, str]) -> None:
    """The console entry pauses garbage collection for start-up; a command that works on the
    archive (an import, the daemon) collects again from the moment it is open."""
    config, _ = demo
    probe = (
        "import atexit, gc, json, sys\n"
        "atexit.register(lambda: sys.__stderr__.write(json.dumps("
        "[gc.isenabled(), gc.get_freeze_count()])))\n"
        "from archiver.cli.main import main\n"
        "main()\n"
    )
    for args, collecting in (
        (["--help"], False),
        (["--config", str(config), "search", "spanish"], True),
    ):
        done = subprocess.run(
            [sys.executable, "-c", probe, *args], capture_output=True, text=True, check=True
        )
        enabled, frozen = json.loads(done.stderr.splitlines()[-1])
        assert (enabled, frozen > 10_000) == (collecting, collecting), (args, done.stderr)
