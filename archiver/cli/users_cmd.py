"""`archiver users add|role|disable|enable|password|list`: the web application's accounts."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from archiver.cli.context import actor_option, app, emit_json, who
from archiver.domain import ROLES
from archiver.errors import UsageError

if TYPE_CHECKING:
    from archiver.archive.accounts import Account

_ROLES = ", ".join(ROLES)


def read_password() -> str:
    """A new password, given twice: two hidden prompts on a terminal, else the first two
    lines of standard input. Raises UsageError (exit 2) if they differ or are missing."""
    if sys.stdin.isatty():
        first = click.prompt("Password", hide_input=True, err=True)
        second = click.prompt("Password again", hide_input=True, err=True)
    else:
        first, second = sys.stdin.readline(), sys.stdin.readline()
        if not second:  # end of input before the second line
            raise UsageError("standard input: give the password twice, one line each")
        first, second = first.rstrip("\r\n"), second.rstrip("\r\n")
    if first != second:
        raise UsageError("the two passwords differ: nothing was changed")
    return first


def _show_secret(name: str, secret: str) -> None:
    from archiver.crypto import totp

    click.echo(f"TOTP secret:  {secret}")
    click.echo(f"for an authenticator app: {totp.uri(name, secret)}")
    click.echo("Give these to the account's owner now: they are not shown again.")


def _secret_json(account: Account, secret: str | None) -> dict[str, object]:
    from archiver.crypto import totp

    return {
        "name": account.name,
        "role": account.role,
        "display_name": account.display_name,
        "sso": account.sso,
        "totp_secret": secret,
        "totp_uri": totp.uri(account.name, secret) if secret else None,
    }


@click.group()
def users() -> None:
    """Accounts of the web application: who may sign in, how, and with which role."""


@users.command()
@click.argument("name")
@click.option("--role", required=True, metavar="ROLE", help=f"One of {_ROLES}.")
@click.option("--display-name", metavar="TEXT", help="The name pages show (default: NAME).")
@click.option(
    "--sso",
    is_flag=True,
    help="May sign in with the district's identity provider ([web.oidc]); NAME is then the "
    "address it vouches for.",
)
@click.option(
    "--no-password", is_flag=True, help="No password (with --sso: signs in only that way)."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@actor_option
@click.pass_context
def add(
    ctx: click.Context,
    name: str,
    role: str,
    display_name: str | None,
    sso: bool,
    no_password: bool,
    as_json: bool,
) -> None:
    """Add an account NAME. Unless --no-password, its password is read twice (hidden
    prompts, or two lines of standard input), and it gets a TOTP secret for its second
    factor, printed once."""
    from archiver.archive.accounts import normal_name

    a = app(ctx)
    if no_password and not sso:
        raise UsageError("--no-password needs --sso: the account could not sign in at all")
    normal_name(name)  # a bad name is refused before the password is asked for
    password = None if no_password else read_password()
    account, secret = a.accounts().add(name, role, display_name, password, sso, actor=who())
    if as_json:
        emit_json(_secret_json(account, secret))
        return
    ways = [w for w, on in (("a password and a TOTP code", secret), ("OpenID Connect", sso)) if on]
    click.echo(f"account {account.name} added: {account.role}, signs in with {' or '.join(ways)}")
    if secret:
        _show_secret(account.name, secret)


@users.command(help=f"Give account NAME another ROLE ({_ROLES}); its sessions carry on.")
@click.argument("name")
@click.argument("role", metavar="ROLE")
@actor_option
@click.pass_context
def role(ctx: click.Context, name: str, role: str) -> None:
    account = app(ctx).accounts().set_role(name, role, who())
    click.echo(f"account {account.name}: {account.role}")


@users.command()
@click.argument("name")
@actor_option
@click.pass_context
def disable(ctx: click.Context, name: str) -> None:
    """Refuse account NAME every sign-in, and end its sessions."""
    account = app(ctx).accounts().disable(name, who())
    click.echo(f"account {account.name} disabled: it cannot sign in, its sessions have ended")


@users.command()
@click.argument("name")
@actor_option
@click.pass_context
def unbind(ctx: click.Context, name: str) -> None:
    """Forget the district identity account NAME's single sign-on is bound to (the address
    was given to someone else): its next sign-in binds it again; its sessions end."""
    account = app(ctx).accounts().unbind(name, who())
    click.echo(
        f"account {account.name}: no longer bound to an identity; the next sign-in with the "
        "district's identity provider binds it"
    )


@users.command()
@click.argument("name")
@actor_option
@click.pass_context
def enable(ctx: click.Context, name: str) -> None:
    """Let a disabled account NAME sign in again."""
    account = app(ctx).accounts().enable(name, who())
    click.echo(f"account {account.name} enabled")


@users.command()
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@actor_option
@click.pass_context
def password(ctx: click.Context, name: str, as_json: bool) -> None:
    """Give account NAME a new password (read as `add` reads it) and a new TOTP secret
    (printed once; the old codes stop working); its sessions end."""
    accounts = app(ctx).accounts()
    account = accounts.get(name)
    secret = accounts.set_password(name, read_password(), who())
    if as_json:
        emit_json(_secret_json(account, secret))
        return
    click.echo(f"account {account.name}: new password and TOTP secret; its sessions have ended")
    _show_secret(account.name, secret)


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    """Every account: its role, how it signs in, and whether it is disabled."""
    accounts = app(ctx).accounts().list()
    if as_json:
        emit_json({"users": [a.to_json() for a in accounts]})
        return
    for a in accounts:
        ways = ", ".join(w for w, on in (("password+totp", a.has_password), ("sso", a.sso)) if on)
        state = "  DISABLED" if a.disabled else ""
        shown = f"  ({a.display_name})" if a.display_name != a.name else ""
        click.echo(
            f"{a.name:<32} {a.role:<16} {ways:<20} since {a.created_at:%Y-%m-%d}{state}{shown}"
        )
    if not accounts:
        click.echo("no accounts (archiver users add NAME --role ROLE)")
