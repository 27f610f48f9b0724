"""A disposition certificate as people and other programs get it: the signed JSON with its
detached signature, public key and tombstone listing (as files), its summary as text, and its
PDF rendering.

The JSON is the certificate: its signature (Ed25519, by the archive's signing key) is over its
exact bytes, so `openssl pkeyutl -verify` checks it without the archiver. It names the
tombstones by the count and SHA-256 of their listing (one JSON object a line, written beside
it as FILE.tombstones.jsonl), so `sha256sum` and `wc -l` check that without the archiver too.
The PDF is for reading and filing: it lists the batch, who planned and approved it, the
permit, the method, the counts, the series, the records skipped and why, and the tombstones
(the first `PDF_LISTED`), and carries the JSON, its signature, the public key and (up to
`PDF_EMBEDDED` records) the tombstone listing as embedded files.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import IO, Any

from archiver.crypto import signing
from archiver.domain import size_text
from archiver.errors import UsageError
from archiver.records.disposition import Certificate, check_listing
from archiver.render.document import (
    Block,
    Document,
    EmbeddedFile,
    Heading,
    ItemList,
    KeyValueTable,
    Paragraph,
    Preformatted,
)

PDF_LISTED = 2000  # tombstones the PDF lists; the listing has every one
# Tombstones up to which the PDF embeds the listing (about 330 bytes each, held to be
# embedded); a larger batch's listing is written with `--out FILE.json`.
PDF_EMBEDDED = 20_000
LISTING_SUFFIX = ".tombstones.jsonl"
_LINES = 60  # tombstone lines per block of the PDF (a block breaks across pages)
LISTING_NAME = "tombstones.jsonl"  # the listing's name inside the PDF
SIGNATURE_SUFFIX = ".sig"
PUBLIC_SUFFIX = ".pub"


def _day(value: object) -> str:
    return str(value)[:10] if value else "-"


def _who(part: Any) -> str:
    if not isinstance(part, dict) or not part.get("by"):
        return "-"
    return f"{part['by']} on {_day(part.get('at'))}"


def summary_lines(doc: dict[str, Any]) -> list[str]:
    """The certificate's facts as lines of text (`dispose certificate` prints them)."""
    counts = doc.get("counts") or {}
    approved = doc.get("approved") or {}
    lines = [
        f"Certificate of disposition, batch {doc.get('batch')}"
        + (f", {doc['organization']}" if doc.get("organization") else ""),
        f"{'Planned:':<12}{_who(doc.get('planned'))} "
        f"(records eligible by {doc.get('eligible_by')})",
        f"{'Approved:':<12}{_who(approved)}"
        + (f", permit {approved['permit']}" if approved.get("permit") else ", no permit needed"),
        f"{'Executed:':<12}{_day((doc.get('executed') or {}).get('finished_at'))}",
        f"{'Method:':<12}{doc.get('method')}: {doc.get('method_detail')}",
        f"{'Records:':<12}{counts.get('destroyed', 0)} destroyed "
        f"({size_text(int(counts.get('bytes', 0)))}), {counts.get('skipped', 0)} skipped",
    ]
    keys = doc.get("keys_destroyed") or []
    lines.append(f"{'Keys:':<12}" + (", ".join(keys) + " destroyed" if keys else "none destroyed"))
    for s in doc.get("series") or []:
        lines.append(
            f"  {s['code']:<10} {s['records']:>7} records  sent {_day(s['sent']['first'])} to "
            f"{_day(s['sent']['last'])}  ({s.get('citation') or 'no citation'}; "
            f"approval {s['approval']})"
        )
    for k in doc.get("skipped") or []:
        lines.append(f"  skipped {k['id']}: {k['reason']}: {k['detail']}")
    stones = doc.get("tombstones") or {}
    lines.append(
        f"{'Tombstones:':<12}{stones.get('count')}, listing SHA-256 {stones.get('sha256')}"
    )
    key = doc.get("signing_key") or {}
    lines.append(f"{'Signed:':<12}Ed25519 key {key.get('id')} (public key {key.get('public_key')})")
    return lines


def document(cert: Certificate) -> Document:
    """The certificate as a document for the rendering module."""
    doc = cert.document()
    counts = doc.get("counts") or {}
    approved = doc.get("approved") or {}
    rows = (
        ("District", str(doc.get("organization") or "-")),
        ("Batch", str(doc.get("batch"))),
        ("Eligible by", str(doc.get("eligible_by"))),
        ("Planned", _who(doc.get("planned"))),
        ("Approved", _who(approved)),
        ("Permit (RMU-2)", str(approved.get("permit") or "none needed")),
        ("Executed", _day((doc.get("executed") or {}).get("finished_at"))),
        ("Method", f"{doc.get('method')}: {doc.get('method_detail')}"),
        ("Keys destroyed", ", ".join(doc.get("keys_destroyed") or []) or "none"),
        (
            "Destroyed",
            f"{counts.get('destroyed', 0)} records, {size_text(int(counts.get('bytes', 0)))}",
        ),
        ("Skipped", f"{counts.get('skipped', 0)} records"),
    )
    blocks: list[Block] = [KeyValueTable(rows), Heading("Series", 2)]
    for s in doc.get("series") or []:
        blocks.append(
            KeyValueTable(
                (
                    ("Series", f"{s['code']}: {s.get('title') or ''}"),
                    ("Authority", str(s.get("citation") or "-")),
                    ("Approval", str(s["approval"])),
                    ("Records", f"{s['records']} ({size_text(int(s['bytes']))})"),
                    ("Sent", f"{_day(s['sent']['first'])} to {_day(s['sent']['last'])}"),
                    (
                        "Archived",
                        f"{_day(s['archived']['first'])} to {_day(s['archived']['last'])}",
                    ),
                )
            )
        )
    skipped = doc.get("skipped") or []
    blocks.append(Heading("Records skipped", 2))
    if skipped:
        blocks.append(ItemList(tuple(f"{k['id']}: {k['reason']}: {k['detail']}" for k in skipped)))
    else:
        blocks.append(Paragraph("None: every record of the batch was destroyed."))
    count, digest = cert.listed()
    listed = [json.loads(line) for line in islice(cert.listing(), PDF_LISTED)]
    blocks.append(Heading("Tombstones", 2))
    where = (
        f"the embedded {LISTING_NAME}"
        if count <= PDF_EMBEDDED
        else f"the listing `archiver dispose certificate {cert.batch} --out FILE.json` writes "
        f"beside it (FILE{LISTING_SUFFIX})"
    )
    blocks.append(
        Paragraph(
            f"{count} records destroyed: id, series, day sent, day archived, size, and the "
            "SHA-256 of the original bytes."
            + (f" The first {len(listed)} are listed here." if len(listed) < count else "")
            + f" All {count} are in {where}, one a line; the certificate names that listing by "
            f"its SHA-256, {digest}."
        )
    )
    lines = [
        f"{t['id']}  {t['series']:<10} sent {_day(t['sent_at'])}  archived "
        f"{_day(t['archived_at'])}  {t['size']} bytes\n    SHA-256 {t['sha256']}"
        for t in listed
    ]
    for i in range(0, len(lines), _LINES):
        blocks.append(Preformatted("\n".join(lines[i : i + _LINES])))
    key = doc.get("signing_key") or {}
    blocks += [
        Heading("Signature", 2),
        Paragraph(
            "The embedded certificate.json is the certificate; certificate.json.sig is its "
            f"Ed25519 signature by key {key.get('id')}, whose public key is the embedded "
            "signing-key.pub. Check it with: openssl pkeyutl -verify -pubin -inkey "
            "signing-key.pub -rawin -in certificate.json -sigfile certificate.json.sig; "
            f"then sha256sum {LISTING_NAME} gives the listing's SHA-256 the certificate names."
        ),
    ]
    finished = (doc.get("executed") or {}).get("finished_at")
    return Document(
        title=f"Certificate of disposition {doc.get('batch')}",
        blocks=tuple(blocks),
        footer=f"Certificate of disposition {doc.get('batch')}",
        created=datetime.fromisoformat(str(finished)),
    )


def pdf(cert: Certificate) -> bytes:
    """The certificate as a PDF/A-3 with the signed JSON, its signature and the public key
    embedded."""
    from archiver.render.pdf import render_pdf  # WeasyPrint loads only to render

    files: tuple[EmbeddedFile, ...] = (
        EmbeddedFile("certificate.json", cert.data, "application/json", "The certificate"),
        EmbeddedFile(
            "certificate.json.sig",
            cert.signature,
            "application/octet-stream",
            "Ed25519 signature of certificate.json",
            "Supplement",
        ),
        EmbeddedFile(
            "signing-key.pub",
            signing.public_pem(cert.public_key),
            "application/x-pem-file",
            "The public key that made the signature",
            "Supplement",
        ),
    )
    count, _ = cert.listed()
    if count <= PDF_EMBEDDED:
        held = io.BytesIO()
        copy_listing(cert, held)
        listing = held.getvalue()
        files += (
            EmbeddedFile(
                LISTING_NAME,
                listing,
                "application/x-ndjson",
                "The tombstones the certificate names, one JSON object a line",
                "Supplement",
            ),
        )
    return render_pdf(document(cert), attachments=files, pdf_a=True)


def _create(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def copy_listing(cert: Certificate, sink: IO[bytes]) -> None:
    """Stream the certificate's tombstone listing into `sink`, checked against the count and
    SHA-256 the certificate names as it goes (IntegrityError at the end if it differs: what
    was written must then not be handed on)."""
    h, n = hashlib.sha256(), 0
    for line in cert.listing():
        sink.write(line)
        h.update(line)
        n += 1
    check_listing(cert, (n, h.hexdigest()))


def _write_listing(cert: Certificate, path: Path) -> None:
    """The tombstone listing streamed to a new file (removed again if it does not check)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    try:
        with os.fdopen(fd, "wb") as f:
            copy_listing(cert, f)
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def listing_path(out: Path) -> Path:
    """Where `write` puts the tombstone listing of FILE.json: FILE.tombstones.jsonl."""
    return out.with_name(out.stem + LISTING_SUFFIX)


def free_targets(out: Path) -> list[Path]:
    """The files `write` makes for `out`; UsageError for another suffix than .pdf or .json,
    or if one of them exists (checked before a batch is executed, too)."""
    suffix = out.suffix.lower()
    if suffix not in (".pdf", ".json"):
        raise UsageError(f"{out}: a certificate is written as FILE.pdf or FILE.json")
    targets = [out]
    if suffix == ".json":
        targets += [
            Path(str(out) + SIGNATURE_SUFFIX),
            Path(str(out) + PUBLIC_SUFFIX),
            listing_path(out),
        ]
    there = [p for p in targets if os.path.lexists(p)]
    if there:
        raise UsageError(f"{there[0]} exists: a certificate is never written over a file")
    return targets


def write(cert: Certificate, out: Path) -> list[Path]:
    """Write the certificate to `out`: FILE.pdf (the rendering), or FILE.json with its
    signature (FILE.json.sig), public key (FILE.json.pub) and tombstone listing
    (FILE.tombstones.jsonl) beside it; the paths written. UsageError for another suffix or a
    file that exists (nothing is written over); IntegrityError (and nothing left) if the
    listing read is not the one the certificate names."""
    targets = free_targets(out)
    if len(targets) == 1:
        _create(out, pdf(cert))
        return targets
    written: list[Path] = []
    try:
        for path, data in zip(
            targets, (cert.data, cert.signature, signing.public_pem(cert.public_key)), strict=False
        ):
            _create(path, data)
            written.append(path)
        _write_listing(cert, targets[3])
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return targets


def write_zip(cert: Certificate, out: IO[bytes], stem: str) -> list[str]:
    """The files `write` makes of STEM.json, as one zip archive written to `out` (a download):
    STEM.json, STEM.json.sig, STEM.json.pub and STEM.tombstones.jsonl; the names written.
    IntegrityError if the listing read is not the one the certificate names (`out` is then
    unfinished: nothing of it may be handed on)."""
    names = [
        f"{stem}.json",
        f"{stem}.json{SIGNATURE_SUFFIX}",
        f"{stem}.json{PUBLIC_SUFFIX}",
        f"{stem}{LISTING_SUFFIX}",
    ]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in zip(
            names, (cert.data, cert.signature, signing.public_pem(cert.public_key)), strict=False
        ):
            z.writestr(name, data)
        with z.open(names[3], "w") as listing:
            copy_listing(cert, listing)
    return names
