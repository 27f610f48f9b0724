"""Student tagging rules: full names, nicknames, ids, addresses, shared names, common words."""

from __future__ import annotations

from archiver.understand.students import (
    ADDRESS,
    CONTEXT,
    EXPLICIT,
    NAME,
    StaffMember,
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


def test_first_name_with_the_family_surname_in_the_message_tags_as_context() -> None:
    # Issue 12: inferred, not written: its own, weaker source, for `tags review`
    assert tag("", "Liam was upset today.\n\nPatricia Doherty") == {"104233": CONTEXT}
    both = tag(
        "", "Liam was upset today.", addresses=("pd@gmail.example",), names=("Patricia Doherty",)
    )
    assert both == {"104233": CONTEXT}
    assert tag("Liam was upset.\n\nPatricia Doherty") == {"104233": CONTEXT}  # in the note too
    # a full name elsewhere is stronger
    assert tag("", "Liam was upset. Liam Doherty's mom") == {"104233": NAME}
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


# Issue 12: the message's own people, ids in a message that is not a forward, and names
# written as people write them.
STAFF = [
    Student("200001", "Kevin", "Trần", email="ktran30@students.example.org"),
    Student("200002", "Michael", "Walsh", grade="2"),
    Student("200003", "Carlos", "Mendoza", grade="4"),
    Student("200004", "Sofia", "Almeida"),
    Student("200005", "Thiago", "Almeida"),
    Student("200006", "Grace", "Bell"),
    Student("200007", "Fritz-Gerald", "Joseph"),
    Student("200008", "Noah", "Kim", grade="3"),
    Student("200009", "Noah", "Kim", grade="5"),
    Student("200010", "Luis", "Almeida"),
]


def staff_tag(
    note: str = "",
    *texts: str,
    people: tuple[tuple[str, str], ...] = (),
    direct: bool = False,
    forwarder: str = "",
) -> dict[str, str]:
    return Tagger(STAFF).tag(
        TagInput(
            note,
            texts,
            tuple(a for a, _ in people),
            tuple(n for _, n in people),
            direct=direct,
            forwarder=forwarder,
        )
    )


def test_a_student_id_in_a_message_that_is_not_a_forward_is_explicit() -> None:
    assert staff_tag("", "About 200006: she was late.", direct=True) == {"200006": EXPLICIT}
    assert staff_tag("", "About 200006: she was late.") == {"200006": NAME}  # in an original


def test_a_teacher_signing_her_own_note_is_not_the_student() -> None:
    note = "For the file.\n\nKevin Tran\nGrade 3 teacher"
    assert staff_tag(note, forwarder="Kevin Tran") == {}
    teacher = (("ktran@example.org", "Kevin Tran"),)
    assert staff_tag("", "Thanks,\nKevin Tran", people=teacher) == {}
    titled = (("ktran@example.org", "Ms. Kevin A. Tran"),)
    assert staff_tag("", "Thanks,\nKevin Tran", people=titled) == {}
    # the student's id or school address still says it is him
    assert staff_tag(note + "\nre 200001", forwarder="Kevin Tran") == {"200001": EXPLICIT}


def test_a_pe_teacher_as_the_sender_is_not_the_second_grader() -> None:
    sender = (("mwalsh@example.org", "Walsh, Michael"),)
    body = "Coach Walsh here.\n\nMichael Walsh\nPhysical Education"
    assert staff_tag("", body, people=sender) == {}
    assert staff_tag("", "Michael Walsh is in my class", people=sender) == {}


def test_a_father_signing_about_his_daughter_is_not_his_namesake_son() -> None:
    father = (("cmendoza@gmail.example", "Carlos Mendoza"),)
    body = "My daughter Lucia was sick; Carlos will bring a note.\n\nCarlos Mendoza"
    assert staff_tag("", body, people=father) == {}
    # unless the sentence says so
    son = "My son Carlos was sick.\n\nCarlos Mendoza"
    assert staff_tag("", son, people=father) == {"200003": NAME}
    assert staff_tag("", "My son Carlos Mendoza was sick.\nCarlos Mendoza", people=father) == {
        "200003": NAME
    }


def test_a_student_writing_under_their_own_name_is_still_the_student() -> None:
    own = (("carlos.m@gmail.example", "Carlos Mendoza"),)
    assert staff_tag("", "Can I retake the quiz?\nCarlos Mendoza", people=own) == {"200003": NAME}


def test_two_students_with_one_name_and_nothing_to_tell_them_apart_tag_neither() -> None:
    assert staff_tag("", "Noah Kim was absent today.") == {}
    assert staff_tag("", "Noah Kim (grade 5) was absent today.") == {"200009": NAME}


def test_coordinated_given_names_share_the_surname() -> None:
    assert staff_tag("", "Sofia and Thiago Almeida were late.") == {
        "200004": NAME,
        "200005": NAME,
    }
    assert staff_tag("Luis, Sofia & Thiago Almeida") == {
        "200010": EXPLICIT,
        "200004": EXPLICIT,
        "200005": EXPLICIT,
    }
    # no Maria Almeida: Sofia is only inferred from the surname
    assert staff_tag("", "Sofia and Maria Almeida were late.") == {"200004": CONTEXT}


def test_a_middle_initial_and_a_dropped_hyphen() -> None:
    assert staff_tag("", "Grace E. Bell won the prize.") == {"200006": NAME}
    assert staff_tag("", "Grace E Bell won the prize.") == {"200006": NAME}
    assert staff_tag("", "Fritz Gerald Joseph won the prize.") == {"200007": NAME}
    assert staff_tag("", "Fritz-Gerald Joseph won the prize.") == {"200007": NAME}


def test_an_id_in_a_message_sent_straight_to_the_archive_is_explicit() -> None:
    # Issue 12: today it was `name`, as if the id were in a forwarded original
    from archiver.understand.parse import parse

    direct = parse(
        b"From: Ms Park <park@example.org>\r\nTo: records@example.org\r\n"
        b"Subject: Incident\r\n\r\nIncident report for student 200006, recess.\r\n"
    ).tag_input()
    assert direct.direct and Tagger(STAFF).tag(direct) == {"200006": EXPLICIT}
    forward = parse(
        b"From: Ms Park <park@example.org>\r\nTo: records@example.org\r\n"
        b"Subject: Fwd: Incident\r\n\r\nFor the file.\r\n\r\n"
        b"---------- Forwarded message ---------\r\nFrom: Dad <dad@gmail.example>\r\n"
        b"Date: Mon, 2 Feb 2026 10:00:00 -0500\r\nSubject: Incident\r\n"
        b"To: park@example.org\r\n\r\nAbout student 200006.\r\n"
    ).tag_input()
    assert not forward.direct and Tagger(STAFF).tag(forward) == {"200006": NAME}


# The district's staff directory (`archiver staff import`).
DIRECTORY = [
    StaffMember(
        "E1001", "Kevin", "Tran", "ktran@district.example.org", ("kevin.tran.math@gmail.example",)
    ),
    StaffMember(
        "E1002", "Michael", "Walsh", "mwalsh@district.example.org", ("coach.walsh@gmail.example",)
    ),
]


def directory_tag(
    note: str = "",
    *texts: str,
    people: tuple[tuple[str, str], ...] = (),
    staff: list[StaffMember] = DIRECTORY,
) -> dict[str, str]:
    item = TagInput(note, texts, tuple(a for a, _ in people), tuple(n for _, n in people))
    return Tagger(STAFF, staff).tag(item)


def test_a_staff_name_in_the_text_is_the_member_of_staff() -> None:
    text = "Coach Michael Walsh will drive the van to the meet."
    assert directory_tag("", text, staff=[]) == {"200002": NAME}  # without the directory
    assert directory_tag("", text) == {}
    assert directory_tag("", "Walsh, Michael will drive the van.") == {}


def test_staff_writing_from_a_personal_address_without_a_display_name() -> None:
    sender = (("Coach.Walsh@gmail.example", ""),)
    body = "Practice moved to Thursday.\n\nMichael\n\nCc: the Walsh family"
    assert directory_tag("", body, people=sender, staff=[]) == {"200002": CONTEXT}
    # the directory names the sender: "Michael" with the surname is not the second-grader
    assert directory_tag("", body, people=sender) == {}


def test_the_student_is_meant_when_the_message_says_so() -> None:
    assert directory_tag("", "Michael Walsh (200002) forgot his inhaler.") == {"200002": NAME}
    assert directory_tag("", "My son Michael Walsh forgot his inhaler.") == {"200002": NAME}
    # written with the student's accents, not the teacher's spelling
    assert directory_tag("", "Kevin Trần won the spelling bee.") == {"200001": NAME}
    assert directory_tag("", "Kevin Tran will judge the spelling bee.") == {}


def test_a_students_own_account_in_the_directory_is_not_staff() -> None:
    account = StaffMember(
        "ktran30@students.example.org", "Kevin", "Trần", "ktran30@students.example.org"
    )
    assert directory_tag("", "Kevin Trần won.", staff=[account]) == {"200001": NAME}


def test_a_grade_said_in_so_many_words_comes_before_a_loose_one() -> None:
    text = "Can your middle school players help at camp? Maria Santos, age 8, has asthma."
    assert tag("", text) == {"104237": NAME}  # age 8: grade 3, not the 7th-grader
    assert staff_tag("", "Noah Kim hurt his knee at varsity practice.") == {}  # 3 and 5: neither


def test_a_place_word_must_follow_the_name_directly() -> None:
    assert tag("", "Liam Doherty Library hours") == {}  # a place
    assert tag("", "Liam Doherty - library book") == {"104233": NAME}
    assert tag("", "Liam Doherty's library book got wet") == {"104233": NAME}


def test_a_student_line_names_the_student_whoever_else_has_the_name() -> None:
    teacher = (("ktran@district.example.org", "Kevin Tran"),)
    text = "Student: Kevin Trần (gr 9)\nCalled home about the exam.\n\nKevin Tran"
    assert directory_tag("", text, people=teacher) == {"200001": NAME}
    assert directory_tag("", "Called home about the exam.\n\nKevin Tran", people=teacher) == {}


def test_a_grade_in_so_many_words_that_is_not_the_namesakes_means_the_student() -> None:
    staff = [
        StaffMember("E9", "Michael", "Walsh", "mw@district.example.org", title="PE, High School")
    ]
    text = "Michael Walsh (grade 2) keeps cutting the line at recess."
    assert directory_tag("", text, staff=staff) == {"200002": NAME}
    # the namesake teaches that grade too: it cannot be told
    same = [StaffMember("E9", "Michael", "Walsh", "mw@district.example.org", title="Grade 2")]
    assert directory_tag("", text, staff=same) == {}
    assert directory_tag("", "Michael Walsh will run the fun run.", staff=staff) == {}
