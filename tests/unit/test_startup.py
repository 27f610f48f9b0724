"""What a command loads before it answers: start-up is most of a typed command's time, so
`--help` loads no database, crypto, mail or PDF library, and `show` no parser, tagger or PDF
renderer.
(The times themselves are measured by benchmarks/startup_bench.py, not asserted here.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

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
    for command in (["show", record_id], ["search", "spanish"]):
        loaded = _loaded("--config", str(config), *command)
        assert "sqlalchemy" in loaded  # it did open the archive
        unwanted = {
            "mailparser",
            "archiver.understand.parse",
            "archiver.understand.forwards",
            "archiver.understand.extract",
            "archiver.archive.tagging",
            "archiver.ingest.pipeline",
            "sqlalchemy.dialects.postgresql",
            "weasyprint",
        }
        assert not unwanted & loaded, (command, unwanted & loaded)
