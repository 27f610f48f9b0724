"""zstd compression of sealed parts (the only user of `zstandard`).

Base64 attachments dominate a mailbox's bytes. Decoding them before compressing was tried
and dropped: zstd's entropy coder already gets within 4% of the decoded size on incompressible
attachments, at a seventh of the CPU time.
"""

from __future__ import annotations

import functools
import threading

import zstandard

from archiver.errors import CompressionError


@functools.lru_cache(maxsize=4)
def _compressor(level: int) -> zstandard.ZstdCompressor:
    return zstandard.ZstdCompressor(level=level, write_content_size=True)


def compress(data: bytes, level: int = 3) -> bytes:
    """zstd frame of `data`, recording its size."""
    return _compressor(level).compress(data)


_local = threading.local()  # a decompressor is not for two threads at once


def _decompressor() -> zstandard.ZstdDecompressor:
    # Kept: making one costs more than opening a record's metadata (a search opens 50).
    found: zstandard.ZstdDecompressor | None = getattr(_local, "decompressor", None)
    if found is None:
        found = _local.decompressor = zstandard.ZstdDecompressor()
    return found


def decompress(data: bytes) -> bytes:
    """Inverse of `compress`; raises CompressionError."""
    try:
        return _decompressor().decompress(data)
    except zstandard.ZstdError as exc:
        raise CompressionError(f"compressed bytes are malformed: {exc}") from None
