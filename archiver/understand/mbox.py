"""Writing messages as one mbox file (the mboxrd variant): pure, bytes in and bytes out.

Each message follows an envelope line `From SENDER DATE` and is followed by an empty line.
Every line of a message that begins with `From `, after any number of `>`, gets one more `>`
(mboxrd), so a reader finds the messages where they begin and, removing one `>` from such
lines, gets each message's bytes back exactly. Line endings are left as the message has them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime

_QUOTED = re.compile(rb"^(>*From )", re.MULTILINE)
_TOKEN = re.compile(r"[!-~]+")  # printable ASCII without spaces: an envelope sender


def envelope_line(sender: str, when: datetime) -> bytes:
    """`From SENDER Thu Apr 16 12:00:00 2026` (UTC, asctime's layout); a sender that is not
    one printable token is written `MAILER-DAEMON`."""
    who = sender if _TOKEN.fullmatch(sender) else "MAILER-DAEMON"
    t = when.astimezone(UTC)
    return f"From {who} {t:%a %b} {t.day:2d} {t:%H:%M:%S %Y}\n".encode("ascii")


def quote(raw: bytes) -> bytes:
    """The message with mboxrd's quoting of `From ` lines."""
    return _QUOTED.sub(rb">\1", raw)


def unquote(quoted: bytes) -> bytes:
    """A message as it was before `quote`."""
    return re.sub(rb"^>(>*From )", rb"\1", quoted, flags=re.MULTILINE)


def mboxrd(messages: Iterable[tuple[str, datetime, bytes]]) -> bytes:
    """One mbox of `(sender address, date, raw bytes)` messages, in order."""
    return b"".join(entry(sender, when, raw) for sender, when, raw in messages)


def entry(sender: str, when: datetime, raw: bytes) -> bytes:
    """One message as an mbox holds it: envelope line, quoted message, an empty line (so an
    mbox can be written one message at a time)."""
    end = b"\n" if raw.endswith(b"\n") else b"\n\n"
    return envelope_line(sender, when) + quote(raw) + end
