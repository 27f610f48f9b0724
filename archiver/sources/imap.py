"""An IMAP mailbox, for collecting: the only user of imapclient.

One connection per poll cycle, with socket timeouts, TLS verified by default. Messages are
fetched with BODY.PEEK[] (never marking them read) by UID, and moved out only when told to,
after their records are committed: MOVE where the server has it, else COPY, flag \\Deleted and
UID EXPUNGE of exactly those UIDs. Removal (reconcile's, of confirmed old copies; disposition's,
of destroyed records' copies) is likewise \\Deleted and UID EXPUNGE of exactly those UIDs, never
a bare EXPUNGE.
"""

from __future__ import annotations

import ast
import contextlib
import logging
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from archiver.errors import AuthError, ConfigError, SourceError
from archiver.settings import SourceSettings
from archiver.sources.auth import Authenticator

_SIZE_CHUNK = 500  # UIDs per RFC822.SIZE request: long UID sets are refused by some servers


@dataclass(frozen=True)
class Folder:
    name: str
    uidvalidity: int
    uids: list[int]


class Mailbox:
    """A logged-in IMAP connection for one source, used as a context manager."""

    def __init__(self, source: SourceSettings, auth: Authenticator, config_dir: Path) -> None:
        self.source = source
        self.auth = auth
        self.config_dir = config_dir
        self._client: IMAPClient | None = None
        self._has_move = False

    @property
    def where(self) -> str:
        return f"{self.source.host}:{self.source.effective_port}"

    def _tls_context(self) -> ssl.SSLContext:
        if not self.source.ca_file:
            ctx = ssl.create_default_context()
        else:
            path = Path(self.source.ca_file)
            path = path if path.is_absolute() else self.config_dir / path
            try:
                ctx = ssl.create_default_context(cafile=str(path))
            except (OSError, ssl.SSLError) as exc:
                raise ConfigError([f"source {self.source.name}: ca_file {path}: {exc}"]) from None
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        return ctx

    def __enter__(self) -> Mailbox:
        s = self.source
        login = self.auth.login()
        try:
            client = IMAPClient(
                s.host,
                port=s.effective_port,
                ssl=s.tls == "implicit",
                ssl_context=self._tls_context() if s.tls == "implicit" else None,
                timeout=s.timeout_seconds,
            )
        except ssl.SSLError as exc:  # implicit TLS: the handshake is part of connecting
            raise _tls_failed(s, self.where, exc) from None
        except (OSError, IMAPClientError) as exc:
            raise SourceError(f"source {s.name}: cannot connect to {self.where}: {exc}") from None
        # imapclient turns on imaplib's protocol trace (debug=5), which formats every response,
        # message bodies included, with repr() whether or not anything is logged: two thirds
        # of the fetch time, and message content headed for the journal at DEBUG. Turn it off.
        client._imap.debug = 0
        self._client = client
        try:
            if s.tls == "starttls":
                client.starttls(self._tls_context())
            if login.mechanism == "password":
                client.login(login.username, login.secret)
            else:
                client.oauth2_login(login.username, login.secret)
            self._has_move = client.has_capability("MOVE")
        except LoginError as exc:
            self._drop()
            raise AuthError(
                f"source {s.name}: {self.where} refused the login for {login.username}: "
                f"{_text(exc)}"
            ) from None
        except ssl.SSLError as exc:
            self._drop()
            raise _tls_failed(s, self.where, exc) from None
        except (OSError, IMAPClientError) as exc:
            self._drop()
            raise SourceError(f"source {s.name}: {self.where}: {exc}") from None
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._client is not None:
            with contextlib.suppress(OSError, IMAPClientError):
                self._client.logout()
            self._drop()

    def _drop(self) -> None:
        if self._client is not None:
            with contextlib.suppress(OSError, IMAPClientError):
                self._client.shutdown()
            self._client = None

    @property
    def client(self) -> IMAPClient:
        if self._client is None:
            raise RuntimeError("use Mailbox as a context manager")
        return self._client

    def _fail(self, doing: str, exc: BaseException) -> SourceError:
        return SourceError(f"source {self.source.name}: {self.where}: {doing} failed: {exc}")

    def open(self, folder: str) -> Folder:
        """Select `folder`; its UIDVALIDITY and every UID in it."""
        try:
            info = self.client.select_folder(folder)
            uids = [int(u) for u in self.client.search("ALL")]
        except (OSError, IMAPClientError) as exc:
            raise self._fail(f"opening folder {folder!r}", exc) from None
        return Folder(folder, int(info.get(b"UIDVALIDITY", 0)), sorted(uids))

    def uids_of_size(self, size: int) -> list[int]:
        """UIDs of the selected folder's messages of exactly `size` bytes (RFC822.SIZE), found
        by the server (UID SEARCH LARGER size-1 SMALLER size+1): nothing is downloaded."""
        if size < 1:
            return []
        try:
            found = self.client.search(["LARGER", size - 1, "SMALLER", size + 1])
        except (OSError, IMAPClientError) as exc:
            raise self._fail(f"searching for messages of {size} bytes", exc) from None
        return sorted(int(u) for u in found)

    @property
    def can_remove(self) -> bool:
        """Whether single messages can be removed safely (UIDPLUS: UID EXPUNGE)."""
        try:
            return bool(self.client.has_capability("UIDPLUS"))
        except (OSError, IMAPClientError) as exc:
            raise self._fail("reading the server's capabilities", exc) from None

    def sizes(self, uids: list[int]) -> dict[int, int]:
        """RFC822.SIZE of each UID still present."""
        out: dict[int, int] = {}
        try:
            for i in range(0, len(uids), _SIZE_CHUNK):
                answer = self.client.fetch(uids[i : i + _SIZE_CHUNK], ["RFC822.SIZE"])
                out.update({int(u): int(d[b"RFC822.SIZE"]) for u, d in answer.items()})
        except (OSError, IMAPClientError, KeyError) as exc:
            raise self._fail("reading message sizes", exc) from None
        return out

    def fetch(self, uids: list[int]) -> dict[int, bytes]:
        """The exact bytes of each UID (BODY.PEEK[]: the \\Seen flag is not set)."""
        try:
            answer = self.client.fetch(uids, ["BODY.PEEK[]"])
            return {int(u): bytes(d[b"BODY[]"]) for u, d in answer.items() if b"BODY[]" in d}
        except (OSError, IMAPClientError) as exc:
            raise self._fail(f"fetching {len(uids)} messages", exc) from None

    def ensure(self, folder: str) -> None:
        """Create `folder` if it does not exist."""
        try:
            if not self.client.folder_exists(folder):
                self.client.create_folder(folder)
        except (OSError, IMAPClientError) as exc:
            raise self._fail(f"creating folder {folder!r}", exc) from None

    def move(self, uids: list[int], folder: str) -> None:
        """Move `uids` of the selected folder to `folder`."""
        if not uids:
            return
        try:
            if self._has_move:
                self.client.move(uids, folder)
            else:
                self.client.copy(uids, folder)
                self.client.add_flags(uids, [b"\\Deleted"], silent=True)
                self.client.uid_expunge(uids)  # only these: never another client's \Deleted mail
        except (OSError, IMAPClientError) as exc:
            raise self._fail(f"moving {len(uids)} messages to {folder!r}", exc) from None

    def exists(self, folder: str) -> bool:
        """Whether `folder` exists."""
        try:
            return bool(self.client.folder_exists(folder))
        except (OSError, IMAPClientError) as exc:
            raise self._fail(f"looking for folder {folder!r}", exc) from None

    def internal_dates(self, uids: list[int]) -> dict[int, datetime]:
        """INTERNALDATE (when the server received it) of each UID still present, aware."""
        out: dict[int, datetime] = {}
        try:
            for i in range(0, len(uids), _SIZE_CHUNK):
                answer = self.client.fetch(uids[i : i + _SIZE_CHUNK], ["INTERNALDATE"])
                out.update({int(u): _aware(d[b"INTERNALDATE"]) for u, d in answer.items()})
        except (OSError, IMAPClientError, KeyError) as exc:
            raise self._fail("reading message dates", exc) from None
        return out

    def remove(self, uids: list[int]) -> None:
        """Delete `uids` of the selected folder: \\Deleted, then UID EXPUNGE of exactly them.

        Refused without UIDPLUS: a bare EXPUNGE would also remove what other clients marked.
        """
        if not uids:
            return
        try:
            if not self.client.has_capability("UIDPLUS"):
                raise SourceError(
                    f"source {self.source.name}: {self.where} has no UIDPLUS (UID EXPUNGE), "
                    "so messages cannot be removed one by one: set remove_archived_after_days = 0"
                )
            self.client.add_flags(uids, [b"\\Deleted"], silent=True)
            self.client.uid_expunge(uids)
        except (OSError, IMAPClientError) as exc:
            raise self._fail(f"removing {len(uids)} messages", exc) from None


def _aware(value: datetime) -> datetime:
    """imapclient gives INTERNALDATE as naive local time; make it an aware one."""
    return value if value.tzinfo is not None else value.astimezone()


def batches(sizes: dict[int, int], count: int, limit_bytes: int) -> Iterator[list[int]]:
    """UIDs in order, grouped by count and bytes; a message over the byte limit goes alone."""
    batch: list[int] = []
    total = 0
    for uid in sorted(sizes):
        size = sizes[uid]
        if batch and (len(batch) >= count or total + size > limit_bytes):
            yield batch
            batch, total = [], 0
        batch.append(uid)
        total += size
    if batch:
        yield batch


def _text(exc: BaseException) -> str:
    """The server's words in `exc` as text: imapclient passes them on as bytes, or as the
    repr of bytes (`b'[AUTHENTICATIONFAILED] ...'`)."""
    value = exc.args[0] if exc.args else exc
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    text = str(value)
    if len(text) >= 3 and text[0] == "b" and text[1] in "'\"" and text[-1] == text[1]:
        with contextlib.suppress(ValueError, SyntaxError):
            raw = ast.literal_eval(text)  # a literal only: never evaluates code
            if isinstance(raw, bytes):
                return raw.decode("utf-8", "replace")
    return text


def _tls_failed(source: SourceSettings, where: str, exc: ssl.SSLError) -> SourceError:
    """TLS failed; a plain-text answer to implicit TLS gets the hint to try STARTTLS."""
    hint = ""
    if source.tls == "implicit" and "WRONG_VERSION_NUMBER" in str(exc):
        hint = (
            " (the server did not answer in TLS: is this its plain IMAP port? For port 143 "
            'set tls = "starttls")'
        )
    return SourceError(f"source {source.name}: TLS with {where} failed: {exc}{hint}")


class _Demote(logging.Filter):
    """imapclient logs routine events ("Connection closed") at INFO: they are DEBUG here."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.INFO:
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger().isEnabledFor(logging.DEBUG)
        return True


logging.getLogger("imapclient.imapclient").addFilter(_Demote())
