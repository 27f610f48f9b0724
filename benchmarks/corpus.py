#!/usr/bin/env python3
"""Deterministic generator of realistic teacher-forward email messages.

Teachers forward messages they exchanged with students and families from personal accounts to a
school archive mailbox. This script produces a synthetic corpus of such messages for benchmarks
and tests. It uses the standard library only, and the same seed always gives the same bytes.

Usage::

    python benchmarks/corpus.py --out corpus.mbox --count 1000 --seed 7
    python benchmarks/corpus.py --out big.mbox --target-bytes 1G
    python benchmarks/corpus.py --out eml/ --count 200 --format eml
    python benchmarks/corpus.py --out Maildir/ --count 200 --format maildir

Output formats:

* ``mbox``: one file; each message is preceded by a ``From <sender> <asctime>`` line and followed
  by a blank line; body lines matching ``>*From `` get one more ``>`` (mboxrd quoting). Lines end
  in LF, as in a Unix mbox file.
* ``eml``: a directory of ``000001.eml``, ``000002.eml``, ... holding the raw messages (CRLF).
* ``maildir``: a directory with ``cur/``, ``new/`` and ``tmp/``; messages go to ``new/`` under
  unique names; lines end in LF, as a Unix delivery agent stores them.

The importable API is :func:`generate` (raw messages), :func:`generate_labeled` (the same
messages with their ground truth: kind, forwarded sender, named students) and
:func:`write_corpus`. All names and addresses are fictional; the district domain is
``district.example.org`` and IP addresses come from the documentation ranges.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import html
import json
import random
import re
import sys
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email.header import Header
from email.utils import formataddr
from pathlib import Path

__all__ = [
    "FORMATS",
    "KINDS",
    "GeneratedMessage",
    "generate",
    "generate_labeled",
    "write_corpus",
]

DISTRICT_DOMAIN = "district.example.org"
ARCHIVE_ADDRESS = f"records-archive@{DISTRICT_DOMAIN}"
FORMATS = ("mbox", "eml", "maildir")

#: Message kinds, with their share of the corpus.
KINDS: dict[str, float] = {
    "gmail_inline": 0.35,  # text/plain, "---------- Forwarded message ---------"
    "html_inline": 0.20,  # multipart/alternative, Gmail div.gmail_quote or Outlook From/Sent
    "apple_inline": 0.15,  # "Begin forwarded message:"
    "attached": 0.15,  # multipart/mixed with a message/rfc822 part
    "not_forward": 0.15,  # teacher note, or a reply quoting "On ... wrote:"
}

ATTACHMENT_RATE = 0.25
MIN_ATTACHMENT = 20 * 1024
MAX_ATTACHMENT = 400 * 1024


@dataclass(frozen=True)
class GeneratedMessage:
    """One generated message and what a perfect parser should find in it."""

    kind: str
    variant: str
    raw: bytes
    envelope_from: str
    date: datetime
    original_from: str | None
    original_subject: str | None
    students: tuple[str, ...]
    language: str
    attachments: int


# --------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Culture:
    female: tuple[str, ...]
    male: tuple[str, ...]
    children: tuple[str, ...]
    last: tuple[str, ...]
    language: str
    other_language_rate: float
    weight: int


# fmt: off
_CULTURES: dict[str, _Culture] = {
    "hispanic": _Culture(
        female=("María", "Carmen", "Lucía", "Guadalupe", "Ana María", "Yesenia", "Rocío",
                "Marisol", "Daniela", "Verónica"),
        male=("José", "Luis", "Jesús", "Alejandro", "Andrés", "Héctor", "Julio", "Raúl",
              "Óscar", "Miguel Ángel"),
        children=("Sofía", "Mateo", "Valentina", "Santiago", "Camila", "Diego", "Ximena",
                  "Sebastián", "Isabella", "Adrián", "Génesis", "Joaquín"),
        last=("García", "Rodríguez", "Martínez", "Hernández", "López", "González", "Pérez",
              "Sánchez", "Ramírez", "Torres", "Núñez", "Peña", "Castillo", "Ortiz", "Jiménez"),
        language="es", other_language_rate=0.3, weight=20,
    ),
    "haitian": _Culture(
        female=("Marie", "Widline", "Fabienne", "Guerline", "Rose-Marie", "Nadège", "Esther",
                "Mirlande", "Yolette", "Darline"),
        male=("Jean", "Wilner", "Frantz", "Dieunel", "Jean-Baptiste", "Ricardo", "Wesner",
              "Réginald", "Emmanuel", "Pierre-Louis"),
        children=("Jayden", "Naomie", "Kervens", "Daphnée", "Woodley", "Christelle", "Jameson",
                  "Fedline", "Mackenson", "Stanley"),
        last=("Pierre", "Joseph", "Jean-Louis", "Dorsainvil", "Desrosiers", "Étienne",
              "Baptiste", "Charles", "Toussaint", "Célestin", "Louis", "Augustin"),
        language="ht", other_language_rate=0.3, weight=12,
    ),
    "portuguese": _Culture(
        female=("Ana", "Conceição", "Fernanda", "Luíza", "Inês", "Graça", "Márcia",
                "Patrícia", "Lurdes"),
        male=("João", "Gonçalo", "Thiago", "Rui", "Antônio", "Sérgio", "Marcelo", "Nélson"),
        children=("Gabriel", "Beatriz", "Lucas", "Letícia", "Rafael", "Júlia", "Matheus",
                  "Larissa", "Kauã", "Maria Eduarda"),
        last=("Souza", "Silva", "Gonçalves", "Pereira", "Fernandes", "Monteiro", "Lopes",
              "Tavares", "Carvalho", "Magalhães", "Araújo", "Andrade"),
        language="pt", other_language_rate=0.3, weight=10,
    ),
    "vietnamese": _Culture(
        female=("Thảo", "Linh", "Ngọc", "Phương", "Hương", "Lan", "Mai"),
        male=("Minh", "Huy", "Quang", "Tuấn", "Dũng", "Khoa", "Bảo"),
        children=("Kevin", "Vy", "Anh", "Tâm", "Emily", "Nam", "Trâm", "Duy"),
        last=("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Võ", "Đặng", "Bùi", "Đỗ"),
        language="en", other_language_rate=0.0, weight=7,
    ),
    "chinese": _Culture(
        female=("Mei", "Li Na", "Xiaoling", "Yan", "Jing", "Hui"),
        male=("Wei", "Jun", "Hao", "Xiaoming", "Jian", "Lei"),
        children=("Ethan", "Chloe", "Yuxuan", "Zihan", "Kevin", "Amy", "Ryan", "Grace"),
        last=("Chen", "Wang", "Zhang", "Liu", "Huang", "Lin", "Wu", "Zhou", "Li", "Zhao"),
        language="en", other_language_rate=0.0, weight=7,
    ),
    "irish": _Culture(
        female=("Siobhán", "Aoife", "Brigid", "Niamh", "Maureen", "Kathleen", "Róisín",
                "Colleen"),
        male=("Ciarán", "Declan", "Seán", "Patrick", "Brendan", "Kevin", "Dónal", "Michael"),
        children=("Liam", "Saoirse", "Aidan", "Caoimhe", "Connor", "Nora", "Finn", "Maeve"),
        last=("O'Brien", "Murphy", "Sullivan", "McCarthy", "Kelly", "Fitzgerald", "Doherty",
              "Walsh", "Callahan", "Flaherty", "Kennedy", "O'Sullivan"),
        language="en", other_language_rate=0.0, weight=12,
    ),
    "anglo": _Culture(
        female=("Jennifer", "Sarah", "Emily", "Ashley", "Heather", "Megan", "Lisa"),
        male=("Michael", "Chris", "Brian", "Jason", "Matt", "Dave", "Steve"),
        children=("Emma", "Noah", "Olivia", "Jackson", "Ava", "Lucas", "Harper", "Owen"),
        last=("Smith", "Johnson", "Anderson", "Thompson", "Baker", "Wright", "Hall", "Parker"),
        language="en", other_language_rate=0.0, weight=15,
    ),
    "african_american": _Culture(
        female=("Keisha", "Tamika", "Latoya", "Shanice", "Monique"),
        male=("Darnell", "Marcus", "Andre", "Terrence", "Jamal"),
        children=("Jayden", "Aaliyah", "DeShawn", "Imani", "Zion", "Nia", "Malik", "Amari"),
        last=("Washington", "Jackson", "Robinson", "Harris", "Williams", "Coleman", "Brooks"),
        language="en", other_language_rate=0.0, weight=8,
    ),
    "somali": _Culture(
        female=("Fatima", "Hodan", "Amina", "Sahra"),
        male=("Abdi", "Mohamed", "Yusuf", "Ahmed"),
        children=("Omar", "Hafsa", "Ayaan", "Ilhan", "Hamza"),
        last=("Hassan", "Abdi", "Warsame", "Mohamud", "Ali"),
        language="en", other_language_rate=0.0, weight=4,
    ),
    "indian": _Culture(
        female=("Priya", "Anjali", "Deepa", "Lakshmi"),
        male=("Rajesh", "Arjun", "Sanjay", "Vikram"),
        children=("Aarav", "Diya", "Ishaan", "Anika", "Rohan"),
        last=("Patel", "Shah", "Reddy", "Iyer", "Gupta"),
        language="en", other_language_rate=0.0, weight=5,
    ),
}
_CULTURE_NAMES = tuple(_CULTURES)
_CULTURE_WEIGHTS = tuple(c.weight for c in _CULTURES.values())

_PERSONAL_DOMAINS = (
    "gmail.com", "gmail.com", "gmail.com", "yahoo.com", "outlook.com", "hotmail.com",
    "comcast.net", "icloud.com", "verizon.net", "aol.com",
)
# fmt: on


@dataclass(frozen=True)
class _Teacher:
    first: str
    last: str
    title: str
    subject: str
    personal: str

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"

    @property
    def email(self) -> str:
        return f"{_ascii(self.first[0] + self.last).lower()}@{DISTRICT_DOMAIN}"

    @property
    def addressed(self) -> str:
        return f"{self.title} {self.last}"


# fmt: off
_TEACHERS = (
    _Teacher("Maria", "Lopez", "Ms.", "Spanish 2", "maria.lopez.teach@gmail.com"),
    _Teacher("Kevin", "O'Connell", "Mr.", "US History", "kevoconnell77@gmail.com"),
    _Teacher("Nadège", "Célestin", "Ms.", "ELA", "nadege.celestin@yahoo.com"),
    _Teacher("Thanh", "Nguyen", "Mr.", "Algebra 1", "thanh.nguyen.math@gmail.com"),
    _Teacher("Rebecca", "Goldberg", "Ms.", "Biology", "rgoldberg.bio@gmail.com"),
    _Teacher("Daniel", "Kim", "Mr.", "Chemistry", "dkim.chem@outlook.com"),
    _Teacher("Shauna", "Fitzpatrick", "Mrs.", "4th grade", "shaunafitz@comcast.net"),
    _Teacher("Carlos", "Mendes", "Mr.", "Geometry", "carlos.mendes82@gmail.com"),
    _Teacher("Jennifer", "Walsh", "Mrs.", "2nd grade", "jenwalsh.teacher@gmail.com"),
    _Teacher("Ahmed", "Farah", "Mr.", "Physics", "afarah.physics@gmail.com"),
    _Teacher("Gabriela", "Santos", "Sra.", "ESL", "gabi.santos.esl@gmail.com"),
    _Teacher("José", "Rodrigues", "Mr.", "Special Education", "jose.rodrigues.sped@gmail.com"),
    _Teacher("Inês", "Medeiros", "Ms.", "Portuguese 1", "ines.medeiros@icloud.com"),
    _Teacher("Renée", "Dubois", "Mme.", "French 3", "renee.dubois.fr@gmail.com"),
    _Teacher("Zoë", "Hart", "Mx.", "Art", "zoehart.art@gmail.com"),
    _Teacher("Brian", "Sullivan", "Coach", "Physical Education", "coachsully@gmail.com"),
    _Teacher("Tanya", "Brooks", "Coach", "Health", "tanyabrooks.coach@yahoo.com"),
    _Teacher("Wei", "Zhang", "Ms.", "Computer Science", "wei.zhang.cs@gmail.com"),
    _Teacher("Patrick", "Doyle", "Mr.", "Earth Science", "pdoyle.science@comcast.net"),
    _Teacher("Aisha", "Mohammed", "Ms.", "Guidance", "aisha.m.counselor@gmail.com"),
    _Teacher("Jean-Robert", "Auguste", "Mr.", "3rd grade", "jr.auguste@gmail.com"),
    _Teacher("Colleen", "McNamara", "Mrs.", "Kindergarten", "colleen.mcnamara@verizon.net"),
    _Teacher("Luis", "Ocasio", "Mr.", "Music", "luis.ocasio.music@gmail.com"),
    _Teacher("Hannah", "Feldman", "Ms.", "Psychology", "hfeldman.teach@outlook.com"),
)

_COACH_SPORTS = ("soccer", "cross country", "basketball", "track", "volleyball", "softball",
                 "hockey", "lacrosse", "swim")

_CLASSES = ("Algebra 1", "Biology", "ELA", "US History", "Spanish 2", "Chemistry", "Geometry",
            "math", "science", "reading", "World History", "Physics")
_ASSIGNMENTS = ("the lab report", "the reading log", "the chapter 5 review",
                "the persuasive essay", "the science fair proposal", "the book report",
                "the math packet", "the vocabulary quiz corrections", "the history project",
                "the poster project")
_PLACES = ("the Museum of Science", "Plimoth Patuxet", "the New England Aquarium",
           "Blue Hills Reservation", "the State House", "Old Sturbridge Village",
           "the Franklin Park Zoo", "the JFK Library", "Drumlin Farm")
_DOCTORS = ("the pediatrician", "the dentist", "the orthodontist", "the eye doctor",
            "a specialist at Children's", "the allergist")
_GRADES = ("C-", "D+", "D", "64", "72", "an F", "an incomplete", "a 58")
_AMOUNTS = ("$15", "$20", "$25", "$12", "$30")
_TIMES = ("7:30", "8:15", "9:00", "10:30", "11:45", "1:15", "2:30", "3:15", "3:30", "4:00")
_RELATIONS_F = ("mom", "mother", "grandmother", "aunt", "guardian")
_RELATIONS_M = ("dad", "father", "grandfather", "uncle", "guardian")

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_DAYS_SHORT = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
_MONTHS_SHORT = tuple(m[:3] for m in _MONTHS)
_DAYS_BY_LANG = {
    "es": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
    "pt": ("segunda-feira", "terça-feira", "quarta-feira", "quinta-feira", "sexta-feira",
           "sábado", "domingo"),
    "ht": ("lendi", "madi", "mèkredi", "jedi", "vandredi", "samdi", "dimanch"),
}
# fmt: on


def _ascii(text: str) -> str:
    """Fold a name to the ASCII letters and digits usable in an address's local part."""
    text = text.replace("Đ", "D").replace("đ", "d")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isascii() and c.isalnum())


# --------------------------------------------------------------------------------------------
# Text templates
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Topic:
    subjects: tuple[str, ...]
    parent: tuple[str, ...]
    student: tuple[str, ...]
    teacher: tuple[str, ...]
    attachments: tuple[str, ...]
    limit: int = 8  # at most this many topic sentences in one message


# fmt: off
_TOPICS: dict[str, _Topic] = {
    "absence": _Topic(
        subjects=("{child} absent {day}", "Absence - {child_full}", "{child} out tomorrow",
                  "Doctor's appointment {date}", "Excused absence for {child}",
                  "{child} will be out"),
        parent=(
            "{child} woke up with a fever this morning and will be staying home today.",
            "I will be picking {child} up early on {day} for an appointment with {doctor} "
            "at {time}.",
            "Could you please let me know what work will be missed so {child} can catch up?",
            "We have a family emergency and {child} will be out for the rest of the week.",
            "I called the attendance line but wanted to let you know directly as well.",
            "I will send in a note from {doctor} when {child} is back.",
            "Is there anything {child} needs to turn in for {class_name} while out?",
            "Sorry for the short notice.",
            "{child} was marked absent on {past_date} but was actually at {doctor} and came in "
            "late with a note from the office.",
            "We are traveling to see family and {child} will miss {day} and the day after.",
            "The nurse called me to pick {child} up yesterday, so {child} missed the quiz in "
            "{class_name}.",
        ),
        student=(
            "i was absent today, can you send me what we did in class",
            "I'm going to miss class on {day} for an appointment. Can I get the notes?",
            "Sorry I wasn't in class, I was sick. What did I miss?",
            "can i make up the quiz from {past_date}? i was out",
        ),
        teacher=(
            "Thank you for letting me know. I hope {child} feels better soon.",
            "No problem. I will put the work from this week in {child}'s folder.",
            "Thanks for the heads up. {child} can make up the quiz during flex block.",
            "Please make sure the office also gets the doctor's note so the absence is "
            "excused.",
        ),
        attachments=("pdf:Doctors_note_{file_date}.pdf", "jpg:IMG_{n4}.jpg",
                     "pdf:Note from {doctor_file}.pdf"),
    ),
    "homework": _Topic(
        subjects=("Question about {assignment}", "{class_name} homework", "Missing assignments",
                  "{child}'s homework", "Re: {class_name} assignment", "Extension request"),
        parent=(
            "{child} said that {assignment} is due on {day}, but the portal says it was due "
            "last week.",
            "We could not find the worksheet in {child}'s folder.",
            "Is it possible to get an extension on {assignment}? {child} has been sick.",
            "{child} spent about two hours on it last night and is still confused about the "
            "last section.",
            "The Google Classroom link doesn't seem to be working from home.",
            "Could you send a copy of the instructions?",
            "I noticed there are three missing assignments showing in Aspen.",
            "We want to make sure {child} stays on track this term.",
            "From what {child} told me, the class did not finish the review in time.",
            "Is there a study guide for the test on {day}?",
        ),
        student=(
            "Can I still turn in {assignment}? I forgot it at home.",
            "hi {teacher}, i dont understand number 4 on the homework",
            "Is {assignment} due {day} or next week?",
            "I submitted {assignment} on Classroom but it says missing",
        ),
        teacher=(
            "{assignment} is due on {day}; I will accept it without penalty through {date}.",
            "I re-posted the instructions on Google Classroom this afternoon.",
            "{child} is welcome to come for extra help on {day} after school.",
            "I checked and the portal was wrong; the assignment is not missing.",
        ),
        attachments=("docx:{child} essay final.docx", "docx:Lab Report - {child_full}.docx",
                     "jpg:IMG_{n4}.jpg", "pdf:Scan_{file_date}.pdf"),
    ),
    "field_trip": _Topic(
        subjects=("Field trip to {place_short}", "Chaperone for the {place_short} trip",
                  "Field trip payment", "Trip on {date}"),
        parent=(
            "I would love to chaperone the trip to {place} on {date} if you still need "
            "parents.",
            "I sent in the {amount} for the trip in an envelope in {child}'s backpack.",
            "Does {child} need to bring a bag lunch or will lunch be provided?",
            "What time will the bus be back at school?",
            "{child} has a nut allergy, so please make sure the chaperones know.",
            "We cannot afford the fee right now; is there any financial help available?",
            "Do chaperones need a CORI check, and how long does that take?",
            "{child} gets carsick, so could {child} sit near the front of the bus?",
        ),
        student=(
            "do we need to bring money for the trip to {place}?",
            "I lost my permission slip for the field trip, can I get another one?",
        ),
        teacher=(
            "Lunch is provided, but {child} can bring a snack.",
            "We would love to have you chaperone. I will send the CORI form.",
            "The buses should be back by 2:45.",
            "Yes, the PTO covers the fee for any family who needs it. No need to explain.",
        ),
        attachments=("pdf:Field Trip Form.pdf", "pdf:permission_slip_signed.pdf",
                     "jpg:IMG_{n4}.jpg"),
    ),
    "sports": _Topic(
        subjects=("Practice {day}", "{sport_cap} practice schedule", "Re: {sport} game {day}",
                  "{child} - missing practice", "Ride to the game", "{sport_cap} tryouts"),
        parent=(
            "{child} has a doctor's appointment and will miss {sport} practice on {day}.",
            "Is practice still on for {day} with the weather?",
            "What time should we pick up after the game at {town}?",
            "{child} hurt an ankle at practice yesterday; should we see the athletic trainer?",
            "Do players need to be at the field by {time}?",
            "The bus to {town} leaves from the back lot, correct?",
            "We still need to turn in the physical form; the appointment isn't until {date}.",
            "Can {child} get a ride home with the Sullivans after the game?",
        ),
        student=(
            "coach, i cant make practice {day}, i have a dentist appointment",
            "is the game at {town} still on?",
            "what time is the bus tomorrow",
            "Can I still try out if I missed the first day?",
        ),
        teacher=(
            "Practice is moved inside to the gym because of the rain.",
            "Thanks for letting me know. Tell {child} to stretch and ice it tonight.",
            "The bus leaves at {time} sharp from the back lot.",
            "Pickup will be around 6:30 at the front circle.",
        ),
        attachments=("pdf:Sports physical form.pdf", "jpg:IMG_{n4}.jpg"),
    ),
    "iep": _Topic(
        subjects=("IEP meeting", "Scheduling {child}'s IEP meeting",
                  "Team meeting - {child_full}", "504 plan question",
                  "Re: Annual review for {child}"),
        parent=(
            "Thank you for sending the meeting invitation for {child}'s annual IEP review.",
            "{day} at {time} works for me, but {child}'s other parent can only join by phone.",
            "Could we get a copy of the progress reports before the meeting?",
            "I would like the team to talk about the accommodations for tests in "
            "{class_name}.",
            "Will the speech and language evaluation results be ready by then?",
            "Can an interpreter be there? I am more comfortable in {home_language}.",
            "We have concerns that the reading support is not happening as often as the plan "
            "says.",
            "I am bringing an advocate to the meeting, I hope that is all right.",
        ),
        student=(
            "Can I take the test in the learning center like my plan says?",
            "i need extra time on the quiz, i have it in my 504",
        ),
        teacher=(
            "I have reserved the conference room for {day} at {time}.",
            "I will send the progress reports home in {child}'s folder this week.",
            "An interpreter has been requested through the district office.",
            "I will share the draft goals with you before the meeting.",
        ),
        attachments=("pdf:IEP_Progress_Report.pdf", "pdf:Meeting invitation - {child_full}.pdf",
                     "docx:Parent concerns for IEP.docx"),
    ),
    "grades": _Topic(
        subjects=("{child}'s grade in {class_name}", "Progress report question", "Quiz grade",
                  "Concern about grades", "Report card"),
        parent=(
            "I saw on the portal that {child} has {grade} in {class_name} and I was surprised.",
            "Can you tell me what {child} can do to bring the grade up before the end of the "
            "term?",
            "Is there extra help after school?",
            "{child} says the test on {past_date} was not graded yet.",
            "Would it be possible to meet for a few minutes before school?",
            "We have taken away the phone on school nights until things improve.",
            "{child} has always done well in {class_name}, so this is a big change.",
        ),
        student=(
            "Can I retake the quiz? I studied but I blanked.",
            "why did I get {grade} on the test? can we go over it",
            "Is there any extra credit?",
        ),
        teacher=(
            "{child} is missing two assignments; turning those in would help a lot.",
            "I am available before school on {day} at 7:30.",
            "Retakes are allowed within two weeks of the test.",
            "The grade on the portal will update after I enter the project grades.",
        ),
        attachments=("pdf:{child_full} - report card.pdf", "jpg:Screenshot_{file_date}.jpg"),
    ),
    "bullying": _Topic(
        subjects=("Concern", "Something happened at lunch", "Please call me", "Bus situation",
                  "Concern about {child}", "Confidential"),
        parent=(
            "{child} came home upset again today and said some kids in {class_name} have been "
            "making comments.",
            "This has happened several times now, at lunch and on the bus.",
            "I don't want to make it worse for {child}, but I think the school needs to know.",
            "There were also some messages on a group chat that I have screenshots of.",
            "Can you let me know who I should talk to, the guidance counselor or the assistant "
            "principal?",
            "{child} does not want to come to school tomorrow.",
            "Please keep this confidential for now.",
            "From the screenshots it looks like it started after the game on {day}.",
        ),
        student=(
            "can I talk to you tomorrow? something happened at lunch",
            "please dont tell anyone i emailed you but some kids are saying stuff about me",
        ),
        teacher=(
            "Thank you for telling me. I have let the assistant principal know today.",
            "I will check in with {child} privately tomorrow morning.",
            "The counselor, Ms. Mohammed, will reach out to you to set up a time to talk.",
            "We take this seriously and will follow the district's bullying prevention plan.",
        ),
        attachments=("jpg:Screenshot_{file_date}.jpg", "jpg:IMG_{n4}.jpg"),
    ),
    "permission_slip": _Topic(
        subjects=("Permission slip", "Signed permission slip", "Form for {date}",
                  "Photo release form", "Re: Permission form"),
        parent=(
            "Attached is the signed permission slip for {child}.",
            "I signed the form but {child} forgot it on the kitchen table.",
            "Can I email it instead of sending the paper copy?",
            "The media release form says no photos; we do not want {child}'s picture posted "
            "online.",
            "Please let me know if you need anything else.",
            "I could not print it, so I took a picture of it. I hope that is OK.",
        ),
        student=(
            "here is the form my mom signed",
            "I forgot my permission slip, can my dad email it?",
        ),
        teacher=(
            "Got it, thank you. A photo of the signed form is fine.",
            "Thanks! I have noted the media preference in our class list.",
        ),
        attachments=("pdf:permission_slip_signed.pdf", "jpg:IMG_{n4}.jpg",
                     "pdf:Photo release form.pdf"),
    ),
    "dismissal": _Topic(
        subjects=("Pickup today", "Change in dismissal", "{child} - early pickup",
                  "Dismissal change for {day}"),
        parent=(
            "{child} will be picked up by {child}'s grandmother today at regular dismissal.",
            "Please have {child} ride bus 14 home today instead of going to the after-school "
            "program.",
            "I will pick {child} up at {time} for an appointment; I will sign out at the "
            "office.",
            "{child} can walk home with a neighbor today, I gave permission to the office.",
        ),
        student=(
            "my mom is picking me up early today at {time}",
        ),
        teacher=(
            "Thanks, I have let the front office know.",
            "Got it. {child} will be ready at the office at {time}.",
        ),
        attachments=("jpg:IMG_{n4}.jpg",),
        limit=1,
    ),
}
_TOPIC_NAMES = tuple(_TOPICS)
_TOPIC_WEIGHTS = (22, 18, 8, 12, 10, 12, 6, 7, 5)

_PARENT_GENERIC = (
    "Thank you for everything you do for {child}.",
    "Let me know if you have any questions.",
    "I hope you had a nice weekend.",
    "Sorry to bother you after school hours.",
    "{child} really enjoys your class this year.",
    "My work schedule is hard to change, so email is the best way to reach me.",
    "You can also call or text me at 617-555-{n4}.",
    "I appreciate your patience with us.",
)
_GREETINGS = ("Hi {teacher},", "Hello {teacher},", "Good morning {teacher},", "Dear {teacher},",
              "Hi {teacher_first},", "{teacher},", "Good evening {teacher},")
_CLOSINGS = ("Thank you,", "Thanks,", "Thanks so much,", "Best,", "Sincerely,",
             "Thank you for your help,", "Regards,")
_MOBILE_SIGS = ("Sent from my iPhone", "Sent from my Galaxy", "Get Outlook for Android",
                "Sent from my iPhone")


_NOTES = (
    "Forwarding for the record.",
    "FYI - forwarding per district policy.",
    "Archiving this exchange from my personal account.",
    "Parent email from my personal account, forwarding as required.",
    "Forwarding a message I received on my personal email.",
    "For the archive.",
    "Please archive. This came to my personal address.",
    "Forwarding the thread below for records retention.",
    "Copy for the records archive. I replied from my school account.",
)
_NOTE_LOGS = (
    "Logging a phone call on {past_date} at {time} with {parent_full} ({relation} of "
    "{child_full}).",
    "Record of a conversation at pickup on {past_date} with {parent_full}, {child_full}'s "
    "{relation}.",
    "Summary of text messages exchanged with {parent_full} on {past_date}.",
    "Note for the record: {parent_full} stopped by my classroom on {past_date} after "
    "school.",
)
_NOTE_BODY = (
    "We talked about {child}'s progress in {class_name} and the missing work.",
    "The parent asked about the schedule for the next few weeks.",
    "I explained the make-up policy and offered extra help on {day}.",
    "The parent raised a concern about a conflict with another student; I referred it to the "
    "assistant principal.",
    "We agreed to check in again in two weeks.",
    "The parent asked that future communication go to the email on file.",
    "No further action needed at this time.",
)


@dataclass(frozen=True)
class _LangPack:
    subjects: tuple[str, ...]
    greetings: tuple[str, ...]
    sentences: tuple[str, ...]
    closings: tuple[str, ...]


_LANGS: dict[str, _LangPack] = {
    "es": _LangPack(
        subjects=("Ausencia de {child}", "Pregunta sobre la tarea", "Reunión",
                  "{child} no irá a la escuela mañana", "Permiso para la excursión"),
        greetings=("Buenos días, {teacher}:", "Hola {teacher},", "Estimado/a {teacher}:"),
        sentences=(
            "Le escribo para avisarle que {child} no va a ir a la escuela el {day_l} porque "
            "tiene fiebre.",
            "¿Me podría decir qué tarea tiene que hacer para no atrasarse?",
            "Tenemos una cita con el médico a las {time}.",
            "Quisiera reunirme con usted para hablar sobre las calificaciones de {child}.",
            "Necesito un intérprete para la reunión del IEP, por favor.",
            "{child} me dice que no entiende la tarea de matemáticas.",
            "Firmé el permiso para la excursión y lo mandé en la mochila.",
            "Disculpe las molestias y gracias por su comprensión.",
            "¿A qué hora termina la práctica el {day_l}?",
        ),
        closings=("Saludos cordiales,", "Gracias,", "Atentamente,", "Muchas gracias,"),
    ),
    "pt": _LangPack(
        subjects=("Falta - {child}", "Dúvida sobre a lição de casa", "Reunião",
                  "Autorização para o passeio", "{child} não vai à escola amanhã"),
        greetings=("Bom dia, {teacher},", "Olá {teacher},", "Prezada {teacher},"),
        sentences=(
            "{child} não vai à escola amanhã porque está doente.",
            "Gostaria de saber quais são as tarefas que precisam ser entregues esta semana.",
            "Podemos marcar uma reunião na {day_l} às {time}?",
            "Preciso de um intérprete em português para a reunião, por favor.",
            "Mandei a autorização assinada na mochila.",
            "{child} está com dificuldade em matemática e precisa de ajuda.",
            "Desculpe o incômodo e obrigada pela atenção.",
            "O treino de {day_l} foi cancelado por causa da chuva?",
        ),
        closings=("Muito obrigada,", "Obrigado,", "Atenciosamente,", "Abraços,"),
    ),
    "ht": _LangPack(
        subjects=("{child} p ap vini lekòl demen", "Kesyon sou devwa", "Reyinyon",
                  "Papye pèmisyon", "Nòt {child}"),
        greetings=("Bonjou {teacher},", "Bonswa {teacher},", "Bonjou pwofesè,"),
        sentences=(
            "{child} malad, li p ap ka vini lekòl jodi a.",
            "Tanpri, èske ou ka voye devwa yo pou {child} ka travay lakay?",
            "Mwen ta renmen pale avè w sou nòt {child} yo.",
            "Mwen bezwen yon entèprèt kreyòl pou reyinyon an.",
            "Mwen te siyen papye pèmisyon an epi mwen mete l nan valiz {child}.",
            "Èske gen pratik {day_l} apre lekòl?",
            "{child} gen randevou kay doktè {day_l} a {time}.",
            "Eskize m dèske m ekri w ta konsa.",
        ),
        closings=("Mèsi anpil,", "Mèsi,", "Respè,", "Bondye beni w,"),
    ),
}
_HOME_LANGUAGES = {"es": "Spanish", "pt": "Portuguese", "ht": "Haitian Creole"}
# fmt: on


def _mobile_signature(rng: random.Random, address: str) -> str:
    if address.endswith("@yahoo.com"):
        return "Sent from Yahoo Mail for iPhone"
    if address.endswith(("@outlook.com", "@hotmail.com")):
        return rng.choice(("Get Outlook for iOS", "Get Outlook for Android"))
    if address.endswith("@icloud.com"):
        return "Sent from my iPhone"
    return rng.choice(_MOBILE_SIGS)


# --------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------

_START = int(datetime(2025, 1, 1, 12, tzinfo=UTC).timestamp())
_END = int(datetime(2026, 12, 31, 3, tzinfo=UTC).timestamp())
_EST = timezone(timedelta(hours=-5))
_EDT = timezone(timedelta(hours=-4))


def _nth_sunday(year: int, month: int, n: int) -> int:
    first = datetime(year, month, 1, tzinfo=UTC)
    offset = (6 - first.weekday()) % 7
    return 1 + offset + 7 * (n - 1)


def _eastern(ts: int) -> datetime:
    """The instant ``ts`` in US Eastern time (DST from the 2nd Sunday of March to the 1st of
    November), without relying on the system's time zone database."""
    year = datetime.fromtimestamp(ts, UTC).year
    dst_start = datetime(year, 3, _nth_sunday(year, 3, 2), 7, tzinfo=UTC)
    dst_end = datetime(year, 11, _nth_sunday(year, 11, 1), 6, tzinfo=UTC)
    tz = _EDT if dst_start.timestamp() <= ts < dst_end.timestamp() else _EST
    return datetime.fromtimestamp(ts, tz)


def _tzname(dt: datetime) -> str:
    return "EDT" if dt.utcoffset() == timedelta(hours=-4) else "EST"


def _clock(dt: datetime, seconds: bool = False) -> str:
    hour = dt.hour % 12 or 12
    ampm = "AM" if dt.hour < 12 else "PM"
    sec = f":{dt.second:02d}" if seconds else ""
    return f"{hour}:{dt.minute:02d}{sec} {ampm}"


def _rfc5322(dt: datetime) -> str:
    off = dt.utcoffset() or timedelta(0)
    minutes = int(off.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    return (
        f"{_DAYS_SHORT[dt.weekday()]}, {dt.day} {_MONTHS_SHORT[dt.month - 1]} {dt.year} "
        f"{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d} {sign}{minutes // 60:02d}"
        f"{minutes % 60:02d}"
    )


def _gmail_date(dt: datetime) -> str:
    return (
        f"{_DAYS_SHORT[dt.weekday()]}, {_MONTHS_SHORT[dt.month - 1]} {dt.day}, {dt.year} "
        f"at {_clock(dt)}"
    )


def _outlook_date(dt: datetime) -> str:
    return f"{_DAYS[dt.weekday()]}, {_MONTHS[dt.month - 1]} {dt.day}, {dt.year} {_clock(dt)}"


def _apple_date(dt: datetime) -> str:
    return f"{_MONTHS[dt.month - 1]} {dt.day}, {dt.year} at {_clock(dt, True)} {_tzname(dt)}"


def _asctime(dt: datetime) -> str:
    u = dt.astimezone(UTC)
    return (
        f"{_DAYS_SHORT[u.weekday()]} {_MONTHS_SHORT[u.month - 1]} {u.day:2d} "
        f"{u.hour:02d}:{u.minute:02d}:{u.second:02d} {u.year}"
    )


# --------------------------------------------------------------------------------------------
# MIME building blocks (bytes with CRLF line endings)
# --------------------------------------------------------------------------------------------

_HEX = "0123456789abcdef"
_B64CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def _token(rng: random.Random, n: int, alphabet: str = _HEX) -> str:
    if alphabet == _HEX:
        return f"{rng.getrandbits(4 * n):0{n}x}"
    return "".join(rng.choices(alphabet, k=n))


def _header(name: str, value: str) -> str:
    """One header field, RFC 2047-encoded when not ASCII, folded, ending in CRLF."""
    if value.isascii() and len(name) + len(value) + 2 <= 78:
        return f"{name}: {value}\r\n"
    charset = "us-ascii" if value.isascii() else "utf-8"
    encoded = Header(value, charset, header_name=name).encode(linesep="\r\n")
    return f"{name}: {encoded}\r\n"


def _addr(name: str, address: str) -> str:
    return formataddr((name, address), charset="utf-8") if name else f"<{address}>"


def _address_header(name: str, addresses: Sequence[tuple[str, str]]) -> str:
    items = [_addr(n, a) for n, a in addresses]
    line = f"{name}: " + ", ".join(items)
    if len(line) <= 78:
        return line + "\r\n"
    return f"{name}: " + ",\r\n ".join(items) + "\r\n"


def _headers(fields: Sequence[str]) -> bytes:
    return "".join(fields).encode("ascii")


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def _text_part(
    rng: random.Random, text: str, subtype: str, *, style: str, force_cte: str | None = None
) -> bytes:
    """A complete text/* part (headers, blank line, encoded body)."""
    data = _crlf(text).encode("utf-8")
    ascii_only = data.isascii()
    if force_cte is not None:
        cte = force_cte
    elif ascii_only:
        cte = "quoted-printable" if rng.random() < 0.15 else "7bit"
    else:
        r = rng.random()
        cte = "8bit" if r < 0.5 else "quoted-printable" if r < 0.95 else "base64"
    use_ascii = ascii_only and rng.random() < 0.5 and style != "gmail"
    charset = "us-ascii" if use_ascii else "utf-8"
    if style == "gmail":
        ctype = f'text/{subtype}; charset="UTF-8"'
    elif style == "outlook":
        ctype = f'text/{subtype}; charset="{charset}"'
    else:
        ctype = f"text/{subtype}; charset={charset}"
    if cte == "quoted-printable":
        body = binascii.b2a_qp(data, istext=True)
    elif cte == "base64":
        body = _b64(data)
    else:
        body = data
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    fields = [f"Content-Type: {ctype}\r\n"]
    if cte != "7bit" or style != "apple":
        fields.append(f"Content-Transfer-Encoding: {cte}\r\n")
    return _headers(fields) + b"\r\n" + body


def _b64(data: bytes) -> bytes:
    """Base64 in 76-character lines ending in CRLF (as base64.encodebytes, but faster)."""
    encoded = base64.b64encode(data)
    if not encoded:
        return b""
    lines = [encoded[i : i + 76] for i in range(0, len(encoded), 76)]
    lines.append(b"")
    return b"\r\n".join(lines)


def _multipart(
    subtype: str, boundary: str, parts: Sequence[bytes], preamble: str = ""
) -> tuple[str, bytes]:
    """Return (Content-Type value, body) for a multipart of the given parts."""
    delim = f"--{boundary}".encode("ascii")
    chunks = [preamble.encode("ascii") + b"\r\n" if preamble else b""]
    for part in parts:
        chunks.append(delim + b"\r\n" + part + (b"" if part.endswith(b"\r\n") else b"\r\n"))
    chunks.append(delim + b"--\r\n")
    return f'multipart/{subtype}; boundary="{boundary}"', b"".join(chunks)


def _multipart_part(
    subtype: str, boundary: str, parts: Sequence[bytes], preamble: str = ""
) -> bytes:
    ctype, body = _multipart(subtype, boundary, parts, preamble)
    return _headers([_header("Content-Type", ctype)]) + b"\r\n" + body


def _boundary(rng: random.Random, style: str) -> str:
    if style == "gmail":
        return "000000000000" + _token(rng, 16)
    if style == "outlook":
        return f"_{rng.randrange(10**3):03d}_{_token(rng, 30, _B64CHARS[:36].upper())}_"
    if style == "apple":
        return f"Apple-Mail-{_uuid(rng)}"
    if style == "yahoo":
        return f"----=_Part_{rng.randrange(10**7)}_{rng.randrange(10**9)}.{rng.randrange(10**13)}"
    return f"------------{_token(rng, 24, _B64CHARS)}"


def _uuid(rng: random.Random) -> str:
    h = _token(rng, 32, _HEX[:10] + "ABCDEF")
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _rfc2231(name: str) -> str:
    quoted = "".join(
        chr(b) if (chr(b).isalnum() and b < 128) or chr(b) in "-._" else f"%{b:02X}"
        for b in name.encode("utf-8")
    )
    return f"UTF-8''{quoted}"


# --------------------------------------------------------------------------------------------
# Attachments
# --------------------------------------------------------------------------------------------

_CTYPES = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def _attachment_size(rng: random.Random) -> int:
    # Log-uniform between 20 and 400 KB: most attachments small, a few large.
    return int(MIN_ATTACHMENT * (MAX_ATTACHMENT / MIN_ATTACHMENT) ** rng.random())


def _pdf_string(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text)
    folded = "".join(c for c in folded if c.isascii() and c.isprintable())
    return folded.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _pdf(rng: random.Random, size: int, lines: Sequence[str]) -> bytes:
    """A structurally valid PDF: one page of text plus an image stream of random bytes."""
    text_ops = ["BT", "/F1 12 Tf", "72 720 Td", "16 TL"]
    text_ops += [f"({_pdf_string(line)}) Tj T*" for line in lines]
    text_ops.append("ET")
    content = ("\n".join(text_ops) + "\n").encode("ascii")
    width, height = rng.choice(((1700, 2200), (1275, 1650), (2550, 3300)))
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 5 0 R "
        b"/Resources << /Font << /F1 4 0 R >> /XObject << /Im1 6 0 R >> >> >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
    ]
    head = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    overhead = len(head) + sum(len(o) + 20 for o in objects) + 400
    image = rng.randbytes(max(1024, size - overhead))
    objects.append(
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB "
        b"/BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n%s\nendstream"
        % (width, height, len(image), image)
    )
    out = bytearray(head)
    offsets = []
    for i, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (i, obj)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _jpeg(rng: random.Random, size: int) -> bytes:
    head = (
        b"\xff\xd8\xff\xe1\x00\x2eExif\x00\x00MM\x00\x2a\x00\x00\x00\x08"
        + b"\x00" * 32
        + b"\xff\xdb\x00\x43\x00"
        + rng.randbytes(64)
    )
    return head + rng.randbytes(max(0, size - len(head) - 2)) + b"\xff\xd9"


def _docx(rng: random.Random, size: int) -> bytes:
    name = b"[Content_Types].xml"
    head = (
        b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00"
        + rng.randbytes(12)
        + len(name).to_bytes(2, "little")
        + b"\x00\x00"
        + name
    )
    tail = b"PK\x05\x06\x00\x00\x00\x00\x0b\x00\x0b\x00" + rng.randbytes(8) + b"\x00\x00"
    return head + rng.randbytes(max(0, size - len(head) - len(tail))) + tail


@dataclass(frozen=True)
class _Attachment:
    filename: str
    ctype: str
    data: bytes


def _make_attachment(
    rng: random.Random, spec: str, ctx: dict[str, str], lines: Sequence[str]
) -> _Attachment:
    kind, _, pattern = spec.partition(":")
    filename = pattern.format_map(ctx)
    size = _attachment_size(rng)
    if kind == "pdf":
        data = _pdf(rng, size, lines)
    elif kind == "jpg":
        data = _jpeg(rng, size)
    else:
        data = _docx(rng, size)
    return _Attachment(filename, _CTYPES[kind], data)


def _attachment_part(rng: random.Random, att: _Attachment, style: str) -> bytes:
    if att.filename.isascii():
        name_param = f'name="{att.filename}"'
        file_param = f'filename="{att.filename}"'
    else:
        name_param = f"name*={_rfc2231(att.filename)}"
        file_param = f"filename*={_rfc2231(att.filename)}"
    fields = [_header("Content-Type", f"{att.ctype}; {name_param}")]
    if style == "outlook" and att.filename.isascii():
        fields.append(f"Content-Description: {att.filename}\r\n")
    fields.append(_header("Content-Disposition", f"attachment; {file_param}"))
    fields.append("Content-Transfer-Encoding: base64\r\n")
    if style == "gmail":
        att_id = f"f_{_token(rng, 9, _B64CHARS[26:52] + _HEX[:10])}0"
        fields.append(f"Content-ID: <{att_id}>\r\n")
        fields.append(f"X-Attachment-Id: {att_id}\r\n")
    return _headers(fields) + b"\r\n" + _b64(att.data)


# --------------------------------------------------------------------------------------------
# People and content for one message
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Person:
    first: str
    last: str
    email: str
    relation: str  # "mom", "dad", ..., or "student"

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


@dataclass(frozen=True)
class _Student:
    first: str
    last: str
    sid: str

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


def _personal_email(rng: random.Random, first: str, last: str, birth_year: int) -> str:
    f, lname = _ascii(first).lower(), _ascii(last).lower()
    domain = rng.choice(_PERSONAL_DOMAINS)
    pattern = rng.randrange(6)
    if pattern == 0:
        local = f"{f}.{lname}"
    elif pattern == 1:
        local = f"{f}{lname}{rng.randrange(1, 100)}"
    elif pattern == 2:
        local = f"{f[:1]}{lname}{birth_year % 100:02d}"
    elif pattern == 3:
        local = f"{lname}.{f}{rng.randrange(1, 10)}"
    elif pattern == 4:
        local = f"{f}_{lname}{birth_year}"
    else:
        local = f"{f}{lname[:1]}{rng.randrange(100, 1000)}"
    return f"{local}@{domain}"


def _student(rng: random.Random, culture: _Culture, last: str) -> _Student:
    if rng.random() < 0.2:
        last = rng.choice(culture.last)
    return _Student(rng.choice(culture.children), last, str(rng.randrange(100000, 200000)))


@dataclass
class _Scene:
    """Everyone and everything one message is about."""

    teacher: _Teacher
    sender: _Person  # author of the original message (parent or student)
    student: _Student
    other: _Student | None
    topic: str
    language: str
    ctx: dict[str, str]


def _scene(rng: random.Random, when: datetime) -> _Scene:
    teacher = rng.choice(_TEACHERS)
    topic = rng.choices(_TOPIC_NAMES, _TOPIC_WEIGHTS)[0]
    if topic == "sports" and rng.random() < 0.6:
        teacher = rng.choice([t for t in _TEACHERS if t.title == "Coach"])
    cname = rng.choices(_CULTURE_NAMES, _CULTURE_WEIGHTS)[0]
    culture = _CULTURES[cname]
    family_last = rng.choice(culture.last)
    student = _student(rng, culture, family_last)
    other_culture = _CULTURES[rng.choices(_CULTURE_NAMES, _CULTURE_WEIGHTS)[0]]
    other = _student(rng, other_culture, rng.choice(other_culture.last))
    if rng.random() < 0.22:
        birth = rng.randrange(2007, 2013)
        sender = _Person(
            student.first,
            student.last,
            _personal_email(rng, student.first, student.last, birth),
            "student",
        )
        language = "en"
    else:
        female = rng.random() < 0.65
        first = rng.choice(culture.female if female else culture.male)
        relation = rng.choice(_RELATIONS_F if female else _RELATIONS_M)
        last = family_last if rng.random() < 0.85 else rng.choice(culture.last)
        birth = rng.randrange(1970, 1995)
        sender = _Person(first, last, _personal_email(rng, first, last, birth), relation)
        language = (
            culture.language
            if culture.language != "en" and rng.random() < culture.other_language_rate
            else "en"
        )
    later = when + timedelta(days=rng.randrange(1, 21))
    earlier = when - timedelta(days=rng.randrange(1, 10))
    sport = rng.choice(_COACH_SPORTS)
    file_date = f"{when.year}{when.month:02d}{when.day:02d}"
    ctx = {
        "child": student.first,
        "child_full": student.name,
        "teacher": teacher.addressed,
        "teacher_first": teacher.first,
        "day": _DAYS[rng.randrange(5)],
        "day_l": _DAYS_BY_LANG.get(language, _DAYS)[rng.randrange(5)],
        "date": f"{_MONTHS[later.month - 1]} {later.day}",
        "past_date": f"{_MONTHS[earlier.month - 1]} {earlier.day}",
        "time": rng.choice(_TIMES),
        "class_name": (
            teacher.subject
            if rng.random() < 0.6 and teacher.title != "Coach"
            else rng.choice(_CLASSES)
        ),
        "assignment": rng.choice(_ASSIGNMENTS),
        "place": (place := rng.choice(_PLACES)),
        "place_short": place.removeprefix("the "),
        "sport": sport,
        "sport_cap": sport.capitalize(),
        "town": rng.choice(
            (
                "Braintree",
                "Quincy",
                "Dedham",
                "Needham",
                "Canton",
                "Walpole",
                "Weymouth",
                "Brookline",
            )
        ),
        "doctor": (doctor := rng.choice(_DOCTORS)),
        "doctor_file": doctor.removeprefix("the ").removeprefix("a "),
        "grade": rng.choice(_GRADES),
        "amount": rng.choice(_AMOUNTS),
        "home_language": _HOME_LANGUAGES.get(culture.language, "Spanish"),
        "n4": str(rng.randrange(1000, 10000)),
        "file_date": file_date,
        "parent_full": sender.name,
        "relation": sender.relation,
    }
    return _Scene(teacher, sender, student, other, topic, language, ctx)


def _fill(template: str, ctx: dict[str, str]) -> str:
    text = template.format_map(ctx)
    return text[:1].upper() + text[1:]


def _sentences(
    rng: random.Random, pool: Sequence[str], ctx: dict[str, str], lo: int, hi: int
) -> list[str]:
    k = min(len(pool), rng.randint(lo, hi))
    return [_fill(s, ctx) for s in rng.sample(list(pool), k)]


def _original_text(rng: random.Random, scene: _Scene) -> tuple[str, str]:
    """Subject and body of the message the teacher received."""
    ctx = scene.ctx
    topic = _TOPICS[scene.topic]
    if scene.language != "en":
        pack = _LANGS[scene.language]
        subject = _fill(rng.choice(pack.subjects), ctx)
        sents = _sentences(rng, pack.sentences, ctx, 3, 6)
        cut = rng.randint(1, len(sents) - 1)
        halves = [" ".join(sents[:cut]), " ".join(sents[cut:])]
        body = "\n\n".join(
            [
                _fill(rng.choice(pack.greetings), ctx),
                *halves,
                f"{rng.choice(pack.closings)}\n{scene.sender.name}",
            ]
        )
        return subject, body + "\n"
    if scene.sender.relation == "student":
        lines = _sentences(rng, topic.student, ctx, 1, 2)
        if rng.random() < 0.6:
            subject = _fill(rng.choice(topic.subjects), ctx)
        else:
            subject = rng.choice(
                ("question", "Question", "absent", "quiz", "homework", "class", "hi", "sorry")
            )
        sign = scene.sender.first if rng.random() < 0.7 else scene.sender.first.lower()
        body = "\n\n".join([" ".join(lines), sign])
        if rng.random() < 0.3:
            body += "\n\n" + _mobile_signature(rng, scene.sender.email)
        return subject, body + "\n"
    subject = _fill(rng.choice(topic.subjects), ctx)
    n_paras = rng.choices((1, 2, 3, 4), (2, 4, 3, 1))[0]
    pool = rng.sample(list(topic.parent), min(topic.limit, len(topic.parent)))
    paras: list[str] = []
    for i in range(n_paras):
        if not pool:
            break
        k = min(len(pool), rng.randint(1, 3))
        picked = rng.sample(pool, k)
        for p in picked:
            pool.remove(p)
        if i == n_paras - 1 and rng.random() < 0.6:
            picked.append(rng.choice(_PARENT_GENERIC))
        paras.append(" ".join(_fill(p, ctx) for p in picked))
    sign = scene.sender.first if rng.random() < 0.6 else scene.sender.name
    if rng.random() < 0.3:
        sign += f"\n({scene.student.first}'s {scene.sender.relation})"
    parts = [_fill(rng.choice(_GREETINGS), ctx), *paras, f"{rng.choice(_CLOSINGS)}\n{sign}"]
    if rng.random() < 0.25:
        parts.append(_mobile_signature(rng, scene.sender.email))
    return subject, "\n\n".join(parts) + "\n"


def _teacher_reply(rng: random.Random, scene: _Scene) -> str:
    topic = _TOPICS[scene.topic]
    who = (
        scene.sender.first
        if scene.sender.relation == "student"
        else (f"{'Ms.' if scene.sender.relation in _RELATIONS_F else 'Mr.'} {scene.sender.last}")
    )
    lines = _sentences(rng, topic.teacher, scene.ctx, 1, 3)
    return (
        "\n\n".join(
            [
                f"Hi {who},",
                " ".join(lines),
                f"{rng.choice(('Best,', 'Thanks,', 'Take care,'))}\n{scene.teacher.addressed}",
            ]
        )
        + "\n"
    )


def _students_line(rng: random.Random, scene: _Scene) -> tuple[str, tuple[str, ...]]:
    """An optional "Students:" line for the teacher's note, and what it names."""
    r = rng.random()
    if r < 0.22:
        return f"Student: {scene.student.name}", (scene.student.name,)
    if r < 0.32 and scene.other is not None:
        names = (scene.student.name, scene.other.name)
        return f"Students: {names[0]}, {names[1]}", names
    if r < 0.40:
        return f"Student: {scene.student.sid}", (scene.student.sid,)
    if r < 0.44:
        return f"Student ID: {scene.student.sid}", (scene.student.sid,)
    return "", ()


def _teacher_note(rng: random.Random, scene: _Scene) -> tuple[str, tuple[str, ...]]:
    students_line, named = _students_line(rng, scene)
    note = rng.choice(_NOTES) if rng.random() < 0.85 else ""
    if rng.random() < 0.3:
        note = (note + " " if note else "") + _fill(
            rng.choice(
                (
                    "Re: {child_full}.",
                    "Concerns {child_full} in {class_name}.",
                    "Parent of {child_full}.",
                )
            ),
            scene.ctx,
        )
    lines = [x for x in (note, students_line) if x]
    if lines and rng.random() < 0.5:
        lines.append(rng.choice(("-- \n", "")) + scene.teacher.name)
    return "\n".join(lines), named


def _thread_quote(rng: random.Random, scene: _Scene, when: datetime) -> str:
    """An earlier message in the thread, quoted Gmail-style, appended under the original."""
    earlier = when - timedelta(hours=rng.randint(2, 72), minutes=rng.randrange(60))
    reply = _teacher_reply(rng, scene)
    who = f"{scene.teacher.name} <{scene.teacher.personal}>"
    quoted = "\n".join("> " + line if line else ">" for line in reply.rstrip("\n").split("\n"))
    return f"\n\nOn {_gmail_date(earlier)} {who} wrote:\n\n{quoted}\n"


# --------------------------------------------------------------------------------------------
# Forward renderings
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Original:
    sender: _Person
    to_name: str
    to_addr: str
    cc: tuple[tuple[str, str], ...]
    subject: str
    body: str
    date: datetime


def _fmt_person(name: str, addr: str) -> str:
    return f"{name} <{addr}>" if name else f"<{addr}>"


def _gmail_block(orig: _Original) -> str:
    lines = [
        "---------- Forwarded message ---------",
        f"From: {_fmt_person(orig.sender.name, orig.sender.email)}",
        f"Date: {_gmail_date(orig.date)}",
        f"Subject: {orig.subject}",
        f"To: {_fmt_person(orig.to_name, orig.to_addr)}",
    ]
    if orig.cc:
        lines.append("Cc: " + ", ".join(_fmt_person(n, a) for n, a in orig.cc))
    return "\n".join(lines) + "\n\n\n" + orig.body


def _outlook_block(orig: _Original, underscores: bool) -> str:
    lines = ["________________________________"] if underscores else []
    lines += [
        f"From: {_fmt_person(orig.sender.name, orig.sender.email)}",
        f"Sent: {_outlook_date(orig.date)}",
        f"To: {_fmt_person(orig.to_name, orig.to_addr)}",
    ]
    if orig.cc:
        lines.append("Cc: " + "; ".join(_fmt_person(n, a) for n, a in orig.cc))
    lines.append(f"Subject: {orig.subject}")
    return "\n".join(lines) + "\n\n" + orig.body


def _apple_block(rng: random.Random, orig: _Original, ios: bool) -> str:
    frm = f"From: {_fmt_person(orig.sender.name, orig.sender.email)}"
    date = f"Date: {_apple_date(orig.date)}"
    to = f"To: {_fmt_person(orig.to_name, orig.to_addr)}"
    subj = f"Subject: {orig.subject}"
    fields = [frm, date, to, subj] if ios else [frm, subj, date, to]
    if orig.cc:
        fields.append("Cc: " + ", ".join(_fmt_person(n, a) for n, a in orig.cc))
    block = "\n".join(fields) + "\n\n" + orig.body
    if ios and rng.random() < 0.6:
        block = "\n".join("> " + line if line else ">" for line in block.rstrip("\n").split("\n"))
        block += "\n"
    return "Begin forwarded message:\n\n" + block


def _html_paras(text: str) -> str:
    paras = [p for p in text.strip("\n").split("\n\n")]
    return "\n".join(
        "<div>" + "<br>\n".join(html.escape(line) for line in p.split("\n")) + "</div>"
        "<div><br></div>"
        for p in paras
    )


def _html_person(name: str, addr: str, bold_name: bool) -> str:
    link = f'&lt;<a href="mailto:{addr}">{addr}</a>&gt;'
    if not name:
        return link
    n = html.escape(name)
    if bold_name:
        return (
            f'<strong class="gmail_sendername" dir="auto">{n}</strong> <span dir="auto">'
            f"{link}</span>"
        )
    return f"{n} {link}"


def _gmail_html(note: str, orig: _Original) -> str:
    attr = [
        "---------- Forwarded message ---------<br>",
        f"From: {_html_person(orig.sender.name, orig.sender.email, True)}<br>",
        f"Date: {html.escape(_gmail_date(orig.date))}<br>",
        f"Subject: {html.escape(orig.subject)}<br>",
        f"To: {_html_person(orig.to_name, orig.to_addr, False)}<br>",
    ]
    if orig.cc:
        attr.append("Cc: " + ", ".join(_html_person(n, a, False) for n, a in orig.cc) + "<br>")
    return (
        f'<div dir="ltr">{_html_paras(note) if note else ""}<br>\n'
        '<div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">\n'
        + "\n".join(attr)
        + f'\n</div><br><br>\n<div dir="ltr">\n{_html_paras(orig.body)}\n</div>\n</div></div>\n'
    )


_OUTLOOK_CLASSIC_HEAD = """<html xmlns:v="urn:schemas-microsoft-com:vml" \
xmlns:o="urn:schemas-microsoft-com:office:office" \
xmlns:w="urn:schemas-microsoft-com:office:word" \
xmlns:m="http://schemas.microsoft.com/office/2004/12/omml" \
xmlns="http://www.w3.org/TR/REC-html40">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<meta name="Generator" content="Microsoft Word 15 (filtered medium)">
<style><!--
/* Font Definitions */
@font-face
\t{font-family:"Cambria Math";
\tpanose-1:2 4 5 3 5 4 6 3 2 4;}
@font-face
\t{font-family:Aptos;}
/* Style Definitions */
p.MsoNormal, li.MsoNormal, div.MsoNormal
\t{margin:0in;
\tfont-size:12.0pt;
\tfont-family:"Aptos",sans-serif;}
a:link, span.MsoHyperlink
\t{mso-style-priority:99;
\tcolor:#467886;
\ttext-decoration:underline;}
span.EmailStyle18
\t{mso-style-type:personal-reply;
\tfont-family:"Aptos",sans-serif;
\tcolor:windowtext;}
.MsoChpDefault
\t{mso-style-type:export-only;
\tfont-size:11.0pt;}
@page WordSection1
\t{size:8.5in 11.0in;
\tmargin:1.0in 1.0in 1.0in 1.0in;}
div.WordSection1
\t{page:WordSection1;}
--></style>
</head>
<body lang="EN-US" link="#467886" vlink="#96607D" style="word-wrap:break-word">
<div class="WordSection1">
"""


def _outlook_html(note: str, orig: _Original, classic: bool) -> str:
    def p(text: str) -> str:
        return (
            "".join(
                f'<p class="MsoNormal">{html.escape(line)}<o:p></o:p></p>\n'
                for line in text.split("\n")
            )
            + '<p class="MsoNormal"><o:p>&nbsp;</o:p></p>\n'
        )

    frm = html.escape(_fmt_person(orig.sender.name, orig.sender.email))
    to = html.escape(_fmt_person(orig.to_name, orig.to_addr))
    cc = (
        "<br>\n<b>Cc:</b> " + html.escape("; ".join(_fmt_person(n, a) for n, a in orig.cc))
        if orig.cc
        else ""
    )
    body_paras = [x for x in orig.body.strip("\n").split("\n\n")]
    if classic:
        return (
            _OUTLOOK_CLASSIC_HEAD
            + (p(note) if note else "")
            + '<div>\n<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0in '
            '0in 0in">\n<p class="MsoNormal"><b><span style="font-size:11.0pt;'
            'font-family:&quot;Calibri&quot;,sans-serif">From:</span></b><span '
            'style="font-size:11.0pt;font-family:&quot;Calibri&quot;,sans-serif"> '
            f"{frm}<br>\n<b>Sent:</b> {html.escape(_outlook_date(orig.date))}<br>\n"
            f"<b>To:</b> {to}{cc}<br>\n<b>Subject:</b> {html.escape(orig.subject)}"
            "<o:p></o:p></span></p>\n</div>\n</div>\n"
            '<p class="MsoNormal"><o:p>&nbsp;</o:p></p>\n'
            + "".join(p(x) for x in body_paras)
            + "</div>\n</body>\n</html>\n"
        )
    font = (
        "font-family: Aptos, Aptos_EmbeddedFont, Aptos_MSFontService, Calibri, Helvetica, "
        "sans-serif; font-size: 12pt; color: rgb(0, 0, 0);"
    )
    note_html = (
        "".join(
            f'<div class="elementToProof" style="{font}">\n{html.escape(line)}</div>\n'
            for line in note.split("\n")
        )
        if note
        else ""
    )
    return (
        '<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\n'
        '<style type="text/css" style="display:none;"> P {margin-top:0;margin-bottom:0;} '
        '</style>\n</head>\n<body dir="ltr">\n'
        + note_html
        + '<div id="appendonsend"></div>\n<hr style="display:inline-block;width:98%" '
        'tabindex="-1">\n<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" '
        f'style="font-size:11pt" color="#000000"><b>From:</b> {frm}<br>\n'
        f"<b>Sent:</b> {html.escape(_outlook_date(orig.date))}<br>\n<b>To:</b> {to}{cc}<br>\n"
        f"<b>Subject:</b> {html.escape(orig.subject)}</font>\n<div>&nbsp;</div>\n</div>\n"
        '<div>\n<div dir="ltr">\n'
        + "\n".join(f"<div>{html.escape(x)}</div>\n<div><br>\n</div>" for x in body_paras)
        + "\n</div>\n</div>\n</body>\n</html>\n"
    )


def _apple_html(note: str, orig: _Original) -> str:
    fields = [
        ("From", _html_person(orig.sender.name, orig.sender.email, False)),
        ("Subject", f"<b>{html.escape(orig.subject)}</b>"),
        ("Date", html.escape(_apple_date(orig.date))),
        ("To", _html_person(orig.to_name, orig.to_addr, False)),
    ]
    head = "".join(
        f'<div style="margin: 0px;"><span style="font-family: -apple-system, '
        f'Helvetica Neue;"><b>{k}: </b></span><span style="font-family: '
        f'-apple-system, Helvetica Neue;">{v}<br></span></div>\n'
        for k, v in fields
    )
    note_html = "<br>".join(html.escape(x) for x in note.split("\n")) if note else ""
    return (
        '<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8">'
        '</head><body style="overflow-wrap: break-word; -webkit-nbsp-mode: space; '
        'line-break: after-white-space;">\n'
        f'{note_html}<br>\n<div><br><blockquote type="cite"><div>Begin forwarded message:'
        '</div><br class="Apple-interchange-newline">\n'
        + head
        + f'<br><div><div dir="ltr">\n{_html_paras(orig.body)}\n</div></div></blockquote>'
        "</div><br></body></html>\n"
    )


# --------------------------------------------------------------------------------------------
# Envelope headers
# --------------------------------------------------------------------------------------------

_OUT_HOSTS = {
    "gmail": "mail-sor-f{n}.google.com",
    "outlook": "NAM{n}-BN8-obe.outbound.protection.outlook.com",
    "yahoo": "sonic{n}-22.consmr.mail.bf2.yahoo.com",
}


def _doc_ip(rng: random.Random) -> str:
    net = rng.choice(("192.0.2", "198.51.100", "203.0.113"))
    return f"{net}.{rng.randrange(1, 255)}"


def _received(
    rng: random.Random, style: str, rcpt: str, when: datetime, mx: str, sender_domain: str
) -> list[str]:
    host_t = _OUT_HOSTS.get(style, "mail-out.{domain}")
    host = host_t.format(n=rng.randrange(1, 80), domain=sender_domain)
    ip = _doc_ip(rng)
    t1 = when + timedelta(seconds=rng.randint(1, 4))
    t2 = t1 + timedelta(seconds=rng.randint(0, 3))
    fields = [
        f"Received: from {host} ({host} [{ip}])\r\n"
        f"        by {mx} (Postfix) with ESMTPS id {_token(rng, 10, _B64CHARS[:36].upper())}\r\n"
        f"        for <{rcpt}>; {_rfc5322(t2)}\r\n",
    ]
    if style == "gmail":
        fields.append(
            f"Received: by {host} with SMTP id {_token(rng, 16, 'abcdefghijklmnopqrstuvwxyz')}"
            f".{rng.randrange(100)}.{rng.randrange(1000, 10**7)}\r\n"
            f"        for <{rcpt}>; {_rfc5322(t1)}\r\n"
        )
    elif style == "outlook":
        fields.append(
            f"Received: from BN8PR12MB{rng.randrange(1000, 9999)}.namprd12.prod.outlook.com\r\n"
            f"        ([fe80::{_token(rng, 4)}:{_token(rng, 4)}]) by "
            f"BN8PR12MB{rng.randrange(1000, 9999)}.namprd12.prod.outlook.com\r\n"
            f"        ([fe80::{_token(rng, 4)}:{_token(rng, 4)}%5]) with mapi id 15.20.8480.0;"
            f" {_rfc5322(t1)}\r\n"
        )
    else:
        fields.append(
            f"Received: from [{_doc_ip(rng)}] (unknown [{_doc_ip(rng)}])\r\n"
            f"        by {host} (Postfix) with ESMTPSA id {_token(rng, 10).upper()}\r\n"
            f"        for <{rcpt}>; {_rfc5322(t1)}\r\n"
        )
    return fields


def _auth_results(rng: random.Random, mx: str, domain: str, ok: bool = True) -> str:
    if ok or rng.random() < 0.7:
        return (
            f"Authentication-Results: {mx};\r\n"
            f"        dkim=pass header.d={domain} header.s=s{rng.randrange(1, 3)} "
            f"header.b={_token(rng, 8, _B64CHARS)};\r\n"
            f"        spf=pass (domain of {domain} designates {_doc_ip(rng)} as permitted "
            f"sender) smtp.mailfrom={domain};\r\n"
            f"        dmarc=pass (p=QUARANTINE) header.from={domain}\r\n"
        )
    return (
        f"Authentication-Results: {mx};\r\n"
        f"        dkim=none; spf=softfail smtp.mailfrom={domain};\r\n"
        f"        dmarc=fail (p=NONE) header.from={domain}\r\n"
    )


def _message_id(rng: random.Random, style: str, serial: int, domain: str) -> str:
    if style == "gmail":
        return f"<CA{_token(rng, 38, _B64CHARS + '+_-')}{serial:x}@mail.gmail.com>"
    if style == "outlook":
        return (
            f"<BN8PR12MB{rng.randrange(1000, 9999)}{_token(rng, 16, _B64CHARS[:36])}"
            f"{serial:x}@BN8PR12MB{rng.randrange(1000, 9999)}.namprd12.prod.outlook.com>"
        )
    if style.startswith("apple"):
        return f"<{_uuid(rng)}-{serial:x}@{domain}>"
    if style == "yahoo":
        return f"<{rng.randrange(10**8)}.{rng.randrange(10**7)}.{serial}@mail.yahoo.com>"
    return f"<{_uuid(rng).lower()}.{serial:x}@{domain}>"


_PREFIX = re.compile(r"^(?:(?:re|fwd?|aw|rv|enc):\s*)+", re.IGNORECASE)


def _client_headers(rng: random.Random, style: str, subject: str) -> list[str]:
    if style == "outlook":
        return [
            _header("Thread-Topic", _PREFIX.sub("", subject)),
            f"Thread-Index: {_token(rng, 30, _B64CHARS)}==\r\n",
            "Accept-Language: en-US\r\n",
            "Content-Language: en-US\r\n",
            "X-MS-Has-Attach: \r\n",
            "X-MS-TNEF-Correlator: \r\n",
        ]
    if style == "apple":
        return ["X-Mailer: Apple Mail (2.3826.300.87.4.3)\r\n"]
    if style == "apple_ios":
        return ["X-Mailer: iPhone Mail (22D72)\r\n"]
    if style == "thunderbird":
        return ["User-Agent: Mozilla Thunderbird\r\nContent-Language: en-US\r\n"]
    if style == "yahoo":
        return ["X-Mailer: WebService/1.1.23187 YMailNorrin\r\n"]
    return []


# --------------------------------------------------------------------------------------------
# Message assembly
# --------------------------------------------------------------------------------------------


class _Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.serial = 0

    def next(self) -> GeneratedMessage:
        rng = self.rng
        self.serial += 1
        kind = rng.choices(tuple(KINDS), tuple(KINDS.values()))[0]
        when = _eastern(rng.randrange(_START, _END))
        # Teachers mostly forward during the day.
        if when.hour < 6 or when.hour >= 23:
            when = when.replace(hour=rng.randrange(7, 22))
        scene = _scene(rng, when)
        if kind == "not_forward":
            return self._not_forward(scene, when)
        return self._forward(kind, scene, when)

    # -- pieces ---------------------------------------------------------------------------

    def _original(self, scene: _Scene, when: datetime) -> _Original:
        rng = self.rng
        subject, body = _original_text(rng, scene)
        sent = when - timedelta(minutes=rng.randint(5, 60 * 24 * 6), seconds=rng.randrange(60))
        if rng.random() < 0.25:
            body = body.rstrip("\n") + _thread_quote(rng, scene, sent)
            subject = subject if subject.startswith("Re: ") else "Re: " + subject
        t = scene.teacher
        to_name, to_addr = (t.name, t.personal) if rng.random() < 0.8 else ("", t.personal)
        cc: tuple[tuple[str, str], ...] = ()
        if rng.random() < 0.12:
            spouse_first = scene.student.first if scene.sender.relation == "student" else "Sam"
            cc = (
                (
                    f"{spouse_first} {scene.sender.last}",
                    _personal_email(rng, spouse_first, scene.sender.last, 1980),
                ),
            )
        return _Original(
            scene.sender, to_name, to_addr, cc, subject, body, sent.astimezone(when.tzinfo)
        )

    def _attachments(self, scene: _Scene, force: bool = False) -> list[_Attachment]:
        rng = self.rng
        if not force and rng.random() >= ATTACHMENT_RATE:
            return []
        n = 2 if rng.random() < 0.2 else 1
        topic = _TOPICS[scene.topic]
        lines = [_fill(s, scene.ctx) for s in topic.parent[:4]]
        lines = [scene.ctx["child_full"], *lines]
        return [
            _make_attachment(rng, rng.choice(topic.attachments), scene.ctx, lines) for _ in range(n)
        ]

    def _outer_headers(
        self,
        style: str,
        teacher: _Teacher,
        subject: str,
        when: datetime,
        to: Sequence[tuple[str, str]],
        cc: Sequence[tuple[str, str]],
        extra: Sequence[str] = (),
    ) -> list[str]:
        rng = self.rng
        mx = "mx1.district.example.org"
        fields = [f"Return-Path: <{teacher.email}>\r\n", f"Delivered-To: {ARCHIVE_ADDRESS}\r\n"]
        fields += _received(rng, style, ARCHIVE_ADDRESS, when, mx, DISTRICT_DOMAIN)
        if rng.random() < 0.6:
            fields.append(_auth_results(rng, mx, DISTRICT_DOMAIN))
        fields.append("MIME-Version: 1.0\r\n")
        fields.append(_address_header("From", [(teacher.name, teacher.email)]))
        fields.append(f"Date: {_rfc5322(when)}\r\n")
        fields.append(f"Message-ID: {_message_id(rng, style, self.serial, DISTRICT_DOMAIN)}\r\n")
        fields += extra
        fields.append(_header("Subject", subject))
        fields.append(_address_header("To", to))
        if cc:
            fields.append(_address_header("Cc", cc))
        fields += _client_headers(rng, style, subject)
        return fields

    def _assemble(self, fields: list[str], body_part: bytes) -> bytes:
        """Outer headers + a part produced by _text_part/_multipart_part (whose own headers
        become the message's content headers)."""
        return _headers(fields) + body_part

    def _with_attachments(
        self,
        style: str,
        main: bytes,
        atts: Sequence[_Attachment],
        extra_parts: Sequence[bytes] = (),
    ) -> bytes:
        rng = self.rng
        if not atts and not extra_parts:
            return main
        parts = [main, *extra_parts, *(_attachment_part(rng, a, style) for a in atts)]
        preamble = (
            "This is a multi-part message in MIME format."
            if style in ("outlook", "thunderbird")
            else ""
        )
        return _multipart_part("mixed", _boundary(rng, style), parts, preamble)

    # -- kinds ----------------------------------------------------------------------------

    def _forward(self, kind: str, scene: _Scene, when: datetime) -> GeneratedMessage:
        rng = self.rng
        teacher = scene.teacher
        orig = self._original(scene, when)
        note, named = _teacher_note(rng, scene)
        atts = self._attachments(
            scene, force=scene.topic == "permission_slip" and rng.random() < 0.3
        )
        prefix = "Fwd: "
        variant = kind
        mailer = ""
        if kind == "gmail_inline":
            style = "gmail"
            text = (note + "\n\n" if note else "\n") + _gmail_block(orig)
            main = _text_part(rng, text, "plain", style=style)
        elif kind == "html_inline":
            r = rng.random()
            if r < 0.5:
                style, variant = "gmail", "gmail_html"
                plain = (note + "\n\n" if note else "\n") + _gmail_block(orig)
                markup = _gmail_html(note, orig)
            else:
                style = "outlook"
                classic = r < 0.75
                variant = "outlook_classic" if classic else "outlook_web"
                prefix = "FW: " if classic or rng.random() < 0.5 else "Fw: "
                plain = (note + "\n\n" if note else "") + _outlook_block(orig, not classic)
                markup = _outlook_html(note, orig, classic)
            main = _multipart_part(
                "alternative",
                _boundary(rng, style),
                [
                    _text_part(rng, plain, "plain", style=style),
                    _text_part(
                        rng,
                        markup,
                        "html",
                        style=style,
                        force_cte="quoted-printable" if rng.random() < 0.8 else None,
                    ),
                ],
            )
        elif kind == "apple_inline":
            style = "apple"
            ios = rng.random() < 0.6
            mailer = "apple_ios" if ios else "apple"
            variant = "apple_ios" if ios else "apple_mac"
            head = note + "\n\n" if note else ""
            if ios:
                head += "Sent from my iPhone\n\n"
            text = head + _apple_block(rng, orig, ios)
            if rng.random() < 0.3:
                main = _multipart_part(
                    "alternative",
                    _boundary(rng, style),
                    [
                        _text_part(rng, text, "plain", style=style),
                        _text_part(
                            rng,
                            _apple_html(note, orig),
                            "html",
                            style=style,
                            force_cte="quoted-printable",
                        ),
                    ],
                )
            else:
                main = _text_part(rng, text, "plain", style=style)
        else:  # attached
            return self._forward_attached(scene, when, orig, note, named, atts)
        fields = self._outer_headers(
            mailer, teacher, prefix + orig.subject, when, [("", ARCHIVE_ADDRESS)], []
        )
        raw = self._assemble(fields, self._with_attachments(style, main, atts))
        return GeneratedMessage(
            kind,
            variant,
            raw,
            teacher.email,
            when,
            orig.sender.email,
            orig.subject,
            named,
            scene.language,
            len(atts),
        )

    def _inner_message(self, orig: _Original, atts: Sequence[_Attachment]) -> bytes:
        """The original message as the teacher's personal mailbox received it."""
        rng = self.rng
        domain = orig.sender.email.rsplit("@", 1)[1]
        style = {
            "gmail.com": "gmail",
            "yahoo.com": "yahoo",
            "outlook.com": "outlook",
            "hotmail.com": "outlook",
            "icloud.com": "apple",
        }.get(domain, "thunderbird")
        rcpt_domain = orig.to_addr.rsplit("@", 1)[1]
        mx = {"gmail.com": "mx.google.com", "yahoo.com": "mta1234.mail.gq1.yahoo.com"}.get(
            rcpt_domain, f"mx.{rcpt_domain}"
        )
        fields = [f"Return-Path: <{orig.sender.email}>\r\n"]
        fields += _received(rng, style, orig.to_addr, orig.date, mx, domain)
        fields.append(_auth_results(rng, mx, domain, ok=rng.random() < 0.9))
        fields.append(_address_header("From", [(orig.sender.name, orig.sender.email)]))
        fields.append(f"Date: {_rfc5322(orig.date)}\r\n")
        fields.append(f"Message-ID: {_message_id(rng, style, self.serial, domain)}\r\n")
        fields.append(_header("Subject", orig.subject))
        fields.append(_address_header("To", [(orig.to_name, orig.to_addr)]))
        if orig.cc:
            fields.append(_address_header("Cc", orig.cc))
        fields.append("MIME-Version: 1.0\r\n")
        fields += _client_headers(rng, style, orig.subject)
        if style in ("gmail", "yahoo", "outlook") and rng.random() < 0.8:
            main = _multipart_part(
                "alternative",
                _boundary(rng, style),
                [
                    _text_part(rng, orig.body, "plain", style=style),
                    _text_part(
                        rng,
                        f'<div dir="ltr">\n{_html_paras(orig.body)}\n</div>\n',
                        "html",
                        style=style,
                        force_cte="quoted-printable",
                    ),
                ],
            )
        else:
            main = _text_part(rng, orig.body, "plain", style=style)
        return _headers(fields) + self._with_attachments(style, main, atts)

    def _forward_attached(
        self,
        scene: _Scene,
        when: datetime,
        orig: _Original,
        note: str,
        named: tuple[str, ...],
        atts: list[_Attachment],
    ) -> GeneratedMessage:
        rng = self.rng
        inner_atts: list[_Attachment] = []
        if atts and rng.random() < 0.7:
            inner_atts, atts = atts, []
        inner = self._inner_message(orig, inner_atts)
        style = rng.choice(("gmail", "outlook", "thunderbird"))
        filename = re.sub(r'[\\/:*?"<>|]', "", orig.subject)[:60].strip() or "Message"
        filename += ".eml"
        if filename.isascii():
            params = f'name="{filename}"', f'filename="{filename}"'
        else:
            params = f"name*={_rfc2231(filename)}", f"filename*={_rfc2231(filename)}"
        needs_8bit = not inner.isascii()
        rfc822_fields = [
            _header("Content-Type", f"message/rfc822; {params[0]}"),
            _header("Content-Disposition", f"attachment; {params[1]}"),
        ]
        if needs_8bit:
            rfc822_fields.append("Content-Transfer-Encoding: 8bit\r\n")
        rfc822 = _headers(rfc822_fields) + b"\r\n" + inner
        text = note or rng.choice(_NOTES)
        main = _text_part(rng, text + "\n", "plain", style=style)
        body = self._with_attachments(style, main, atts, [rfc822])
        prefix = {"gmail": "Fwd: ", "outlook": "FW: ", "thunderbird": "Fwd: "}[style]
        fields = self._outer_headers(
            style, scene.teacher, prefix + orig.subject, when, [("", ARCHIVE_ADDRESS)], []
        )
        raw = self._assemble(fields, body)
        n_atts = len(atts) + len(inner_atts)
        return GeneratedMessage(
            "attached",
            f"attached_{style}",
            raw,
            scene.teacher.email,
            when,
            orig.sender.email,
            orig.subject,
            named,
            scene.language,
            n_atts,
        )

    def _not_forward(self, scene: _Scene, when: datetime) -> GeneratedMessage:
        rng = self.rng
        teacher = scene.teacher
        style = rng.choice(("gmail", "outlook"))
        students_line, named = _students_line(rng, scene)
        atts = self._attachments(scene)
        extra: list[str] = []
        if rng.random() < 0.5:
            variant = "note"
            first = _fill(rng.choice(_NOTE_LOGS), scene.ctx)
            rest = _sentences(rng, _NOTE_BODY, scene.ctx, 2, 4)
            parts = [first + " " + " ".join(rest[:2])]
            if rest[2:]:
                parts.append(" ".join(rest[2:]))
            if students_line:
                parts.append(students_line)
            parts.append(teacher.name)
            text = "\n\n".join(parts) + "\n"
            subject = _fill(
                rng.choice(
                    (
                        "Phone call with parent - {child_full}",
                        "Log: conversation with {parent_full}",
                        "Parent contact {past_date}",
                        "Record of texts with {child_full}'s {relation}",
                        "Note for file - {child_full}",
                    )
                ),
                scene.ctx,
            )
            to: list[tuple[str, str]] = [("", ARCHIVE_ADDRESS)]
            cc: list[tuple[str, str]] = []
        else:
            variant = "reply"
            subject_o, body_o = _original_text(rng, scene)
            sent = when - timedelta(minutes=rng.randint(10, 60 * 48))
            reply = _teacher_reply(rng, scene)
            if students_line:
                reply = reply.rstrip("\n") + "\n\n" + students_line + "\n"
            quoted = "\n".join("> " + x if x else ">" for x in body_o.rstrip("\n").split("\n"))
            text = (
                f"{reply}\nOn {_gmail_date(sent)} {scene.sender.name} "
                f"<{scene.sender.email}> wrote:\n\n{quoted}\n"
            )
            subject = subject_o if subject_o.startswith("Re: ") else "Re: " + subject_o
            to = [(scene.sender.name, scene.sender.email)]
            cc = [("", ARCHIVE_ADDRESS)]
            ref = _message_id(rng, "gmail", self.serial * 7919, "mail.gmail.com")
            extra = [f"In-Reply-To: {ref}\r\n", f"References: {ref}\r\n"]
        fields = self._outer_headers(style, teacher, subject, when, to, cc, extra)
        if style == "outlook" and rng.random() < 0.6:
            markup = (
                '<html>\n<head>\n<meta http-equiv="Content-Type" '
                'content="text/html; charset=utf-8">\n</head>\n<body>\n'
                + _html_paras(text)
                + "\n</body>\n</html>\n"
            )
            main = _multipart_part(
                "alternative",
                _boundary(rng, style),
                [
                    _text_part(rng, text, "plain", style=style),
                    _text_part(rng, markup, "html", style=style, force_cte="quoted-printable"),
                ],
            )
        else:
            main = _text_part(rng, text, "plain", style=style)
        raw = self._assemble(fields, self._with_attachments(style, main, atts))
        return GeneratedMessage(
            "not_forward", variant, raw, teacher.email, when, None, None, named, "en", len(atts)
        )


def generate_labeled(seed: int) -> Iterator[GeneratedMessage]:
    """Infinite deterministic stream of messages with their ground truth."""
    gen = _Generator(seed)
    while True:
        yield gen.next()


def generate(seed: int) -> Iterator[bytes]:
    """Infinite deterministic stream of raw RFC 5322 messages (bytes, CRLF line endings)."""
    for message in generate_labeled(seed):
        yield message.raw


# --------------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------------

_FROM_LINE = re.compile(rb"^(>*From )", re.MULTILINE)


def _mbox_entry(message: GeneratedMessage) -> bytes:
    data = message.raw.replace(b"\r\n", b"\n")
    if b"From " in data:
        data = _FROM_LINE.sub(rb">\1", data)
    head = f"From {message.envelope_from} {_asctime(message.date)}\n".encode("ascii")
    return head + data + b"\n"


def write_corpus(
    out: Path, fmt: str, count: int | None, seed: int, target_bytes: int | None
) -> dict[str, object]:
    """Write a corpus and return {"messages": n, "bytes": total, "path": str(out)}.

    Stops after ``count`` messages or once ``target_bytes`` have been written, whichever comes
    first; at least one of the two must be given. For ``eml`` and ``maildir`` the output
    directory must be empty or absent; an ``mbox`` file is overwritten.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if count is None and target_bytes is None:
        raise ValueError("give a message count, a target size, or both")
    if count is not None and count < 0:
        raise ValueError("count must not be negative")
    if target_bytes is not None and target_bytes <= 0:
        raise ValueError("target size must be positive")

    def done(n: int, total: int) -> bool:
        return (count is not None and n >= count) or (
            target_bytes is not None and total >= target_bytes
        )

    n = total = 0
    messages = generate_labeled(seed)
    if fmt == "mbox":
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("wb", buffering=1 << 20) as fh:
            while not done(n, total):
                entry = _mbox_entry(next(messages))
                fh.write(entry)
                n += 1
                total += len(entry)
        return {"messages": n, "bytes": total, "path": str(out)}

    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ValueError(f"{out} exists and is not an empty directory")
    out.mkdir(parents=True, exist_ok=True)
    if fmt == "maildir":
        for sub in ("cur", "new", "tmp"):
            (out / sub).mkdir(exist_ok=True)
    while not done(n, total):
        message = next(messages)
        n += 1
        if fmt == "eml":
            path = out / f"{n:06d}.eml"
            data = message.raw
        else:
            ts = int(message.date.timestamp())
            path = out / "new" / f"{ts}.M{n:06d}P{seed % 100000}Q{n}.corpus-generator"
            data = message.raw.replace(b"\r\n", b"\n")
        _write_file(path, data)
        total += len(data)
    return {"messages": n, "bytes": total, "path": str(out)}


def _write_file(path: Path, data: bytes) -> None:
    with path.open("wb") as fh:
        fh.write(data)


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------

_SUFFIXES = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def _size(text: str) -> int:
    """Parse a byte count: ``1073741824``, ``500M``, ``1G``, ``1GiB``, ``2GB``."""
    m = re.fullmatch(r"\s*(\d+)\s*([KMGT]?)(?:I?B)?\s*", text.upper())
    if not m:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (try 1073741824 or 1G)")
    value = int(m.group(1)) * _SUFFIXES[m.group(2)]
    if value <= 0:
        raise argparse.ArgumentTypeError("the target size must be positive")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("the count must not be negative")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Generate a deterministic corpus of teacher-forward email messages."
    )
    parser.add_argument(
        "--out", required=True, type=Path, help="output file (mbox) or directory (eml, maildir)"
    )
    parser.add_argument(
        "--count",
        type=_count,
        default=None,
        help="number of messages (the maximum when --target-bytes is given)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--format", choices=FORMATS, default="mbox", dest="fmt", help="output format (default mbox)"
    )
    parser.add_argument(
        "--target-bytes",
        type=_size,
        default=None,
        help="keep generating until the output reaches this size (e.g. 1G)",
    )
    args = parser.parse_args(argv)
    if args.count is None and args.target_bytes is None:
        parser.error("give --count, --target-bytes, or both")
    try:
        summary = write_corpus(args.out, args.fmt, args.count, args.seed, args.target_bytes)
    except (ValueError, OSError) as exc:
        print(f"corpus.py: error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
