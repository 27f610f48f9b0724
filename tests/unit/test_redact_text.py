"""Finding what a redaction removes, however the text writes it, and removing it; the patterns
suggestions use; what is suggested for a record."""

from __future__ import annotations

import pytest

from archiver.records.redaction import (
    ACCEPTED,
    PROPOSED,
    Redaction,
    Redactor,
    suggest,
)
from archiver.understand.redact_text import (
    EMAIL,
    PHONE,
    SSN,
    find_pattern,
    find_spans,
    id_pattern,
    normalise,
    redact,
)
from archiver.understand.students import StaffMember, Student


def found(text: str, target: str) -> list[str]:
    return [text[s:e] for s, e in find_spans(text, target)]


@pytest.mark.parametrize(
    ("text", "target", "expected"),
    [
        ("Liam Doherty missed the bus", "liam doherty", ["Liam Doherty"]),
        ("LIAM DOHERTY missed the bus", "Liam Doherty", ["LIAM DOHERTY"]),
        ("Dear Ms. Nguyễn,", "Nguyen", ["Nguyễn"]),
        ("Dear Ms. Nguyen,", "Nguyễn", ["Nguyen"]),
        ("Dear Ms. Nguye\u0302\u0303n,", "Nguyen", ["Nguye\u0302\u0303n"]),  # decomposed
        ("José Núñez-Ávila called", "jose nunez-avila", ["José Núñez-Ávila"]),
        ("Đặng Văn An", "Dang Van An", ["Đặng Văn An"]),
        ("Liam's mom called", "Liam", ["Liam"]),
        ("Liam\u2019s mom called", "Liam", ["Liam"]),
        ("Liam Doherty\u2019s mom", "Liam Doherty", ["Liam Doherty"]),
        ("O\u2019Brien was late", "O'Brien", ["O\u2019Brien"]),
        ("see Liam\nDoherty today", "Liam Doherty", ["Liam\nDoherty"]),
        ("see Liam\r\nDoherty today", "Liam Doherty", ["Liam\r\nDoherty"]),
        ("> about Liam \n> Doherty and", "Liam Doherty", ["Liam \n> Doherty"]),
        ("> about Liam\n>> Doherty and", "Liam Doherty", ["Liam\n>> Doherty"]),
        ("Liam   \t Doherty", "Liam Doherty", ["Liam   \t Doherty"]),
        ("Liam\u00a0Doherty", "Liam Doherty", ["Liam\u00a0Doherty"]),  # &nbsp; from HTML
        ("Do\u00adherty came", "Doherty", ["Do\u00adherty"]),  # soft hyphen
        ("Li\u200bam and Li\u200dam", "Liam", ["Li\u200bam", "Li\u200dam"]),  # zero-width
        ("Tkachenko-\nOyelaran", "Tkachenko-Oyelaran", ["Tkachenko-\nOyelaran"]),
        ("Tkachenko\u2011Oyelaran", "Tkachenko-Oyelaran", ["Tkachenko\u2011Oyelaran"]),
        ("(Liam) and Liam, Liam.", "Liam", ["Liam", "Liam", "Liam"]),
        ("id 104233, not 1042339", "104233", ["104233"]),
        (
            "to ldoherty28@students.milton.example.org.",
            "LDoherty28@students.milton.example.org",
            ["ldoherty28@students.milton.example.org"],
        ),
    ],
)
def test_a_target_is_found_however_the_text_writes_it(
    text: str, target: str, expected: list[str]
) -> None:
    assert found(text, target) == expected


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("William came", "Liam"),
        ("Liamson came", "Liam"),
        ("the Williams family", "Liam"),
        ("Dohertys", "Doherty"),
        ("1042339 and 9104233", "104233"),
        ("Liam and Doherty", "Liam Doherty"),
        ("Liam\n\nThe Doherty report", "Liam Doherty"),  # a word between: not the name
        ("x.ldoherty28@students.example.org", "ldoherty28@students.example.org"),
        ("anything", "   "),
        ("", "Liam"),
    ],
)
def test_a_target_is_not_found_inside_other_words(text: str, target: str) -> None:
    assert find_spans(text, target) == []


def test_normalise_folds_case_accents_apostrophes_and_space() -> None:
    assert normalise("  Nguy\u1ec5n\u2019s   SCHOOL\n>  Ä ") == "nguyen's school a"


def test_redact_replaces_each_span_by_its_label_and_merges_overlaps() -> None:
    text = "Liam Doherty called Liam's teacher at 617-555-0138."
    spans = [(s, e, "26a") for s, e in find_spans(text, "Liam Doherty")]
    spans += [(s, e, "26a") for s, e in find_spans(text, "Liam")]
    spans += [(s, e, "10B") for s, e, _ in find_pattern(PHONE, text)]
    assert redact(text, spans) == (
        "[REDACTED 26a] called [REDACTED 26a]'s teacher at [REDACTED 10B]."
    )
    # touching spans with different codes: one label naming both
    assert redact("abcdef", [(0, 3, "26a"), (3, 6, "10B"), (1, 2, "26a")]) == (
        "[REDACTED 26a, 10B]"
    )
    assert redact("abc", []) == "abc"
    with pytest.raises(ValueError, match="outside"):
        redact("abc", [(2, 9, "26a")])


def test_a_redacted_name_is_gone_whatever_its_form() -> None:
    text = "Nguyễn wrote: LIAM\n> DOHERTY and Li\u200bam Doherty\u2019s sister."
    out = redact(
        text,
        [(s, e, "26a") for t in ("Liam Doherty", "Nguyen") for s, e in find_spans(text, t)],
    )
    assert out == "[REDACTED 26a] wrote: [REDACTED 26a] and [REDACTED 26a]\u2019s sister."
    assert "Doherty" not in out and "Nguy" not in out


def test_phone_ssn_and_email_patterns() -> None:
    text = (
        "Call 617-555-0138, (617) 555-0138, 617.555.0138 or +1 617 555 0138; "
        "not 2026-04-16, 12345-678-9012 or 617-555-01389. SSN 123-45-6789, "
        "not 000-12-3456 or 123-45-67890. Mail j.doe+x@gmail.example or a@b."
    )
    assert [m for _, _, m in find_pattern(PHONE, text)] == [
        "617-555-0138",
        "(617) 555-0138",
        "617.555.0138",
        "+1 617 555 0138",
    ]
    assert [m for _, _, m in find_pattern(SSN, text)] == ["123-45-6789"]
    assert [m for _, _, m in find_pattern(EMAIL, text)] == ["j.doe+x@gmail.example"]


def test_student_id_shapes_come_from_the_roster() -> None:
    pattern = id_pattern(["104233", "S0042", "77"])
    assert pattern is not None
    text = "ids 104233, 998877, S1234 and s9999; not 1234567, 12345 or 77."
    assert [m for _, _, m in find_pattern(pattern, text)] == ["104233", "998877", "S1234", "s9999"]
    assert id_pattern(["77", ""]) is None


@pytest.mark.timeout(20)
@pytest.mark.parametrize(
    "line",
    [
        "a" * 200_000,
        "1" * 200_000,
        "a@" + "b" * 200_000,
        "a." * 100_000 + "@",
        "a@b." * 50_000,
        "617-" * 50_000,
        "123-45-" * 30_000,
        "(617) " * 35_000,
        "liam " * 40_000,
        " \n>" * 70_000,
        "\u00ad" * 200_000,
    ],
)
def test_a_hostile_200_kb_line_is_read_in_one_pass(line: str) -> None:
    # Each pattern and the matcher are linear: a backtracking one takes minutes here.
    shapes = id_pattern(["104233", "S0042"])
    assert shapes is not None
    for pattern in (PHONE, SSN, EMAIL, shapes):
        find_pattern(pattern, line)
    find_spans(line, "liam doherty")
    find_spans(line, "a@b.a")


ROSTER = [
    Student("104233", "Liam", "Doherty", email="ldoherty28@students.milton.example.org"),
    Student("102486", "Isabela", "Mendes", preferred="Izzy"),
    Student("105555", "Ava", "Chen"),
]
STAFF = [
    StaffMember(
        "E1", "Maria", "Ruiz", "mruiz@milton.example.org", ("maria.ruiz.home@yahoo.example",)
    )
]


def _suggested(
    texts: list[str], tagged: list[Student], child: str | None = None
) -> set[tuple[str, str]]:
    return {(s.text, s.exemption) for s in suggest(texts, tagged, ROSTER, STAFF, child)}


def test_suggestions_for_a_public_request() -> None:
    texts = [
        "Maria Ruiz <maria.ruiz.home@yahoo.example>",
        "Izzy Mendes and Liam\nDoherty (104233) missed the bus. Liam cried; Ava was fine. "
        "Write to ldoherty28@students.milton.example.org, mruiz@milton.example.org or "
        "parent.mendes@gmail.example; call 617-555-0138. SSN 123-45-6789. Ref 998877.",
    ]
    got = _suggested(texts, ROSTER[:2] + ROSTER[2:])
    assert got == {
        ("Liam Doherty", "26a:ferpa"),
        ("Liam", "26a:ferpa"),  # a first name alone, once the full name is there
        ("104233", "26a:ferpa"),
        ("ldoherty28@students.milton.example.org", "26a:ferpa"),
        ("Izzy Mendes", "26a:ferpa"),
        ("Izzy", "26a:ferpa"),
        ("maria.ruiz.home@yahoo.example", "10B"),  # staff personal address
        ("parent.mendes@gmail.example", "26c"),  # someone else's personal address
        ("617-555-0138", "10B"),
        ("123-45-6789", "26c"),
        ("998877", "26a:ferpa"),  # shaped like a roster id
    }
    # Ava Chen is tagged but only her first name appears: a first name alone is not proposed
    # (and the school address of a member of staff is public).


def test_suggestions_for_a_student_records_request_leave_the_child_alone() -> None:
    texts = ["Liam Doherty (104233, ldoherty28@students.milton.example.org) and Izzy Mendes."]
    got = _suggested(texts, ROSTER[:2], child="104233")
    assert got == {("Izzy Mendes", "26a:ferpa"), ("Izzy", "26a:ferpa")}


def _r(n: int, text: str, occurrence: int | None, state: str = ACCEPTED) -> Redaction:
    from datetime import UTC, datetime

    at = datetime(2026, 4, 16, tzinfo=UTC)
    return Redaction(
        n, "PRR-2026-0001", "ab" * 16, text, "26a:ferpa", occurrence, state, "manual",
        at, "dana", None, None,
    )  # fmt: skip


def test_a_redactor_counts_occurrences_across_a_records_texts() -> None:
    redactor = Redactor(
        [_r(1, "Liam", 2), _r(2, "Doherty", None), _r(3, "Izzy", None, state=PROPOSED)]
    )
    assert redactor("Liam here") == "Liam here"
    assert redactor("Liam and Liam Doherty, Izzy") == (
        "[REDACTED 26a] and Liam [REDACTED 26a], Izzy"
    )
    assert redactor("Liam again") == "Liam again"
