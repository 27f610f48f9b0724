"""Child processes that do not outlive the process that forked them (Linux)."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int, sig: int = signal.SIGKILL) -> None:
    """Ask Linux to send this forked child `sig` when its parent (pid `parent`) dies, so a
    killed run leaves no orphans; exit at once if the parent died before we asked. A pool's
    task queue cannot signal end-of-file to its workers (each holds both of its ends), nor
    can a server's listening socket, so such a child would otherwise wait forever."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, sig)
    except (OSError, AttributeError):  # not Linux: children end when they are shut down
        return
    if os.getppid() != parent:  # the parent died before we asked
        os._exit(1)
