"""A disposition certificate as people and other programs get it: the signed JSON with its
detached signature and public key (as files), its summary as text, and its PDF rendering.

The JSON is the certificate: its signature (Ed25519, by the archive's signing key) is over its
exact bytes, so `openssl pkeyutl -verify` checks it without the archiver. The PDF is for
reading and filing: it lists the batch, who planned and approved it, the permit, the method,
the counts, the series, the records skipped and why, and the tombstones (the first
`PDF_LISTED`; a larger batch's are all in the JSON), and carries the JSON, its signature and
the public key as embedded files.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

from archiver.crypto import signing
from archiver.errors import UsageError
from archiver.records.disposition import Certificate
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

PDF_LISTED = 2000  # tombstones the PDF lists; the embedded JSON has every one
_LINES = 60  # tombstone lines per block of the PDF (a block breaks across pages)
SIGNATURE_SUFFIX = ".sig"
PUBLIC_SUFFIX = ".pub"


def _day(value: object) -> str:
    return str(value)[:10] if value else "-"


def _bytes(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    value = float(n)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if value < 1024 or unit == "TB":
            break
    return f"{value:.1f} {unit}"


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
        f"({_bytes(int(counts.get('bytes', 0)))}), {counts.get('skipped', 0)} skipped",
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
            f"{counts.get('destroyed', 0)} records, {_bytes(int(counts.get('bytes', 0)))}",
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
                    ("Records", f"{s['records']} ({_bytes(int(s['bytes']))})"),
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
    stones = doc.get("tombstones") or []
    blocks.append(Heading("Tombstones", 2))
    listed = stones[:PDF_LISTED]
    blocks.append(
        Paragraph(
            f"{len(stones)} records destroyed: id, series, day sent, day archived, size, and the "
            "SHA-256 of the original bytes."
            + (
                f" The first {len(listed)} are listed; all {len(stones)} are in the embedded "
                "certificate.json."
                if len(listed) < len(stones)
                else ""
            )
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
            "signing-key.pub -rawin -in certificate.json -sigfile certificate.json.sig"
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

    files = (
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
    return render_pdf(document(cert), attachments=files, pdf_a=True)


def _create(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def write(cert: Certificate, out: Path) -> list[Path]:
    """Write the certificate to `out`: FILE.pdf (the rendering), or FILE.json with its
    signature (FILE.json.sig) and public key (FILE.json.pub) beside it; the paths written.
    UsageError for another suffix or a file that exists (nothing is written over)."""
    suffix = out.suffix.lower()
    if suffix not in (".pdf", ".json"):
        raise UsageError(f"{out}: a certificate is written as FILE.pdf or FILE.json")
    targets = [out]
    if suffix == ".json":
        targets += [Path(str(out) + SIGNATURE_SUFFIX), Path(str(out) + PUBLIC_SUFFIX)]
    there = [p for p in targets if os.path.lexists(p)]
    if there:
        raise UsageError(f"{there[0]} exists: a certificate is never written over a file")
    if suffix == ".pdf":
        _create(out, pdf(cert))
        return targets
    _create(targets[0], cert.data)
    _create(targets[1], cert.signature)
    _create(targets[2], signing.public_pem(cert.public_key))
    return targets
