"""The one typed configuration schema: defaults, help text, loading, validation, example file."""

from __future__ import annotations

import calendar
import dataclasses
import os
import re
import tomllib
import typing
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from archiver.clock import District
from archiver.errors import ConfigError

DEFAULT_SEARCH_PATHS = (Path("archiver.toml"), Path("/etc/archiver/archiver.toml"))
IMAP = "imap"
MAILDIR = "maildir"
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_MONTH_DAY = re.compile(r"^(\d\d)-(\d\d)$")
_ISO_DAY = re.compile(r"^\d{4}-\d\d-\d\d$")
_CLOCK_TIME = re.compile(r"^(\d\d):(\d\d)$")
_BIND = re.compile(r"^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9][A-Za-z0-9.-]*)):(\d{1,5})$")
_PUBLIC_URL = re.compile(r"^https?://[A-Za-z0-9.-]+(?::\d{1,5})?(?:/[^\s?#]*)?$")
# https, or plain http on the loopback address only (a stand-in provider in tests).
_ISSUER = re.compile(
    r"^(?:https://[A-Za-z0-9.-]+|http://(?:127\.0\.0\.1|localhost))(?::\d{1,5})?(?:/[^\s?#]*)?$"
)


def _help(text: str, kinds: tuple[str, ...] = (IMAP, MAILDIR)) -> dict[str, Any]:
    return {"help": text, "kinds": kinds}


def parse_duration(text: str) -> float:
    """Seconds in a duration such as "90s", "5m", "1h" or "30"; raises ValueError."""
    m = _DURATION.match(text)
    if not m:
        raise ValueError(f"not a duration: {text!r} (use e.g. 30s, 5m, 1h)")
    return float(m.group(1)) * _UNITS[m.group(2) or "s"]


def parse_month_day(text: str) -> tuple[int, int]:
    """(month, day) from "MM-DD", a day every year has (so not 02-29); raises ValueError."""
    m = _MONTH_DAY.match(text.strip())
    if m:
        month, day = int(m.group(1)), int(m.group(2))
        # 2023 is a common year: 02-29 fails, as it would in three years of four.
        if 1 <= month <= 12 and 1 <= day <= calendar.monthrange(2023, month)[1]:
            return month, day
    raise ValueError(f"{text!r} is not a day of the year: use MM-DD, e.g. 06-30")


def parse_iso_day(text: str) -> date:
    """The day "YYYY-MM-DD" names; raises ValueError."""
    if _ISO_DAY.match(text.strip()):
        try:
            return date.fromisoformat(text.strip())
        except ValueError:
            pass
    raise ValueError(f"{text!r} is not a date (YYYY-MM-DD)")


def parse_clock_time(text: str) -> time:
    """The time of day "HH:MM" (24-hour) names; raises ValueError."""
    m = _CLOCK_TIME.match(text.strip())
    if m and int(m.group(1)) <= 23 and int(m.group(2)) <= 59:
        return time(int(m.group(1)), int(m.group(2)))
    raise ValueError(f"{text!r} is not a time of day (HH:MM, 24-hour, e.g. 17:00)")


def parse_bind(text: str) -> tuple[str, int]:
    """(host, port) from "HOST:PORT" (an IPv6 host in brackets: "[::1]:8080"); raises
    ValueError."""
    m = _BIND.match(text.strip())
    if m:
        host, port = m.group(1) or m.group(2), int(m.group(3))
        if 1 <= port <= 65535:
            return host, port
    raise ValueError(
        f"must be HOST:PORT, a port from 1 to 65535 (e.g. 127.0.0.1:8080, [::1]:8080), got {text!r}"
    )


@dataclass(frozen=True)
class ArchiveSettings:
    """Where records and keys live."""

    database: str = field(
        default="archive/archive.db",
        metadata=_help(
            "Where records are stored: a SQLite file (a path, relative to this file) or a\n"
            "SQLAlchemy URL for PostgreSQL, e.g. postgresql+psycopg://archiver@/archiver.\n"
            "Keep maildir sources (plaintext mail) out of the SQLite file's directory."
        ),
    )
    keys_dir: str = field(
        default="keys",
        metadata=_help(
            "Directory of key files (mode 0600), relative to this file. Keep it out of\n"
            "database backups. Under systemd, $CREDENTIALS_DIRECTORY is searched first."
        ),
    )
    lock_timeout: int = field(
        default=30,
        metadata=_help("Seconds to wait for another writer (SQLite) before giving up."),
    )
    timezone: str = field(
        default="America/New_York",
        metadata=_help(
            "The district's time zone (an IANA name): every day the archive speaks of (search\n"
            "--since/--until, `status`'s today, and later retention and due dates) is a day\n"
            "there. Storage is UTC."
        ),
    )
    audit_anchor: str = field(
        default="auto",
        metadata=_help(
            "A file outside the database where the audit log's newest event (number and hash)\n"
            "is written after every commit, so `archiver audit verify` notices events, and the\n"
            "records they name, lost with the database (a deleted WAL, a restored backup).\n"
            "auto: beside a SQLite database (DATABASE.audit-head), none for PostgreSQL (keep\n"
            "the head the daemon logs); off; or a path (relative to this file)."
        ),
    )


@dataclass(frozen=True)
class IngestSettings:
    """How messages are turned into records."""

    workers: int = field(
        default=0,
        metadata=_help("Processes that parse and seal messages; 0 means one per CPU core."),
    )
    max_message_mb: int = field(
        default=150,
        metadata=_help("Largest message accepted, in megabytes (at most 1024)."),
    )
    compression_level: int = field(
        default=3,
        metadata=_help("zstd level for sealed records: 1 (fastest) to 19 (smallest)."),
    )
    attachment_text_timeout: int = field(
        default=10,
        metadata=_help(
            "Seconds the sandboxed reader may spend on one PDF or DOCX attachment's text for"
            " the search index (1 to 300); a file taking longer is archived, its text unindexed."
        ),
    )
    attachment_text_budget: int = field(
        default=60,
        metadata=_help(
            "Seconds all of one message's PDF and DOCX attachments may take together (1 to\n"
            "3600): once spent, the rest are archived without their text indexed, and `show`\n"
            "says which. Bounds ingest, `reindex` and `rederive` per message."
        ),
    )


@dataclass(frozen=True)
class DaemonSettings:
    """The collection daemon (`archiver run`)."""

    jitter: str = field(
        default="15s",
        metadata=_help("Up to this much random delay is added to each poll, to spread load."),
    )
    max_backoff: str = field(
        default="10m",
        metadata=_help("While a source keeps failing, polls back off up to this interval."),
    )
    lease: str = field(
        default="10m",
        metadata=_help(
            "How long a daemon's claim on a source lasts unless renewed: after a crash,\n"
            "another daemon sharing the database takes over the source after this long."
        ),
    )


@dataclass(frozen=True)
class LogSettings:
    """Logging to stderr (the journal under systemd)."""

    level: Literal["debug", "info", "warning", "error"] = field(
        default="info", metadata=_help("One of debug, info, warning, error.")
    )


@dataclass(frozen=True)
class RetentionSettings:
    """Records retention: which schedule classifies records and how long each is kept."""

    schedule: str = field(
        default="",
        metadata=_help(
            "Retention schedule TOML; empty: the shipped Massachusetts schools schedule\n"
            "(config/retention/massachusetts-schools.toml). Relative to this file."
        ),
    )
    school_year_end: str = field(
        default="06-30",
        metadata=_help(
            "MM-DD: the last day of the school year, the trigger of school-year-end series."
        ),
    )


@dataclass(frozen=True)
class RequestsSettings:
    """Requests for records: the business-day clock. Check each [unverified] with counsel."""

    suffolk_county: bool = field(
        default=False,
        metadata=_help(
            "true if the district is in Suffolk County (Boston, Chelsea, Revere, Winthrop):\n"
            "Evacuation Day (Mar 17) and Bunker Hill Day (Jun 17) are then not business days."
        ),
    )
    closures: list[str] = field(
        default_factory=list,
        metadata=_help(
            'Days the district\'s office was closed (snow days), as "YYYY-MM-DD": not business\n'
            "days. [unverified] whether such a closure stops the statute's clock."
        ),
    )
    office_closes: str = field(
        default="17:00",
        metadata=_help(
            "HH:MM, the office's closing time: a request received then or later counts as\n"
            "received on the next business day (see next_business_day_receipt)."
        ),
    )
    next_business_day_receipt: bool = field(
        default=True,
        metadata=_help(
            "[unverified] true: a request received after office_closes or on a day that is not\n"
            "a business day is received on the next business day (its day 0). false: the day\n"
            "it arrived is day 0, whatever the hour."
        ),
    )
    production_days: int = field(
        default=25,
        metadata=_help(
            "Business days after receipt by which records must be produced: 25 for a\n"
            "municipality, which a school district is (G.L. c.66 s.10(b)(vi)); 15 for a state\n"
            "agency."
        ),
    )
    appeal_window_days: int = field(
        default=90,
        metadata=_help(
            "[unverified: 950 CMR 32.08] calendar days a requester has to appeal to the\n"
            "Supervisor of Records; a closed request keeps its records until they pass."
        ),
    )
    municipal_population: int = field(
        default=20001,
        metadata=_help(
            "The population of the municipality the district serves. It sets the free hours\n"
            "of work in a fee estimate (950 CMR 32.07): over 20,000, the first 2 hours are\n"
            "free; 20,000 or fewer, none. The default (20001) gives the 2 free hours, so a\n"
            "district that has not set it never charges for hours the law makes free."
        ),
    )
    hourly_rate: str = field(
        default="25.00",
        metadata=_help(
            "Dollars an hour for search and retrieval in a fee estimate: the hourly wage of the\n"
            "lowest-paid employee able to do the work, at most 25.00 (950 CMR 32.07(2))."
        ),
    )
    district_name: str = field(
        default="",
        metadata=_help("The district's name, as the written response's letterhead gives it."),
    )
    officer_name: str = field(
        default="",
        metadata=_help(
            "The Records Access Officer who signs written responses (c.66 s.10(b)); a letter\n"
            "cannot be made until it is set."
        ),
    )
    officer_title: str = field(
        default="Records Access Officer",
        metadata=_help("The officer's title, under the signature."),
    )
    officer_contact: str = field(
        default="",
        metadata=_help(
            "How requesters reach the officer (address, email, phone), printed in each letter;\n"
            "a letter cannot be made until it is set."
        ),
    )


@dataclass(frozen=True)
class DispositionSettings:
    """Disposition: destroying records whose retention has passed, in approved batches."""

    require_second_person: bool = field(
        default=True,
        metadata=_help(
            "true: a batch is approved by someone other than the person who planned it\n"
            "(`dispose approve` refuses the planner). false only where one person holds both\n"
            "roles; every step is audited either way."
        ),
    )


@dataclass(frozen=True)
class OidcSettings:
    """Sign-in with the district's identity provider (OpenID Connect), beside local accounts."""

    issuer: str = field(
        default="",
        metadata=_help(
            "The tenant's issuer URL; empty: OpenID Connect is off (local accounts only).\n"
            "Microsoft Entra ID: https://login.microsoftonline.com/TENANT-ID/v2.0 (the\n"
            "tenant's, never /common); Google Workspace: https://accounts.google.com."
        ),
    )
    client_id: str = field(
        default="", metadata=_help("The application (client) id registered with the issuer.")
    )
    client_secret_file: str = field(
        default="",
        metadata=_help(
            "File holding the client secret. A relative name is looked up in\n"
            "$CREDENTIALS_DIRECTORY, then beside this file. Mode 0600."
        ),
    )
    label: str = field(
        default="Sign in with your district account",
        metadata=_help("The sign-in button's text."),
    )
    hosted_domain: str = field(
        default="",
        metadata=_help(
            "Google Workspace: the domain every signed-in account must belong to (the token's\n"
            "`hd` claim); empty: not checked (Entra ID's tenant issuer already limits it)."
        ),
    )
    email_claim: str = field(
        default="email",
        metadata=_help(
            "The ID token claim holding the address an account is matched by (its name);\n"
            "Entra ID may need preferred_username."
        ),
    )


@dataclass(frozen=True)
class WebSettings:
    """The records officer's web application (`archiver web`): its address, sign-in, sessions."""

    bind: str = field(
        default="127.0.0.1:8080",
        metadata=_help(
            "HOST:PORT it listens on ([::1]:8080 for IPv6). Keep it on loopback behind the\n"
            "reverse proxy that terminates TLS."
        ),
    )
    workers: int = field(
        default=2,
        metadata=_help(
            "Server processes (1 to 64). One process uses one core at a time: give it as\n"
            "many as the machine has cores to spare (--workers overrides it)."
        ),
    )
    threads: int = field(
        default=2,
        metadata=_help(
            "Requests each process serves at once (1 to 64). Its threads take turns at one\n"
            "core, so more only help when long tasks (a large export) hold the ones there\n"
            "are (--threads overrides it)."
        ),
    )
    public_url: str = field(
        default="",
        metadata=_help(
            "The address people reach it at, through the reverse proxy, e.g.\n"
            "https://records.district.example.org (OpenID Connect redirects come back here)."
        ),
    )
    idle_minutes: int = field(
        default=30,
        metadata=_help("A session unused this long ends (1 to 1440 minutes)."),
    )
    absolute_hours: int = field(
        default=12,
        metadata=_help("A session ends this long after sign-in, however busy (1 to 168 hours)."),
    )
    login_failures_per_minute: int = field(
        default=10,
        metadata=_help(
            "After this many wrong sign-ins within a minute for one account name, or from one\n"
            "address, further attempts are refused unchecked until the minute has passed."
        ),
    )
    oidc: OidcSettings = field(default_factory=OidcSettings)  # the table [web.oidc]

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) of `bind` (checked when the settings were read)."""
        return parse_bind(self.bind)


@dataclass(frozen=True)
class SourceSettings:
    """A place messages are collected from: an IMAP account or a local maildir."""

    name: str = field(
        default="", metadata=_help("Names the source in `poll --source`, in status and in logs.")
    )
    kind: Literal["imap", "maildir"] = field(
        default="imap", metadata=_help("imap, or maildir (mail delivered on this host).")
    )
    host: str = field(default="", metadata=_help("IMAP server.", (IMAP,)))
    port: int = field(
        default=0, metadata=_help("IMAP port; 0 means 993 with implicit TLS, else 143.", (IMAP,))
    )
    tls: Literal["implicit", "starttls", "none"] = field(
        default="implicit",
        metadata=_help(
            "implicit (port 993), starttls, or none (only to a loopback address).\n"
            "Certificates and host names are always verified.",
            (IMAP,),
        ),
    )
    ca_file: str = field(
        default="",
        metadata=_help("PEM file of a private CA to trust; empty: the system's.", (IMAP,)),
    )
    username: str = field(default="", metadata=_help("The archive mailbox's address.", (IMAP,)))
    auth: Literal["password", "xoauth2-m365", "xoauth2-google"] = field(
        default="password",
        metadata=_help(
            "password; xoauth2-m365 (Microsoft 365 app with IMAP.AccessAsApp); or\n"
            "xoauth2-google (Google Workspace service account, domain-wide delegation).",
            (IMAP,),
        ),
    )
    secret_file: str = field(
        default="",
        metadata=_help(
            "File holding the password (password), the client secret (xoauth2-m365) or the\n"
            "service-account JSON (xoauth2-google). A relative name is looked up in\n"
            "$CREDENTIALS_DIRECTORY, then beside this file. Mode 0600.",
            (IMAP,),
        ),
    )
    tenant_id: str = field(
        default="", metadata=_help("xoauth2-m365: the Entra (Azure AD) tenant id.", (IMAP,))
    )
    client_id: str = field(
        default="", metadata=_help("xoauth2-m365: the application (client) id.", (IMAP,))
    )
    folders: list[str] = field(
        default_factory=lambda: ["INBOX"],
        metadata=_help("Folders to collect from.", (IMAP,)),
    )
    path: str = field(
        default="",
        metadata=_help("The maildir to collect from (relative to this file).", (MAILDIR,)),
    )
    archived_folder: str = field(
        default="Archived",
        metadata=_help("Where a message goes once its record is committed."),
    )
    quarantine_folder: str = field(
        default="Quarantine",
        metadata=_help("Where messages from outside the forwarder domains, or not mail, go."),
    )
    allowed_forwarder_domains: list[str] = field(
        default_factory=list,
        metadata=_help(
            "Domains forwards may come from; others are archived as quarantined.\n"
            "Empty: every sender is accepted."
        ),
    )
    interval: str = field(default="5m", metadata=_help("Time between polls."))
    timeout: str = field(
        default="2m", metadata=_help("Give up on a silent server after this long.", (IMAP,))
    )
    batch_messages: int = field(
        default=50, metadata=_help("Messages fetched per request.", (IMAP,))
    )
    batch_mb: int = field(
        default=25,
        metadata=_help(
            "Megabytes fetched per request (a larger message is fetched alone).", (IMAP,)
        ),
    )
    remove_archived_after_days: int = field(
        default=0,
        metadata=_help(
            "0 (default): never remove anything from the archived and quarantine folders.\n"
            "N: `archiver reconcile` deletes a copy there once it is N days old and its record\n"
            "has been opened and checked. Those copies are the safety net reconcile restores\n"
            "lost records from; removing them means no plaintext mail is kept there."
        ),
    )

    @property
    def interval_seconds(self) -> float:
        return parse_duration(self.interval)

    @property
    def timeout_seconds(self) -> float:
        return parse_duration(self.timeout)

    @property
    def effective_port(self) -> int:
        return self.port or (993 if self.tls == "implicit" else 143)


def _default_sources() -> list[SourceSettings]:
    return [SourceSettings(name="local-inbox", kind="maildir", path="inbox", interval="1m")]


@dataclass(frozen=True)
class Settings:
    """A loaded configuration; relative paths are resolved against the config file."""

    archive: ArchiveSettings = field(default_factory=ArchiveSettings)
    ingest: IngestSettings = field(default_factory=IngestSettings)
    daemon: DaemonSettings = field(default_factory=DaemonSettings)
    log: LogSettings = field(default_factory=LogSettings)
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    requests: RequestsSettings = field(default_factory=RequestsSettings)
    disposition: DispositionSettings = field(default_factory=DispositionSettings)
    web: WebSettings = field(default_factory=WebSettings)
    sources: list[SourceSettings] = field(default_factory=_default_sources)
    config_path: Path = Path("archiver.toml")

    @property
    def base_dir(self) -> Path:
        return self.config_path.resolve().parent

    def path(self, value: str) -> Path:
        """A configured path, resolved against the config file's directory."""
        p = Path(value).expanduser()
        return p if p.is_absolute() else self.base_dir / p

    @property
    def database_url(self) -> str:
        """SQLAlchemy URL of the archive database."""
        db = self.archive.database
        if "://" not in db:
            return f"sqlite:///{self.path(db)}"
        file = db[len("sqlite:///") :] if db.startswith("sqlite:///") else ""
        if file and not file.startswith("/") and not file.startswith(":memory:"):
            return f"sqlite:///{self.path(file)}"  # relative to the config file, as every path
        return db

    @property
    def keys_dir(self) -> Path:
        return self.path(self.archive.keys_dir)

    @property
    def district(self) -> District:
        """The district's days (its time zone was checked when the settings were read)."""
        return District.named(self.archive.timezone)

    @property
    def audit_anchor(self) -> Path | None:
        """Where the audit head is copied after each commit, or None."""
        anchor = self.archive.audit_anchor.strip()
        if anchor == "off":
            return None
        if anchor != "auto":
            return self.path(anchor)
        db = self.database_url
        file = db[len("sqlite:///") :] if db.startswith("sqlite:///") else ""
        return Path(file + ".audit-head") if file and not file.startswith(":memory:") else None

    @property
    def schedule_path(self) -> Path | None:
        """The district's retention schedule file, or None for the shipped one."""
        schedule = self.retention.schedule.strip()
        return self.path(schedule) if schedule else None

    @property
    def school_year_end(self) -> tuple[int, int]:
        """(month, day) the school year ends (checked when the settings were read)."""
        return parse_month_day(self.retention.school_year_end)

    @property
    def closures(self) -> tuple[date, ...]:
        """The district's own closures, sorted (checked when the settings were read)."""
        return tuple(sorted({parse_iso_day(d) for d in self.requests.closures}))

    @property
    def office_closes(self) -> time:
        """The office's closing time (checked when the settings were read)."""
        return parse_clock_time(self.requests.office_closes)

    @property
    def no_sources(self) -> str:
        """What every command says when the config has no sources (import and reading work;
        `poll`, `run` and `reconcile` have nothing to do)."""
        return (
            f"{self.config_path}: no [[sources]] configured: nothing to collect "
            "(add a [[sources]] table to poll a mailbox or maildir)"
        )

    def source(self, name: str) -> SourceSettings:
        """The source called `name`; raises ConfigError listing the known names."""
        for s in self.sources:
            if s.name == name:
                return s
        known = ", ".join(s.name for s in self.sources) or "none"
        raise ConfigError([f"{self.config_path}: no source named {name!r} (sources: {known})"])


_SECTIONS: dict[str, type[Any]] = {
    "archive": ArchiveSettings,
    "ingest": IngestSettings,
    "daemon": DaemonSettings,
    "log": LogSettings,
    "retention": RetentionSettings,
    "requests": RequestsSettings,
    "disposition": DispositionSettings,
    "web": WebSettings,
}


def _type_name(tp: Any) -> str:
    if dataclasses.is_dataclass(tp):
        return "a table"
    if get_origin(tp) is Literal:
        return "one of " + ", ".join(repr(a) for a in get_args(tp))
    if get_origin(tp) is list:
        return "a list of strings"
    return {int: "an integer", str: "a string", bool: "true or false"}.get(tp, str(tp))


def _check_value(tp: Any, value: Any) -> bool:
    if get_origin(tp) is Literal:
        return value in get_args(tp)
    if get_origin(tp) is list:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if tp in (str, bool):
        return isinstance(value, tp)
    return False


def _table(cls: type[Any], raw: dict[str, Any], where: str, problems: list[str]) -> Any:
    """Build dataclass `cls` from a TOML table, noting each unknown key and wrong type."""
    fields = {f.name for f in dataclasses.fields(cls)}
    types = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in fields:
            problems.append(f"{where} unknown key '{key}'")
        elif dataclasses.is_dataclass(types[key]) and isinstance(value, dict):
            values[key] = _table(types[key], value, f"{where}.{key}", problems)  # [web.oidc]
        elif not _check_value(types[key], value):
            problems.append(f"{where}.{key} must be {_type_name(types[key])}, got {value!r}")
        else:
            values[key] = value
    return cls(**values)


def _duration_problem(key: str, text: str, minimum: float) -> list[tuple[str, str]]:
    try:
        seconds = parse_duration(text)
    except ValueError as exc:
        return [(key, str(exc))]
    return [(key, f"must be at least {minimum:g} seconds")] if seconds < minimum else []


def _source_problems(i: int, s: SourceSettings) -> list[tuple[str, str]]:
    key = f"sources[{i}]" + (f" ({s.name})" if s.name else "")
    out: list[tuple[str, str]] = []
    if not _NAME.match(s.name):
        out.append((f"{key}.name", "must be set: letters, digits, '.', '_' or '-'"))
    out += _duration_problem(f"{key}.interval", s.interval, 1)
    if not 0 <= s.remove_archived_after_days <= 36500:
        out.append((f"{key}.remove_archived_after_days", "must be 0 (never) to 36500 (days)"))
    if s.kind == MAILDIR:
        if not s.path:
            out.append((f"{key}.path", "must name the maildir to collect from"))
        return out
    for name in ("host", "username"):
        if not getattr(s, name):
            out.append((f"{key}.{name}", "must be set for an imap source"))
    if s.tls == "none" and s.host not in _LOOPBACK:
        out.append((f"{key}.tls", "'none' sends the password in the clear: loopback hosts only"))
    if not s.secret_file:
        out.append((f"{key}.secret_file", f"must be set for auth = {s.auth!r}"))
    if s.auth == "xoauth2-m365":
        out += [
            (f"{key}.{n}", "must be set for xoauth2-m365")
            for n in ("tenant_id", "client_id")
            if not getattr(s, n)
        ]
    if not s.folders:
        out.append((f"{key}.folders", "must name at least one folder"))
    for name in ("archived_folder", "quarantine_folder"):
        if getattr(s, name) in s.folders or not getattr(s, name):
            out.append((f"{key}.{name}", "must be set, and not one of the collected folders"))
    out += _duration_problem(f"{key}.timeout", s.timeout, 1)
    if not 1 <= s.batch_messages <= 1000:
        out.append((f"{key}.batch_messages", "must be between 1 and 1000"))
    if not 1 <= s.batch_mb <= 1024:
        out.append((f"{key}.batch_mb", "must be between 1 and 1024"))
    if not 0 <= s.port <= 65535:
        out.append((f"{key}.port", "must be a TCP port"))
    return out


def _requests_problems(r: RequestsSettings) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for text in r.closures:
        try:
            parse_iso_day(text)
        except ValueError:
            out.append(("requests.closures", f'must be dates (YYYY-MM-DD): "{text}" is not one'))
    try:
        parse_clock_time(r.office_closes)
    except ValueError:
        out.append(
            (
                "requests.office_closes",
                f'must be HH:MM (24-hour), e.g. "17:00", got "{r.office_closes}"',
            )
        )
    if not 1 <= r.production_days <= 250:
        out.append(("requests.production_days", "must be between 1 and 250 (business days)"))
    if not 1 <= r.appeal_window_days <= 3650:
        out.append(("requests.appeal_window_days", "must be between 1 and 3650 (days)"))
    if not re.fullmatch(r"\d{1,4}(\.\d{1,2})?", r.hourly_rate.strip()):
        out.append(
            ("requests.hourly_rate", f'must be dollars, e.g. "18.50", got "{r.hourly_rate}"')
        )
    return out


def _web_problems(w: WebSettings) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    try:
        parse_bind(w.bind)
    except ValueError as exc:
        out.append(("web.bind", str(exc)))
    if not 1 <= w.workers <= 64:
        out.append(("web.workers", "must be between 1 and 64 (processes)"))
    if not 1 <= w.threads <= 64:
        out.append(("web.threads", "must be between 1 and 64 (threads a process)"))
    if not 1 <= w.idle_minutes <= 1440:
        out.append(("web.idle_minutes", "must be between 1 and 1440 (minutes)"))
    if not 1 <= w.absolute_hours <= 168:
        out.append(("web.absolute_hours", "must be between 1 and 168 (hours)"))
    if not 1 <= w.login_failures_per_minute <= 1000:
        out.append(("web.login_failures_per_minute", "must be between 1 and 1000"))
    if w.public_url and not _PUBLIC_URL.match(w.public_url):
        out.append(
            (
                "web.public_url",
                "must be an http(s) address without a query, e.g. "
                f'"https://records.district.example.org", got "{w.public_url}"',
            )
        )
    o = w.oidc
    if not o.label.strip():
        out.append(("web.oidc.label", "must not be empty: it is the sign-in button's text"))
    if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,64}", o.email_claim):
        out.append(("web.oidc.email_claim", "must name a claim, e.g. email"))
    if o.hosted_domain and not re.fullmatch(r"[A-Za-z0-9.-]+\.[A-Za-z]{2,}", o.hosted_domain):
        out.append(("web.oidc.hosted_domain", f'must be a domain, got "{o.hosted_domain}"'))
    if not o.issuer:
        return out
    if not _ISSUER.match(o.issuer):
        out.append(
            (
                "web.oidc.issuer",
                f'must be an https:// URL (http only on 127.0.0.1), got "{o.issuer}"',
            )
        )
    for key in ("client_id", "client_secret_file"):
        if not getattr(o, key).strip():
            out.append((f"web.oidc.{key}", "must be set when web.oidc.issuer is"))
    if not w.public_url:
        out.append(("web.public_url", "must be set when web.oidc.issuer is (the redirect URI)"))
    return out


def _range_problems(settings: Settings, unknown_kind: frozenset[int]) -> list[tuple[str, str]]:
    """Checks that a type alone cannot express: (key, problem); sources whose kind is unknown
    (already one problem) are not checked against another kind's rules."""
    out: list[tuple[str, str]] = []
    ing = settings.ingest
    if ing.workers < 0:
        out.append(("ingest.workers", "must be 0 (auto) or a positive number"))
    if not 1 <= ing.max_message_mb <= 1024:
        out.append(("ingest.max_message_mb", "must be between 1 and 1024"))
    if not 1 <= ing.compression_level <= 19:
        out.append(("ingest.compression_level", "must be between 1 and 19"))
    if not 1 <= ing.attachment_text_timeout <= 300:
        out.append(("ingest.attachment_text_timeout", "must be between 1 and 300"))
    if not 1 <= ing.attachment_text_budget <= 3600:
        out.append(("ingest.attachment_text_budget", "must be between 1 and 3600"))
    try:
        District.named(settings.archive.timezone)
    except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        out.append(
            (
                "archive.timezone",
                f"unknown time zone {settings.archive.timezone!r}: give an IANA name such as "
                "America/New_York",
            )
        )
    if not settings.archive.audit_anchor.strip():
        out.append(("archive.audit_anchor", "must be auto, off or a path"))
    if not settings.archive.database.strip():
        out.append(("archive.database", "must not be empty"))
    if settings.archive.lock_timeout < 1:
        out.append(("archive.lock_timeout", "must be at least 1 second"))
    try:
        parse_month_day(settings.retention.school_year_end)
    except ValueError:
        out.append(
            (
                "retention.school_year_end",
                "must be MM-DD, a day every year has (e.g. 06-30), got "
                f"{settings.retention.school_year_end!r}",
            )
        )
    out += _requests_problems(settings.requests)
    out += _web_problems(settings.web)
    if settings.requests.municipal_population < 1:
        out.append(("requests.municipal_population", "must be a number of people (at least 1)"))
    for key in ("jitter", "max_backoff", "lease"):
        out += _duration_problem(f"daemon.{key}", getattr(settings.daemon, key), 0)
    names = [s.name for s in settings.sources]
    for i, s in enumerate(settings.sources):
        if i not in unknown_kind:
            out += _source_problems(i, s)
        if s.name and names.count(s.name) > 1 and names.index(s.name) == i:
            out.append((f"sources[{i}].name", f"{s.name!r} is used by more than one source"))
    return out


def parse_settings(text: str, path: Path) -> Settings:
    """Parse TOML text into Settings; raises ConfigError listing every problem found."""
    problems: list[str] = []
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: not valid TOML: {exc}"]) from None
    sections: dict[str, Any] = {}
    unknown_kind: frozenset[int] = frozenset()
    for name, raw in data.items():
        if name == "sources":
            if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
                problems.append(f"{path}: 'sources' must be tables ([[sources]])")
                continue
            unknown_kind = frozenset(
                i for i, t in enumerate(raw) if "kind" in t and t["kind"] not in (IMAP, MAILDIR)
            )
            sections["sources"] = [
                _table(SourceSettings, t, f"{path}: sources[{i}]", problems)
                for i, t in enumerate(raw)
            ]
            continue
        cls = _SECTIONS.get(name)
        if cls is None:
            problems.append(f"{path}: unknown section or key '{name}'")
        elif not isinstance(raw, dict):
            problems.append(f"{path}: '{name}' must be a table ([{name}])")
        else:
            sections[name] = _table(cls, raw, f"{path}: {name}", problems)
    sections.setdefault("sources", [])
    settings = Settings(**sections, config_path=path)
    problems += [f"{path}: {key} {msg}" for key, msg in _range_problems(settings, unknown_kind)]
    if problems:
        raise ConfigError(problems)
    return settings


def find_config(explicit: str | None) -> Path:
    """The config path: --config, then $ARCHIVER_CONFIG, then ./archiver.toml, then /etc."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("ARCHIVER_CONFIG")
    if env:
        return Path(env)
    for candidate in DEFAULT_SEARCH_PATHS:
        if candidate.exists():
            return candidate
    raise ConfigError(
        [
            "no configuration found: pass --config FILE, set ARCHIVER_CONFIG, or create "
            "./archiver.toml or /etc/archiver/archiver.toml (`archiver init DIR` writes one)"
        ]
    )


def load_settings(path: Path) -> Settings:
    """Read and validate the config file at `path`; raises ConfigError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{path}: config file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: cannot read config file: {exc}"]) from None
    return parse_settings(text, path)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML rendering for {value!r}")


def _render_table(obj: Any, kind: str | None, prefix: str = "", name: str = "") -> list[str]:
    """The keys of table `name` with their help, then its subtables ([web.oidc])."""
    lines, subtables = [], []
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value):
            subtables += ["", f"# {type(value).__doc__}", f"[{name}.{f.name}]"]
            subtables += _render_table(value, kind, prefix, f"{name}.{f.name}")
            continue
        if kind is not None and kind not in f.metadata["kinds"]:
            continue
        lines += [f"{prefix}# {h}" for h in f.metadata["help"].splitlines()]
        lines.append(f"{prefix}{f.name} = {_toml_value(value)}")
    return lines + subtables


_IMAP_EXAMPLE = SourceSettings(
    name="records-archive",
    host="imap.gmail.com",
    username="records-archive@district.example.org",
    secret_file="imap-password",  # noqa: S106 -- the name of a file, not a password
    allowed_forwarder_domains=["district.example.org"],
)


def render_example(timezone: str | None = None) -> str:
    """The commented example config, generated from the schema (defaults and help), with
    `timezone` as the district's time zone if given."""
    lines = [
        "# archiver configuration. Generated from the settings schema; every key is shown",
        "# with its default. Relative paths are resolved against this file's directory.",
        "# Check it with: archiver --config FILE config validate",
    ]
    defaults = Settings()
    if timezone is not None:
        defaults = dataclasses.replace(
            defaults, archive=dataclasses.replace(defaults.archive, timezone=timezone)
        )
    for name, cls in _SECTIONS.items():
        lines += ["", f"# {cls.__doc__}", f"[{name}]"]
        lines += _render_table(getattr(defaults, name), None, name=name)
    lines += [
        "",
        f"# {SourceSettings.__doc__}",
        "# Add one [[sources]] table per source.",
        "",
        "# A maildir on this host (the demo delivers into it).",
    ]
    for source in defaults.sources:
        lines.append("[[sources]]")
        lines += _render_table(source, source.kind)
    lines += ["", "# An IMAP account (remove the leading '# ' to use it).", "# [[sources]]"]
    lines += _render_table(_IMAP_EXAMPLE, IMAP, "# ")
    return "\n".join(lines) + "\n"
