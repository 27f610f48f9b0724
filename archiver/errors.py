"""The ArchiverError tree: every failure a user can see, with its exit code."""

from __future__ import annotations


class ArchiverError(Exception):
    """Base of every error the archiver reports to a user.

    `exit_code` follows the command-line contract (DESIGN.md section 10):
    1 failure while working, 2 bad usage or config, 3 integrity failure.
    `retryable` tells a scheduler whether trying again later may succeed.
    """

    exit_code = 1
    retryable = False


class ConfigError(ArchiverError):
    """The configuration (file, key files, settings) is wrong; `problems` lists each one."""

    exit_code = 2

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class UsageError(ArchiverError):
    """A command was asked for something that cannot mean anything (unknown id, bad path)."""

    exit_code = 2


class DestroyedError(UsageError):
    """A command named a record a disposition batch destroyed: only its tombstone is left
    (`show` prints it; every other use is refused)."""

    def __init__(self, record_id: str, message: str) -> None:
        self.record_id = record_id
        super().__init__(message)


class KeyFileError(ConfigError):
    """A key file is missing, unreadable, too open or malformed."""


class WrongKeyError(KeyFileError):
    """A key file holds a key other than the registered one (its check value differs): the
    file was replaced or mixed up, an integrity failure (exit 3), not a config mistake."""

    exit_code = 3


class DatabaseError(ArchiverError):
    """The database could not be reached or used."""

    retryable = True


class SchemaError(DatabaseError):
    """The database schema is missing or older than this program; run `archiver db upgrade`."""

    exit_code = 2
    retryable = False


class IntegrityError(ArchiverError):
    """Stored data does not match its hash, key or chain: tampering or corruption."""

    exit_code = 3


class CompressionError(IntegrityError):
    """Compressed bytes are malformed (inside a seal, only tampering or corruption does it)."""


class SourceError(ArchiverError):
    """The mail server failed us (down, dropped the connection, refused a command)."""

    retryable = True


class AuthError(ArchiverError):
    """The server or the identity provider refused our credentials."""


class MaildirError(ArchiverError):
    """The maildir cannot be read or written."""

    retryable = True


class SourceBusy(ArchiverError):
    """Another process holds this source's lease (it is polling or reconciling it)."""


class NotRegularFile(OSError):
    """A path names something other than a regular file (or a symlink to one): a FIFO, a
    device, a socket. An OSError, so every reader's handling of unreadable files covers it."""


class WorkerError(ArchiverError):
    """A worker process died while preparing messages (the kernel killed it for lack of
    memory, most often); what was committed is kept, the rest is tried again."""

    retryable = True


class InputError(ArchiverError):
    """An input (file, message) cannot be archived; the message says what and where."""


class RenderError(ArchiverError):
    """A document cannot be rendered as asked (a heading level, a date without a time zone,
    an embedded file's name or type); the message says which part."""


class SignInError(ArchiverError):
    """A sign-in was refused: wrong name, password or code, a disabled account, or one that
    may not sign in that way. The message is the same whatever was wrong, so it tells a
    guesser nothing; the audit log says which."""

    exit_code = 2


class ThrottledError(SignInError):
    """Too many wrong sign-ins within a minute for this name or from this address: attempts
    are refused, without checking the password, until the minute has passed."""

    retryable = True
