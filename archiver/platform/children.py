"""Child processes that do not outlive the process that forked them (Linux)."""

from __future__ import annotations

import ctypes
import os
import signal

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int, sig: int = signal.SIGKILL) -> None:
    """Ask Linux to send this forked child `sig` when its parent (pid `parent`) dies, so a
    killed run leaves no orphans; exit at once if the parent died before we asked. A pool's
    task queue cannot signal end-of-file to its workers (each holds both of its ends), nor
    can a server's listening socket, so such a child would otherwise wait forever."""
    if not prctl(_PR_SET_PDEATHSIG, sig):  # not Linux: children end when they are shut down
        return
    if os.getppid() != parent:  # the parent died before we asked
        os._exit(1)


def prctl(option: int, value: int) -> bool:
    """Linux's prctl(2) for this process; False where there is none (not Linux). The C
    library is the one already loaded (dlopen of the program itself): looking it up by name
    (`ctypes.util.find_library`) starts `ldconfig -p`, about 2 ms, in every child."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(option, value, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False
