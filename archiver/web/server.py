"""Serving the web application: waitress (a production WSGI server, pure Python) on the
bound address, behind the district's reverse proxy for TLS (docs/operations.md)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from archiver.errors import ConfigError
from archiver.settings import parse_bind

if TYPE_CHECKING:
    from archiver.app import App

log = logging.getLogger(__name__)


def serve(archive: App, bind: str, threads: int = 8) -> None:
    """Serve until stopped (SIGTERM or Ctrl-C). Behind a proxy, the proxy's
    X-Forwarded-For/-Proto are trusted only from 127.0.0.1 and ::1."""
    import waitress

    from archiver.web.app import create_app

    try:
        host, port = parse_bind(bind)
    except ValueError as exc:
        raise ConfigError([f"--bind: {exc}"]) from None
    web = create_app(archive)
    log.info("archiver web serving on http://%s:%d", host, port)
    waitress.serve(
        web,
        host=host,
        port=port,
        threads=threads,
        trusted_proxy="127.0.0.1",
        trusted_proxy_headers={"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"},
        clear_untrusted_proxy_headers=True,
        ident="archiver",
    )
