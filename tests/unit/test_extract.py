"""Attachment text extraction in a sandboxed child: real files, hostile files, the child's life.

Every file is made here: DOCX with python-docx, PDF by hand (a content stream with
`BT /F1 12 Tf (text) Tj ET`), bombs by repeating a deflate block that ends in a full flush
(each repetition then inflates to the same bytes), so a gigabyte costs a fraction of a second.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import struct
import subprocess
import sys
import textwrap
import threading
import time
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import docx
import pytest
from docx.enum.section import WD_SECTION
from pypdf import PdfReader, PdfWriter

from archiver.understand import extract
from archiver.understand.extract import Extraction, Extractor, supported

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MB = 1024 * 1024


# ---------------------------------------------------------------------------------------------
# Files


def make_pdf(*contents: bytes | tuple[bytes, bytes]) -> bytes:
    """A PDF with one page per content stream: raw bytes, or (encoded stream, extra entries
    for its dictionary, e.g. b"/Filter /FlateDecode")."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets: dict[int, int] = {}

    def obj(num: int, body: bytes) -> None:
        offsets[num] = out.tell()
        out.write(b"%d 0 obj\n%s\nendobj\n" % (num, body))

    kids = b" ".join(b"%d 0 R" % (4 + 2 * i) for i in range(len(contents)))
    obj(1, b"<< /Type /Catalog /Pages 2 0 R >>")
    obj(2, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(contents)))
    obj(3, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for i, content in enumerate(contents):
        stream, extra = content if isinstance(content, tuple) else (content, b"")
        page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        page += b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (5 + 2 * i)
        obj(4 + 2 * i, page)
        obj(5 + 2 * i, b"<< /Length %d %s >>\nstream\n%s\nendstream" % (len(stream), extra, stream))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1))
    for num in sorted(offsets):
        out.write(b"%010d 00000 n \n" % offsets[num])
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(offsets) + 1))
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def text_page(*lines: str) -> bytes:
    shown = b" ".join(b"(%s) Tj 0 -14 Td" % line.encode("latin-1") for line in lines)
    return b"BT /F1 12 Tf 72 720 Td " + shown + b" ET"


def repeated_deflate(chunk: bytes, times: int, wbits: int) -> bytes:
    """`chunk` * `times`, deflated in about len(deflate(chunk)) * times bytes and no time."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    first = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    return first + again * (times - 1) + compressor.flush()


def make_docx() -> bytes:
    document = docx.Document()
    section = document.sections[0]
    section.header.paragraphs[0].text = "Header of the district"
    section.footer.paragraphs[0].text = "Footer page marker"
    first = document.add_paragraph("Alpha   paragraph\twith  spaces")
    table = document.add_table(rows=2, cols=2)
    for r, row in enumerate(("Bravo", "Charlie"), 1):
        table.cell(r - 1, 0).text = f"{row} cell one"
        table.cell(r - 1, 1).text = f"{row} cell two"
    document.add_paragraph("Delta after the table")
    document.add_comment(first.runs, text="Echo reviewer remark", author="Teacher")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_zip(entries: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip from already deflated members: (name, raw deflate data, CRC-32, size declared)."""
    out = io.BytesIO()
    central = []
    for name, deflated, crc, size in entries:
        offset = out.tell()
        raw = name.encode()
        fields = (20, 0, 8, 0, 0x21, crc, len(deflated), size, len(raw), 0)
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields) + raw + deflated)
        central.append(
            struct.pack("<IH", 0x02014B50, 20)
            + struct.pack("<HHHHHIIIHHHHHII", *fields, 0, 0, 0, 0, offset)
            + raw
        )
    directory = b"".join(central)
    start = out.tell()
    end = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(directory), start, 0
    )
    return out.getvalue() + directory + end


def docx_with_document_xml(deflated: bytes, crc: int, size: int) -> bytes:
    """A real DOCX whose word/document.xml is replaced by the given member."""
    entries = []
    with zipfile.ZipFile(io.BytesIO(make_docx())) as archive:
        for info in archive.infolist():
            if info.filename == "word/document.xml":
                entries.append((info.filename, deflated, crc, size))
                continue
            data = archive.read(info)
            packed = zlib.compressobj(6, zlib.DEFLATED, -15)
            body = packed.compress(data) + packed.flush()
            entries.append((info.filename, body, zlib.crc32(data), len(data)))
    return make_zip(entries)


@pytest.fixture(scope="module")
def zeros_gb() -> tuple[bytes, int]:
    """1 GiB of zeros as raw deflate (about 1 MB), and its CRC-32."""
    chunk = bytes(MB)
    crc = 0
    for _ in range(1024):
        crc = zlib.crc32(chunk, crc)
    return repeated_deflate(chunk, 1024, -15), crc


# ---------------------------------------------------------------------------------------------
# Helpers


@pytest.fixture(scope="module")
def shared() -> Iterator[Extractor]:
    """One extractor for the well-behaved cases (its child is reused across them)."""
    with Extractor(timeout=10) as extractor:
        yield extractor


def rss() -> int:
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie no longer does, whoever is to reap it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def wait_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.02)
    return not alive(pid)


def check_quiet(result: Extraction, *words: str) -> None:
    """Failures carry a reason, no text, and never the document's words."""
    assert result.text == ""
    assert result.error
    for word in words:
        assert word.lower() not in result.error.lower()


def fine(extractor: Extractor) -> None:
    """The extractor still works."""
    result = extractor.extract(make_pdf(text_page("still working")), PDF, "a.pdf")
    assert result == Extraction("ok", "still working", None)


# ---------------------------------------------------------------------------------------------
# What is supported


def test_supported_by_type_or_by_name_when_the_type_is_generic() -> None:
    assert supported("application/pdf", "scan")
    assert supported("Application/PDF; name=x.pdf", "")
    assert supported(DOCX, "letter")
    assert supported("application/octet-stream", "Report.PDF")
    assert supported("application/octet-stream", "minutes.docx")
    assert supported("", "minutes.docx")
    assert not supported("application/octet-stream", "minutes.doc")
    assert not supported("image/png", "looks-like.pdf")
    assert not supported("text/plain", "notes.txt")


def test_unsupported_and_oversized_attachments_start_no_child() -> None:
    with Extractor(max_input_mb=1) as extractor:
        assert extractor.extract(b"hello", "text/plain", "a.txt") == Extraction(
            "unsupported", "", None
        )
        big = extractor.extract(b"%PDF-" + bytes(MB), PDF, "big.pdf")
        assert big.status == "too_large" and big.text == "" and big.error
        assert extractor.pid is None


def test_the_parent_never_imports_the_parsers() -> None:
    code = (
        "import sys, archiver.understand.extract; "
        "print(sorted({'pypdfium2', 'pypdf', 'docx', 'lxml'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------------------------------------
# Real documents


def test_pdf_pages_in_order(shared: Extractor) -> None:
    data = make_pdf(text_page("First page", "opening words"), text_page("Second  page closing"))
    result = shared.extract(data, PDF, "two.pdf")
    assert result == Extraction("ok", "First page\nopening words\nSecond page closing", None)


def test_pdf_with_a_pypdf_written_file(shared: Extractor) -> None:
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(make_pdf(text_page("Made by pypdf")))))
    out = io.BytesIO()
    writer.write(out)
    assert shared.extract(out.getvalue(), "application/octet-stream", "x.pdf").text == (
        "Made by pypdf"
    )


def test_pdf_text_kerned_or_off_the_visible_page_is_read(shared: Extractor) -> None:
    kerned = b"[(Budget for Q) 40 (4) -30 (, 20) 60 (26)] TJ"
    data = make_pdf(b"BT /F1 12 Tf 72 720 Td " + kerned + b" 0 -1000 Td (Below the edge) Tj ET")
    result = shared.extract(data, PDF, "kerned.pdf")
    assert result == Extraction("ok", "Budget for Q4, 2026\nBelow the edge", None)


def test_pdf_with_a_broken_page_keeps_the_others(shared: Extractor) -> None:
    pages = make_pdf(text_page("Alpha page"), text_page("Bravo page"), text_page("Charlie page"))
    broken = pages.replace(b"6 0 obj\n<< /Type /Page", b"6 0 obj\n42 %% /Type /Page")  # Bravo's
    result = shared.extract(broken, PDF, "three.pdf")
    assert result == Extraction(
        "ok", "Alpha page\nCharlie page", "1 of 3 pages unreadable (PDFium could not read it)"
    )


def encrypted(user_password: str) -> bytes:
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(make_pdf(text_page("Secret budget figures")))))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_encrypted_pdf_fails_without_its_text(shared: Extractor) -> None:
    result = shared.extract(encrypted("letmein"), PDF, "locked.pdf")
    assert result.status == "failed"
    check_quiet(result, "budget")
    assert result.error == "encrypted"


def test_pdf_encrypted_with_an_empty_password_is_read(shared: Extractor) -> None:
    assert shared.extract(encrypted(""), PDF, "restricted.pdf").text == "Secret budget figures"


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\nthis is not really a pdf at all",
        make_pdf(text_page("Cut short in the middle"))[:150],
        b"",
        bytes(range(256)) * 64,
    ],
    ids=["garbage", "truncated", "empty", "binary"],
)
def test_broken_pdf_fails(shared: Extractor, data: bytes) -> None:
    result = shared.extract(data, PDF, "broken.pdf")
    assert result.status == "failed"
    check_quiet(result, "middle")
    fine(shared)


def test_docx_body_tables_headers_footers_and_comments_in_order(shared: Extractor) -> None:
    result = shared.extract(make_docx(), DOCX, "letter.docx")
    assert result == Extraction(
        "ok",
        "\n".join(
            [
                "Header of the district",
                "Alpha paragraph with spaces",
                "Bravo cell one",
                "Bravo cell two",
                "Charlie cell one",
                "Charlie cell two",
                "Delta after the table",
                "Footer page marker",
                "Echo reviewer remark",
            ]
        ),
        None,
    )


def test_docx_headers_and_footers_of_every_section_each_once(shared: Extractor) -> None:
    document = docx.Document()
    first = document.sections[0]
    first.different_first_page_header_footer = True
    first.first_page_header.paragraphs[0].text = "Kilo cover header"
    first.header.paragraphs[0].text = "Lima running header"
    document.add_paragraph("Mike in section one")
    document.add_section(WD_SECTION.NEW_PAGE)  # its header: the one before, linked
    document.add_paragraph("November in section two")
    third = document.add_section(WD_SECTION.NEW_PAGE)
    third.header.is_linked_to_previous = False
    third.header.paragraphs[0].text = "Oscar header of section three"
    third.footer.is_linked_to_previous = False
    third.footer.paragraphs[0].text = "Papa footer of section three"
    document.add_paragraph("Quebec in section three")
    out = io.BytesIO()
    document.save(out)
    result = shared.extract(out.getvalue(), DOCX, "sections.docx")
    assert result == Extraction(
        "ok",
        "\n".join(
            [
                "Kilo cover header",
                "Lima running header",
                "Oscar header of section three",
                "Mike in section one",
                "November in section two",
                "Quebec in section three",
                "Papa footer of section three",
            ]
        ),
        None,
    )


@pytest.mark.parametrize(
    "data",
    [b"plain text, no zip", b"PK\x03\x04 a broken zip", make_pdf(text_page("a pdf"))],
    ids=["text", "broken-zip", "pdf"],
)
def test_docx_that_is_not_a_zip_fails(shared: Extractor, data: bytes) -> None:
    result = shared.extract(data, "application/octet-stream", "letter.docx")
    assert result == Extraction("failed", "", "not a zip file")


def test_zip_that_is_not_a_word_document_fails(shared: Extractor) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("notes.txt", "Foxtrot private notes")
    result = shared.extract(out.getvalue(), DOCX, "letter.docx")
    assert result == Extraction("failed", "", "not a Word document")


def test_text_is_capped() -> None:
    pages = [text_page(*(f"line {p}.{i} of the long report" for i in range(20))) for p in range(5)]
    with Extractor(max_chars=100) as extractor:
        result = extractor.extract(make_pdf(*pages), PDF, "long.pdf")
    assert result.status == "truncated"
    assert len(result.text) == 100
    assert result.text.startswith("line 0.0 of the long report\nline 0.1")


# ---------------------------------------------------------------------------------------------
# Hostile documents


# The time bounds below are far above what these take (milliseconds to a second; the slow
# ones wait out a timeout of 1-2 s on purpose) and below the extractor's own timeout where
# that would say the same: they catch a document that is read rather than refused. Each
# test also has a bound on the whole test, so nothing here can hang.


@pytest.mark.timeout(60)
def test_docx_zip_bomb_is_refused_quickly(shared: Extractor, zeros_gb: tuple[bytes, int]) -> None:
    deflated, crc = zeros_gb
    bomb = docx_with_document_xml(deflated, crc, 1024 * MB)
    assert len(bomb) < 2 * MB
    before = rss()
    started = time.monotonic()
    result = shared.extract(bomb, DOCX, "bomb.docx")
    assert time.monotonic() - started < 5  # refused by its declared size, not inflated
    assert result.status == "too_large"
    check_quiet(result)
    assert rss() - before < 50 * MB
    fine(shared)


@pytest.mark.timeout(60)
def test_docx_zip_bomb_with_lying_sizes_fails(
    shared: Extractor, zeros_gb: tuple[bytes, int]
) -> None:
    deflated, crc = zeros_gb
    fine(shared)
    pid = shared.pid
    started = time.monotonic()
    result = shared.extract(docx_with_document_xml(deflated, crc, 4096), DOCX, "liar.docx")
    assert time.monotonic() - started < 5
    # zipfile stops at the declared size, in small steps, then the CRC fails
    assert result == Extraction("failed", "", "damaged zip member")
    assert shared.pid == pid  # no memory trouble: the same child goes on
    fine(shared)


@pytest.mark.timeout(60)
def test_docx_member_inflating_past_its_declared_size_is_cut_there(
    shared: Extractor, zeros_gb: tuple[bytes, int]
) -> None:
    with zipfile.ZipFile(io.BytesIO(make_docx())) as archive:
        xml = archive.read("word/document.xml")
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = compressor.compress(xml) + compressor.flush(zlib.Z_FULL_FLUSH)
    # The real document.xml, then a gigabyte of zeros in the same deflate stream.
    member = head + zeros_gb[0]
    started = time.monotonic()
    result = shared.extract(docx_with_document_xml(member, zlib.crc32(xml), len(xml)), DOCX, "x")
    assert time.monotonic() - started < 5
    assert result.status == "ok"
    assert "Delta after the table" in result.text


@pytest.mark.timeout(60)
def test_docx_billion_laughs_is_not_expanded(shared: Extractor) -> None:
    entities = "".join(
        f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' if i else '<!ENTITY l0 "lol">' for i in range(10)
    )
    xml = (
        f'<?xml version="1.0"?><!DOCTYPE w:document [{entities}]>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>Golf &l9;</w:t></w:r></w:p></w:body></w:document>"
    ).encode()
    packed = zlib.compressobj(6, zlib.DEFLATED, -15)
    member = packed.compress(xml) + packed.flush()
    started = time.monotonic()
    result = shared.extract(docx_with_document_xml(member, zlib.crc32(xml), len(xml)), DOCX, "x")
    assert time.monotonic() - started < 5
    assert result == Extraction("failed", "", "XML with a document type declaration")


@pytest.mark.timeout(60)
def test_pdf_decompression_bomb_fails_within_the_timeout() -> None:
    gigabyte = repeated_deflate(b" " * MB, 1024, 15)  # 1 GiB of spaces as a content stream
    data = make_pdf((gigabyte, b"/Filter /FlateDecode"))
    with Extractor(timeout=5) as extractor:
        before = rss()
        started = time.monotonic()
        result = extractor.extract(data, PDF, "bomb.pdf")
        assert time.monotonic() - started < 5
        assert result.status == "failed"
        check_quiet(result)
        assert rss() - before < 50 * MB
        # ... and the pages read before the bomb keep their text. PDFium aborts the process
        # on it, so the pages after it are not read.
        bomb = (gigabyte, b"/Filter /FlateDecode")
        three = make_pdf(text_page("Hotel lobby"), bomb, text_page("India after"))
        partial = extractor.extract(three, PDF, "bomb.pdf")
        assert partial == Extraction(
            "ok",
            "Hotel lobby",
            "2 of 3 pages unreadable (extractor aborted, as PDFium does when out of memory)",
        )
        fine(extractor)


def slow_pdf() -> bytes:
    """10 KB that take PDFium minutes (and pypdf about one): 500,000 show-text operators on
    one page (time grows with their square)."""
    chunk = b"BT /F1 12 Tf " + b"(word) Tj " * 100_000 + b"ET\n"
    return make_pdf((repeated_deflate(chunk, 5, 15), b"/Filter /FlateDecode"))


@pytest.mark.timeout(60)
def test_slow_pdf_times_out_and_the_next_call_gets_a_new_child() -> None:
    with Extractor(timeout=1) as extractor:
        fine(extractor)
        first = extractor.pid
        assert first is not None
        started = time.monotonic()
        result = extractor.extract(slow_pdf(), PDF, "slow.pdf")
        elapsed = time.monotonic() - started
        assert result == Extraction("timeout", "", "no answer within 1 s")
        assert 0.9 < elapsed < 5  # it waited its second, then did not wait much longer
        assert extractor.pid is None
        assert wait_gone(first, 1)  # killed and reaped
        fine(extractor)
        assert extractor.pid not in (None, first)


@pytest.mark.timeout(60)
def test_stalled_child_times_out_even_while_reading_a_large_input() -> None:
    with Extractor(timeout=1) as extractor:
        fine(extractor)
        first = extractor.pid
        assert first is not None
        os.kill(first, signal.SIGSTOP)  # it reads nothing: the parent's writes must not block
        started = time.monotonic()
        result = extractor.extract(b"%PDF-1.4\n" + bytes(8 * MB), PDF, "big.pdf")
        assert result.status == "timeout"
        assert time.monotonic() - started < 5
        assert wait_gone(first, 1)
        fine(extractor)


@pytest.mark.timeout(60)
def test_memory_exhaustion_fails_and_the_next_call_gets_a_new_child() -> None:
    # One 45 MB string: PDFium needs more than 128 MB for it, and aborts.
    stream = b"BT /F1 12 Tf (" + b"a" * (45 * MB) + b") Tj ET"
    data = make_pdf((zlib.compress(stream, 9), b"/Filter /FlateDecode"))
    del stream
    with Extractor(memory_mb=128, timeout=10) as extractor:
        fine(extractor)
        first = extractor.pid
        result = extractor.extract(data, PDF, "hungry.pdf")
        assert result == Extraction(
            "failed", "", "extractor aborted, as PDFium does when out of memory"
        )
        assert extractor.pid is None
        fine(extractor)
        assert extractor.pid != first


# ---------------------------------------------------------------------------------------------
# The child's life


def test_the_child_is_reused() -> None:
    with Extractor() as extractor:
        assert extractor.pid is None  # started on first use
        fine(extractor)
        pid = extractor.pid
        assert extractor.extract(make_docx(), DOCX, "a.docx").status == "ok"
        fine(extractor)
        assert extractor.pid == pid
    assert extractor.pid is None
    assert pid is not None and wait_gone(pid, 2)


def test_the_child_is_limited() -> None:
    with Extractor(memory_mb=300) as extractor:
        fine(extractor)
        pid = extractor.pid
        assert pid is not None
        limits = Path(f"/proc/{pid}/limits").read_text()
        status = Path(f"/proc/{pid}/status").read_text()
        assert os.getpgid(pid) == pid != os.getpgid(0)  # terminal signals are not for it
        with contextlib.suppress(PermissionError):  # only root may look into it (not dumpable)
            cwd = os.readlink(f"/proc/{pid}/cwd")
            assert "archiver-extract-" in cwd and cwd.endswith(" (deleted)")
    rows = {line[:26].strip(): line[26:].split()[:2] for line in limits.splitlines()[1:]}
    assert rows["Max address space"] == [str(300 * MB)] * 2
    assert rows["Max file size"] == ["0", "0"]
    assert rows["Max core file size"] == ["0", "0"]
    assert rows["Max open files"] == ["32", "32"]
    assert rows["Max cpu time"][1] == "600"
    assert "\nNoNewPrivs:\t1\n" in status  # prctl(PR_SET_NO_NEW_PRIVS) took: no setuid gains


def test_a_child_that_died_while_idle_is_replaced_silently() -> None:
    with Extractor() as extractor:
        fine(extractor)
        pid = extractor.pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        assert wait_gone(pid, 2)
        fine(extractor)
        assert extractor.pid != pid


@pytest.mark.timeout(60)
def test_a_child_killed_mid_request_gives_failed_with_the_reason() -> None:
    with Extractor(timeout=10) as extractor:
        fine(extractor)
        pid = extractor.pid
        assert pid is not None
        threading.Timer(0.3, os.kill, (pid, signal.SIGKILL)).start()
        result = extractor.extract(slow_pdf(), PDF, "slow.pdf")
        assert result == Extraction("failed", "", "extractor was killed by SIGKILL")
        fine(extractor)


@pytest.mark.timeout(60)
def test_the_child_dies_with_its_parent(tmp_path: Path) -> None:
    sample = tmp_path / "sample.pdf"
    sample.write_bytes(make_pdf(text_page("parent death")))
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        from archiver.understand.extract import Extractor
        extractor = Extractor()
        result = extractor.extract(open({str(sample)!r}, "rb").read(), "application/pdf", "a.pdf")
        print(extractor.pid, result.status, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == -signal.SIGKILL
    pid, status = done.stdout.split()
    assert status == "ok"
    assert wait_gone(int(pid), 5)


@pytest.mark.timeout(60)
def test_an_extractor_inherited_across_a_fork_starts_its_own_child(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A child whose input stays open is killed after a grace period: made long here, so that
    # "at once" below can be a generous bound and still tell the two apart.
    monkeypatch.setattr(extract, "_CLOSE_GRACE", 30.0)
    extractor = Extractor()
    fine(extractor)
    ours = extractor.pid
    results, results_w = os.pipe()
    release, release_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the forked copy reports through a pipe
        code = 1
        try:
            os.close(results)
            os.read(release, 1)  # wait until the parent has closed its extractor
            result = extractor.extract(make_pdf(text_page("in the fork")), PDF, "a.pdf")
            os.write(results_w, f"{result.text}|{extractor.pid}".encode())
            extractor.close()
            code = 0
        finally:
            os._exit(code)
    os.close(results_w)
    try:
        fine(extractor)  # ours still serves us
        assert extractor.pid == ours
        # The fork holds no copy of our child's input, so closing it ends the child at once
        # (rather than after a grace period and a kill).
        started = time.monotonic()
        extractor.close()
        assert time.monotonic() - started < 10  # at once, not after the 30 s grace
        assert ours is not None and wait_gone(ours, 1)
    finally:
        os.write(release_w, b"x")
        with os.fdopen(results, "rb") as answer:
            reported = answer.read().decode()
        assert os.waitpid(pid, 0)[1] == 0
    text, theirs = reported.split("|")
    assert text == "in the fork"
    assert int(theirs) != ours


@pytest.mark.timeout(60)
def test_a_long_document_gives_its_beginning_at_the_soft_deadline() -> None:
    # Each page (1,000 show-text operators on a line) takes PDFium about 20 ms on a 2-core VM;
    # 2,000 of them take 40 s, and still 2 s on a machine twenty times as fast: past the soft
    # deadline (1.4 s of the 2 s timeout) on any machine, while one page is never long enough
    # to miss the hard one. The text is let be as long as the whole document, so only the
    # time limit can cut it.
    count = 2000
    page = b"BT /F1 12 Tf " + b"(word) Tj " * 1000 + b"ET"
    packed = zlib.compress(page, 9)
    pages = [text_page(f"Page {n} starts") + b"\n" + page for n in range(count)]
    data = make_pdf(*[(zlib.compress(p, 9), b"/Filter /FlateDecode") for p in pages])
    assert len(data) < count * (len(packed) + 400)
    with Extractor(timeout=2, max_chars=count * 5000) as extractor:
        fine(extractor)
        started = time.monotonic()
        result = extractor.extract(data, PDF, "long.pdf")
        # It used its time (no answer before the soft deadline) and answered before the hard
        # one (else the status would be "timeout").
        assert 1.3 < time.monotonic() - started < 2
    assert (result.status, result.error) == ("truncated", "time limit reached")
    assert result.text.startswith("Page 0 starts")
    assert f"Page {count - 1} starts" not in result.text
