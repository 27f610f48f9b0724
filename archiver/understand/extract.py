"""Text of PDF and DOCX attachments, for the search index, extracted in a sandboxed process.

Parsers of hostile files hang, recurse and allocate without bound, so the parsing happens in a
child process (`archiver.understand.extract_child`) with a memory limit, a CPU limit, no right
to write files, and a deadline the parent enforces by killing it. The child is started on
first use and kept for the next attachments (a new Python with PDFium and python-docx costs
about a quarter of a second), and replaced when it times out, dies, or has grown or aged.
A child that dies in the middle of a PDF (PDFium aborts when out of memory) leaves the text
of the pages it had read.

The child runs as the same user as the parent: the limits stop a file from hanging or
exhausting ingest, not code that a parser bug let an attacker run (that would need a
separate user, seccomp or Landlock). PDFium (C++), lxml (libxml2) and zlib are the native
code that reads attachment bytes.

One `Extractor` per process: each ingest worker makes its own, after the fork. An extractor
inherited across a fork leaves the child to the process that started it and starts its own.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from archiver.understand.extract_child import HEADER, MAX_META, ChildConfig, unreadable_pages

STATUSES = frozenset({"ok", "truncated", "unsupported", "failed", "timeout", "too_large"})

PDF_TYPES = frozenset({"application/pdf", "application/x-pdf"})
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# Types that say nothing about the content: the file name's extension decides.
GENERIC_TYPES = frozenset(
    {
        "",
        "application/octet-stream",
        "application/x-octet-stream",
        "binary/octet-stream",
        "application/download",
        "application/x-download",
        "application/force-download",
        "application/unknown",
    }
)

MAX_REQUESTS = 1000  # attachments per child before it is replaced (bounds slow leaks)
CPU_LIFETIME = 600  # seconds of CPU per child at least (RLIMIT_CPU hard limit); replaced before
START_TIMEOUT = 15.0  # seconds a new child may take to be ready (at least `timeout`)
RETRY_START_AFTER = 30.0  # seconds before trying again when a child could not be started
SOFT_DEADLINE = 0.7  # of `timeout`: the child stops between pages and sends the text so far
_CLOSE_GRACE = 1.0  # seconds a child may take to exit once its input is closed
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Extraction:
    """The outcome of extracting one attachment's text.

    status: "ok", "truncated" (text cut at `max_chars`, or at the soft time limit),
    "unsupported" (not a PDF or DOCX), "failed", "timeout" or "too_large". text: "" unless ok
    or truncated. error: a short reason for failed, timeout and too_large; also set for a
    truncated text cut at the time limit ("time limit reached") and for an ok PDF some pages
    of which could not be read ("2 of 9 pages unreadable (...)", also when the child died on
    a page: that page and the rest count). Never any text of the document: reasons name
    exception types or signals, not their messages.
    """

    status: str
    text: str
    error: str | None


_UNSUPPORTED = Extraction("unsupported", "", None)


def _kind(content_type: str, filename: str) -> str | None:
    mime = content_type.split(";", 1)[0].strip().lower()
    if mime in PDF_TYPES:
        return "pdf"
    if mime == DOCX_TYPE:
        return "docx"
    if mime in GENERIC_TYPES:
        name = filename.strip().strip('"').lower()
        if name.endswith(".pdf"):
            return "pdf"
        if name.endswith(".docx"):
            return "docx"
    return None


def supported(content_type: str, filename: str) -> bool:
    """Whether the attachment is a PDF or DOCX by its type, or by its name when its type is
    generic (application/octet-stream and the like)."""
    return _kind(content_type, filename) is not None


class _Timeout(Exception):
    pass


class _Gone(Exception):
    """The child closed its output or input: it died."""


class _Protocol(Exception):
    """The child sent something it should not have."""


def _death(returncode: int | None) -> str:
    if returncode is None:
        return "stopped answering"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        if name == "SIGXCPU":
            return "exceeded its CPU time limit"
        if name == "SIGABRT":  # what PDFium does when an allocation fails
            return "aborted, as PDFium does when out of memory"
        return f"was killed by {name}"
    return f"exited with status {returncode}"


def _joined(parts: list[bytes]) -> str:
    return "\n".join(t for t in (p.decode("utf-8", "replace") for p in parts) if t)


def _cut_short(
    parts: list[bytes], progress: dict[str, Any], death: str, max_chars: int
) -> Extraction:
    """The outcome of a PDF whose child died while reading it: the text of the pages read
    before (the page it died on, and those after it, counted unreadable), or failed."""
    text = _joined(parts)
    read, total, bad = (progress.get(k) for k in ("pages_read", "pages", "bad_pages"))
    if not (text and isinstance(read, int) and isinstance(total, int) and isinstance(bad, int)):
        return Extraction("failed", "", death)
    return Extraction("ok", text[:max_chars], unreadable_pages(bad + total - read, total, death))


class _Child:
    """One running child process and the pipes to it."""

    def __init__(self, config: ChildConfig, deadline: float) -> None:
        self.workdir = tempfile.mkdtemp(prefix="archiver-extract-")
        root = str(Path(__file__).resolve().parents[2])
        boot = (
            f"import sys; sys.path.append({root!r}); "
            "from archiver.understand.extract_child import main; sys.exit(main())"
        )
        try:
            # -I: no environment variables, user site or current directory on the path;
            # -B: no bytecode writing (the child may not write files).
            self.proc = subprocess.Popen(  # noqa: S603 -- our own Python and module, no shell
                [sys.executable, "-I", "-B", "-c", boot, config.to_json()],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                close_fds=True,
                cwd=self.workdir,
                env={},
                process_group=0,  # terminal signals (Ctrl-C) are not for it
            )
        except BaseException:
            shutil.rmtree(self.workdir, ignore_errors=True)
            raise
        if self.proc.stdin is None or self.proc.stdout is None:  # never: both are pipes
            raise _Gone
        self.stdin = self.proc.stdin.fileno()
        self.stdout = self.proc.stdout.fileno()
        os.set_blocking(self.stdin, False)
        os.set_blocking(self.stdout, False)
        self.owner = os.getpid()
        self.requests = 0
        try:
            ready = self.receive(deadline, 0)[0]
        except BaseException:
            self.kill()
            raise
        if not ready.get("ready"):
            self.kill()
            raise _Protocol(str(ready.get("error") or "did not start"))
        self.versions = ready.get("versions")
        # Its working directory goes now: nothing can be made in a deleted directory, and
        # nothing is left behind if this process is killed.
        with contextlib.suppress(OSError):
            os.rmdir(self.workdir)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def send(self, meta: dict[str, Any], payload: bytes, deadline: float) -> None:
        head = json.dumps(meta).encode()
        frames = [HEADER.pack(len(head), len(payload)) + head, payload]
        poller = select.poll()
        poller.register(self.stdin, select.POLLOUT)
        for frame in frames:
            view = memoryview(frame)
            while view:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise _Timeout
                if not poller.poll(math.ceil(remaining * 1000)):
                    continue
                try:
                    written = os.write(self.stdin, view[:_CHUNK])
                except BlockingIOError:
                    continue
                except OSError as exc:  # BrokenPipeError, mostly
                    raise _Gone from exc
                view = view[written:]

    def _read(self, size: int, deadline: float, poller: select.poll) -> bytes:
        data = bytearray()
        while len(data) < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _Timeout
            if not poller.poll(math.ceil(remaining * 1000)):
                continue
            try:
                chunk = os.read(self.stdout, min(size - len(data), _CHUNK))
            except BlockingIOError:
                continue
            if not chunk:
                raise _Gone
            data += chunk
        return bytes(data)

    def receive(self, deadline: float, max_payload: int) -> tuple[dict[str, Any], bytes]:
        poller = select.poll()
        poller.register(self.stdout, select.POLLIN)
        meta_size, payload_size = HEADER.unpack(self._read(HEADER.size, deadline, poller))
        if meta_size > MAX_META or payload_size > max_payload:
            raise _Protocol("oversized answer")
        try:
            meta = json.loads(self._read(meta_size, deadline, poller))
        except ValueError:
            raise _Protocol("malformed answer") from None
        if not isinstance(meta, dict):
            raise _Protocol("malformed answer")
        return meta, self._read(payload_size, deadline, poller)

    def kill(self, grace: float = 0.0) -> str:
        """Kill and reap the child, after `grace` seconds to end by itself (it closed its
        output: it is exiting); how it ended, if it ended by itself."""
        try:
            ended = self.proc.wait(grace) if grace else self.proc.poll()
        except subprocess.TimeoutExpired:
            ended = None
        with contextlib.suppress(OSError):
            self.proc.kill()
        self._reap()
        return _death(ended)

    def close(self) -> None:
        """Let the child finish (it exits at the end of its input), or kill it."""
        with contextlib.suppress(OSError):
            self.proc.stdin.close()  # type: ignore[union-attr]
        try:
            self.proc.wait(_CLOSE_GRACE)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._reap()

    def _reap(self) -> None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(5)  # a SIGKILLed process may take a moment to be reaped
        for pipe in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError):
                pipe.close()  # type: ignore[union-attr]
        shutil.rmtree(self.workdir, ignore_errors=True)

    def forget(self) -> None:
        """In a forked copy of the process that started the child: drop our copies of its
        pipes without touching it (it serves the other process)."""
        for pipe in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError):
                pipe.close()  # type: ignore[union-attr]
        self.proc.returncode = 0  # nothing for this process to reap


_EXTRACTORS: weakref.WeakSet[Extractor] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    # A forked process must not hold the pipes of its parent's children: they would not see
    # the end of their input when the parent closes them.
    for extractor in list(_EXTRACTORS):
        extractor._after_fork()


os.register_at_fork(after_in_child=_after_fork_in_child)


class Extractor:
    """A sandboxed text extractor: a child process, reused across calls, replaced on trouble.

    timeout: seconds one attachment may take (sending, parsing, answering); then the child is
    killed (status "timeout"). Before that, at 70% of it, the child stops between pages or
    paragraphs and answers with the text so far ("truncated", error "time limit reached").
    memory_mb: the child's address-space limit. max_chars: text kept per attachment (more
    gives "truncated"). max_input_mb: larger attachments are "too_large" without being read.

    Calls are serialised, but use an extractor from one long-lived thread: Linux kills the
    child when the *thread* that started it ends (PR_SET_PDEATHSIG). A forked copy of the
    process leaves the child alone and starts its own on first use.
    """

    def __init__(
        self,
        timeout: float = 10.0,
        memory_mb: int = 512,
        max_chars: int = 1_000_000,
        max_input_mb: int = 50,
    ) -> None:
        if timeout <= 0 or memory_mb < 128 or max_chars < 1 or max_input_mb < 1:
            # The child needs about 60 MB of address space before it reads anything.
            raise ValueError("Extractor limits must be positive, and memory_mb at least 128")
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.max_chars = max_chars
        self.max_input_mb = max_input_mb
        self._child: _Child | None = None
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._unavailable: tuple[float, str] | None = None  # (until, why)
        self._cpu_lifetime = max(CPU_LIFETIME, 10 * (math.ceil(timeout) + 2))
        _EXTRACTORS.add(self)

    @property
    def pid(self) -> int | None:
        """The running child's process id, if one is running."""
        child = self._child
        return child.pid if child is not None and child.owner == os.getpid() else None

    def extract(
        self, data: bytes, content_type: str, filename: str, timeout: float | None = None
    ) -> Extraction:
        """The text of one attachment, in `timeout` seconds at most (default: the extractor's).
        Never raises (but KeyboardInterrupt and the like)."""
        try:
            kind = _kind(content_type, filename)
            if kind is None:
                return _UNSUPPORTED
            if len(data) > self.max_input_mb * 1024 * 1024:
                size = len(data) / (1024 * 1024)
                return Extraction("too_large", "", f"{size:.1f} MB (limit {self.max_input_mb} MB)")
            if not data:
                return Extraction("failed", "", "empty attachment")
            self._after_fork()
            with self._lock:
                return self._extract(kind, data, min(timeout or self.timeout, self.timeout))
        except Exception as exc:  # noqa: BLE001 -- a bug here must not stop ingest: the
            # attachment's text is missing, the record is kept, and the reason says so.
            self._discard()
            return Extraction("failed", "", f"extractor error ({type(exc).__name__})")
        except BaseException:
            self._discard()
            raise

    def _extract(self, kind: str, data: bytes, timeout: float) -> Extraction:
        child = self._child
        if child is not None and child.proc.poll() is not None:  # died while idle
            child.kill()
            child = self._child = None
        if child is None:
            child, problem = self._start()
            if child is None:
                return Extraction("failed", "", problem)
        deadline = time.monotonic() + timeout
        request = {
            "op": "extract",
            "kind": kind,
            "max_chars": self.max_chars,
            "seconds": timeout * SOFT_DEADLINE,  # then it answers with what it has
            "cpu": math.ceil(timeout) + 1,  # then the kernel stops it (RLIMIT_CPU)
        }
        parts: list[bytes] = []  # a PDF's text, page by page, as the child reports it
        progress: dict[str, Any] = {}
        try:
            child.requests += 1
            child.send(request, data, deadline)
            room = 4 * self.max_chars + 16  # bytes of UTF-8 text, all frames together
            while True:
                meta, payload = child.receive(deadline, room)
                room -= len(payload)
                if "pages_read" not in meta:
                    break
                progress = meta
                parts.append(payload)
        except _Timeout:
            self._child = None
            child.kill()
            return Extraction("timeout", "", f"no answer within {timeout:g} s")
        except _Gone:
            self._child = None
            death = f"extractor {child.kill(_CLOSE_GRACE)}"
            return _cut_short(parts, progress, death, self.max_chars)
        except _Protocol as exc:
            self._child = None
            child.kill()
            return Extraction("failed", "", f"extractor protocol error ({exc})")
        status, error = meta.get("status"), meta.get("error")
        if status not in STATUSES or not (error is None or isinstance(error, str)):
            self._child = None
            child.kill()
            return Extraction("failed", "", "extractor protocol error (bad status)")
        if self._worn(child, meta):
            self._child = None
            child.close()
        text = _joined([*parts, payload]) if status in ("ok", "truncated") else ""
        return Extraction(status, text[: self.max_chars], error[:200] if error else None)

    def _worn(self, child: _Child, meta: dict[str, Any]) -> bool:
        """Whether to replace the child after this answer: it asked to, or it has answered
        many requests, used much of its CPU time, or grown to half its memory limit."""
        cpu, rss = meta.get("cpu"), meta.get("rss")
        return bool(
            meta.get("retire")
            or child.requests >= MAX_REQUESTS
            or (isinstance(cpu, (int, float)) and cpu > self._cpu_lifetime - 2 * (self.timeout + 2))
            or (isinstance(rss, int) and rss > self.memory_mb * 1024 * 1024 // 2)
        )

    def _start(self) -> tuple[_Child | None, str]:
        now = time.monotonic()
        if self._unavailable is not None and now < self._unavailable[0]:
            return None, self._unavailable[1]
        config = ChildConfig(
            parent=os.getpid(),
            memory_mb=self.memory_mb,
            cpu_seconds=self._cpu_lifetime,
            max_input=self.max_input_mb * 1024 * 1024,
        )
        try:
            child = _Child(config, now + max(self.timeout, START_TIMEOUT))
        except (OSError, _Timeout, _Gone, _Protocol) as exc:
            why = str(exc) if isinstance(exc, _Protocol) else type(exc).__name__
            problem = f"extractor unavailable ({why})"
            self._unavailable = (time.monotonic() + RETRY_START_AFTER, problem)
            return None, problem
        self._unavailable = None
        self._child = child
        return child, ""

    def _after_fork(self) -> None:
        if self._pid != os.getpid():
            self._pid = os.getpid()
            self._lock = threading.Lock()  # it may have been held by a thread not copied
            if self._child is not None:
                self._child.forget()
                self._child = None

    def _discard(self) -> None:
        child, self._child = self._child, None
        if child is not None and child.owner == os.getpid():
            with contextlib.suppress(Exception):
                child.kill()

    def close(self) -> None:
        """Stop the child (it is started again if the extractor is used again)."""
        self._after_fork()
        with self._lock:
            child, self._child = self._child, None
            if child is not None:
                child.close()

    def __enter__(self) -> Extractor:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            if self._child is not None and self._child.owner == os.getpid():
                self._child.kill()
