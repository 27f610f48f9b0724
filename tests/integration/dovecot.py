"""A real Dovecot 2.3 IMAP server and a TCP fault-injection proxy for the integration tests."""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import fcntl
import grp
import imaplib
import ipaddress
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import termios
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from imapclient import IMAPClient, SocketTimeout  # type: ignore[import-untyped, unused-ignore]

DOVECOT_BINARY = Path("/usr/sbin/dovecot")
INSTALL_HINT = "apt-get install dovecot-imapd"
LOCALHOST = "127.0.0.1"
START_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0
APPEND_BATCH_COUNT = 250
APPEND_BATCH_BYTES = 8 * 1024 * 1024
FETCH_BATCH = 200
SERVER_NAMES = (LOCALHOST, "localhost")  # what the TLS server's certificate is for


class DovecotError(RuntimeError):
    """Dovecot is missing, has the wrong version, or would not start or stop."""


def find_dovecot() -> Path:
    """Return the dovecot binary; raise DovecotError (with the apt-get hint) if it is missing."""
    if DOVECOT_BINARY.is_file():
        return DOVECOT_BINARY
    found = shutil.which("dovecot")
    if found:
        return Path(found)
    raise DovecotError(
        f"Dovecot is not installed ({DOVECOT_BINARY} not found): the IMAP integration tests need "
        f"a real server. Install it with `{INSTALL_HINT}` (Debian 12 ships 2.3.19)."
    )


def require_dovecot_23(version: str) -> None:
    """Raise DovecotError unless `version` (the output of `dovecot --version`) is a 2.3.x."""
    match = re.match(r"\s*(\d+)\.(\d+)", version)
    if match is None:
        raise DovecotError(f"cannot read the Dovecot version from {version!r}")
    major, minor = int(match[1]), int(match[2])
    if (major, minor) != (2, 3):
        raise DovecotError(
            f"Dovecot {version.strip()} found, but this fixture writes a Dovecot 2.3 config. "
            "Dovecot 2.4 needs a different one (dovecot_config_version first, "
            "dovecot_storage_version, mail_driver/mail_path, named passdb/userdb blocks, "
            "%{user} variables); add a 2.4 template or install 2.3 (Debian 12: "
            f"`{INSTALL_HINT}`)."
        )


def dovecot_version(binary: Path) -> str:
    """Return the text `dovecot --version` prints, e.g. '2.3.19.1 (9b53102964)'."""
    done = subprocess.run(
        [str(binary), "--version"], capture_output=True, text=True, timeout=10, check=False
    )
    if done.returncode != 0:
        raise DovecotError(f"`{binary} --version` failed: {done.stderr.strip()}")
    return done.stdout.strip()


def free_port(host: str = LOCALHOST) -> int:
    """Return a TCP port on `host` that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


# ---------------------------------------------------------------------------------------------
# Processes (Linux /proc), so that stop() can make sure every Dovecot process is gone.


def _proc_stat(pid: int) -> tuple[int, str, str] | None:
    """(ppid, state, start time) of a process, or None if it no longer exists."""
    try:
        data = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = data[data.rindex(")") + 2 :].split()
    return int(fields[1]), fields[0], fields[19]


def _descendants(root_pid: int) -> dict[int, str]:
    """pid -> start time of every live descendant of `root_pid` (empty without /proc)."""
    table: dict[int, tuple[int, str, str]] = {}
    with contextlib.suppress(OSError):
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                stat = _proc_stat(int(entry.name))
                if stat is not None:
                    table[int(entry.name)] = stat
    found: dict[int, str] = {}
    frontier = [root_pid]
    while frontier:
        parent = frontier.pop()
        for pid, (ppid, _state, start) in table.items():
            if ppid == parent and pid not in found:
                found[pid] = start
                frontier.append(pid)
    return found


def _alive(pid: int, start: str) -> bool:
    stat = _proc_stat(pid)
    return stat is not None and stat[2] == start and stat[1] not in ("Z", "X")


# ---------------------------------------------------------------------------------------------
# OAuth2 token introspection endpoint (RFC 7662 style) that Dovecot's oauth2 passdb calls.


class _Introspection:
    """A tiny HTTP introspection endpoint: issued tokens are active, anything else is not."""

    def __init__(self) -> None:
        self._tokens: dict[str, str] = {}
        self._lock = threading.Lock()
        self.requests = 0
        handler = self._handler_class()
        self._server = ThreadingHTTPServer((LOCALHOST, 0), handler)
        self._server.daemon_threads = True
        self.url = f"http://{LOCALHOST}:{self._server.server_address[1]}/introspect"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="oauth2-introspection", daemon=True
        )
        self._thread.start()

    def issue(self, user: str) -> str:
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = user
        return token

    def revoke(self, token: str) -> None:
        with self._lock:
            self._tokens.pop(token, None)

    def lookup(self, token: str) -> str | None:
        with self._lock:
            self.requests += 1
            return self._tokens.get(token)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        lookup = self.lookup

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode("utf-8", "replace"))
                self._answer(form.get("token", [""])[0])

            def do_GET(self) -> None:
                auth = self.headers.get("Authorization") or ""
                query = parse_qs(urlsplit(self.path).query)
                if auth.lower().startswith("bearer "):
                    token = auth[7:].strip()
                else:
                    token = (query.get("token") or query.get("access_token") or [""])[0]
                self._answer(token)

            def _answer(self, token: str) -> None:
                user = lookup(token)
                doc: dict[str, Any] = {"active": False}
                if user is not None:
                    doc = {"active": True, "username": user}
                body = json.dumps(doc).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


# ---------------------------------------------------------------------------------------------
# Throw-away certificates for serving TLS.


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


class ThrowawayCA:
    """A self-signed certificate authority made up in memory; nothing else trusts it.

    `issue()` signs server certificates with it; `write()` puts its certificate in a PEM file
    for a client's `ca_file`. Two instances never trust each other's certificates.
    """

    def __init__(self, common_name: str = "archiver test CA") -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        now = dt.datetime.now(dt.UTC)
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(self._key.public_key()), critical=False
            )
            .sign(self._key, hashes.SHA256())
        )

    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def write(self, path: Path) -> Path:
        """Write the CA certificate (PEM) to `path`, world-readable; return `path`."""
        path.write_bytes(self.pem())
        os.chmod(path, 0o644)
        return path

    def issue(self, names: Sequence[str]) -> tuple[bytes, bytes]:
        """A server certificate for `names` (IP addresses become IP SANs, the rest DNS SANs),
        signed by this CA: (certificate chain PEM, unencrypted private key PEM)."""
        if not names:
            raise ValueError("a server certificate needs at least one name")
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        ca_key_id = x509.SubjectKeyIdentifier.from_public_key(self._key.public_key())
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .issuer_name(self.certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(
                x509.SubjectAlternativeName([_general_name(n) for n in names]), critical=False
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_key_id),
                critical=False,
            )
            .sign(self._key, hashes.SHA256())
        )
        key_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return cert.public_bytes(serialization.Encoding.PEM), key_pem


# ---------------------------------------------------------------------------------------------
# Dovecot 2.3 configuration.

_CONFIG = """\
# Written by tests/integration/dovecot.py for Dovecot 2.3; never the system /etc/dovecot.
protocols = imap
listen = {host}
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2 oauthbearer
auth_failure_delay = 0
mail_location = maildir:~/Maildir
mail_fsync = never
first_valid_uid = 1
{identity}
protocol imap {{
  mail_max_userip_connections = 100
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
passdb {{
  driver = static
  args = password={password}
  mechanisms = plain login
}}
passdb {{
  driver = oauth2
  args = {root}/dovecot-oauth2.conf.ext
  mechanisms = xoauth2 oauthbearer
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
{chroot}  inet_listener imap {{
    address = {host}
    port = {port}
  }}
  inet_listener imaps {{
{imaps}
  }}
}}
service anvil {{
{chroot}  # No brute-force penalty: tests fail logins on purpose (needs a fresh base_dir).
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
{extra}"""

_OAUTH2_CONFIG = """\
introspection_mode = post
introspection_url = {url}
username_attribute = username
active_attribute = active
active_value = true
timeout_msecs = 5000
"""


def _identity(root: Path) -> tuple[str, dict[str, str]]:
    """Settings that say which users Dovecot runs as: as root or rootless (as ourselves)."""
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("dovecot")
            group = grp.getgrgid(user.pw_gid)
        except KeyError as exc:
            raise DovecotError(
                f"the `dovecot` system user is missing; reinstall with `{INSTALL_HINT}`"
            ) from exc
        os.chown(root / "mail", user.pw_uid, user.pw_gid)
        identity = f"mail_uid = {user.pw_name}\nmail_gid = {group.gr_name}"
        return identity, {
            "uid": user.pw_name,
            "gid": group.gr_name,
            "chroot": "",
            "extra": "",
        }
    me = pwd.getpwuid(os.geteuid())
    my_group = grp.getgrgid(os.getegid())
    identity = (
        f"default_internal_user = {me.pw_name}\n"
        f"default_internal_group = {my_group.gr_name}\n"
        f"default_login_user = {me.pw_name}"
    )
    return identity, {
        "uid": str(me.pw_uid),
        "gid": str(my_group.gr_gid),
        "chroot": "  chroot =\n",
        "extra": "service auth-worker {\n  user = $default_internal_user\n}\n",
    }


def _check_reachable(root: Path) -> None:
    """As root, Dovecot's own users must be able to walk down to `root` (pytest's tmp_path
    is under a 0700 directory, so it does not work; the default temp dir does)."""
    if os.geteuid() != 0:
        return
    for directory in [root.resolve(), *root.resolve().parents]:
        if directory.exists() and not directory.stat().st_mode & 0o001:
            raise DovecotError(
                f"{directory} is not searchable by others, so Dovecot's `dovecot` user cannot "
                f"reach {root}; leave root=None (a fresh dir under /tmp) or chmod o+x it."
            )


# ---------------------------------------------------------------------------------------------
# The server.


@dataclass
class Dovecot:
    """A real Dovecot IMAP server on 127.0.0.1 with its own config and mail in `root`.

    With `tls`, it also serves TLS with a throw-away certificate: implicit TLS on `imaps_port`
    and STARTTLS on `port` (which still accepts plaintext logins too); clients trust it with
    `ca_path`. Without, `port` is plaintext only (no STARTTLS offered) and `imaps_port` is 0.
    """

    host: str
    port: int
    password: str
    root: Path
    binary: Path = DOVECOT_BINARY
    tls: bool = False
    imaps_port: int = 0
    _introspection: _Introspection | None = field(default=None, init=False, repr=False)
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _owns_root: bool = field(default=False, init=False, repr=False)

    # -- lifecycle -------------------------------------------------------------------------

    @classmethod
    def launch(
        cls,
        root: Path | None = None,
        binary: Path | None = None,
        *,
        tls: bool = False,
        server_names: Sequence[str] = SERVER_NAMES,
    ) -> Dovecot:
        """Write a config into `root` (default: a new temp dir), start Dovecot and return it.

        With `tls`, a throw-away CA and a certificate for `server_names` signed by it are made
        first (in `root`/tls) and TLS is served as the class docstring says.
        Raises DovecotError if Dovecot is missing, not 2.3.x, or does not come up.
        """
        binary = binary if binary is not None else find_dovecot()
        if not binary.is_file():
            raise DovecotError(f"{binary} not found; install Dovecot with `{INSTALL_HINT}`")
        require_dovecot_23(dovecot_version(binary))
        owns_root = root is None
        if root is not None:
            _check_reachable(root)
        else:
            parent = tempfile.gettempdir()
            if len(parent) > 40:  # unix socket paths under base_dir are limited to ~108 bytes
                parent = "/tmp"
            root = Path(tempfile.mkdtemp(prefix="archiver-dovecot-", dir=parent))
        server = cls(LOCALHOST, 0, secrets.token_hex(8), root, binary, tls=tls)
        server._owns_root = owns_root
        server._introspection = _Introspection()
        atexit.register(server.close)  # no stray Dovecot if the caller never closes it
        try:
            if tls:
                server._write_certificates(server_names)
            for attempt in range(3):
                server.port = free_port(server.host)
                if tls:
                    server.imaps_port = free_port(server.host)
                server._write_config()
                try:
                    server.start()
                    return server
                except DovecotError as exc:
                    if attempt == 2 or "in use" not in str(exc):
                        raise
        except BaseException:
            server.close()
            raise
        raise AssertionError("unreachable")

    def start(self) -> None:
        """Start the server (same port, same mailboxes); wait until it greets. No-op if up.

        Raises DovecotError, with the tail of the Dovecot log, if it does not come up.
        """
        if self._process is not None and self._process.poll() is None:
            return
        self._process = None
        stderr_path = self.root / "dovecot.stderr"
        with stderr_path.open("ab") as stderr:
            process = subprocess.Popen(
                [str(self.binary), "-F", "-c", str(self.config_path)],
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=stderr,
                close_fds=True,
                umask=0o022,
            )
        self._process = process
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                self._process = None
                raise DovecotError(
                    f"Dovecot exited with status {process.returncode} while starting on "
                    f"{self.host}:{self.port}.\n{self._diagnostics()}"
                )
            if self._greets():
                return
            if time.monotonic() > deadline:
                self.stop()
                raise DovecotError(
                    f"Dovecot did not accept IMAP connections on {self.host}:{self.port} "
                    f"within {START_TIMEOUT:.0f} s.\n{self._diagnostics()}"
                )
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop the server; on return its port refuses connections and its processes are gone.

        Raises DovecotError if a process would not die.
        """
        process = self._process
        if process is None:
            return
        children = _descendants(process.pid)
        if process.poll() is None:
            # SIGTERM to the master is what `dovecot -c CONF stop` sends, but that command
            # polls the pid, which stays a zombie until we reap it: it always took 3 s here.
            process.terminate()
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        self._process = None
        deadline = time.monotonic() + 5
        while any(_alive(pid, start) for pid, start in children.items()):
            if time.monotonic() > deadline:
                for pid, start in children.items():
                    if _alive(pid, start):
                        with contextlib.suppress(OSError):
                            os.kill(pid, signal.SIGKILL)
                break
            time.sleep(0.02)
        deadline = time.monotonic() + 5
        while self._accepts():
            if time.monotonic() > deadline:
                raise DovecotError(f"{self.host}:{self.port} still accepts after stop()")
            time.sleep(0.02)

    def close(self) -> None:
        """Stop the server and the introspection endpoint; delete the temp dir if we made it."""
        try:
            self.stop()
        finally:
            if self._introspection is not None:
                self._introspection.close()
                self._introspection = None
            if self._owns_root:
                shutil.rmtree(self.root, ignore_errors=True)

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def config_path(self) -> Path:
        return self.root / "dovecot.conf"

    @property
    def log_path(self) -> Path:
        return self.root / "dovecot.log"

    @property
    def ca_path(self) -> Path:
        """PEM of the throw-away CA that signed the server's certificate (a `ca_file`)."""
        if not self.tls:
            raise DovecotError("this Dovecot serves no TLS: launch it with tls=True")
        return self._tls_dir / "ca.pem"

    @property
    def _tls_dir(self) -> Path:
        return self.root / "tls"

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the Dovecot log (for assertion messages)."""
        return _tail(self.log_path, lines)

    # -- users and auth ---------------------------------------------------------------------

    def new_user(self) -> str:
        """A fresh, unique user name; its mailbox starts empty."""
        return f"archive-{secrets.token_hex(6)}@example.test"

    def issue_token(self, user: str) -> str:
        """An OAuth2 access token the server accepts for `user` (XOAUTH2 and OAUTHBEARER)."""
        return self._endpoint().issue(user)

    def revoke_token(self, token: str) -> None:
        """Make a token issued earlier inactive (as an expired or revoked token)."""
        self._endpoint().revoke(token)

    def connect(self, host: str | None = None, port: int | None = None) -> IMAPClient:
        """A connected, not yet logged-in client (to this server, or to `host:port`)."""
        return IMAPClient(
            host or self.host,
            port=port or self.port,
            ssl=False,
            use_uid=True,
            timeout=SocketTimeout(connect=5, read=30),
        )

    def client(self, user: str) -> IMAPClient:
        """A client logged in as `user` with the shared password (ssl=False, use_uid=True)."""
        imap = self.connect()
        try:
            imap.login(user, self.password)
        except BaseException:
            with contextlib.suppress(Exception):
                imap.shutdown()
            raise
        return imap

    # -- mailbox helpers ----------------------------------------------------------------------

    def append(self, user: str, folder: str, messages: Iterable[bytes]) -> None:
        """Append raw messages to `folder` (created if missing), in order, with MULTIAPPEND."""
        with self._session(user) as imap:
            if not imap.folder_exists(folder):
                imap.create_folder(folder)
            batch: list[bytes] = []
            size = 0
            for message in messages:
                batch.append(message)
                size += len(message)
                if len(batch) >= APPEND_BATCH_COUNT or size >= APPEND_BATCH_BYTES:
                    imap.multiappend(folder, batch)
                    batch, size = [], 0
            if batch:
                imap.multiappend(folder, batch)

    def count(self, user: str, folder: str) -> int:
        """Number of messages in `folder` (0 if the folder does not exist)."""
        with self._session(user) as imap:
            if not imap.folder_exists(folder):
                return 0
            status = imap.folder_status(folder, [b"MESSAGES"])
            return int(status[b"MESSAGES"])

    def uids(self, user: str, folder: str) -> list[int]:
        """UIDs in `folder`, ascending ([] if the folder does not exist)."""
        with self._session(user) as imap:
            if not imap.folder_exists(folder):
                return []
            imap.select_folder(folder, readonly=True)
            return sorted(int(uid) for uid in imap.search("ALL"))

    def messages(self, user: str, folder: str) -> list[bytes]:
        """Raw bytes of every message in `folder`, in UID order (BODY.PEEK[], no \\Seen)."""
        with self._session(user) as imap:
            if not imap.folder_exists(folder):
                return []
            imap.select_folder(folder, readonly=True)
            uids = sorted(int(uid) for uid in imap.search("ALL"))
            out: list[bytes] = []
            for i in range(0, len(uids), FETCH_BATCH):
                chunk = uids[i : i + FETCH_BATCH]
                fetched = imap.fetch(chunk, ["BODY.PEEK[]"])
                out.extend(bytes(fetched[uid][b"BODY[]"]) for uid in chunk)
            return out

    def uidvalidity(self, user: str, folder: str) -> int:
        """The folder's current UIDVALIDITY."""
        with self._session(user) as imap:
            status = imap.folder_status(folder, [b"UIDVALIDITY"])
            return int(status[b"UIDVALIDITY"])

    def recreate_folder(self, user: str, folder: str) -> None:
        """Delete `folder` (with its mail) and create it again, so its UIDVALIDITY changes."""
        if folder.upper() == "INBOX":
            raise ValueError("INBOX cannot be deleted; recreate another folder")
        with self._session(user) as imap:
            if imap.folder_exists(folder):
                imap.delete_folder(folder)
            imap.create_folder(folder)

    # -- internals ------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _session(self, user: str) -> Iterator[Any]:
        imap = self.client(user)
        try:
            yield imap
        finally:
            try:
                imap.logout()
            except (OSError, imaplib.IMAP4.error):
                # A connection the server already dropped cannot log out; close the socket.
                with contextlib.suppress(OSError):
                    imap.shutdown()

    def _endpoint(self) -> _Introspection:
        if self._introspection is None:
            raise DovecotError("the OAuth2 introspection endpoint is not running (closed?)")
        return self._introspection

    def _write_config(self) -> None:
        root = self.root
        for sub in ("run", "state", "mail"):
            (root / sub).mkdir(exist_ok=True)
        # The dovecot user must reach mail/ and the oauth2 args file; nothing here is secret.
        os.chmod(root, 0o755)  # noqa: S103
        identity, ids = _identity(root)
        oauth2 = root / "dovecot-oauth2.conf.ext"
        oauth2.write_text(_OAUTH2_CONFIG.format(url=self._endpoint().url))
        os.chmod(oauth2, 0o644)
        self.config_path.write_text(
            _CONFIG.format(
                host=self.host,
                port=self.port,
                root=root,
                password=self.password,
                identity=identity,
                **self._ssl_settings(),
                **ids,
            )
        )
        os.chmod(self.config_path, 0o644)

    def _ssl_settings(self) -> dict[str, str]:
        if not self.tls:
            return {"ssl": "ssl = no", "imaps": "    port = 0"}
        # `ssl = yes` (not `required`): the plain listener offers STARTTLS but still takes
        # plaintext logins, which the fixture's own helpers (append, count, ...) use.
        return {
            "ssl": (
                "ssl = yes\n"
                f"ssl_cert = <{self._tls_dir / 'server.pem'}\n"
                f"ssl_key = <{self._tls_dir / 'server.key'}"
            ),
            "imaps": f"    address = {self.host}\n    port = {self.imaps_port}\n    ssl = yes",
        }

    def _write_certificates(self, server_names: Sequence[str]) -> None:
        """A throw-away CA (ca.pem) and a server certificate and key signed by it, in tls/."""
        directory = self._tls_dir
        directory.mkdir(exist_ok=True)
        os.chmod(directory, 0o755)  # noqa: S103  # the CA and the certificate are public
        ca = ThrowawayCA("archiver test CA (Dovecot fixture)")
        ca.write(directory / "ca.pem")
        cert, key = ca.issue(server_names)
        (directory / "server.pem").write_bytes(cert)
        os.chmod(directory / "server.pem", 0o644)
        key_path = directory / "server.key"
        key_path.touch(mode=0o600)
        os.chmod(key_path, 0o600)  # touch(mode=) is subject to the umask, never wider
        key_path.write_bytes(key)
        # Dovecot reads `ssl_key = <file` in its config process, which runs as the user that
        # started Dovecot (root, or ourselves when rootless): owner-only is enough.

    def _greets(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=2) as sock:
                greeting = b""
                while not greeting.endswith(b"\n"):
                    data = sock.recv(1024)
                    if not data:
                        break
                    greeting += data
                return greeting.startswith(b"* OK")
        except OSError:
            return False

    def _accepts(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=1):
                return True
        except OSError:
            return False

    def _diagnostics(self) -> str:
        parts = [f"--- {self.log_path} (tail) ---", self.log_tail() or "(empty)"]
        stderr = _tail(self.root / "dovecot.stderr")
        if stderr:
            parts += ["--- dovecot stderr (tail) ---", stderr]
        parts.append(f"(config: {self.config_path}; check it with `doveconf -c FILE -n`)")
        return "\n".join(parts)


# ---------------------------------------------------------------------------------------------
# Fault-injection proxy.

_RST = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends RST instead of FIN
_POLL = 0.5  # seconds: how often a blocked pump thread looks whether its connection was dropped


def _unsent(sock: socket.socket) -> int:
    """Bytes the kernel has not yet had acknowledged by the peer (0 where unknown)."""
    try:
        buf = fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0")
    except (OSError, ValueError, AttributeError):
        return 0
    outq: int = struct.unpack("i", buf)[0]
    return outq


class _Pipe:
    """One proxied connection: client <-> server, with an optional server->client byte limit.

    Only the pump threads close the sockets (the last one out), so no thread ever blocks on a
    socket that another thread closed; abort() just marks the connection and wakes them.
    """

    def __init__(self, client: socket.socket, limit: int | None, done: Callable[[_Pipe], None]):
        self.client = client
        self.server: socket.socket | None = None
        self.limit = limit
        self.sent_down = 0
        self.aborted = False
        self._lock = threading.Lock()
        self._pumps = 0
        self._closed = False
        self._done = done

    def attach(self, server: socket.socket) -> bool:
        """Set the upstream socket before the two pumps start; False if dropped meanwhile."""
        with self._lock:
            if self.aborted:
                return False
            self.server = server
            self._pumps = 2
            return True

    def abort(self) -> None:
        """Close both sides abruptly (RST, no FIN): mark, wake the pumps; the last one closes."""
        with self._lock:
            if self.aborted or self._closed:
                return
            self.aborted = True
            for sock in self._sockets():
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _RST)
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RD)  # wakes a blocked recv(); sends nothing
            close_now = self._pumps == 0
        if close_now:
            self._close()

    def eof(self, dst: socket.socket) -> None:
        """The other side of `dst` said EOF: pass the half-close on."""
        with self._lock:
            if not self.aborted:
                with contextlib.suppress(OSError):
                    dst.shutdown(socket.SHUT_WR)

    def pump_exited(self) -> None:
        with self._lock:
            self._pumps -= 1
            close_now = self._pumps == 0
        if close_now:
            self._close()

    def _sockets(self) -> list[socket.socket]:
        return [s for s in (self.client, self.server) if s is not None]

    def _close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for sock in self._sockets():
                with contextlib.suppress(OSError):
                    sock.close()
        self._done(self)


class FaultProxy:
    """TCP proxy 127.0.0.1:port -> target, with faults on demand.

    Two daemon threads per connection pass arbitrary bytes both ways (half-closes too).
    Usable in front of Dovecot, PostgreSQL or anything else that speaks TCP.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.host = LOCALHOST
        self.port = 0
        self.target_host = target_host
        self.target_port = target_port
        self.accepted = 0  # connections accepted so far
        self._lock = threading.Lock()
        self._sent_up = bytearray()  # every byte any client sent towards the target
        self._cut: int | None = None
        self._pipes: set[_Pipe] = set()
        self._listener: socket.socket | None = None
        self._acceptor: threading.Thread | None = None
        self._closed = False
        self._listen()

    # -- faults -----------------------------------------------------------------------------

    def cut_after(self, n_bytes: int) -> None:
        """Connections accepted from now on (until heal()) are closed abruptly, both sides
        (RST), once `n_bytes` have flowed server->client on that connection. The client gets
        exactly those bytes, then the reset."""
        if n_bytes < 0:
            raise ValueError("n_bytes must be >= 0")
        with self._lock:
            self._cut = n_bytes

    def heal(self) -> None:
        """Connections accepted from now on are not cut."""
        with self._lock:
            self._cut = None

    def refuse(self) -> None:
        """Close the listening socket: new connections are refused. Open ones carry on
        (drop_connections() ends them)."""
        with self._lock:
            listener, acceptor = self._listener, self._acceptor
            self._listener = self._acceptor = None
        if listener is None:
            return
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        if acceptor is not None:
            acceptor.join(timeout=2 * _POLL + 1)
        listener.close()

    def resume(self) -> None:
        """Accept connections again, on the same port."""
        if self._closed:
            raise RuntimeError("FaultProxy is closed")
        self._listen()

    def drop_connections(self) -> None:
        """Close every open connection abruptly now (RST, both sides)."""
        with self._lock:
            pipes = list(self._pipes)
        for pipe in pipes:
            pipe.abort()

    def close(self) -> None:
        """Stop listening and drop every connection; the threads end within a second."""
        self._closed = True
        self.refuse()
        self.drop_connections()

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._pipes)

    def client_bytes(self) -> bytes:
        """Every byte the clients have sent through the proxy so far (all connections, in
        arrival order): what an eavesdropper on the wire would have seen of them."""
        with self._lock:
            return bytes(self._sent_up)

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"FaultProxy({self.host}:{self.port} -> {self.target_host}:{self.target_port}, "
            f"cut={self._cut}, listening={self._listener is not None})"
        )

    # -- internals ----------------------------------------------------------------------------

    def _listen(self) -> None:
        with self._lock:
            if self._listener is not None:
                return
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                listener.bind((self.host, self.port))
                listener.listen(128)
                listener.settimeout(_POLL)  # accept() also polls, should shutdown() not wake it
            except OSError:
                listener.close()
                raise
            self.port = listener.getsockname()[1]
            acceptor = threading.Thread(
                target=self._accept_loop,
                args=(listener,),
                name=f"fault-proxy-{self.port}-accept",
                daemon=True,
            )
            self._listener, self._acceptor = listener, acceptor
        acceptor.start()

    def _accept_loop(self, listener: socket.socket) -> None:
        while True:
            with self._lock:
                if self._listener is not listener:
                    return
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                if self._listener is not listener:  # refused meanwhile
                    client.close()
                    return
                pipe = _Pipe(client, self._cut, self._forget)
                self._pipes.add(pipe)
                self.accepted += 1
            threading.Thread(
                target=self._connect, args=(pipe,), name="fault-proxy-conn", daemon=True
            ).start()

    def _connect(self, pipe: _Pipe) -> None:
        try:
            server = socket.create_connection((self.target_host, self.target_port), timeout=10)
        except OSError:
            pipe.abort()  # target down: the client sees a reset, as on a real network
            return
        for sock in (server, pipe.client):
            sock.settimeout(_POLL)
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if not pipe.attach(server):  # dropped while connecting
            with contextlib.suppress(OSError):
                server.close()
            return
        threading.Thread(
            target=self._pump, args=(pipe, server, pipe.client, True), daemon=True
        ).start()
        self._pump(pipe, pipe.client, server, False)

    def _pump(self, pipe: _Pipe, src: socket.socket, dst: socket.socket, down: bool) -> None:
        try:
            while not pipe.aborted:
                try:
                    data = src.recv(65536)
                except TimeoutError:
                    continue
                if not data:
                    pipe.eof(dst)
                    return
                if not down:
                    with self._lock:
                        self._sent_up += data
                if down and pipe.limit is not None:
                    room = pipe.limit - pipe.sent_down
                    if len(data) >= room:
                        self._send(pipe, dst, data[:room])
                        pipe.sent_down += room
                        self._drain(dst)
                        pipe.abort()
                        return
                    pipe.sent_down += len(data)
                self._send(pipe, dst, data)
        except OSError:
            pipe.abort()
        finally:
            pipe.pump_exited()

    @staticmethod
    def _send(pipe: _Pipe, dst: socket.socket, data: bytes) -> None:
        view = memoryview(data)
        while view:
            if pipe.aborted:
                raise ConnectionAbortedError("connection dropped by the proxy")
            try:
                sent = dst.send(view)
            except TimeoutError:
                continue
            view = view[sent:]

    @staticmethod
    def _drain(sock: socket.socket, timeout: float = 2.0) -> None:
        """Wait (bounded) until the peer has the bytes, so the RST does not discard them."""
        deadline = time.monotonic() + timeout
        while _unsent(sock) > 0 and time.monotonic() < deadline:
            time.sleep(0.005)

    def _forget(self, pipe: _Pipe) -> None:
        with self._lock:
            self._pipes.discard(pipe)
