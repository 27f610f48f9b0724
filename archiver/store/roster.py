"""The roster: sealed students, the sealed staff directory, tags (record, student, source),
tags removed by hand, and the version of the roster and staff."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy import Connection, bindparam, insert, select, update

from archiver.domain import StaffRow, StudentRow, TagRow
from archiver.errors import DatabaseError
from archiver.store.rows import as_bytes, aware, student_row
from archiver.store.tables import record_tag, roster_state, staff, student, tag_override

# What a search page reads, built once (every search runs them).
_TAGS_OF = select(record_tag).where(record_tag.c.record_id.in_(bindparam("ids", expanding=True)))
_STUDENTS = select(student).where(student.c.id.in_(bindparam("ids", expanding=True)))


class RosterRepo:
    """The roster: students, tags, tags removed by hand, its version."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def version(self) -> int:
        version = self._conn.execute(
            select(roster_state.c.version).where(roster_state.c.id == 1)
        ).scalar_one_or_none()
        return int(version or 0)

    def bump_version(self, now: datetime) -> int:
        version = self.version() + 1
        if version == 1:
            self._conn.execute(insert(roster_state).values(id=1, version=1, updated_at=now))
        else:
            self._conn.execute(
                update(roster_state)
                .where(roster_state.c.id == 1)
                .values(version=version, updated_at=now)
            )
        return version

    def students(self) -> list[StudentRow]:
        rows = self._conn.execute(select(student).order_by(student.c.id)).all()
        return [student_row(r) for r in rows]

    def student_by_lookup(self, lookup: bytes) -> StudentRow | None:
        r = self._conn.execute(select(student).where(student.c.lookup == lookup)).first()
        return student_row(r) if r else None

    def add_student(self, row: StudentRow, now: datetime) -> int:
        """Insert a student; its row id (its facts are set afterwards: they name the id)."""
        result = self._conn.execute(
            insert(student).values(
                lookup=row.lookup,
                key_id=row.key_id,
                sealed=row.sealed,
                exit_date=row.exit_date,
                updated_at=now,
            )
        )
        key = result.inserted_primary_key
        if key is None:  # every database here returns the new row's id
            raise DatabaseError("the database did not say which id the new student got")
        return int(key[0])

    def update_student(self, row: StudentRow, now: datetime) -> None:
        self._conn.execute(
            update(student)
            .where(student.c.id == row.id)
            .values(
                lookup=row.lookup,
                key_id=row.key_id,
                sealed=row.sealed,
                exit_date=row.exit_date,
                facts=row.facts,
                updated_at=now,
            )
        )

    def set_student_facts(self, student_id: int, facts: bytes) -> None:
        self._conn.execute(update(student).where(student.c.id == student_id).values(facts=facts))

    def staff(self) -> list[StaffRow]:
        rows = self._conn.execute(select(staff).order_by(staff.c.id)).all()
        return [StaffRow(r.id, bytes(r.lookup), r.key_id, bytes(r.sealed)) for r in rows]

    def staff_by_lookup(self, lookup: bytes) -> StaffRow | None:
        r = self._conn.execute(select(staff).where(staff.c.lookup == lookup)).first()
        return StaffRow(r.id, bytes(r.lookup), r.key_id, bytes(r.sealed)) if r else None

    def put_staff(self, row: StaffRow, now: datetime) -> None:
        """Add a member of staff (`row.id` 0) or write one anew."""
        values = {"lookup": row.lookup, "key_id": row.key_id, "sealed": row.sealed}
        if row.id:
            self._conn.execute(
                update(staff).where(staff.c.id == row.id).values(**values, updated_at=now)
            )
        else:
            self._conn.execute(insert(staff).values(**values, updated_at=now))

    def tag_rows(self, record_ids: list[str]) -> list[TagRow]:
        """Every tag of these records, with its authenticating facts."""
        if not record_ids:
            return []
        rows = self._conn.execute(_TAGS_OF, {"ids": record_ids}).all()
        return [  # by position (the table's columns), as `rows.record_row`
            TagRow(record_id, int(student_id), source, aware(tagged_at), as_bytes(facts))
            for record_id, student_id, source, tagged_at, facts in rows
        ]

    def overrides(self, record_ids: list[str]) -> list[TagRow]:
        """Tags removed by hand (source "removed"; `tagged_at` is when)."""
        if not record_ids:
            return []
        rows = self._conn.execute(
            select(tag_override).where(tag_override.c.record_id.in_(record_ids))
        ).all()
        return [
            TagRow(r.record_id, int(r.student_id), "removed", aware(r.at), as_bytes(r.facts))
            for r in rows
        ]

    def tags(self, record_id: str) -> dict[int, str]:
        """Student row id -> tag source, for one record."""
        rows = self._conn.execute(
            select(record_tag.c.student_id, record_tag.c.source).where(
                record_tag.c.record_id == record_id
            )
        ).all()
        return {int(r[0]): str(r[1]) for r in rows}

    def tags_with_source(self, sources: tuple[str, ...], limit: int) -> list[TagRow]:
        """Tags of these sources, newest first (at most `limit`), with their facts."""
        rows = self._conn.execute(
            select(record_tag)
            .where(record_tag.c.source.in_(sources))
            .order_by(record_tag.c.tagged_at.desc(), record_tag.c.record_id)
            .limit(limit)
        ).all()
        return [
            TagRow(r.record_id, int(r.student_id), r.source, aware(r.tagged_at), as_bytes(r.facts))
            for r in rows
        ]

    def exit_dates(self, ids: list[int]) -> dict[int, date | None]:
        """Student row id -> exit date, for these students (their sealed fields unread)."""
        if not ids:
            return {}
        rows = self._conn.execute(
            select(student.c.id, student.c.exit_date).where(student.c.id.in_(ids))
        ).all()
        return {int(r[0]): r[1] for r in rows}

    def students_by_id(self, ids: list[int]) -> list[StudentRow]:
        if not ids:
            return []
        rows = self._conn.execute(_STUDENTS, {"ids": ids}).all()
        return [student_row(r) for r in rows]

    def insert_tags(self, tags: list[TagRow]) -> None:
        """Tag new records."""
        if tags:
            self._conn.execute(insert(record_tag), [t.__dict__ for t in tags])

    def set_automatic_tags(
        self,
        record_id: str,
        tags: dict[int, str],
        now: datetime,
        seal: Callable[[TagRow], TagRow],
    ) -> None:
        """Replace a record's automatic tags (each authenticated by `seal`); manual tags and
        manual removals are kept."""
        manual = {
            int(r[0])
            for r in self._conn.execute(
                select(record_tag.c.student_id).where(
                    record_tag.c.record_id == record_id, record_tag.c.source == "manual"
                )
            )
        }
        removed = {
            int(r[0])
            for r in self._conn.execute(
                select(tag_override.c.student_id).where(tag_override.c.record_id == record_id)
            )
        }
        self._conn.execute(
            record_tag.delete().where(
                record_tag.c.record_id == record_id, record_tag.c.source != "manual"
            )
        )
        rows = [
            seal(TagRow(record_id, sid, source, now)).__dict__
            for sid, source in tags.items()
            if sid not in manual and sid not in removed
        ]
        if rows:
            self._conn.execute(insert(record_tag), rows)

    def add_manual_tag(self, tag: TagRow) -> None:
        """Tag by hand (source "manual"), replacing any tag or removal of that student."""
        self._conn.execute(
            tag_override.delete().where(
                tag_override.c.record_id == tag.record_id,
                tag_override.c.student_id == tag.student_id,
            )
        )
        self._conn.execute(
            record_tag.delete().where(
                record_tag.c.record_id == tag.record_id, record_tag.c.student_id == tag.student_id
            )
        )
        self._conn.execute(insert(record_tag).values(**tag.__dict__))

    def remove_tag(self, removal: TagRow) -> bool:
        """Remove a tag and keep automatic tagging from restoring it (`removal`: the override
        row, `tagged_at` its time); False if there was no tag."""
        record_id, student_id = removal.record_id, removal.student_id
        gone = self._conn.execute(
            record_tag.delete().where(
                record_tag.c.record_id == record_id, record_tag.c.student_id == student_id
            )
        )
        exists = self._conn.execute(
            select(tag_override.c.at).where(
                tag_override.c.record_id == record_id, tag_override.c.student_id == student_id
            )
        ).first()
        if exists is None:
            self._conn.execute(
                insert(tag_override).values(
                    record_id=record_id,
                    student_id=student_id,
                    at=removal.tagged_at,
                    facts=removal.facts,
                )
            )
        return gone.rowcount > 0

    def unauthenticated_tags(self, limit: int) -> list[TagRow]:
        """Tags, then removals (source "removed"), whose facts are not authenticated yet."""
        out = [
            TagRow(r.record_id, int(r.student_id), r.source, aware(r.tagged_at))
            for r in self._conn.execute(
                select(record_tag).where(record_tag.c.facts.is_(None)).limit(limit)
            )
        ]
        if len(out) < limit:
            out += [
                TagRow(r.record_id, int(r.student_id), "removed", aware(r.at))
                for r in self._conn.execute(
                    select(tag_override)
                    .where(tag_override.c.facts.is_(None))
                    .limit(limit - len(out))
                )
            ]
        return out

    def set_tag_facts(self, rows: list[TagRow]) -> None:
        """Set the facts of tags (and, source "removed", of removals) already stored."""
        for t in rows:
            table = tag_override if t.source == "removed" else record_tag
            self._conn.execute(
                update(table)
                .where(table.c.record_id == t.record_id, table.c.student_id == t.student_id)
                .values(facts=t.facts)
            )
