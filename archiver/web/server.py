"""Serving the web application: waitress (a production WSGI server, pure Python) on the
bound address, behind the district's reverse proxy for TLS (docs/operations.md)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from archiver.errors import ConfigError
from archiver.settings import parse_bind

if TYPE_CHECKING:
    from archiver.app import App

log = logging.getLogger(__name__)


def serve(
    archive: App, bind: str, threads: int = 8, ready: Callable[[str], None] | None = None
) -> None:
    """Serve until stopped (SIGTERM or Ctrl-C); `ready` is told the address once the socket
    listens. Behind a proxy, X-Forwarded-For/-Proto/-Host are trusted only from 127.0.0.1."""
    from waitress.server import create_server

    from archiver.web.app import create_app

    try:
        host, port = parse_bind(bind)
    except ValueError as exc:
        raise ConfigError([f"--bind: {exc}"]) from None
    web = create_app(archive)
    try:
        server = create_server(
            web,
            host=host,
            port=port,
            threads=threads,
            trusted_proxy="127.0.0.1",
            trusted_proxy_headers={"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"},
            clear_untrusted_proxy_headers=True,
            ident="archiver",
        )
    except OSError as exc:
        raise ConfigError([f"--bind {bind}: cannot listen there: {exc.strerror}"]) from None
    address = f"http://{bind}/"
    log.info("archiver web serving on %s", address)
    if ready is not None:
        ready(address)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
