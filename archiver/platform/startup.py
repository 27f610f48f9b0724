"""The cyclic garbage collector, paused while a command starts.

Starting a command builds tens of thousands of objects that live as long as the process
(modules, classes and their generated methods, SQLAlchemy's tables), and the collector, run
every 700 new objects, scanned them again and again as they piled up: about a tenth of a
`search`. The command line pauses it from its first line until the archive is open; then what
start-up built is frozen (never scanned again, and left shared with forked workers rather than
copied) and collection goes on as usual for the command's real work. A process that never
opens an archive (`--help`, `init`'s checks, `export --check`) is short and ends paused.
"""

from __future__ import annotations

import gc


class _Pause:
    on = False  # paused by `pause_collection`, not yet resumed


def pause_collection() -> None:
    """Pause the collector until `resume_collection` (unless something else turned it off)."""
    if gc.isenabled():
        gc.disable()
        _Pause.on = True


def resume_collection() -> None:
    """End a pause: freeze what was built meanwhile and collect again. Otherwise nothing."""
    if _Pause.on:
        _Pause.on = False
        gc.freeze()
        gc.enable()
