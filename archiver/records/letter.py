"""The written response to a request (G.L. c.66 §10(b) for public records; 603 CMR 23.07 for a
student's records), composed from what the archive knows of the request: plain paragraphs that
`request letter` prints as text and the rendering module turns into a PDF.

A public-records response holds every element the statute lists: receipt confirmed; records
not in the district's custody (and who may hold them); records withheld or redacted, each with
its specific exemption and the reason; records to be produced; the timeframe; the fee
estimate; the right to appeal to the Supervisor of Records and to the Superior Court; the
Records Access Officer's name and contact.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from archiver.errors import UsageError
from archiver.records.exemptions import Exemptions
from archiver.records.fees import FeeEstimate
from archiver.records.requests import PUBLIC, Request, RequestDesk
from archiver.render.document import Block, Document, Heading, Paragraph, Preformatted
from archiver.settings import RequestsSettings

_SHORT = 8  # record ids as `show` takes them


@dataclass(frozen=True)
class Section:
    heading: str | None
    paragraphs: list[str] = field(default_factory=list)
    fixed: bool = False  # laid out in columns (the fee estimate): a fixed-width font


@dataclass(frozen=True)
class Letter:
    """A letter: who it is from and to, its subject line, sections and signature."""

    number: str
    date: date
    letterhead: list[str]
    to: list[str]
    subject: str
    salutation: str
    sections: list[Section]
    closing: list[str]

    def text(self) -> str:
        """The letter as plain text (what `request letter` prints)."""
        out = [*self.letterhead, "", _long(self.date), "", *self.to, "", self.subject, ""]
        out += [self.salutation, ""]
        for s in self.sections:
            if s.heading:
                out += [s.heading, ""]
            for p in s.paragraphs:
                out += [p, ""]
        out += self.closing
        return "\n".join(out).rstrip() + "\n"

    def document(self, created: datetime) -> Document:
        """The letter for the rendering module (`render_pdf`): the same words as `text`."""
        blocks: list[Block] = [
            Paragraph("\n".join(self.letterhead)),
            Paragraph(_long(self.date)),
            Paragraph("\n".join(self.to)),
            Heading(self.subject),
            Paragraph(self.salutation),
        ]
        for s in self.sections:
            if s.heading:
                blocks.append(Heading(s.heading, 2))
            blocks += [Preformatted(p) if s.fixed else Paragraph(p) for p in s.paragraphs]
        blocks.append(Paragraph("\n".join(self.closing)))
        return Document(
            title=self.subject,
            blocks=tuple(blocks),
            footer=f"{self.number}, written response of {_long(self.date)}",
            created=created,
        )


def _long(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def _ids(ids: list[str]) -> str:
    return ", ".join(i[:_SHORT] for i in ids)


def _count(n: int, what: str) -> str:
    return f"{n} {what}" + ("" if n == 1 else "s")


def officer(settings: RequestsSettings) -> tuple[str, str, str, str]:
    """The signature's name, title, district and contact; UsageError naming the settings a
    letter needs when they are not set."""
    missing = [
        f"[requests] {key}"
        for key in ("officer_name", "officer_contact", "district_name")
        if not getattr(settings, key).strip()
    ]
    if missing:
        raise UsageError(
            f"a written response names the Records Access Officer and how to reach them: set "
            f"{', '.join(missing)} in the config"
        )
    return (
        settings.officer_name.strip(),
        settings.officer_title.strip(),
        settings.district_name.strip(),
        settings.officer_contact.strip(),
    )


def compose(
    request: Request,
    exemptions: Exemptions,
    fee: FeeEstimate | None,
    settings: RequestsSettings,
    today: date,
    received_on: date,
    student_name: str | None = None,
    not_held: str | None = None,
    agency: str | None = None,
) -> Letter:
    """The written response to `request` as it stands today. `received_on` is the district's
    day it arrived; `not_held` describes what was asked for that the district does not hold,
    `agency` who may hold it."""
    name, title, district, contact = officer(settings)
    row = request.row
    to = [request.requester] + [line for line in request.contact.splitlines() if line.strip()]
    signature = ["Sincerely,", "", name, f"{title}, {district}", *contact.splitlines()]
    if row.kind == PUBLIC:
        sections = _public(request, exemptions, fee, settings, received_on, not_held, agency)
        subject = f"Re: Public records request {row.number}"
    else:
        sections = _student(request, exemptions, received_on, student_name)
        subject = f"Re: Request {row.number} for a student's records"
    return Letter(
        number=row.number,
        date=today,
        letterhead=[district, title],
        to=to,
        subject=subject,
        salutation=f"Dear {request.requester}:",
        sections=sections,
        closing=signature,
    )


def _decided(request: Request, decision: str) -> list[str]:
    return [d.record_id for d in request.records if d.decision == decision]


def _withheld(request: Request, exemptions: Exemptions) -> list[str]:
    """One paragraph per exemption: the records withheld or redacted under it, and why."""
    by_code: dict[tuple[str, str], list[str]] = defaultdict(list)
    for d in request.records:
        if d.decision in ("withhold", "redact"):
            for code in d.exemptions:
                by_code[code, d.decision].append(d.record_id)
    out = []
    for (code, decision), ids in sorted(by_code.items()):
        key, _, statute = code.partition(":")
        exemption = exemptions.get(key)
        what = "withheld in full" if decision == "withhold" else "released with parts redacted"
        out.append(
            f"{_count(len(ids), 'record')} {what} under {exemption.citation} "
            f"({exemption.title}): {_ids(ids)}. " + exemption.explain([statute] if statute else [])
        )
    return out


def _public(
    request: Request,
    exemptions: Exemptions,
    fee: FeeEstimate | None,
    settings: RequestsSettings,
    received_on: date,
    not_held: str | None,
    agency: str | None,
) -> list[Section]:
    row = request.row
    receipt = (
        f"The district received your request on {_long(received_on)}"
        + (
            f"; under G.L. c.66 §10 it counts as received on {_long(row.received_day)}"
            if row.received_day != received_on
            else ""
        )
        + "."
    )
    if request.description:
        receipt += f' You asked for: "{request.description}".'
    if not_held:
        custody = (
            "The district does not have in its possession, custody or control records "
            f"responsive to this part of your request: {not_held}."
        )
        if agency:
            custody += f" They may be held by {agency}."
    else:
        custody = "The district has found no part of your request for records it does not hold."
    withheld = _withheld(request, exemptions) or [
        "No record responsive to your request is withheld, in whole or in part."
    ]
    released, redacted = _decided(request, "release"), _decided(request, "redact")
    pending = [d.record_id for d in request.records if d.decision is None]
    outside = _decided(request, "not-responsive")
    produced = [
        f"The district will produce {_count(len(released) + len(redacted), 'record')}: "
        f"{_count(len(released), 'record')} in full"
        + (f" ({_ids(released)})" if released else "")
        + f" and {_count(len(redacted), 'record')} with parts redacted as set out above."
    ]
    if pending:
        produced.append(f"{_count(len(pending), 'further record')} are still being reviewed.")
    if outside:
        produced.append(
            f"{_count(len(outside), 'record')} found in the search turned out not to be "
            "responsive to your request and are not included."
        )
    due = row.extended_to or row.produce_by
    timeframe = (
        f"The records will be provided by {_long(due)}"
        + (
            ", as extended by the Supervisor of Records under G.L. c.66 §10(c)."
            if row.extended_to
            else f", within {settings.production_days} business days of receipt (G.L. c.66 §10(b))."
        )
        if due
        else "The records will be provided with this letter."
    )
    fees = (
        fee.render()
        if fee is not None
        else "There is no fee for this request (G.L. c.66 §10(d); 950 CMR 32.07)."
    )
    appeal = (
        "If you are not satisfied with this response, you may appeal to the Supervisor of "
        "Records of the Secretary of the Commonwealth (G.L. c.66 §10A(a); 950 CMR 32.08) "
        f"within {settings.appeal_window_days} days, and you may also seek relief in the "
        "Superior Court (G.L. c.66 §10A(c))."
    )
    return [
        Section("1. Receipt of your request", [receipt]),
        Section("2. Records the district does not hold", [custody]),
        Section("3. Records withheld or redacted", withheld),
        Section("4. Records to be produced", produced),
        Section("5. Timeframe", [timeframe]),
        Section("6. Fees", [fees], fixed=fee is not None),
        Section("7. Your right to appeal", [appeal]),
    ]


def _student(
    request: Request, exemptions: Exemptions, received_on: date, student_name: str | None
) -> list[Section]:
    row = request.row
    whose = student_name or request.student or "the student"
    shown = _decided(request, "release") + _decided(request, "redact")
    records = (
        f"{_count(len(shown), 'record')} of the student record of {whose} "
        f"({_ids(shown)}) will be available to you by {_long(row.respond_by)}, within 10 days "
        "of your request (603 CMR 23.07(2))."
        if shown
        else f"No records of {whose} responsive to your request are held by the district."
    )
    others = (
        "Information about other students has been removed from these records, as FERPA "
        "(20 U.S.C. 1232g; 34 CFR Part 99) and 603 CMR 23.00 require; your child's own "
        "information has not."
        if _decided(request, "redact")
        else ""
    )
    withheld = _withheld(request, exemptions)
    rights = (
        "You may ask the district to amend information in the student record you believe is "
        "inaccurate or misleading (603 CMR 23.09; 34 CFR 99.20), and you may file a complaint "
        "with the U.S. Department of Education's Student Privacy Policy Office (34 CFR 99.63)."
    )
    return [
        Section(
            "1. Receipt of your request",
            [
                f"The district received your request to see the student record of {whose} on "
                f"{_long(received_on)}."
            ],
        ),
        Section("2. The records", [p for p in (records, others) if p]),
        *([Section("3. Records withheld", withheld)] if withheld else []),
        Section("Your rights", [rights]),
    ]


def written_response(
    desk: RequestDesk,
    today: date,
    number: str,
    sent: bool = False,
    not_held: str | None = None,
    agency: str | None = None,
) -> Letter:
    """The written response to request `number` as it stands `today` (`request letter`);
    with `sent`, recorded as given now (once). Refused, before anything is recorded, when the
    officer's settings the letter names are not set. Audited."""
    officer(desk.settings)
    view, student, received_on = desk.for_letter(number, sent)
    return compose(
        view,
        desk.exemptions,
        desk.fee_estimate(view),
        desk.settings,
        today,
        received_on,
        student,
        not_held,
        agency,
    )
