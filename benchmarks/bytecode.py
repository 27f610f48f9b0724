"""Bytecode for the archiver a benchmark runs, as an installed archiver has it.

`pip install` (docs/operations.md) writes every module's bytecode when it installs the package.
A checkout installed in editable mode (`make install`) has none until a command writes it, and
where PYTHONDONTWRITEBYTECODE is set no command ever does: each one compiles every module it
imports from source again (about 60 ms of `archiver search` on a 2-core machine). The
benchmarks that start archiver commands call `compile_archiver` first, so they time what a
district runs; the report says so."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

NOTE = "archiver's modules compiled to bytecode first, as `pip install` does"

_COMPILE = (
    "import compileall, os, sys, archiver; "
    "sys.exit(0 if compileall.compile_dir(os.path.dirname(archiver.__file__), quiet=1) else 1)"
)


def compile_archiver(python: str | Path = sys.executable) -> None:
    """Write the bytecode of the archiver package that `python` imports (a no-op for modules
    whose bytecode is current); raises CalledProcessError if a module does not compile."""
    subprocess.run([str(python), "-c", _COMPILE], check=True)
