"""A cap on this process's memory, for tests of readers that must stop reading."""

from __future__ import annotations

import resource
from collections.abc import Iterator
from contextlib import contextmanager


def _address_space() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmSize in /proc/self/status")


@contextmanager
def memory_cap(headroom: int = 1 << 30) -> Iterator[None]:
    """Let this process's address space grow by at most `headroom` bytes while inside, so a
    regression that reads /dev/zero to the end fails with MemoryError in a second instead of
    exhausting the machine (and the other tests' memory with it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = _address_space() + headroom
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
