"""The public-records exemptions: the shipped file (every code, its law and its letter), looking a
code up, and every problem a bad file can have, each named with its file and entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from archiver.errors import ConfigError, UsageError
from archiver.records.exemptions import load_exemptions

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "config" / "exemptions" / "massachusetts.toml"
CODES = ("26a", "26c", "26d", "26e", "26f", "26n", "acp", "10B")

GOOD = """
[[exemptions]]
code = "26c"
citation = "G.L. c.4, §7(26)(c)"
title = "Privacy"
letter = "Withheld under G.L. c.4, §7(26)(c)."
"""


def _problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "district.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_exemptions(path)
    assert err.value.exit_code == 2
    assert all(p.startswith(f"{path}: ") for p in err.value.problems), err.value.problems
    return err.value.problems


def test_every_code_is_shipped_with_its_citation_title_and_letter() -> None:
    exemptions = load_exemptions()
    assert exemptions.source == "built-in massachusetts"
    assert exemptions.codes == CODES
    for e in exemptions:
        assert e.citation.strip() and e.title.strip() and e.letter.strip(), e.code
        assert e.letter.endswith("."), e.code
    # Each letter cites the law it rests on, in words a reader can look up.
    for code in ("26a", "26c", "26d", "26e", "26f", "26n"):
        e = exemptions.get(code)
        assert e.citation == f"G.L. c.4, §7(26)({code[-1]})"
        assert e.citation in e.explain(), code
    assert "G.L. c.66, §10B" in exemptions.get("10B").explain()
    assert "personal email address" in exemptions.get("10B").explain()
    assert "attorney-client privilege" in exemptions.get("acp").explain()
    assert "unwarranted invasion" in exemptions.get("26c").explain()
    # Loading the file by path gives the same exemptions.
    assert load_exemptions(SHIPPED).entries == exemptions.entries


def test_26a_names_the_statutes_it_rests_on() -> None:
    e = load_exemptions().get("26a")
    assert e.statute_keys == ("ferpa", "student-records", "special-education")
    every = e.explain()
    for cite in ("FERPA", "20 U.S.C. 1232g", "34 CFR Part 99", "G.L. c.71, §34D", "603 CMR 23.00"):
        assert cite in every, cite
    assert "G.L. c.71B" in every and " or the Massachusetts special education law" in every
    assert "{statute}" not in every
    ferpa = e.explain(["ferpa"])
    assert "FERPA" in ferpa and "c.71B" not in ferpa and "603 CMR" not in ferpa
    both = e.explain(["student-records", "ferpa", "ferpa"])
    assert both.count("FERPA") == 1 and " and the federal Family" in both
    assert both.index("603 CMR 23.00") < both.index("FERPA")  # the order the decision gave
    with pytest.raises(UsageError, match=r"no statute 'idea' \(statutes: ferpa, student-records"):
        e.explain(["idea"])
    with pytest.raises(UsageError, match="exemption 26c names no statutes"):
        load_exemptions().get("26c").explain(["ferpa"])


def test_unverified_wording_is_marked_in_the_file() -> None:
    """26f, 26n and 10B rest on wording the research could not confirm: the comment above each
    says so ([U]), as records-law.md 1.6 does."""
    blocks = SHIPPED.read_text().split("[[exemptions]]")
    for code in ("26f", "26n", "10B"):
        before = next(i for i, b in enumerate(blocks) if f'code = "{code}"' in b) - 1
        assert "[U]" in blocks[before].rsplit("\n\n", 1)[-1], code


def test_a_code_is_looked_up_regardless_of_case_and_an_unknown_one_lists_the_codes() -> None:
    exemptions = load_exemptions()
    assert exemptions.get("26A").code == "26a"
    assert exemptions.get("10b").code == "10B"
    assert exemptions.get(" ACP ").code == "acp"
    with pytest.raises(UsageError) as err:
        exemptions.get("26z")
    assert err.value.exit_code == 2
    assert str(err.value) == (
        "unknown exemption '26z' (exemptions in built-in massachusetts: "
        "26a, 26c, 26d, 26e, 26f, 26n, acp, 10B)"
    )


def test_a_good_file_loads_from_its_path(tmp_path: Path) -> None:
    path = tmp_path / "district.toml"
    path.write_text(GOOD)
    exemptions = load_exemptions(path)
    assert exemptions.source == str(path) and exemptions.codes == ("26c",)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (('title = "Privacy"\n', ""), "exemptions[0] (26c).title: missing"),
        (('letter = "Withheld under G.L. c.4, §7(26)(c)."', ""), "(26c).letter: missing"),
        (('code = "26c"\n', ""), "exemptions[0].code: missing"),
        (('title = "Privacy"', 'title = "Privacy"\nreason = "x"'), "(26c): unknown key 'reason'"),
        (('title = "Privacy"', 'title = ""'), "exemptions[0] (26c).title: must be a non-empty"),
        (('citation = "G.L. c.4, §7(26)(c)"', "citation = 7"), "(26c).citation: must be a"),
        (('code = "26c"', 'code = "26 c"'), "exemptions[0] (26 c).code: '26 c' is not a code"),
        (
            ('title = "Privacy"', 'title = "Privacy"\nstatutes = { ferpa = "FERPA" }'),
            "exemptions[0] (26c).letter: must say {statute} where the statutes it names go",
        ),
        (
            ('(26)(c)."', '(26)(c): {statute}."\nstatutes = { ferpa = "" }'),
            "exemptions[0] (26c).statutes.ferpa: must be a non-empty string",
        ),
        (
            ('(26)(c)."', '(26)(c): {statute}."'),
            "exemptions[0] (26c).letter: says {statute} but the exemption has no statutes",
        ),
    ],
)
def test_each_bad_entry_is_one_problem_naming_the_file_and_entry(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    text = GOOD.replace(*change)
    assert text != GOOD
    problems = _problems(tmp_path, text)
    assert len(problems) == 1 and expected in problems[0], problems


def test_missing_field_message_in_full(tmp_path: Path) -> None:
    [problem] = _problems(tmp_path, GOOD.replace('title = "Privacy"\n', ""))
    assert problem == f"{tmp_path / 'district.toml'}: exemptions[0] (26c).title: missing"


def test_a_duplicate_code_names_the_second_entry(tmp_path: Path) -> None:
    [problem] = _problems(tmp_path, GOOD + GOOD.replace('"26c"', '"26C"'))
    assert "exemptions[1] (26C).code: '26C' is used by another exemption" in problem


def test_a_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    [problem] = _problems(tmp_path, GOOD + "\n[[exemptions]\n")
    assert "line 8:" in problem and "not valid TOML" in problem
    [problem] = _problems(tmp_path, GOOD + 'title = "again"\n')
    assert "line 7:" in problem


def test_whole_file_problems(tmp_path: Path) -> None:
    [problem] = _problems(tmp_path, "")
    assert "no exemptions" in problem
    [problem] = _problems(tmp_path, 'exemptions = "26c"\n')
    assert "exemptions: must be tables ([[exemptions]])" in problem
    [problem] = _problems(tmp_path, "version = 1\n" + GOOD)
    assert "unknown top-level key 'version'" in problem
    problems = _problems(tmp_path, GOOD.replace('title = "Privacy"', 'colour = "red"'))
    assert len(problems) == 2, problems  # every problem at once: the unknown key, the title


def test_a_missing_or_unreadable_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as err:
        load_exemptions(missing)
    assert err.value.problems == [f"{missing}: exemptions file not found"]
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe")
    with pytest.raises(ConfigError) as err:
        load_exemptions(binary)
    [problem] = err.value.problems
    assert problem.startswith(f"{binary}: not UTF-8")
