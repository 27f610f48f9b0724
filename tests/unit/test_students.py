"""Student tagging rules: full names, nicknames, ids, addresses, shared names, common words."""

from __future__ import annotations

from archiver.understand.students import (
    ADDRESS,
    EXPLICIT,
    NAME,
    Student,
    Tagger,
    TagInput,
)

ROSTER = [
    Student("104233", "Liam", "Doherty", email="ldoherty28@students.example.org"),
    Student("104234", "Isabela", "Mendes", preferred="Izzy"),
    Student("104235", "Hope", "Summers"),
    Student("104236", "Will", "Price"),
    Student("104237", "Maria", "Santos", grade="3"),
    Student("104238", "Maria", "Santos", grade="7", email="msantos31@students.example.org"),
    Student("104239", "Ana", "De la Cruz"),
    Student("104240", "José", "Peña"),
    Student("104241", "Jean", "Pierre-Louis"),
]


def tag(
    note: str = "", *texts: str, addresses: tuple[str, ...] = (), names: tuple[str, ...] = ()
) -> dict[str, str]:
    return Tagger(ROSTER).tag(TagInput(note, texts, addresses, names))


def test_note_names_and_ids_are_explicit() -> None:
    assert tag("Students: Liam Doherty, 104240") == {"104233": EXPLICIT, "104240": EXPLICIT}


def test_full_and_preferred_names_in_the_original() -> None:
    assert tag("", "Izzy Mendes rolled her ankle") == {"104234": NAME}
    assert tag("", "Isabela Mendes rolled her ankle") == {"104234": NAME}
    assert tag("", "Liam Doherty's mom called") == {"104233": NAME}
    assert tag("", "Student: Doherty, Liam (grade 6)") == {"104233": NAME}


def test_first_name_alone_or_surname_alone_does_not_tag() -> None:
    assert tag("", "Liam was upset today.") == {}
    assert tag("", "Mrs. Doherty called about the bus.") == {}


def test_first_name_with_the_family_surname_in_the_message_tags() -> None:
    assert tag("", "Liam was upset today.\n\nPatricia Doherty") == {"104233": NAME}
    both = tag(
        "", "Liam was upset today.", addresses=("pd@gmail.example",), names=("Patricia Doherty",)
    )
    assert both == {"104233": NAME}
    assert tag("", "Maria was upset. Maria Santos's mom") == {}  # two Maria Santoses


def test_places_named_like_students_are_not_students() -> None:
    assert tag("", "Meet at Hope Summers Park after the game.") == {}
    assert tag("", "Drop-off at Will Price Field. Hope you can come.") == {}


def test_a_student_writing_from_a_personal_account_is_tagged() -> None:
    found = tag(
        "", "Thanks,\nLiam Doherty", addresses=("liam.d@gmail.example",), names=("Liam Doherty",)
    )
    assert found == {"104233": NAME}


def test_a_surname_or_someone_elses_full_name_is_not_a_first_name() -> None:
    assert tag("", "Ruth Liam wrote. The Doherty family.") == {}
    assert tag("", "Isabela Mendes and Liam came; Mrs. Mendes drove.") == {"104234": NAME}


def test_common_words_only_tag_when_written_as_a_name() -> None:
    assert tag("", "We hope summers are restful; will price the trip later.") == {}
    assert tag("", "Hope Summers and Will Price presented.") == {"104235": NAME, "104236": NAME}


def test_accents_particles_and_hyphens() -> None:
    assert tag("", "Jose Pena and Ana De la Cruz, with Jean Pierre-Louis") == {
        "104240": NAME,
        "104239": NAME,
        "104241": NAME,
    }


def test_a_shared_name_tags_nobody_unless_the_message_says_which() -> None:
    assert tag("", "Maria Santos forgot her lunch") == {}
    both = tag("", "Maria Santos forgot her lunch", addresses=("MSantos31@students.example.org",))
    assert both == {"104238": ADDRESS}


def test_strongest_source_wins() -> None:
    tags = tag(
        "Student: Liam Doherty",
        "Liam Doherty was absent",
        addresses=("ldoherty28@students.example.org",),
    )
    assert tags == {"104233": EXPLICIT}
