"""Promise 3: a copy of the database without the keys reveals no content."""

from __future__ import annotations

import base64
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import create_engine, select

from archiver.store.tables import metadata
from tests.conftest import Archive

SECRETS = [
    "Zephyrine Quokkabridge",  # subject words
    "Marisol Tkachenko-Oyelaran",  # a student's name in the body
    "guardian.vasquez-olmedo@gmail.example",  # an address
    "Xanthippe_IEP_plan.pdf",  # an attachment name
    "Quindlen-Ashby",  # in the file name the message was imported from
    "Gwendolyn-Pettigrew",  # in the roster export's file name
    "778812",  # the student's id in the roster
    "mtkachenko27@students.district.example.org",  # the student's address in the roster
    "Quokkabridge litigation",  # a hold's name
    "Zebulon Farquharson",  # a hold's reason
    "Zephyrine",  # a hold's criteria words
    "Tkachenko-Oyelaran",
    "Philomena Ashworth-Kendrick",  # why a record was taken out of a hold
    "Cordelia Wrenfield",  # why a hold was released
    "Ignatius Blackwood-Suarez",  # why a record's series was chosen by hand
    "Octavia",  # a member of staff's first name
    "Fennimore-Blaise",  # and last name
    "octavia.fb.home@yahoo.example",  # their personal address
    "ofennimore@district.example.org",  # their school address
    "E990044",  # their staff id
    "Hippolyta Kestrel-Vance",  # in the staff export's file name
    "Wilhelmina Tarrant-Oduya",  # a requester
    "wtarrant@newsroom.example",  # their contact
    "Quillon bus contract",  # what they asked for
    "Peregrine decision reason",  # why a record was withheld
    "Marchbanks conference",  # why a record was looked at (the access log's purpose)
    "Evander Saltonstall-Mbeki",  # a redaction's text
]


def _message(n: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Ms. Ruiz <mruiz@district.example.org>"
    msg["To"] = "records-archive@district.example.org"
    msg["Cc"] = "Parent <guardian.vasquez-olmedo@gmail.example>"
    msg["Subject"] = f"Fwd: Zephyrine Quokkabridge trip form #{n}"
    msg["Date"] = "Tue, 03 Mar 2026 09:15:00 -0500"
    msg["Message-ID"] = f"<trip-{n}@district.example.org>"
    msg.set_content(
        "---------- Forwarded message ---------\n"
        "From: guardian.vasquez-olmedo@gmail.example\n\n"
        f"Marisol Tkachenko-Oyelaran will miss practice on day {n}.\n"
    )
    msg.add_attachment(
        b"%PDF-1.4 plan " * 50,
        maintype="application",
        subtype="pdf",
        filename="Xanthippe_IEP_plan.pdf",
    )
    return msg.as_bytes()


def _needles() -> list[bytes]:
    out = []
    for s in SECRETS:
        for variant in (s, s.lower(), s.upper()):
            out += [variant.encode("utf-8"), variant.encode("utf-16-le")]
        out.append(base64.b64encode(s.encode())[:16])
    return out


def test_database_reveals_no_subject_body_address_attachment_or_student(
    archive: Archive, tmp_path: Path
) -> None:
    folder = tmp_path / "Bartholomew Quindlen-Ashby"
    folder.mkdir()
    for n in range(5):
        (folder / f"Quindlen-Ashby-{n}.eml").write_bytes(_message(n))
    (folder / "Quindlen-Ashby-junk.eml").write_bytes(b"Zephyrine Quokkabridge not mail\x00")
    doc = archive.ok("import", "--json", str(folder)).json()
    assert doc["archived"] == 5 and doc["quarantined"] == 1
    rid = doc["items"][0]["id"]
    shown = archive.ok("show", "--json", rid).json()
    assert "Zephyrine Quokkabridge" in shown["subject"]  # the content is there, sealed
    roster = tmp_path / "Gwendolyn-Pettigrew roster.csv"
    roster.write_text(
        "student_id,first_name,last_name,preferred_name,email,grade,enrollment_status,exit_date\n"
        "778812,Marisol,Tkachenko-Oyelaran,,mtkachenko27@students.district.example.org,"
        "7,active,\n"
    )
    assert archive.ok("students", "import", "--json", str(roster)).json()["records_retagged"] == 5
    students = archive.ok("show", "--json", rid).json()["students"]
    assert students == [{"id": "778812", "name": "Marisol Tkachenko-Oyelaran", "source": "name"}]
    staff = tmp_path / "Hippolyta Kestrel-Vance staff.csv"
    staff.write_text(
        "staff_id,first_name,last_name,email,personal_email,title\n"
        "E990044,Octavia,Fennimore-Blaise,ofennimore@district.example.org,"
        "octavia.fb.home@yahoo.example,Grade 7 Science\n"
    )
    assert archive.ok("staff", "import", "--json", str(staff)).json()["added"] == 1
    # Holds and a series chosen by hand: names, reasons and criteria are sealed too.
    hold_name = "Quokkabridge litigation"
    created = archive.ok(
        "hold", "create", hold_name, "Zephyrine", "Tkachenko-Oyelaran", "--student", "778812",
        "--participant", "guardian.vasquez-olmedo@gmail.example",
        "--reason", "Attorney Zebulon Farquharson", "--json",
    ).json()  # fmt: skip
    assert created["records"] == 5
    [other, *_] = [i["id"] for i in doc["items"] if i["status"] == "archived" and i["id"] != rid]
    archive.ok("hold", "remove", hold_name, other, "--reason", "Philomena Ashworth-Kendrick")
    archive.ok(
        "hold", "create", "Zephyrine Quokkabridge file", "--record", other,
        "--reason", "Zebulon Farquharson asked",
    )  # fmt: skip
    archive.ok("hold", "release", "Zephyrine Quokkabridge file", "--reason", "Cordelia Wrenfield")
    archive.ok(
        "retention", "set", rid, "PERS", "--reason", "Ignatius Blackwood-Suarez personnel file"
    )
    number = archive.ok(
        "request", "open", "--kind", "public", "--requester", "Wilhelmina Tarrant-Oduya",
        "--contact", "wtarrant@newsroom.example", "--description", "Quillon bus contract",
        "--json",
    ).json()["number"]  # fmt: skip
    archive.ok("request", "add", number, rid)
    archive.ok(
        "request", "decide", number, rid, "withhold", "--exemption", "26c",
        "--note", "Peregrine decision reason",
    )  # fmt: skip
    # Redactions: the text removed (suggested, from the student's name, or added) is sealed.
    archive.ok("request", "add", number, other)
    suggested = archive.ok("redact", "suggest", number, "--json").json()["redactions"]
    assert "Marisol Tkachenko-Oyelaran" in {r["text"] for r in suggested}
    archive.ok(
        "redact", "add", number, other, "--text", "Evander Saltonstall-Mbeki",
        "--exemption", "26c",
    )  # fmt: skip
    archive.ok("show", rid, "--purpose", "Marchbanks conference")
    archive.ok("verify")
    archive.ok("keys", "rotate")
    shown = archive.ok("request", "show", "--json", number).json()  # still readable
    assert shown["requester"] == "Wilhelmina Tarrant-Oduya"
    assert shown["records"][0]["note"] == "Peregrine decision reason"
    log = archive.ok("students", "access-log", "--json", "778812").json()
    assert log["entries"][-1]["purpose"] == "Marchbanks conference"
    redactions = archive.ok("redact", "list", "--json", number).json()["redactions"]
    assert "Evander Saltonstall-Mbeki" in {r["text"] for r in redactions}  # still readable
    [member] = archive.ok("staff", "list", "--json").json()["staff"]  # still readable
    assert member["personal"] == ["octavia.fb.home@yahoo.example"]
    held = archive.ok("hold", "show", "--json", hold_name).json()  # still readable
    assert (held["name"], held["reason"]) == (hold_name, "Attorney Zebulon Farquharson")
    assert held["criteria"]["words"] == "Zephyrine Tkachenko-Oyelaran" and held["records"] == 4
    assert held["removed"] == [other]
    manual = archive.ok("retention", "show", "--json", rid).json()
    assert manual["reason"] == "Ignatius Blackwood-Suarez personnel file"
    assert manual["holds"] == [hold_name]

    needles = _needles()
    numbers = {int(s) for s in SECRETS if s.isdigit()}
    engine = create_engine(archive.database_url)
    scanned = 0
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(select(table)):
                for value in row:
                    if isinstance(value, int) and not isinstance(value, bool):
                        # A number is not text: a blind-index term's decimal digits contain a
                        # 6-digit id by chance about once in thirty runs. It must not *be* one.
                        assert value not in numbers, (table.name, value)
                        scanned += 1
                        continue
                    if isinstance(value, (bytes, memoryview)):
                        data = bytes(value)
                    else:
                        data = str(value).encode("utf-8")
                    scanned += 1
                    lowered = data.lower()
                    for needle in needles:
                        assert needle.lower() not in lowered, (table.name, needle, data[:80])
    engine.dispose()
    assert scanned > 50

    if archive.database_url.startswith("sqlite"):
        db_file = Path(archive.database_url.removeprefix("sqlite:///"))
        names = ("", "-wal", ".audit-head")
        for path in (db_file.with_name(db_file.name + suffix) for suffix in names):
            if path.exists():
                blob = path.read_bytes().lower()
                for needle in needles:
                    assert needle.lower() not in blob, (path.name, needle)
