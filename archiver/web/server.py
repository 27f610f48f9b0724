"""Serving the web application: waitress (a production WSGI server, pure Python) on the
bound address, behind the district's reverse proxy for TLS (docs/operations.md).

One Python process runs Python on one core at a time, so `workers` above 1 forks that many
processes, each a waitress server with its own threads and database connections, all
accepting on the one listening socket; this process then only watches them: one that dies is
started again, and SIGTERM or Ctrl-C stops them all."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn

from archiver.errors import ConfigError
from archiver.platform.children import die_with_parent
from archiver.settings import parse_bind

if TYPE_CHECKING:
    from archiver.app import App

log = logging.getLogger(__name__)

BACKLOG = 1024  # connections the kernel queues while every thread is busy
QUICK_DEATH = 10.0  # seconds: a worker failing sooner than this after starting is not restarted
FAILED = 70  # a worker's exit code when serving raised (EX_SOFTWARE)


def serve(
    archive: App,
    bind: str,
    threads: int = 2,
    ready: Callable[[str], None] | None = None,
    workers: int = 1,
) -> None:
    """Serve until stopped (SIGTERM or Ctrl-C); `ready` is told the address once the socket
    listens. Behind a proxy, X-Forwarded-For/-Proto/-Host are trusted only from 127.0.0.1.
    Raises ConfigError for an address it cannot listen on, or when a worker process fails as
    it starts (what it logged says why)."""
    from archiver.web.app import create_app

    try:
        host, port = parse_bind(bind)
    except ValueError as exc:
        raise ConfigError([f"--bind: {exc}"]) from None
    web = create_app(archive)  # in this process: a bad key or setting stops here, once
    listener = _listen(bind, host, port)
    address = f"http://{bind}/"
    announce = ready or (lambda url: log.info("archiver web serving on %s", url))
    try:
        if workers <= 1:
            announce(address)
            _run(web, listener, threads)
            return
        archive.close()  # no database connection may be shared across a fork
        _Supervisor(lambda: _run(web, listener, threads), workers).run(lambda: announce(address))
    finally:
        listener.close()


def _listen(bind: str, host: str, port: int) -> socket.socket:
    try:
        family, kind, proto, _, where = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(where)
        sock.listen(BACKLOG)
    except OSError as exc:
        raise ConfigError([f"--bind {bind}: cannot listen there: {exc.strerror or exc}"]) from None
    return sock


def _run(web: Any, listener: socket.socket, threads: int) -> None:
    """One waitress server on `listener` until interrupted."""
    from waitress.server import create_server

    # Requests waiting a moment for one of a few threads is the design (they take turns at
    # one core anyway), not something to warn the journal about at every request.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)

    server: Any = create_server(
        web,
        sockets=[listener],
        threads=threads,
        trusted_proxy="127.0.0.1",
        trusted_proxy_headers={"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"},
        clear_untrusted_proxy_headers=True,
        ident="archiver",
    )
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


class _Supervisor:
    """Forks `count` processes that each call `work`, and keeps them running."""

    def __init__(self, work: Callable[[], None], count: int) -> None:
        self._work = work
        self._count = count
        self._started: dict[int, float] = {}  # pid -> when it was forked
        self._stopping = False

    def run(self, ready: Callable[[], None]) -> None:
        previous = {s: signal.signal(s, self._stop) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            for _ in range(self._count):
                self._fork()
            ready()
            while self._started:
                pid, status = os.wait()
                began = self._started.pop(pid, None)
                if began is None or self._stopping:
                    continue
                code = os.waitstatus_to_exitcode(status)
                quick = time.monotonic() - began < QUICK_DEATH
                if quick and code == FAILED:  # it could not serve at all: it would again
                    self._stop(signal.SIGTERM, None)
                    self._reap()
                    raise ConfigError(
                        ["archiver web: a worker process failed as it started; see its error above"]
                    )
                log.error(
                    "archiver web: worker process %d stopped (%s); starting another",
                    pid,
                    f"signal {-code}" if code < 0 else f"exit {code}",
                )
                if quick:
                    time.sleep(1)  # not a tight loop of crashes
                self._fork()
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)

    def _fork(self) -> None:
        # Signals wait until the new worker is in `_started` (and, in the worker, until its
        # own handlers are set): a stop arriving meanwhile reaches every worker, and never
        # runs this process's handler inside a worker.
        stops = {signal.SIGTERM, signal.SIGINT}
        signal.pthread_sigmask(signal.SIG_BLOCK, stops)
        try:
            parent = os.getpid()
            pid = os.fork()
            if pid == 0:
                self._worker(stops, parent)
            self._started[pid] = time.monotonic()
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, stops)

    def _worker(self, stops: set[signal.Signals], parent: int) -> NoReturn:
        """The worker: default signals (SIGTERM ends it), ended with this process even if it
        is killed outright, serving until stopped."""
        code = 0
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            die_with_parent(parent, signal.SIGTERM)  # no worker outlives its server
            signal.pthread_sigmask(signal.SIG_UNBLOCK, stops)
            self._work()
        except Exception:  # logged; the exit code says it failed
            log.exception("archiver web: worker process failed")
            code = FAILED
        finally:
            logging.shutdown()
            os._exit(code)

    def _stop(self, _signum: int, _frame: object) -> None:
        self._stopping = True
        for pid in list(self._started):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    def _reap(self) -> None:
        while self._started:
            pid, _ = os.wait()
            self._started.pop(pid, None)
