#!/usr/bin/env python3
"""Start-up benchmark: the whole-process time of the commands a person types.

A demo archive (`archiver init`, the examples, the example roster) is made in a temporary
directory; then each command runs --runs times (after one unmeasured run, so the page cache
is warm, as it is for anyone typing commands) and its median wall time is printed beside the
target (DESIGN.md section 14), with the median CPU time (user + system) of the process: on a
machine other work shares, CPU time moves less than wall time. Each installation's modules are
compiled to bytecode first (`bytecode.py`), as `pip install` does for an installed package.

    archiver --help            under 0.10 s
    archiver show ID           under 0.25 s
    archiver search WORD       under 0.25 s

Beside each command, its floor: the same Python starting and importing every module of the
libraries the command loads (SQLAlchemy, click, cryptography...: found by running the command
once in process and reading `sys.modules`), and no archiver code: what the command would cost
if archiver's own modules and work took no time, so the report shows how much of a target is
left to archiver at all.

`--archiver PATH` times another installation's `archiver` (an older checkout's venv) on an
archive it made itself. `--baseline PATH` times a second installation in the same run, each on
its own archive, the two alternating run by run so that both see the same machine; the ratio
is this one's median over the baseline's. `--imports N` also lists, for `search WORD`, the N
modules whose own import took longest (`python -X importtime`, median over --runs runs; those
runs are apart from the timed ones, which importtime would slow).

Usage: python benchmarks/startup_bench.py [--runs 10] [--archiver PATH] [--baseline PATH]
       [--imports N] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from bytecode import compile_archiver

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parent / "examples"
TARGETS = {"--help": 0.10, "show ID": 0.25, "search WORD": 0.25}
_IMPORT_LINE = re.compile(r"import time:\s+(\d+)\s*\|\s*\d+\s*\|\s*(\S+)")


def _run(cmd: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.strip()}")
    return done


def _demo(exe: str, root: Path) -> dict[str, list[str]]:
    """A demo archive under `root`, and the commands to time on it."""
    _run([exe, "init", str(root)])
    base = [exe, "--config", str(root / "archiver.toml")]
    _run([*base, "import", *sorted(str(p) for p in EXAMPLES.glob("*.eml"))])
    _run([*base, "students", "import", str(EXAMPLES / "students.csv")])
    found = json.loads(_run([*base, "search", "--json", "spanish"]).stdout)
    return {
        "--help": [exe, "--help"],
        "show ID": [*base, "show", str(found["results"][0]["id"])],
        "search WORD": [*base, "search", "spanish"],
    }


# Runs an archiver command in process, then names every module loaded (on stderr, last line).
_LOADED = (
    "import json, sys\n"
    "from archiver.cli.main import main\n"
    "sys.argv = ['archiver', *sys.argv[1:]]\n"
    "try:\n"
    "    main()\n"
    "except SystemExit:\n"
    "    pass\n"
    "sys.stderr.write('\\n' + json.dumps(list(sys.modules)))\n"
)
# Imports the modules named on its command line, in that order (one that cannot be imported
# by name, an alias some library registers, is skipped: it was loaded by another).
_IMPORT_ALL = (
    "import importlib, sys\n"
    "for name in sys.argv[1:]:\n"
    "    try:\n"
    "        importlib.import_module(name)\n"
    "    except Exception:\n"
    "        pass\n"
)


def _floor(cmd: list[str]) -> tuple[list[str], list[str]]:
    """The command that only imports the libraries `cmd` (an archiver command) loads, and
    those libraries' names: every module loaded that is neither the standard library's nor
    archiver's (nor site's import hooks), in the order they were loaded."""
    python = str(Path(cmd[0]).parent / "python")
    loaded = json.loads(_run([python, "-c", _LOADED, *cmd[1:]]).stderr.splitlines()[-1])
    libraries = [
        m
        for m in loaded
        if (top := m.split(".")[0]) not in sys.stdlib_module_names
        and top not in sys.builtin_module_names
        and top != "archiver"
        and not top.startswith("__")  # __main__, site's import hooks
    ]
    # Named for the report by their public packages (not cryptography's _openssl, say, nor
    # the runtime compiled modules share).
    names = sorted(
        {t for m in libraries if not (t := m.split(".")[0]).startswith("_")} - {"cython_runtime"}
    )
    return [python, "-c", _IMPORT_ALL, *libraries], names


def _timed(cmd: list[str]) -> tuple[float, float]:
    """One run of `cmd`: its wall time and its CPU time (user + system), in seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    _run(cmd)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _measure(
    builds: dict[str, dict[str, list[str]]], runs: int
) -> dict[str, dict[str, dict[str, Any]]]:
    """Median wall and CPU seconds of every command of every build, and of its floor (the
    libraries it loads, imported alone), the builds and floors alternating."""
    floors = {
        (build, name): _floor(cmd)
        for build, commands in builds.items()
        for name, cmd in commands.items()
    }
    timed = {
        **{
            (build, name, False): cmd
            for build, commands in builds.items()
            for name, cmd in commands.items()
        },
        **{(build, name, True): floor for (build, name), (floor, _) in floors.items()},
    }
    for cmd in timed.values():
        _run(cmd)  # warm: page cache, bytecode
    times: dict[tuple[str, str, bool], list[tuple[float, float]]] = defaultdict(list)
    for _ in range(runs):
        for name in TARGETS:
            for build in builds:
                for alone in (False, True):
                    times[build, name, alone].append(_timed(timed[build, name, alone]))

    def median(key: tuple[str, str, bool], i: int) -> float:
        return round(statistics.median(t[i] for t in times[key]), 4)

    return {
        build: {
            name: {
                "median_s": median((build, name, False), 0),
                "cpu_s": median((build, name, False), 1),
                "target_s": TARGETS[name],
                "libraries_s": median((build, name, True), 0),
                "libraries_cpu_s": median((build, name, True), 1),
                "libraries": floors[build, name][1],
            }
            for name in TARGETS
        }
        for build in builds
    }


def _slowest_imports(cmd: list[str], runs: int, top: int) -> list[dict[str, object]]:
    """The `top` modules with the largest median own import time (ms) over `runs` runs."""
    own: dict[str, list[int]] = defaultdict(list)
    for _ in range(runs):
        err = _run(cmd, {**os.environ, "PYTHONPROFILEIMPORTTIME": "1"}).stderr
        for module, us in ((m[2], int(m[1])) for m in _IMPORT_LINE.finditer(err)):
            own[module].append(us)
    medians = {m: statistics.median(us + [0] * (runs - len(us))) / 1000 for m, us in own.items()}
    ranked = sorted(medians.items(), key=lambda kv: -kv[1])
    listed = [{"module": m, "self_ms": round(ms, 1)} for m, ms in ranked[:top]]
    return [
        *listed,
        {"module": f"all {len(medians)} modules", "self_ms": round(sum(medians.values()), 1)},
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="measured runs of each command")
    parser.add_argument(
        "--archiver",
        default=str(Path(sys.executable).parent / "archiver"),
        help="the archiver executable to time (default: this venv's)",
    )
    parser.add_argument("--baseline", metavar="PATH", help="another archiver to time beside it")
    parser.add_argument(
        "--imports", type=int, default=0, metavar="N", help="list search's N slowest imports"
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    exes = [args.archiver, *([args.baseline] if args.baseline else [])]
    for exe in exes:
        compile_archiver(Path(exe).parent / "python")
    with tempfile.TemporaryDirectory(prefix="startup-bench-") as tmp:
        builds = {exe: _demo(exe, Path(tmp) / f"demo{i}") for i, exe in enumerate(exes)}
        results = _measure(builds, args.runs)
        imports = {
            exe: _slowest_imports(builds[exe]["search WORD"], args.runs, args.imports)
            for exe in (exes if args.imports else [])
        }
    if args.json:
        doc = {"runs": args.runs, "builds": results, "search_imports": imports}
        print(json.dumps(doc, indent=2))
        return 0
    print(f"median of {args.runs} runs: wall time (CPU time)")
    for exe in exes:
        print(f"{exe}{'  (baseline)' if exe == args.baseline else ''}")
        for name, r in results[exe].items():
            verdict = "ok" if r["median_s"] < r["target_s"] else "MISSED"
            line = f"  archiver {name:<12} {r['median_s']:6.3f} s ({r['cpu_s']:5.3f} s)"
            line += f"   target < {r['target_s']:.2f} s  {verdict}"
            if args.baseline and exe != args.baseline:
                line += f"   {r['median_s'] / results[args.baseline][name]['median_s']:.2f}x"
                line += (
                    f" of baseline ({r['cpu_s'] / results[args.baseline][name]['cpu_s']:.2f}x CPU)"
                )
            print(line)
            print(
                f"    {'its libraries alone':<21} {r['libraries_s']:6.3f} s "
                f"({r['libraries_cpu_s']:5.3f} s)   {', '.join(r['libraries'])}"
            )
    print(
        "its libraries alone: the interpreter importing every module of the libraries the "
        "command loads, no archiver code (the floor of its time)"
    )
    for exe, listed in imports.items():
        print(f"search WORD, own import time (median ms of {args.runs} runs): {exe}")
        for item in listed:
            print(f"  {item['self_ms']:8.1f}  {item['module']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
