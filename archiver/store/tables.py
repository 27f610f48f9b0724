"""The database schema. Nothing here holds message content in the clear (DESIGN.md promise 3)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# Keys are files outside the database; this registry names them, says which is current, and
# keeps a check value so a wrong key file is detected before it is used.
key_registry = Table(
    "key_registry",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),  # kek | index | signing | cohort
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("check_value", LargeBinary(16), nullable=False),
    Column("state", String(16), nullable=False),  # current | retired | destroyed
    # A cohort key's retention series and month of eligibility (YYYY-MM); NULL for others.
    Column("series", String(64)),
    Column("month", String(7)),
    Column("destroyed_at", DateTime(timezone=True)),
)

record = Table(
    "record",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("sha256", LargeBinary(32), nullable=False, unique=True),
    Column("size", BigInteger, nullable=False),
    Column("archived_at", DateTime(timezone=True), nullable=False, index=True),
    Column("source_kind", String(16), nullable=False),  # file | mbox | maildir | imap
    Column("status", String(16), nullable=False, index=True),  # active | quarantined | disposed
    Column("quarantine_code", String(32)),  # a code, never message text
    Column("sent_at", DateTime(timezone=True), index=True),
    Column("kek_id", String(64), ForeignKey("key_registry.id"), nullable=False, index=True),
    Column("wrapped_key", LargeBinary, nullable=False),
    Column("seal_version", SmallInteger, nullable=False),
    Column("stored_size", BigInteger, nullable=False),
    # Keyed tags of the plaintext columns above (crypto/facts.py): an edited status or date is
    # detected, and named. NULL only until `archiver db upgrade` has authenticated old rows.
    Column("facts", LargeBinary),
)

# Sealed bytes live apart from `record` so scans of record metadata never read them.
sealed_part = Table(
    "sealed_part",
    metadata,
    Column("record_id", String(32), ForeignKey("record.id", ondelete="CASCADE"), primary_key=True),
    Column("part", String(16), primary_key=True),  # raw | meta
    Column("data", LargeBinary, nullable=False),
)

# How each copy arrived. The same bytes arriving twice are one record with two arrivals.
arrival = Table(
    "arrival",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "record_id",
        String(32),
        ForeignKey("record.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("arrived_at", DateTime(timezone=True), nullable=False),
    Column("source_kind", String(16), nullable=False),
    Column("source_name", String(128), nullable=False),
    Column("mailbox", String(256)),
    Column("uidvalidity", BigInteger),
    Column("uid", BigInteger),
    Column("locator", LargeBinary),  # sealed: a file path can name a student
    # A keyed hash (under the record's data key) of where it came from: the same file or
    # mailbox message arriving again (a re-run after a crash) is the same arrival.
    Column("position", LargeBinary(16)),
    Column("facts", LargeBinary),  # tags of the plaintext columns (crypto/facts.py)
    UniqueConstraint("source_name", "mailbox", "uidvalidity", "uid", name="uq_arrival_imap_uid"),
    UniqueConstraint("record_id", "position", name="uq_arrival_position"),
)

audit_event = Table(
    "audit_event",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String(128)),
    Column("details", Text, nullable=False),  # JSON; ids and counts only
    Column("key_id", String(64), nullable=False),
    Column("prev_hash", LargeBinary(32), nullable=False),
    Column("hash", LargeBinary(32), nullable=False),
)

# The records each event is about (`AuditRow.mentions`), written with the event, so that a
# record's events are an index read rather than a scan of the whole log. No key to `record`:
# a destroyed record's events stay its history.
audit_mention = Table(
    "audit_mention",
    metadata,
    Column("record_id", String(32), primary_key=True),
    Column(
        "seq",
        BigInteger,
        ForeignKey("audit_event.seq", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    Index("ix_audit_mention_seq", "seq"),  # `audit verify` compares each page of events
    sqlite_with_rowid=False,
)

# One row: the chain's head. Appenders lock it, so events are numbered without gaps, and a
# deleted tail is noticed because the head still names it.
audit_head = Table(
    "audit_head",
    metadata,
    Column("id", SmallInteger, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", LargeBinary(32), nullable=False),
)

# Collection: per-source health for `archiver status`, per-folder UIDVALIDITY, and the lease
# that keeps two daemons sharing a database from polling one source at once.
source_state = Table(
    "source_state",
    metadata,
    Column("source_name", String(128), primary_key=True),
    Column("last_attempt_at", DateTime(timezone=True)),
    Column("last_success_at", DateTime(timezone=True)),
    Column("last_error", Text),  # server and program messages, never message content
    Column("last_error_at", DateTime(timezone=True)),
    Column("waiting", Integer),  # messages left in the source after the last cycle
    Column("last_cycle", Text),  # JSON counts of the last cycle
)

mailbox_state = Table(
    "mailbox_state",
    metadata,
    Column("source_name", String(128), primary_key=True),
    Column("folder", String(256), primary_key=True),
    Column("uidvalidity", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

source_lease = Table(
    "source_lease",
    metadata,
    Column("source_name", String(128), primary_key=True),
    Column("owner", String(128), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("token", BigInteger, nullable=False),  # grows with every claim (a fencing token)
)

# Students: the roster's fields are sealed; `lookup` is a blind index (keyed hash) of the
# student id, so an import can find a student again without the id being readable.
student = Table(
    "student",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("lookup", LargeBinary(16), nullable=False, unique=True),
    Column("key_id", String(64), nullable=False),
    Column("sealed", LargeBinary, nullable=False),
    Column("exit_date", Date),  # plaintext: it starts retention clocks
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("facts", LargeBinary),  # tags of lookup, key and exit date, bound to the row id
)

# One row per (record, student): the strongest source that tagged it.
record_tag = Table(
    "record_tag",
    metadata,
    Column("record_id", String(32), ForeignKey("record.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "student_id",
        Integer,
        ForeignKey("student.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
    Column("source", String(16), nullable=False),  # explicit | address | name | manual
    Column("tagged_at", DateTime(timezone=True), nullable=False),
    Column("facts", LargeBinary),  # tags of source and date, bound to (record, student)
)

# A person removed this tag by hand: automatic tagging must not put it back.
tag_override = Table(
    "tag_override",
    metadata,
    Column("record_id", String(32), ForeignKey("record.id", ondelete="CASCADE"), primary_key=True),
    Column("student_id", Integer, ForeignKey("student.id", ondelete="CASCADE"), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("facts", LargeBinary),
)

# The staff directory (`staff import`): every field sealed; `lookup` is a keyed hash of the
# staff id (or school address), so an import finds a person again. Tagging reads it: staff
# names are not students' names.
staff = Table(
    "staff",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("lookup", LargeBinary(16), nullable=False, unique=True),
    Column("key_id", String(64), nullable=False),
    Column("sealed", LargeBinary, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Bumped by every roster or staff import, so long-running processes know to reload them.
roster_state = Table(
    "roster_state",
    metadata,
    Column("id", SmallInteger, primary_key=True, autoincrement=False),
    Column("version", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Search (DESIGN.md section 6). Each indexed record has a document row with a small integer
# `seq`, so postings are (64-bit term, seq) pairs. `seq` is never reused (AUTOINCREMENT on
# SQLite), so a posting can never point at the wrong record.
search_doc = Table(
    "search_doc",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column(
        "record_id",
        String(32),
        ForeignKey("record.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    ),
    Column("key_id", String(64), nullable=False),  # the index key the terms were made with
    Column("tokenizer", SmallInteger, nullable=False),  # the tokenizer version
    Column("generation", Integer, nullable=False),  # `reindex --all` bumps the target
    Column("attachments", SmallInteger, nullable=False),  # plaintext count: --has-attachment
    # The record's `sent_at` in seconds since 1970 (UTC), so a search sorts its hits without
    # reading the records; written with the entry, which is replaced whenever `sent_at` is.
    Column("sent", BigInteger),
    # A keyed hash of everything the entry says (record id, key, tokenizer, counts, date and
    # every term): `verify --index` rebuilds the terms from the postings and compares.
    Column("digest", LargeBinary(16)),
    # Newest first: a search pages through its hits in date order without sorting them all.
    Index("ix_search_doc_sent", "sent", "seq"),
    sqlite_autoincrement=True,
)

# The postings, clustered by (block, term): a block is 1024 consecutive documents. New
# documents all land in the last block, so a commit rewrites a few pages of a small subtree
# instead of one page per posting across the whole index (random 64-bit terms would scatter
# them); a term's postings are one key range per block. A row holds every document of one
# ingest transaction (up to 128) that has the term: `doc` is the highest, `more` the others as
# 2-byte offsets from the block's first document (NULL when the row has one document), so a
# commit writes one row per term instead of one per term and record.
POSTING_BLOCK = 1024
search_term = Table(
    "search_term",
    metadata,
    Column("block", Integer, primary_key=True, autoincrement=False),
    Column("term", BigInteger, primary_key=True, autoincrement=False),
    Column("doc", Integer, primary_key=True, autoincrement=False),
    Column("more", LargeBinary),
    sqlite_with_rowid=False,
)

# Once a block is full (no new document can land in it), each term with at least
# `postings.PACK_MIN` documents there moves to one row holding a bitmap of the block's documents
# (128 bytes for up to 1024 postings): a common word is then about a hundred rows for 100,000
# records instead of tens of thousands, and two common words intersect as bitmaps.
search_packed = Table(
    "search_packed",
    metadata,
    Column("block", Integer, primary_key=True, autoincrement=False),
    Column("term", BigInteger, primary_key=True, autoincrement=False),
    Column("bits", LargeBinary, nullable=False),
    sqlite_with_rowid=False,
)

# Per packed block, the bitmap of its documents still indexed. Removing a document clears its
# bit here instead of rewriting every bitmap that holds it; searches mask packed bitmaps with
# it, so a removed document is never found.
search_live = Table(
    "search_live",
    metadata,
    Column("block", Integer, primary_key=True, autoincrement=False),
    Column("bits", LargeBinary, nullable=False),
)

# One row: what every document must have been indexed with for the index to be complete, and
# whether it is. Searches read it to say when results may be missing records.
search_state = Table(
    "search_state",
    metadata,
    Column("id", SmallInteger, primary_key=True, autoincrement=False),
    Column("generation", Integer, nullable=False),
    Column("key_id", String(64)),  # the index key of a complete index
    Column("tokenizer", SmallInteger, nullable=False),
    Column("complete", Boolean, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("packed_blocks", Integer, nullable=False, server_default="0"),  # blocks below: packed
    # `verify --index`: the next block of an unfinished pass (it resumes there), when it began
    # and what it found so far; and the last finished check (a whole pass or a sample).
    Column("verify_next_block", Integer),
    Column("verify_started_at", DateTime(timezone=True)),
    Column("verify_problems", Integer, nullable=False, server_default="0"),
    Column("verified_at", DateTime(timezone=True)),
    Column("verified_scope", String(32)),  # "all" or "sample N"
    Column("verified_problems", Integer),
)

# Records management (DESIGN.md section 9). Retention state is plaintext (promise 3 allows it:
# dates and codes, never content), authenticated like every plaintext fact.
retention = Table(
    "retention",
    metadata,
    Column("record_id", String(32), ForeignKey("record.id", ondelete="CASCADE"), primary_key=True),
    Column("series", String(32), nullable=False),
    Column("rule", String(64), nullable=False),  # the schedule rule that placed it, or "manual"
    Column("trigger_date", Date),  # empty while the event (a student's exit) has not happened
    Column("retain_until", Date),  # empty while pending, or for a permanent series
    Column("limit_kind", String(8), nullable=False),  # minimum | maximum
    Column("disposition", String(16), nullable=False),  # destroy | review | permanent
    Column("classified_at", DateTime(timezone=True), nullable=False),
    Column("classified_by", String(128)),  # who chose the series by hand
    Column("note", LargeBinary),  # sealed: the reason given for a manual classification
    Column("facts", LargeBinary),
    # With the record id: `retention due` counts and pages from this index alone.
    Index("ix_retention_until", "retain_until", "record_id"),
    Index("ix_retention_series", "series", "retain_until"),
)

# What the schedule last applied to every record was (its digest), and how far an unfinished
# `retention apply` got: it resumes after that record id.
retention_state = Table(
    "retention_state",
    metadata,
    Column("id", SmallInteger, primary_key=True, autoincrement=False),
    Column("schedule_digest", String(64)),
    Column("applied_at", DateTime(timezone=True)),
    Column("apply_digest", String(64)),  # the schedule an unfinished apply is applying
    Column("apply_after", String(32)),  # the last record id it finished
)

# Legal holds. A hold's name, reason and criteria are sealed (they can name a child or a
# lawsuit); `lookup` is a keyed hash of the name, so `hold show NAME` finds it.
hold = Table(
    "hold",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("lookup", LargeBinary(16), nullable=False, unique=True),
    Column("key_id", String(64), nullable=False),
    Column("sealed", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(128), nullable=False),
    Column("released_at", DateTime(timezone=True)),
    Column("released_by", String(128)),
    Column("release_note", LargeBinary),  # sealed: why it was released
    Column("facts", LargeBinary),
)

# The records a hold covers: caught by its criteria, or added by hand; "removed" keeps a record
# a person took out from being caught again.
hold_record = Table(
    "hold_record",
    metadata,
    Column("hold_id", Integer, ForeignKey("hold.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "record_id",
        String(32),
        ForeignKey("record.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
    Column("how", String(16), nullable=False),  # criteria | manual | removed
    Column("at", DateTime(timezone=True), nullable=False),
    Column("facts", LargeBinary),
)

# Bumped whenever a hold is created or released, so long-running processes reload the open
# holds they check new records against.
hold_state = Table(
    "hold_state",
    metadata,
    Column("id", SmallInteger, primary_key=True, autoincrement=False),
    Column("version", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Requests (DESIGN.md 9.3): a public-records request (c.66 §10) or a parent's request for a
# student's records (603 CMR 23.07). Who asked, how to reach them and what they asked for are
# sealed; the number, kind, state and dates are plaintext (the clock is everybody's business).
# The due dates are kept with the digest of the calendar rules they came from, and computed
# again when those rules change.
request = Table(
    "request",
    metadata,
    Column("number", String(24), primary_key=True),  # PRR-2026-0042 / SRR-2026-0007
    Column("year", Integer, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("kind", String(16), nullable=False),  # public | student
    Column("state", String(16), nullable=False),  # open | responded | extended | closed | appealed
    Column("received_at", DateTime(timezone=True), nullable=False),  # as the requester sent it
    Column("channel", String(32), nullable=False),
    Column("student_id", Integer, ForeignKey("student.id", ondelete="SET NULL")),
    Column("received_day", Date, nullable=False),  # the effective day of receipt (day 0)
    Column("respond_by", Date, nullable=False),
    Column("produce_by", Date),
    Column("petition_by", Date),
    Column("extension_days", Integer),  # business days the Supervisor granted
    Column("extended_to", Date),
    Column("calendar", String(64), nullable=False),  # digest of the rules the dates came from
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("opened_by", String(128), nullable=False),
    Column("responded_at", DateTime(timezone=True)),
    Column("closed_at", DateTime(timezone=True)),
    Column("outcome", String(32)),
    Column("fees", Text),  # the fee estimate's inputs (JSON: tasks, hours, pages, rate)
    Column("key_id", String(64), nullable=False),
    Column("sealed", LargeBinary, nullable=False),  # requester, contact, description
    Column("facts", LargeBinary),
    UniqueConstraint("year", "kind", "seq", name="uq_request_year_kind_seq"),
)

# A request's records and what was decided for each, and why (the note is sealed).
request_record = Table(
    "request_record",
    metadata,
    Column(
        "number", String(24), ForeignKey("request.number", ondelete="CASCADE"), primary_key=True
    ),
    Column(
        "record_id",
        String(32),
        ForeignKey("record.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
    Column("added_at", DateTime(timezone=True), nullable=False),
    Column("decision", String(16)),  # release | redact | withhold | not-responsive
    Column("exemptions", String(128)),  # codes, space-separated
    Column("note", LargeBinary),  # sealed: why
    Column("decided_at", DateTime(timezone=True)),
    Column("decided_by", String(128)),
    Column("facts", LargeBinary),
)

# The access log each student's record keeps (603 CMR 23.07(1), 34 CFR 99.32): every display,
# export or disclosure of a record tagged with the student, by whom and what for. Written with
# the audit event of the access (`audit_seq`); the purpose is sealed (it can name people).
student_access = Table(
    "student_access",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("student_id", Integer, ForeignKey("student.id", ondelete="CASCADE"), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("action", String(32), nullable=False),
    Column("record_id", String(32), nullable=False),  # no key: the log outlives the record
    Column("audit_seq", BigInteger, nullable=False),
    Column("purpose", LargeBinary),
    Index("ix_student_access_student", "student_id", "at"),
)

# Redactions (DESIGN.md 9.4): text removed from a record of a request before anything is
# produced, under an exemption. The text is sealed (it is what must not be disclosed); the
# rest is plaintext: which record, which exemption, proposed or accepted, by whom.
redaction = Table(
    "redaction",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("number", String(24), ForeignKey("request.number", ondelete="CASCADE"), nullable=False),
    Column("record_id", String(32), ForeignKey("record.id", ondelete="CASCADE"), nullable=False),
    Column("exemption", String(64), nullable=False),
    Column("occurrence", Integer),  # null: every occurrence
    Column("source", String(16), nullable=False),  # suggested | manual
    Column("state", String(16), nullable=False),  # proposed | accepted | rejected
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(128), nullable=False),
    Column("decided_at", DateTime(timezone=True)),
    Column("decided_by", String(128)),
    Column("sealed", LargeBinary, nullable=False),  # the text removed
    Column("facts", LargeBinary),
    Index("ix_redaction_number_record", "number", "record_id"),
)

# Attachment decisions (DESIGN.md 9.4): an image attachment of a record decided `redact` is
# released as it is or withheld, by decision (withheld when none is recorded). `attachment` is
# the number `archiver show` gives it. Nothing here is content: all plaintext, authenticated.
attachment_decision = Table(
    "attachment_decision",
    metadata,
    Column(
        "number", String(24), ForeignKey("request.number", ondelete="CASCADE"), primary_key=True
    ),
    Column("record_id", String(32), ForeignKey("record.id", ondelete="CASCADE"), primary_key=True),
    Column("attachment", Integer, primary_key=True, autoincrement=False),
    Column("decision", String(16), nullable=False),  # release | withhold
    Column("decided_at", DateTime(timezone=True), nullable=False),
    Column("decided_by", String(128), nullable=False),
    Column("facts", LargeBinary),
)

# Disposition (DESIGN.md 9.6): a batch of records planned for destruction, approved by a
# second person (with the Supervisor of Records' permit number where the schedule requires
# Form RMU-2), then executed. All plaintext: numbers, names of the people acting, dates and
# counts, never content; authenticated like every fact. `certificate` is the signed JSON
# certificate of an executed batch (tombstone facts only, nothing secret), `signature` its
# detached Ed25519 signature by `signing_key`.
disposition_batch = Table(
    "disposition_batch",
    metadata,
    Column("number", String(16), primary_key=True),  # D-2027-003
    Column("year", Integer, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("state", String(16), nullable=False),  # planned|approved|executing|executed|cancelled
    Column("by_day", Date, nullable=False),  # records whose retention passed by this day
    Column("series", String(32)),  # the series asked for (`plan --series`), if one was
    Column("planned_at", DateTime(timezone=True), nullable=False),
    Column("planned_by", String(128), nullable=False),
    Column("approved_at", DateTime(timezone=True)),
    Column("approved_by", String(128)),
    Column("permit", String(64)),  # the Supervisor of Records' permit (RMU-2) number
    Column("started_at", DateTime(timezone=True)),
    Column("executed_at", DateTime(timezone=True)),
    Column("cancelled_at", DateTime(timezone=True)),
    Column("cancelled_by", String(128)),
    Column("cancel_note", LargeBinary),  # sealed: why it was cancelled
    Column("certificate", LargeBinary),
    Column("signature", LargeBinary),
    Column("signing_key", String(64)),
    Column("facts", LargeBinary),
    UniqueConstraint("year", "seq", name="uq_disposition_batch_year_seq"),
)

# The records of a batch: planned, then destroyed or skipped at execution (and why: a hold
# or a request placed since planning, or a retention that changed).
disposition_record = Table(
    "disposition_record",
    metadata,
    Column(
        "batch",
        String(16),
        ForeignKey("disposition_batch.number", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("record_id", String(32), ForeignKey("record.id"), primary_key=True, index=True),
    Column("series", String(32), nullable=False),
    Column("state", String(16), nullable=False),  # planned | destroyed | skipped
    Column("reason", String(16)),  # hold | request | retention (a skipped record)
    Column("detail", String(128)),
    Column("facts", LargeBinary),
)

# What remains of a destroyed record: the facts that prove what it was and when it went.
# The `record` row stays too (status "destroyed", no wrapped key), so its id and hash are
# never reused and a copy arriving again is known.
tombstone = Table(
    "tombstone",
    metadata,
    Column("record_id", String(32), ForeignKey("record.id"), primary_key=True),
    Column("sha256", LargeBinary(32), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("series", String(32), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    Column("archived_at", DateTime(timezone=True), nullable=False),
    Column("batch", String(16), ForeignKey("disposition_batch.number"), nullable=False, index=True),
    Column("destroyed_at", DateTime(timezone=True), nullable=False),
    Column("facts", LargeBinary),
)

# A copy of a destroyed record that a source still held when its batch was executed (the
# source could not be reached, or refused): each poll cycle of that source tries again, and
# the row goes once the copy is gone. The hash and size are the tombstone's.
disposition_copy = Table(
    "disposition_copy",
    metadata,
    Column("source", String(128), primary_key=True),
    Column("sha256", LargeBinary(32), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("batch", String(16), ForeignKey("disposition_batch.number"), nullable=False, index=True),
    Column("reason", String(300)),
    Column("noted_at", DateTime(timezone=True), nullable=False),
)

# The web application's accounts (DESIGN.md section 13). `name` is the sign-in name
# (casefolded: an address for accounts that sign in by OpenID Connect); the password is an
# argon2id hash, the TOTP secret is sealed; `facts` authenticates name, role, state and
# credentials, so a role or password hash edited in the database is refused.
web_user = Table(
    "web_user",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(128), nullable=False, unique=True),
    Column("display_name", String(256), nullable=False),
    Column("role", String(32), nullable=False),
    Column("password_hash", String(256)),
    Column("totp_secret", LargeBinary),
    Column("totp_step", BigInteger),  # the last TOTP time step accepted
    Column("sso", Boolean, nullable=False),
    Column("disabled", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # OpenID Connect: "ISSUER SUBJECT" of the account's first sign-in (its identity, bound)
    Column("sso_subject", String(512)),
    Column("facts", LargeBinary),
)

# Signed-in sessions, by the SHA-256 of their token (the token itself is only in the
# browser's cookie, so a copy of the database signs nobody in).
web_session = Table(
    "web_session",
    metadata,
    Column("token_hash", LargeBinary(32), primary_key=True),
    Column(
        "user_id",
        Integer,
        ForeignKey("web_user.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    Column("last_seen", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True)),
    Column("remote", String(128), nullable=False),
    Column("facts", LargeBinary),
)

# Wrong sign-ins of the last minute, per name tried and remote address: the throttle.
web_login_failure = Table(
    "web_login_failure",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(128), nullable=False),
    Column("remote", String(128), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Index("ix_web_login_failure_name_at", "name", "at"),
    Index("ix_web_login_failure_remote_at", "remote", "at"),
)

# A person's saved searches (the web application's search page): the name and the search's
# query string sealed (they can name students), per account.
saved_search = Table(
    "saved_search",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "user_id",
        Integer,
        ForeignKey("web_user.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("name", LargeBinary, nullable=False),
    Column("query", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
