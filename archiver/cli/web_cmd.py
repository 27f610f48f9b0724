"""`archiver web`: serve the records officer's web application (DESIGN.md 13)."""

from __future__ import annotations

import click

from archiver.cli.context import app


@click.command("web")
@click.option(
    "--bind",
    metavar="HOST:PORT",
    help="Where to listen (default: [web] bind, 127.0.0.1:8080). TLS is the reverse proxy's "
    "job: keep this on the loopback address behind it.",
)
@click.option(
    "--threads",
    type=click.IntRange(1, 64),
    help="Requests each process serves at once (default: [web] threads, 2).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help="Server processes (default: [web] workers, 2): one per core the machine can give it.",
)
@click.pass_context
def web(ctx: click.Context, bind: str | None, threads: int | None, workers: int | None) -> None:
    """Serve the web application until stopped (docs/web.md)."""
    from archiver.web.server import serve

    a = app(ctx)
    serve(
        a,
        bind or a.settings.web.bind,
        threads or a.settings.web.threads,
        lambda url: click.echo(f"archiver web: serving on {url} (Ctrl-C stops it)", err=True),
        workers or a.settings.web.workers,
    )
