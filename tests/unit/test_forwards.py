# ruff: noqa: RUF001, RUF003  (expected values in other scripts, on purpose)
"""Inline forwards: the original message inside what a teacher forwarded to the archive.

The fixtures are in tests/data/forwards (see its README): bodies per client and language written
for this project, real HTML bodies from quotequail (MIT), and the demo messages in examples/.
"""

from __future__ import annotations

import email
import email.policy
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage
from pathlib import Path

import pytest

from archiver.domain import PROVENANCE_NONE, PROVENANCE_RECONSTRUCTED
from archiver.understand.forwards import (
    DEFAULT_ZONE,
    MAX_DEPTH,
    ForwardSplit,
    Original,
    Party,
    is_forward_subject,
    is_reply_subject,
    parse_client_date,
    split_forward,
    strip_subject_prefixes,
)
from archiver.understand.parse import parse

DATA = Path(__file__).parents[1] / "data" / "forwards"
QUOTEQUAIL = Path(__file__).parents[1] / "data" / "corpus" / "forwards-html"  # MIT, quotequail
EXAMPLES = Path(__file__).parents[2] / "examples"
LENA_GMAIL = Party("Lena Brooks", "lena.brooks.teach@gmail.example")
LENA_ICLOUD = Party("Lena Brooks", "lena.brooks.teach@icloud.example")
LENA_OUTLOOK = Party("Lena Brooks", "lena.brooks.teach@outlook.example")
LENA_YAHOO = Party("Lena Brooks", "lena.brooks.teach@yahoo.example")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def load(name: str) -> ForwardSplit | None:
    body = (DATA / name).read_text(encoding="utf-8")
    if name.endswith(".html"):
        return split_forward("", body)
    return split_forward(body)


def only(name: str) -> tuple[str, Original]:
    found = load(name)
    assert found is not None, name
    assert len(found.chain) == 1, found.chain
    return found.note, found.chain[0]


@dataclass(frozen=True)
class Case:
    file: str
    sender: Party | None
    date_text: str
    date: str  # UTC, ISO
    subject: str
    to: tuple[Party, ...]
    body_start: str
    note: str = ""
    cc: tuple[Party, ...] = ()


# --- every client, and every language --------------------------------------------------------

CASES = [
    # Gmail
    Case(
        "gmail_en.txt",
        Party("Marisol Ortega", "marisol.ortega@gmail.example"),
        "Wed, Oct 15, 2025 at 9:31 AM",
        "2025-10-15T13:31:00",
        "Field trip form for Diego",
        (LENA_GMAIL,),
        "Hi Ms. Brooks,\n\nDiego left the field trip form",
        note="Forwarding for the record - Diego's mom wrote to my personal Gmail.",
        cc=(
            Party("Rafael Ortega", "rafa.ortega@yahoo.example"),
            Party("Front Office", "office@pierce.example.org"),
        ),
    ),
    Case(
        "gmail_en.html",
        Party("Marisol Ortega", "marisol.ortega@gmail.example"),
        "Wed, Oct 15, 2025 at 9:31\u202fAM",
        "2025-10-15T13:31:00",
        "Field trip form for Diego",
        (LENA_GMAIL,),
        "Hi Ms. Brooks,",
        note="Forwarding for the record.",
        cc=(Party("Rafael Ortega", "rafa.ortega@yahoo.example"),),
    ),
    Case(
        "gmail_en_no_note.txt",
        Party("Marisol Ortega", "marisol.ortega@gmail.example"),
        "Thu, Oct 16, 2025 at 7:05 PM",
        "2025-10-16T23:05:00",
        "Diego's inhaler",
        (Party("", "lena.brooks.teach@gmail.example"),),
        "Diego's new inhaler",
        note="",
    ),
    # Outlook 2013: [mailto:] forms, a name without address, ';' between recipients
    Case(
        "outlook2013_en.txt",
        Party("Patricia Doherty", "pdoherty74@gmail.example"),
        "Wednesday, October 15, 2025 9:31 AM",
        "2025-10-15T13:31:00",
        "Liam - bus change",
        (Party("Rachel Okafor", ""),),
        "Hi Ms. Okafor,",
        note="Please file.",
        cc=(
            Party("Front Office", "office@pierce.example.org"),
            Party("Sean Doherty", "sean.doherty@gmail.example"),
        ),
    ),
    # Outlook 2016/2019 desktop: no separator, names only ("Okafor, Rachel" is one name)
    Case(
        "outlook2016_en.txt",
        Party("Patricia Doherty", ""),
        "Wednesday, October 15, 2025 9:31 PM",
        "2025-10-16T01:31:00",
        "Liam's reading log",
        (Party("Okafor, Rachel", ""), Party("Front Office", "")),
        "Liam finished the reading log",
        note="FYI for the archive.\n\nRachel",
    ),
    Case(
        "outlook2016_en.html",
        Party("Patricia Doherty", "pdoherty74@gmail.example"),
        "Wednesday, October 15, 2025 9:31 AM",
        "2025-10-15T13:31:00",
        "Liam - bus change",
        (Party("Rachel Okafor", "rachel.okafor.teach@outlook.example"),),
        "Hi Ms. Okafor,\n\nLiam will take bus 14",
        note="Please file this with Liam's records.",
        cc=(
            Party("Sean Doherty", "sean.doherty@gmail.example"),
            Party("Front Office", "office@pierce.example.org"),
        ),
    ),
    # New Outlook / Outlook for Mac: "Date:", and the body right under "Subject:"
    Case(
        "outlook_new_en.txt",
        Party("Patricia Doherty", "pdoherty74@gmail.example"),
        "Wednesday, October 15, 2025 at 9:31 AM",
        "2025-10-15T13:31:00",
        "Picture day",
        (Party("Rachel Okafor", "rachel.okafor.teach@outlook.example"),),
        "Liam's picture day form",
        note="Forwarding from my personal account.",
    ),
    # Outlook on the web / Outlook.com
    Case(
        "owa_en.txt",
        Party("Guerline Pierre", "guerline.pierre@gmail.example"),
        "Wednesday, October 15, 2025 9:31 AM",
        "2025-10-15T13:31:00",
        "Science fair",
        (
            Party("Marcus Greene", "mgreene.science@outlook.example"),
            Party("Ana Souza", "ana.souza@school.example.org"),
        ),
        "Good morning Mr. Greene,",
        note="Forwarding for the record.\n\nMarcus Greene\nGrade 8 Science",
        cc=(Party("Jean Pierre", "jean.pierre@gmail.example"),),
    ),
    Case(
        "owa_en.html",
        Party("Guerline Pierre", "guerline.pierre@gmail.example"),
        "Wednesday, October 15, 2025 9:31 AM",
        "2025-10-15T13:31:00",
        "Science fair",
        (Party("Marcus Greene", "mgreene.science@outlook.example"),),
        "Good morning Mr. Greene,",
        note="For the record.",
    ),
    # Apple Mail (macOS quotes the block; iOS does not, and puts U+202F before PM)
    Case(
        "apple_macos_en.txt",
        Party("Brigid Kelly", "brigid.kelly@icloud.example"),
        "October 15, 2025 at 9:31:08 AM EDT",
        "2025-10-15T13:31:08",
        "Nora - dismissal",
        (Party("Karen Whitfield", "kwhitfield@comcast.example"),),
        "Hi Mrs. Whitfield,\n\nSean will pick Nora up",
        note="For the archive.",
        cc=(Party("Sean Kelly", "sean.kelly@icloud.example"),),
    ),
    Case(
        "apple_macos_en.html",
        Party("Brigid Kelly", "brigid.kelly@icloud.example"),
        "October 15, 2025 at 9:31:08\u202fAM EDT",
        "2025-10-15T13:31:08",
        "Nora - dismissal",
        (Party("Karen Whitfield", "kwhitfield@comcast.example"),),
        "Hi Mrs. Whitfield,",
        note="For the archive.",
    ),
    Case(
        "apple_ios_en.txt",
        Party("Mai Nguyễn", "mai.nguyen.boston@yahoo.example"),
        "October 15, 2025 at 9:31:08\u202fPM EDT",
        "2025-10-16T01:31:08",
        "Re: Anh's Spanish project",
        (Party("Ferreira, Tomás", "tomas.ferreira@icloud.example"),),
        "Thank you, Mr. Ferreira.",  # the byte-order mark before it is gone
        note="Sent from my iPhone",
    ),
    # Thunderbird: tab-aligned labels; the HTML table puts label and value on separate lines
    Case(
        "thunderbird_en.txt",
        Party("Brigid Kelly", "brigid.kelly@icloud.example"),
        "Wed, 15 Oct 2025 09:31:55 -0400",
        "2025-10-15T13:31:55",
        "Nora's lunch account",
        (Party("", "kwhitfield@comcast.example"),),
        "Hi Mrs. Whitfield,",
        note="Forwarding for the record.\n\n--\nKaren Whitfield",
        cc=(
            Party("Sean Kelly", "sean.kelly@icloud.example"),
            Party("", "office@glover.example.org"),
        ),
    ),
    Case(
        "thunderbird_en.html",
        Party("Brigid Kelly", "brigid.kelly@icloud.example"),
        "Wed, 15 Oct 2025 09:31:55 -0400",
        "2025-10-15T13:31:55",
        "Nora's lunch account",
        (Party("", "kwhitfield@comcast.example"),),
        "Hi Mrs. Whitfield,",
        note="Forwarding for the record.",
    ),
    # Yahoo: one header per line, or the whole block on the banner line
    Case(
        "yahoo_en.txt",
        Party("Wilner Desrosiers", "wdesrosiers@gmail.example"),
        "Wednesday, October 15, 2025, 09:31:12 AM EDT",
        "2025-10-15T13:31:12",
        "Naomie's allergy plan",
        (
            Party("Nadine Joseph", "nadine.joseph.ht@yahoo.example"),
            Party("Tucker Office", "office@tucker.example.org"),
        ),
        "Hello Mrs. Joseph,",
        note="Forwarding for the archive.\n\nNadine Joseph",
    ),
    Case(
        "yahoo_en_oneline.txt",
        Party("Wilner Desrosiers", "wdesrosiers@gmail.example"),
        "Wednesday, October 15, 2025, 09:31:12 AM EDT",
        "2025-10-15T13:31:12",
        "Naomie's bus pass",
        (Party("", "nadine.joseph.ht@yahoo.example"),),
        "Hello Mrs. Joseph,\n\nNaomie lost her bus pass.",
        note="Please archive.",
        cc=(
            Party("Tucker Office", "office@tucker.example.org"),
            Party("Marie Desrosiers", "marie.d@gmail.example"),
        ),
    ),
    Case(
        "yahoo_en.html",
        Party("Wilner Desrosiers", "wdesrosiers@gmail.example"),
        "Wednesday, October 15, 2025 at 09:31:12 AM EDT",
        "2025-10-15T13:31:12",
        "Naomie's allergy plan",
        (Party("Nadine Joseph", "nadine.joseph.ht@yahoo.example"),),
        "Hello Mrs. Joseph,",
        note="Forwarding for the archive.",
    ),
    # Others
    Case(
        "ionos_en.txt",
        Party("Robert Callahan", "rcallahan@web.example"),
        "October 15, 2025 at 9:31 AM",
        "2025-10-15T13:31:00",
        "Siobhan's retake",
        (Party("Kevin Tran", "kevin.tran.math@gmail.example"),),
        "Mr. Tran, when can Siobhan",
        note="For the record.",
    ),
    Case(
        "samsung_en.txt",
        Party("Jennifer Walsh-Parker", "jwalshparker@gmail.example"),
        "10/15/25 9:31 AM (GMT-05:00)",
        "2025-10-15T14:31:00",
        "Owen's reading log",
        (Party("Emily Brennan", "emily.brennan.teach@gmail.example"),),
        "Owen finished his reading log.",
        note="Sent from my Galaxy",
    ),
    Case(
        "protonmail_en.txt",
        Party("Robert Callahan", "rcallahan@proton.example"),
        "On Wednesday, October 15th, 2025 at 9:31 AM",
        "2025-10-15T13:31:00",
        "Meeting on Friday",
        (Party("Kevin Tran", "kevin.tran.math@gmail.example"),),
        "Friday at 3 works for us.",
        note="Forwarding.",
    ),
    # --- one or more per language: localised banner, labels and date ---
    Case(  # es: Apple Mail iOS
        "apple_es.txt",
        Party("Marisol Ortega", "marisol.ortega@gmail.example"),
        "15 de octubre de 2025, 9:31:08\u202fa.\u202fm. EDT",
        "2025-10-15T13:31:08",
        "Excursión de Diego",
        (LENA_GMAIL,),
        "Hola, maestra:",
        note="Enviado desde mi iPhone",
    ),
    Case(  # es: Outlook desktop HTML ("Enviado el:")
        "outlook2016_es.html",
        Party("Guadalupe Hernández", "lupita.hernandez88@gmail.example"),
        "miércoles, 15 de octubre de 2025 9:31",
        "2025-10-15T13:31:00",
        "Intérprete para la reunión",
        (Party("Ana Rivera", "ana.rivera.esl@gmail.example"),),
        "Buenos días, maestra:",
        note="Para el archivo.",
    ),
    Case(  # pt (Portugal): Apple Mail, WEST
        "apple_pt.txt",
        Party("Joana Lopes", "joana.lopes@sapo.example"),
        "15 de outubro de 2025, às 14:31:08 WEST",
        "2025-10-15T13:31:08",
        "Visita de estudo",
        (LENA_ICLOUD,),
        "Boa tarde, professora.",
        note="Reencaminho para o arquivo.",
    ),
    Case(  # pt-BR: Gmail with the localised banner
        "gmail_pt_br.txt",
        Party("Cláudia Souza", "claudia.souza@gmail.example"),
        "qua., 15 de out. de 2025 às 09:31",
        "2025-10-15T13:31:00",
        "Reunião de pais",
        (LENA_GMAIL,),
        "Oi professora, tudo bem?",
        note="Encaminhando para o arquivo da escola.",
    ),
    Case(  # fr: Apple Mail macOS, quoted, "UTC−4" with a minus sign
        "apple_fr.txt",
        Party("Nadège Pierre-Louis", "nadege.pl@orange.example"),
        "15 octobre 2025 à 09:31:08 UTC\u22124",
        "2025-10-15T13:31:08",
        "Absence de Kevin",
        (LENA_ICLOUD,),
        "Bonjour Madame,\n\nKevin sera absent",
        note="Bonjour, je transfère ce message pour les archives.",
        cc=(Party("Jean Pierre-Louis", "jean.pl@orange.example"),),
    ),
    Case(  # fr: Outlook on the web ("De :", "Envoyé :")
        "owa_fr.txt",
        Party("Nadège Pierre-Louis", "nadege.pl@orange.example"),
        "mercredi 15 octobre 2025 09:31",
        "2025-10-15T13:31:00",
        "Rendez-vous avec la conseillère",
        (LENA_OUTLOOK,),
        "Bonjour,\n\nEst-ce possible",
        note="Pour le dossier.",
    ),
    Case(
        "owa_fr.html",
        Party("Nadège Pierre-Louis", "nadege.pl@orange.example"),
        "mercredi 15 octobre 2025 09:31",
        "2025-10-15T13:31:00",
        "Rendez-vous avec la conseillère",
        (LENA_OUTLOOK,),
        "Bonjour, est-ce possible",
        note="Pour le dossier.",
    ),
    Case(  # de: Outlook desktop, "-----Ursprüngliche Nachricht-----"
        "outlook_de.txt",
        Party("Katrin Vogel", "k.vogel@web.example"),
        "Mittwoch, 15. Oktober 2025 09:31",
        "2025-10-15T13:31:00",
        "Elternsprechtag",
        (LENA_OUTLOOK,),
        "Guten Tag Frau Brooks,",
        note="Zur Ablage.",
        cc=(Party("Thomas Vogel", "t.vogel@web.example"),),
    ),
    Case(  # de: Apple Mail, MESZ
        "apple_de.txt",
        Party("Katrin Vogel", "k.vogel@web.example"),
        "15. Oktober 2025 um 15:31:08 MESZ",
        "2025-10-15T13:31:08",
        "Krankmeldung Jonas",
        (LENA_ICLOUD,),
        "Jonas hat Fieber",
    ),
    Case(  # it: Yahoo
        "yahoo_it.txt",
        Party("Giulia Romano", "giulia.romano@libero.example"),
        "mercoledì 15 ottobre 2025, 15:31:08 CEST",
        "2025-10-15T13:31:08",
        "Gita scolastica",
        (LENA_YAHOO,),
        "Gentile maestra,",
        note="Inoltro per l'archivio.",
    ),
    Case(  # nl: Apple Mail
        "apple_nl.txt",
        Party("Sanne de Vries", "sanne.devries@ziggo.example"),
        "15 oktober 2025 om 15:31:08 CEST",
        "2025-10-15T13:31:08",
        "Ouderavond",
        (LENA_ICLOUD,),
        "Beste juf,",
    ),
    Case(  # pl: Yahoo, the whole block on the banner line ("…CESTTemat:")
        "yahoo_pl_oneline.txt",
        Party("Agnieszka Nowak", "a.nowak@wp.example"),
        "środa, 15 października 2025 15:31:08 CEST",
        "2025-10-15T13:31:08",
        "Wycieczka szkolna",
        (LENA_YAHOO,),
        "Dzień dobry,",
        note="Przesyłam do archiwum.",
    ),
    Case(  # ru: Mail.ru ("От кого:")
        "mailru_ru.txt",
        Party("Ольга Смирнова", "olga.smirnova@mail.example"),
        "Среда, 15 октября 2025, 16:31 +03:00",
        "2025-10-15T13:31:00",
        "Экскурсия",
        (LENA_GMAIL,),
        "Здравствуйте!",
        note="Пересылаю для архива.",
    ),
    Case(  # uk: Apple Mail
        "apple_uk.txt",
        Party("Оксана Коваленко", "oksana.kovalenko@ukr.example"),
        "15 жовтня 2025 р. о 16:31:08 EEST",
        "2025-10-15T13:31:08",
        "Батьківські збори",
        (LENA_ICLOUD,),
        "Добрий день!",
    ),
    Case(  # tr: Yahoo
        "yahoo_tr.txt",
        Party("Ayşe Yılmaz", "ayse.yilmaz@hotmail.example"),
        "15 Ekim 2025 Çarşamba 16:31:08 GMT+3",
        "2025-10-15T13:31:08",
        "Veli toplantısı",
        (LENA_YAHOO,),
        "Merhaba öğretmenim,",
        note="Arşiv için iletiyorum.",
    ),
    Case(  # sv: Apple Mail
        "apple_sv.txt",
        Party("Anna Lindqvist", "anna.lindqvist@telia.example"),
        "15 oktober 2025 15:31:08 CEST",
        "2025-10-15T13:31:08",
        "Utflykt",
        (LENA_ICLOUD,),
        "Hej!",
    ),
    Case(  # da: Apple Mail, "kl. 15.31.08"
        "apple_da.txt",
        Party("Mette Hansen", "mette.hansen@tdc.example"),
        "15. oktober 2025 kl. 15.31.08 CEST",
        "2025-10-15T13:31:08",
        "Skoleudflugt",
        (LENA_ICLOUD,),
        "Hej Lena,",
    ),
    Case(  # no: Yahoo
        "yahoo_no.txt",
        Party("Ingrid Berg", "ingrid.berg@online.example"),
        "onsdag 15. oktober 2025, 15:31:08 CEST",
        "2025-10-15T13:31:08",
        "Foreldremøte",
        (LENA_YAHOO,),
        "Hei!",
    ),
    Case(  # fi: Apple Mail, "klo 16.31.08"
        "apple_fi.txt",
        Party("Aino Virtanen", "aino.virtanen@elisa.example"),
        "15. lokakuuta 2025 klo 16.31.08 UTC+3",
        "2025-10-15T13:31:08",
        "Retki",
        (LENA_ICLOUD,),
        "Hei,",
    ),
    Case(  # cs: Apple Mail, SELČ
        "apple_cs.txt",
        Party("Jana Novotná", "jana.novotna@seznam.example"),
        "15. října 2025 v 15:31:08 SELČ",
        "2025-10-15T13:31:08",
        "Školní výlet",
        (LENA_ICLOUD,),
        "Dobrý den,",
    ),
    Case(  # sk: Apple Mail
        "apple_sk.txt",
        Party("Zuzana Kováčová", "zuzana.kovacova@azet.example"),
        "15. októbra 2025 o 15:31:08 SELČ",
        "2025-10-15T13:31:08",
        "Rodičovské združenie",
        (LENA_ICLOUD,),
        "Dobrý deň,",
    ),
    Case(  # hu: Apple Mail, year first
        "apple_hu.txt",
        Party("Kovács Eszter", "kovacs.eszter@freemail.example"),
        "2025. október 15. 15:31:08 CEST",
        "2025-10-15T13:31:08",
        "Szülői értekezlet",
        (LENA_ICLOUD,),
        "Kedves Tanárnő!",
    ),
    Case(  # ro: Yahoo ("De la:", "Către:")
        "yahoo_ro.txt",
        Party("Ioana Popescu", "ioana.popescu@yahoo.example"),
        "miercuri, 15 octombrie 2025, 16:31:08 EEST",
        "2025-10-15T13:31:08",
        "Excursie",
        (LENA_YAHOO,),
        "Bună ziua,",
    ),
    Case(  # hr: Thunderbird; "listopada" is October in Croatian (November in Polish)
        "thunderbird_hr.txt",
        Party("Ivana Horvat", "ivana.horvat@t-com.example"),
        "srijeda, 15. listopada 2025. 09:31",
        "2025-10-15T13:31:00",
        "Izlet",
        (Party("Lena Brooks", "lena.brooks.teach@comcast.example"),),
        "Poštovana učiteljice,",
        note="Prosljeđujem za arhivu.",
    ),
    Case(  # ht: Kreyòl labels (our rendering; see the fixtures README)
        "gmail_ht.txt",
        Party("Wilner Desrosiers", "wdesrosiers@gmail.example"),
        "mèkredi 15 oktòb 2025 a 6:58 PM",
        "2025-10-15T22:58:00",
        "Sòti lekòl Naomie",
        (Party("Nadine Joseph", "nadine.joseph.ht@gmail.example"),),
        "Bonjou Madan Joseph,",
        note="Mwen voye sa pou achiv la.",
    ),
    Case(  # zh: Gmail, full-width colons, 上午
        "gmail_zh.txt",
        Party("王丽", "wang.li@qq.example"),
        "2025年10月15日周三 上午9:31",
        "2025-10-15T13:31:00",
        "家长会",
        (LENA_GMAIL,),
        "Brooks老师您好：",
        note="转发存档。",
    ),
    Case(  # zh-TW: Outlook desktop, 下午
        "outlook_zh_tw.txt",
        Party("陳美玲", "meiling.chen@hotmail.example"),
        "2025年10月15日 下午 09:31",
        "2025-10-16T01:31:00",
        "請假",
        (LENA_OUTLOOK,),
        "老師您好，",
        note="For the record.",
    ),
    Case(  # vi: Gmail ("Từ:", "Th 4, 15 thg 10, 2025 lúc 09:31")
        "gmail_vi.txt",
        Party("Nguyễn Thị Lan", "lan.nguyen@gmail.example"),
        "Th 4, 15 thg 10, 2025 lúc 09:31",
        "2025-10-15T13:31:00",
        "Họp phụ huynh",
        (LENA_GMAIL,),
        "Chào cô,",
        note="Chuyển tiếp để lưu trữ.",
    ),
    Case(  # vi: Outlook on the web ("Đã gửi:", "9:31 SA")
        "owa_vi.txt",
        Party("Trần Văn Minh", "minh.tran@outlook.example"),
        "Thứ Tư, ngày 15 tháng 10 năm 2025 9:31 SA",
        "2025-10-15T13:31:00",
        "Xin phép nghỉ học",
        (LENA_OUTLOOK,),
        "Kính gửi cô,",
    ),
    Case(  # ja: Gmail
        "gmail_ja.txt",
        Party("佐藤 花子", "hanako.sato@docomo.example"),
        "2025年10月15日(水) 9:31",
        "2025-10-15T13:31:00",
        "保護者面談",
        (LENA_GMAIL,),
        "ブルックス先生",
        note="アーカイブ用に転送します。",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.file for c in CASES])
def test_client_and_language_fixtures(case: Case) -> None:
    note, original = only(case.file)
    assert original.sender == case.sender
    assert original.to == case.to
    assert original.cc == case.cc
    assert original.date_text == case.date_text
    assert original.date == utc(case.date)
    assert original.subject == case.subject
    assert original.body.startswith(case.body_start), original.body
    assert note == case.note


def test_every_fixture_is_covered() -> None:
    stated = {c.file for c in CASES} | set(NOT_FORWARDS) | set(CHAINS)
    on_disk = {p.name for p in DATA.iterdir() if p.suffix in (".txt", ".html")}
    assert on_disk == stated


def test_bodies_end_where_the_message_ends() -> None:
    _, original = only("gmail_en.txt")
    assert original.body.endswith("Thanks,\nMarisol Ortega")
    # Apple Mail's quote markers are gone from the body, the trailing ">" line too.
    _, original = only("apple_fr.txt")
    assert original.body == (
        "Bonjour Madame,\n\nKevin sera absent demain matin : il a rendez-vous chez "
        "l'orthophoniste.\n\nCordialement,\nNadège Pierre-Louis"
    )
    # An underscore line in the original's signature is not another forward.
    _, original = only("owa_en.txt")
    assert original.body.endswith("This email is confidential.")
    # Thunderbird format=flowed lines keep their text.
    _, original = only("thunderbird_en.txt")
    assert original.body == (
        "Hi Mrs. Whitfield,\n\nI added $20 to Nora's lunch account this morning.\n\nBrigid Kelly"
    )


@pytest.mark.parametrize(
    ("value", "parties"),
    [
        ("Foo Bar (foo@bar.example)", [Party("Foo Bar", "foo@bar.example")]),
        ("Walter Sheltan [mailto:ws@acme.example]", [Party("Walter Sheltan", "ws@acme.example")]),
        (
            "Walter Sheltan <ws@acme.example<mailto:ws@acme.example>>",
            [Party("Walter Sheltan", "ws@acme.example")],
        ),
        ("ws@acme.example <ws@acme.example>", [Party("", "ws@acme.example")]),
        ("<ws@acme.example>", [Party("", "ws@acme.example")]),
        ("ws@acme.example", [Party("", "ws@acme.example")]),
        ('"Ferreira, Tomás" <tf@icloud.example>', [Party("Ferreira, Tomás", "tf@icloud.example")]),
        ("'Bessie, Berry' <bb@acme.example>", [Party("Bessie, Berry", "bb@acme.example")]),
        ("Doherty, Patricia <pd@gmail.example>", [Party("Doherty, Patricia", "pd@gmail.example")]),
        ("Okafor, Rachel; Front Office", [Party("Okafor, Rachel", ""), Party("Front Office", "")]),
        (
            "A One <a@x.example>; b@x.example <b@x.example>",
            [Party("A One", "a@x.example"), Party("", "b@x.example")],
        ),
        (
            "A One <a@x.example>, Front Office",
            [Party("A One", "a@x.example"), Party("Front Office", "")],
        ),
        ("a@x.example b@x.example", [Party("", "a@x.example"), Party("", "b@x.example")]),
    ],
)
def test_recipient_forms(value: str, parties: list[Party]) -> None:
    body = f"---------- Forwarded message ---------\nFrom: A <a@x.example>\nTo: {value}\n\nhi\n"
    found = split_forward(body)
    assert found is not None
    assert list(found.chain[0].to) == parties


@pytest.mark.parametrize(
    ("line", "date"),
    [
        (
            "----- Пересылаемое сообщение ----- От: Ольга <olga@mail.example>Кому: "
            '"lena@yahoo.example" <lena@yahoo.example>Копия: Максим <max@mail.example>'
            "Отправлено: среда, 15 октября 2025 г., 16:31:08 GMT+3Тема: Экскурсия",
            "2025-10-15T13:31:08",
        ),
        (
            "----- Weitergeleitete Nachricht ----- Von: Olga <olga@mail.example>An: "
            '"lena@yahoo.example" <lena@yahoo.example>CC: Max <max@mail.example>'
            "Gesendet: Mittwoch, 15. Oktober 2025, 15:31:08 MESZBetreff: Exkursion",
            "2025-10-15T13:31:08",
        ),
        (
            "----- Message transmis ----- De : Olga <olga@mail.example>À : "
            '"lena@yahoo.example" <lena@yahoo.example>Cc : Max <max@mail.example>'
            "Envoyé : mercredi 15 octobre 2025, 15:31:08 UTC+2Objet : Excursion",
            "2025-10-15T13:31:08",
        ),
        (
            "----- Továbbított üzenet ----- Feladó: Olga <olga@mail.example>Címzett: "
            '"lena@yahoo.example" <lena@yahoo.example>Másolat: Max <max@mail.example>'
            "Elküldve: 2025. október 15., szerda 15:31:08 CESTTárgy: Kirándulás",
            "2025-10-15T13:31:08",
        ),
    ],
)
def test_yahoo_one_line_blocks(line: str, date: str) -> None:
    found = split_forward(f"Note.\n\n   {line}\n Hello,\n\nsee you.\n")
    assert found is not None and found.note == "Note."
    [o] = found.chain
    assert o.sender is not None and o.sender.address == "olga@mail.example"
    assert o.to == (Party("", "lena@yahoo.example"),)
    assert o.cc is not None and o.cc[0].address == "max@mail.example"
    assert o.date == utc(date)
    assert o.subject and o.body == "Hello,\n\nsee you."


# --- forwards of forwards --------------------------------------------------------------------

CHAINS = [
    "chain2_gmail.txt",
    "chain3_mixed.txt",
    "outlook_fw_of_reply.txt",
    "reply_quoting_forward.txt",
]


def test_a_forward_of_a_forward_keeps_the_chain() -> None:
    found = load("chain2_gmail.txt")
    assert found is not None
    assert found.note == "Forwarding the whole thread for the record."
    outer, inner = found.chain
    assert outer.sender == Party("Front Office", "office@pierce.example.org")
    assert outer.subject == "Fwd: Liam out Thursday and Friday"
    assert outer.body == "Rachel - see below from Liam's mom."
    assert inner.sender == Party("Patricia Doherty", "pdoherty74@gmail.example")
    assert inner.date == utc("2025-10-14T01:47:00")
    assert inner.to == (Party("Front Office", "office@pierce.example.org"),)
    assert (
        inner.body == "Liam will be absent Thursday and Friday for a funeral.\n\nPatricia Doherty"
    )


def test_a_chain_of_three_across_clients() -> None:
    found = load("chain3_mixed.txt")
    assert found is not None
    assert [o.sender for o in found.chain] == [
        Party("Dr. Janet Moore", "jmoore@milton.k12.example.org"),
        Party("Minh Tran", "minh.tran.parent@icloud.example"),
        Party("Huy Tran", "huy.tran@gmail.example"),
    ]
    assert [o.date for o in found.chain] == [
        utc("2025-10-15T15:15:00"),
        utc("2025-10-15T00:02:11"),
        utc("2025-10-14T23:40:00"),
    ]
    assert [o.body for o in found.chain] == [
        "Kevin, please follow up with the family.",
        "Forwarding my husband's note.",
        "We think Linh should be in Algebra II, not Geometry.\n\nHuy",
    ]
    assert found.chain[2].subject == "Concern about math placement"


def test_the_quoted_message_in_a_forwarded_reply_is_not_a_forward() -> None:
    found = load("outlook_fw_of_reply.txt")
    assert found is not None and len(found.chain) == 1
    reply = found.chain[0]
    assert reply.sender == Party("Carla Mendes", "carla.mendes@gmail.example")
    assert reply.subject == "RE: Izzy - practice tomorrow"
    assert reply.body.startswith("Thank you Coach, she will be there at 3.")
    assert "From: Dan Sullivan" in reply.body and reply.body.endswith("not 3:30.")


def test_a_reply_that_quotes_a_forward_block_counts() -> None:
    found = load("reply_quoting_forward.txt")
    assert found is not None
    assert found.note.startswith("Thanks, filing this for the record.\n\nOn Wed, Oct 15")
    [original] = found.chain
    assert original.sender == Party("Patricia Doherty", "pdoherty74@gmail.example")
    assert original.body == "I will pick Liam up at 1:00 today for the dentist.\n\nPatricia"


@pytest.mark.timeout(10)  # milliseconds
def test_nesting_is_bounded() -> None:
    block = "---------- Forwarded message ---------\nFrom: A <a@b.example>\n\nhi\n"
    found = split_forward(block * 100)
    assert found is not None and len(found.chain) == 20
    assert found.chain[-1].body.count("Forwarded message") == 80


# --- not forwards ----------------------------------------------------------------------------

NOT_FORWARDS = [
    "reply_en.txt",
    "reply_fr.txt",
    "reply_de.txt",
    "reply_es.txt",
    "reply_pt_br.txt",
    "reply_outlook2019_en.txt",
    "reply_quoting_outlook.txt",  # a '>'-quoted Outlook block is a quoted reply
    "mention.txt",
    "signature_dashes.txt",
    "memo.txt",
]


@pytest.mark.parametrize("name", NOT_FORWARDS)
def test_replies_mentions_and_signatures_are_not_forwards(name: str) -> None:
    assert load(name) is None


def test_empty_and_plain_messages() -> None:
    assert split_forward("") is None
    assert split_forward("", None) is None
    assert split_forward("   \n\n", "") is None
    assert split_forward("Hello,\n\nSee you Thursday.\n") is None


# --- real HTML bodies (quotequail, MIT) --------------------------------------------------------


def quotequail(name: str) -> ForwardSplit | None:
    return split_forward("", (QUOTEQUAIL / name).read_text(encoding="utf-8"))


def test_quotequail_apple() -> None:
    found = quotequail("apple_forward.html")
    assert found is not None and found.note == "test\n\nblah"
    [o] = found.chain
    assert o.sender == Party("Foo Bar", "foo@bar.example")
    assert o.to == (Party("John Doe", "john@doe.example"),)
    assert o.subject == "The Subject"
    assert o.date_text == "March 24, 2016 at 20:16:25 GMT+1"
    assert o.date == utc("2016-03-24T19:16:25")
    assert o.body == "Text of the original email"


def test_quotequail_gmail() -> None:
    found = quotequail("gmail_forward.html")
    assert found is not None and found.note == "test\n\nblah"
    [o] = found.chain
    assert o.sender == Party("Foo Bar", "foo@bar.example")
    assert o.to == (Party("John Doe", "john@doe.example"),)
    assert o.subject == "The Subject"
    assert o.date_text == "Thu, Mar 24, 2016 at 5:17 PM"
    assert o.date == utc("2016-03-24T21:17:00")  # no zone given: America/New_York (EDT)
    assert o.body == "Some text"


def test_quotequail_outlook() -> None:
    found = quotequail("outlook_forward.html")
    assert found is not None
    assert found.note == "Original message\n\nMore text"  # the forwarder's own words
    [o] = found.chain
    assert o.sender == Party("John Doe", "")  # Outlook showed a name only
    assert o.to == (Party("Foo Bar", "foo@bar.example"),)  # "Foo Bar (foo@bar.example)"
    assert o.subject == "The subject!"
    assert o.date_text == "Wednesday, July 09, 2014 10:27 AM"
    assert o.date == utc("2014-07-09T14:27:00")
    assert o.body == "Hi Foo,\n\nHow are you doing?\n\nJohn"


def test_quotequail_thunderbird() -> None:
    found = quotequail("thunderbird_forward.html")
    assert found is not None and found.note == ""
    [o] = found.chain
    assert o.sender == Party("John Doe", "johndoe@example.com")
    assert o.to == (Party("Foo Bar", "foobar@example.com"),)
    assert o.subject == "Re: Example subject"
    assert o.date == utc("2016-05-03T12:54:27")
    assert o.body == "Dear John,\n\nThis is a test."


def test_quotequail_mailru() -> None:
    found = quotequail("mailru_forward.html")
    assert found is not None and found.note == ""
    [o] = found.chain
    assert o.sender == Party("Иван Иванов", "ivanivanov@example.com")
    assert o.to == (Party("Петр Петров", "petrpetrov@example.com"),)
    assert o.subject == "Тестовая тема"
    assert o.date_text == "Среда, 14 июня 2017, 15:19 +03:00"
    assert o.date == utc("2017-06-14T12:19:00")
    assert o.body.startswith("Дорогой Петр,\n\nЭто тест!")


@pytest.mark.parametrize(
    "name",
    [
        "mailru_forward_unwrapped.html",
        "outlook_forward_unwrapped.html",
        "outlook_forward_unwrapped_top.html",
        "thunderbird_forward_unwrapped.html",
    ],
)
def test_quotequail_unwrapped_bodies_hold_no_forward(name: str) -> None:
    assert quotequail(name) is None


# --- the demo messages in examples/ ------------------------------------------------------------


def example_parts(name: str) -> tuple[str, str | None]:
    msg = email.message_from_bytes((EXAMPLES / name).read_bytes(), policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    plain = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    text = plain.get_content() if plain is not None else ""
    return text, (html.get_content() if html is not None else None)


EXAMPLE_SENDERS = {
    "01-gmail-inline-absence.eml": (
        Party("Patricia Doherty", "pdoherty74@gmail.example"),
        "2025-10-14T01:47:00",
    ),
    "02-outlook-desktop-fw-coach-texts.eml": (
        Party("Dan Sullivan", "dan.sullivan.coach@outlook.example"),
        "2025-09-19T01:14:00",
    ),
    "03-apple-iphone-forward.eml": (
        Party("Mai Nguyễn", "mai.nguyen.boston@yahoo.example"),
        "2025-11-04T01:05:47",
    ),
    "05-spanish-gmail-forward.eml": (
        Party("Guadalupe Hernández", "lupita.hernandez88@gmail.example"),
        "2026-01-12T11:32:00",
    ),
    "06-haitian-creole-yahoo-forward.eml": (
        Party("Wilner Desrosiers", "wdesrosiers@gmail.example"),
        "2025-10-21T22:58:12",
    ),
    "07-outlook-web-students-line.eml": (
        Party("Guerline Pierre", "guerline.pierre@gmail.example"),
        "2026-02-05T01:21:00",
    ),
    "09-thunderbird-forward.eml": (
        Party("Brigid Kelly", "brigid.kelly@icloud.example"),
        "2025-09-09T01:04:55",
    ),
    "10-outlook-html-only-forward.eml": (
        Party("Fatima Hassan", "fatimahassan.2027@gmail.example"),
        "2026-01-26T03:47:00",
    ),
}


@pytest.mark.parametrize("name", sorted(EXAMPLE_SENDERS))
def test_examples_inline_forwards(name: str) -> None:
    sender, date = EXAMPLE_SENDERS[name]
    found = split_forward(*example_parts(name))
    assert found is not None
    [original] = found.chain
    assert original.sender == sender
    assert original.date == utc(date)
    assert original.subject and original.body and found.note


@pytest.mark.parametrize(
    "name",
    [
        "04-forward-as-attachment-complaint.eml",  # message/rfc822: handled by the caller
        "08-not-a-forward-phone-log.eml",
        "11-gmail-auto-forward-filter.eml",  # the delivered message is the original
    ],
)
def test_examples_without_an_inline_block(name: str) -> None:
    assert split_forward(*example_parts(name)) is None


def test_example_details() -> None:
    found = split_forward(*example_parts("03-apple-iphone-forward.eml"))
    assert found is not None
    [o] = found.chain
    assert o.date_text == "November 3, 2025 at 8:05:47\u202fPM EST"
    assert o.subject == "Anh’s missing work in Spanish 1"
    assert o.body.startswith("Dear Mr. Ferreira,")  # the U+FEFF before it is dropped
    assert found.note.endswith("Sent from my iPhone")

    found = split_forward(*example_parts("05-spanish-gmail-forward.eml"))
    assert found is not None
    assert found.chain[0].date_text == "lun, 12 ene 2026 a las 6:32"
    assert found.chain[0].to == (Party("Ana Rivera", "ana.rivera.esl@gmail.example"),)

    found = split_forward(*example_parts("07-outlook-web-students-line.eml"))
    assert found is not None
    assert "Students: Jayden Pierre, Ana Souza" in found.note


# --- text or HTML ------------------------------------------------------------------------------


def test_html_is_read_when_the_text_has_no_block_but_the_html_does() -> None:
    html = (DATA / "owa_en.html").read_text(encoding="utf-8")
    found = split_forward("For the record.\n\nGood morning Mr. Greene,", html)
    assert found is not None
    assert found.chain[0].sender == Party("Guerline Pierre", "guerline.pierre@gmail.example")


def test_text_wins_when_it_has_a_block() -> None:
    text = (DATA / "gmail_en.txt").read_text(encoding="utf-8")
    html = (DATA / "owa_en.html").read_text(encoding="utf-8")
    found = split_forward(text, html)
    assert found is not None
    assert found.chain[0].sender == Party("Marisol Ortega", "marisol.ortega@gmail.example")


def test_html_without_markers_is_not_read_over_usable_text() -> None:
    html = "<p>Reminder</p><p>From: A &lt;a@b.example&gt;<br>Sent: Monday, May 4, 2026 9:00 AM"
    html += "<br>To: B &lt;b@c.example&gt;<br>Subject: x</p>"
    assert split_forward("Reminder", html) is None
    assert split_forward("", html) is not None


def test_invalid_default_zone_gives_no_date_and_no_error() -> None:
    assert parse_client_date("Wed, Oct 27, 2021 at 9:31 AM", "Nowhere/Nothing") is None
    assert parse_client_date("Wed, 27 Oct 2021 09:31 +0000", "Nowhere/Nothing") == utc(
        "2021-10-27T09:31:00"
    )


# --- dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # what the issue names
        ("Wed, Oct 27, 2021 at 9:31 AM", "2021-10-27T13:31:00"),
        ("27 octobre 2021 à 09:31", "2021-10-27T13:31:00"),
        ("27. Oktober 2021 um 09:31", "2021-10-27T13:31:00"),
        ("2021年10月27日 9:31", "2021-10-27T13:31:00"),
        ("27 thg 10, 2021 lúc 09:31", "2021-10-27T13:31:00"),
        # Gmail in each locale (crisp-oss fixtures' formats)
        ("mer. 27 oct. 2021 à 09:31", "2021-10-27T13:31:00"),
        ("Mi., 27. Okt. 2021 um 09:31 Uhr", "2021-10-27T13:31:00"),
        ("mié, 27 oct 2021 a las 9:31", "2021-10-27T13:31:00"),
        ("qua., 27 de out. de 2021 às 09:31", "2021-10-27T13:31:00"),
        ("mer 27 ott 2021 alle ore 09:31", "2021-10-27T13:31:00"),
        ("wo 27 okt. 2021 om 09:31", "2021-10-27T13:31:00"),
        ("śr., 27 paź 2021 o 09:31", "2021-10-27T13:31:00"),
        ("ср, 27 окт. 2021 г. в 09:31", "2021-10-27T13:31:00"),
        ("ср, 27 жовт. 2021 р. о 09:31", "2021-10-27T13:31:00"),
        ("27 Eki 2021 Çar, 09:31", "2021-10-27T13:31:00"),
        ("ons 27 okt. 2021 kl. 09:31", "2021-10-27T13:31:00"),
        ("ons. 27. okt. 2021 kl. 09.31", "2021-10-27T13:31:00"),
        ("ke 27. lokak. 2021 klo 9.31", "2021-10-27T13:31:00"),
        ("st 27. 10. 2021 v 9:31", "2021-10-27T13:31:00"),
        ("st, 27. 10. 2021 o 9:31", "2021-10-27T13:31:00"),
        ("2021. okt. 27., Sze, 9:31", "2021-10-27T13:31:00"),
        ("mie., 27 oct. 2021 la 09:31", "2021-10-27T13:31:00"),
        ("sri, 27. lis 2021. u 09:31", "2021-11-27T14:31:00"),  # alone, "lis" reads Polish
        ("2021年10月27日周三 下午9:31", "2021-10-28T01:31:00"),
        ("2021年10月27日(水) 9:31", "2021-10-27T13:31:00"),
        ("Th 4, 27 thg 10, 2021 lúc 21:31", "2021-10-28T01:31:00"),
        ("mèkredi 27 oktòb 2021 a 9:31 AM", "2021-10-27T13:31:00"),
        # Outlook, Apple, Yahoo, Thunderbird forms
        ("Wednesday, October 27, 2021 9:31 PM", "2021-10-28T01:31:00"),
        ("Mittwoch, 27. Oktober 2021 09:31", "2021-10-27T13:31:00"),
        ("jueves, 28 de octubre de 2021, 12:46", "2021-10-28T16:46:00"),
        ("October 13, 2025 at 9:47:03\u202fPM EDT", "2025-10-14T01:47:03"),
        ("25 October 2021 at 11:17:21 EEST", "2021-10-25T08:17:21"),
        ("Tuesday, November 2, 2021, 09:26:50 AM GMT+1", "2021-11-02T08:26:50"),
        ("Dienstag, 2. November 2021, 09:26:50 MEZ", "2021-11-02T08:26:50"),
        ("Wed, 3 Nov 2021 15:51:30 +0100", "2021-11-03T14:51:30"),
        ("Mon, 8 Sep 2025 21:04:55 -0400 (EDT)", "2025-09-09T01:04:55"),
        ("10/27/21 9:31 AM (GMT-05:00)", "2021-10-27T14:31:00"),
        ("28/10/2021 12:46", "2021-10-28T16:46:00"),
        ("2021-10-27T09:31:00Z", "2021-10-27T09:31:00"),
        ("lun, 12 ene 2026 a las 6:32 p. m.", "2026-01-12T23:32:00"),
        ("12:05 AM, Jan 1, 2022", "2022-01-01T05:05:00"),
        ("mar, 26 mar 2021 10:00", "2021-03-26T14:00:00"),  # Tuesday, 26 March
        ("mar. 26 oct. 2021 10:00", "2021-10-26T14:00:00"),  # Tuesday, 26 October
    ],
)
def test_client_dates(text: str, expected: str) -> None:
    assert parse_client_date(text) == utc(expected)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Monday",
        "yesterday at 9:31",
        "99/99/9999 99:99",
        "25 October 2021 at 11:17:21 IST",  # India, Ireland or Israel: no guess
        "27. októbra 2021 o 9:31:08 XYZT",  # a zone we do not know: no guess
        "\x00" * 50,
    ],
)
def test_dates_that_do_not_parse(text: str) -> None:
    assert parse_client_date(text) is None


def test_dates_without_a_zone_use_the_default_zone() -> None:
    assert DEFAULT_ZONE == "America/New_York"
    winter = parse_client_date("Monday, January 12, 2026 6:32 AM")
    assert winter == utc("2026-01-12T11:32:00")
    assert parse_client_date("12 January 2026 06:32", "Europe/Paris") == utc("2026-01-12T05:32:00")
    parsed = parse_client_date("Wed, Oct 27, 2021 at 9:31 AM")
    assert parsed is not None and parsed.utcoffset() is not None


def test_the_language_of_the_labels_settles_ambiguous_month_names() -> None:
    # "listopada" is November in Polish and October in Croatian: Croatian labels decide.
    body = (
        "-------- Proslijeđena poruka --------\nNaslov: Izlet\n"
        "Datum: srijeda, 27. listopada 2021. 09:31\nŠalje: Ivana <i@t-com.example>\n\nbok\n"
    )
    found = split_forward(body)
    assert found is not None
    assert found.chain[0].date == utc("2021-10-27T13:31:00")
    assert parse_client_date("srijeda, 27. listopada 2021. 09:31") == utc("2021-11-27T14:31:00")


def test_an_unparsed_date_keeps_its_text() -> None:
    body = (
        "---------- Forwarded message ---------\nFrom: A <a@b.example>\n"
        "Date: sometime last week\nSubject: s\n\nhello\n"
    )
    found = split_forward(body)
    assert found is not None
    assert found.chain[0].date_text == "sometime last week"
    assert found.chain[0].date is None


# --- subjects ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "stripped", "forward"),
    [
        (
            "Fwd: RE: FW: TR: WG: RV: ENC: I: VS: PD: İLT: 转发: 回复: Field trip",
            "Field trip",
            True,
        ),
        ("Fw: Lab group - Jayden", "Lab group - Jayden", True),
        ("FW: dropping AP chem?", "dropping AP chem?", True),
        ("RE: FW: bus", "bus", True),
        ("Re: bus", "bus", False),
        ("AW: WG: Elternsprechtag", "Elternsprechtag", True),
        ("RES: ENC: Reunião", "Reunião", True),
        ("SV: VB: Utflykt", "Utflykt", True),
        ("Odp: PD: Wycieczka", "Wycieczka", True),
        ("VL: Retki", "Retki", True),
        ("Redir.: Excursie", "Excursie", True),  # Outlook ro
        ("RE[2]: Fwd: notes", "notes", True),
        ("[Fwd: Picture day]", "Picture day", True),
        ("转发：家长会", "家长会", True),
        ("Regarding: the trip", "Regarding: the trip", False),
        ("Fwdx: y", "Fwdx: y", False),
        ("I forwarded the form", "I forwarded the form", False),
        ("", "", False),
    ],
)
def test_subject_prefixes(subject: str, stripped: str, forward: bool) -> None:
    assert strip_subject_prefixes(subject) == stripped
    assert is_forward_subject(subject) is forward


# --- robustness --------------------------------------------------------------------------------

ADVERSARIAL = [
    "-" * 200_000,
    ">" * 200_000,
    "_" * 200_000,
    " " * 200_000 + "x",
    "From: " + "a" * 200_000,
    "From: " + "a:" * 100_000,
    "a@" * 100_000,
    "<" * 200_000,
    "<a " * 66_000,
    "<!--" * 50_000,
    "-- Forwarded message " * 9_500,
    "Fwd: " * 40_000,
    "---------- Forwarded message --------- From: " + "To: x " * 33_000,
    "Date: " + "12:34 PM " * 22_000,
    "----- Forwarded message from " + "x " * 100_000 + "-----",
    "----- End forwarded message -----" * 6_000,
    "============ Forwarded message ============ " * 4_500,
    "\u202b\u200f:\u202c" * 50_000,
    "في 1 تمت " * 25_000 + ":",
    "Date: " + "२०/९/२३ ८:०५ م " * 12_000,
    "Date: " + "22/4/18 오후 " * 20_000,
    "Στις 1 ο/η " * 20_000 + " έγραψε:",
]


@pytest.mark.timeout(10)  # milliseconds
@pytest.mark.parametrize(
    "line", ADVERSARIAL, ids=[f"adversarial-{i}" for i in range(len(ADVERSARIAL))]
)
def test_a_200kb_adversarial_line_finishes_quickly(line: str) -> None:
    start = time.perf_counter()
    split_forward(line)
    split_forward("", line)
    split_forward(line + "\n" + line[:1000], line)
    parse_client_date(line)
    strip_subject_prefixes(line)
    is_forward_subject(line)
    assert time.perf_counter() - start < 1.0


@pytest.mark.timeout(30)  # ~0.3 s
def test_many_candidate_lines_finish_quickly() -> None:
    start = time.perf_counter()
    split_forward("From: a@b.example\n" * 14_000)
    split_forward("________________________________\n" * 7_000)
    split_forward("Begin forwarded message:\n" * 10_000)
    split_forward("----- End forwarded message -----\n" * 10_000)
    split_forward("============ Forwarded message ============\nFrom : a@b.example\n" * 5_000)
    split_forward("Begin forwarded message:\nOn 1/2/2025 9:00, A <a@b.example> wrote:\n" * 5_000)
    split_forward("----- Forwarded message from a -----\n" * 10_000, None, "Fwd: x")
    assert time.perf_counter() - start < 3.0


@pytest.mark.timeout(10)  # milliseconds
def test_only_the_first_256kb_is_read() -> None:
    block = (DATA / "gmail_en.txt").read_text(encoding="utf-8")
    assert split_forward("x\n" * 140_000 + block) is None


NOISE_PIECES = [
    "---------- Forwarded message ---------\n",
    "From: A <a@b.example>\n",
    "From: Pat Rivera\n",
    "To: B <b@c.example>; Doe, Jo <jo@d.example>\n",
    "Sent: Wednesday, October 15, 2025 9:31 AM\n",
    "Date: Wed, 15 Oct 2025 13:31:00 +0000\n",
    "Subject: RE: Fwd: trip\n",
    "> Begin forwarded message:\n",
    "________________________________\n",
    "----- Forwarded Message ----- From: x To: y Subject: ",
    "Date: \n",
    "<div class=gmail_quote>",
    "Fwd: ",
    "RE[2]: ",
    "[Fwd: ",
    "TR\uff1a",
    "2025年10月15日 下午3:05",
    "15.10.2025 09:31 GMT+2",
    "Oct 15, 2025 at 9:31 PM EST",
]
NOISE_ALPHABET = "-_=>:\t \n<>@[]();,\"'*FromDateSubjectToCc\u202f\xa0\ufeff年月日上午下午ÀÉçğış—–−"


def noise(rng: random.Random, length: int = 200) -> str:
    """Random text made of the characters and phrases forward blocks are made of."""
    return "".join(
        rng.choice(NOISE_PIECES) if rng.random() < 0.3 else rng.choice(NOISE_ALPHABET)
        for _ in range(length)
    )


def check_party(party: Party) -> None:
    """Someone named in a block: a name, an address, or both; an address is one address."""
    assert party.name or party.address, party
    assert party.address == "" or (
        "@" in party.address and party.address.split() == [party.address]
    )
    assert party.name == party.name.strip(), party


def check_split(found: ForwardSplit) -> None:
    """What `split_forward` promises of any split it returns."""
    assert 1 <= len(found.chain) <= MAX_DEPTH
    assert found.note == found.note.strip()  # "trimmed"
    for original in found.chain:
        assert original.body == original.body.strip()
        for party in (
            *([original.sender] if original.sender else []),
            *original.to,
            *original.cc,
        ):
            check_party(party)
        if original.date is not None:
            assert original.date_text  # a date is read from the text written in the block
            assert original.date.utcoffset() == timedelta(0)  # aware, in UTC
        assert original.date_text is None or original.date_text.strip()
        assert original.subject is None or original.subject == original.subject.strip()


def check_subject(subject: str) -> None:
    """What the subject functions promise of any text."""
    stripped = strip_subject_prefixes(subject)
    assert stripped in subject  # a part of the subject, never new text
    assert strip_subject_prefixes(stripped) == stripped  # no prefix is left to strip
    if stripped != subject.strip():
        assert is_forward_subject(subject) or is_reply_subject(subject)  # only prefixes go
    if is_forward_subject(subject):
        assert len(stripped) < len(subject.strip())
    # A forward of any subject is a forward, about the same subject.
    assert is_forward_subject("Fwd: " + subject)
    assert strip_subject_prefixes("Fwd: " + subject) == stripped


@pytest.mark.timeout(30)  # ~0.3 s
def test_noise_never_raises_and_keeps_every_promise() -> None:
    """Random text made of forward-block parts: no function raises, and what they return holds
    what their docstrings say. The noise must also have found blocks, dates and prefixes, or
    the checks above checked nothing."""
    rng = random.Random(20251015)
    seen = {"chains": 0, "dates": 0, "forward subjects": 0, "stripped": 0}
    for _ in range(400):
        text = noise(rng)
        found = split_forward(text, text)
        if found is not None:
            check_split(found)
            assert split_forward(text, text) == found  # the same message, the same answer
            seen["chains"] += 1
            seen["dates"] += any(o.date is not None for o in found.chain)
        html_only = split_forward("", text)
        if html_only is not None:
            check_split(html_only)
        for piece in (text[:80], text[rng.randrange(len(text)) :][:80]):
            date = parse_client_date(piece)
            assert date is None or date.utcoffset() == timedelta(0), (piece, date)
            seen["dates"] += date is not None
        line = text.split("\n", 1)[0]
        for subject in (text, line):
            check_subject(subject)
            seen["forward subjects"] += is_forward_subject(subject)
            seen["stripped"] += strip_subject_prefixes(subject) != subject.strip()
    assert all(n >= 10 for n in seen.values()), seen


MORE_NOISE_PIECES = [
    "----- Forwarded message from A <a@b.example> -----\n",
    "----- End forwarded message -----\n",
    "-------- Начало переадресованного сообщения --------\n",
    "-------- Конец переадресованного сообщения --------\n",
    "============ Forwarded message ============\n",
    '07.05.2024, 18:20, "Ольга" <o@mail.example>:\n',
    "Begin forwarded message:\n",
    "On 5 Jun 2023, 10:30 -0400, A <a@b.example>, wrote:\n",
    "Από: Α <a@b.example>\n",
    "من: \u200fس\u200f <s@b.example>\n",
    "तारीख: २०/९/२०२३ ८:०५ م\n",
    "날짜: 22/4/18 오후 9:10\n",
    "Στις Δευ 19 Σεπ 2022 στις 2:50 μ.μ., ο/η Α <a@b.example> έγραψε:\n",
    "\u202bفي 27 مارس 2023 تمت كتابة ما يلي بواسطة A <a@b.example>\u200f:\u202c\n",
]


@pytest.mark.timeout(30)  # ~0.3 s
def test_noise_with_closing_banners_and_more_scripts_keeps_every_promise() -> None:
    rng = random.Random(20240307)
    chains = 0
    for _ in range(200):
        text = "".join(
            rng.choice(MORE_NOISE_PIECES) if rng.random() < 0.3 else rng.choice(NOISE_ALPHABET)
            for _ in range(80)
        )
        for subject in ("Fwd: noise", None):
            found = split_forward(text, text, subject)
            if found is not None:
                check_split(found)
                assert split_forward(text, text, subject) == found
                chains += 1
    assert chains >= 100, chains


FIRST_DAY = datetime(2015, 1, 1, tzinfo=UTC)


def test_a_date_with_its_zone_is_read_exactly() -> None:
    rng = random.Random(7)
    for _ in range(200):
        moment = FIRST_DAY + timedelta(seconds=rng.randrange(10 * 365 * 86400))
        offset = timedelta(minutes=15 * rng.randrange(-48, 57))
        local = moment.astimezone(timezone(offset))
        for written in (
            local.strftime("%a, %d %b %Y %H:%M:%S %z"),
            local.strftime("%A, %B %d, %Y %I:%M:%S %p ") + local.strftime("%z"),
            local.isoformat(),
        ):
            assert parse_client_date(written) == moment, written


def test_results_are_frozen() -> None:
    found = load("gmail_en.txt")
    assert found is not None
    with pytest.raises(AttributeError):
        found.chain[0].subject = "x"  # type: ignore[misc]


# --- issue 12: attributions under a forward subject, quoted blocks, quoted bodies ------------
# Written for this project while fixing issue 12 (training fixtures, not a held-out set). Each
# is the plain text a teacher's client sends, with the subject of the teacher's message.


@dataclass(frozen=True)
class Fwd:
    id: str
    subject: str  # the subject of the message the archive received
    text: str
    sender: Party
    original_subject: str
    body_start: str
    body_end: str
    date: str | None  # UTC, ISO
    note: str = "For the record."


P_JOHN = Party("John Doe", "john.doe@acme.example")
P_PAT = Party("Patricia Doherty", "pdoherty74@gmail.example")
P_NADEGE = Party("Nadège Pierre-Louis", "nadege.pl@orange.example")
P_JURGEN = Party("Jürgen Weiß", "j.weiss@web.example")
P_MARIA = Party("María José Gómez", "mj.gomez@gmail.example")
P_GIULIA = Party("Giulia Rossi", "giulia.rossi@libero.example")
P_SANNE = Party("Sanne de Vries", "sanne.devries@ziggo.example")
P_KASIA = Party("Katarzyna Nowak", "k.nowak@wp.example")
P_ANA = Party("Ana Souza", "ana.souza@uol.example")
P_ERIK = Party("Erik Lindqvist", "erik.lindqvist@telia.example")
P_METTE = Party("Mette Hansen", "mette.hansen@mail.example")
P_INGRID = Party("Ingrid Berg", "ingrid.berg@online.example")
P_MIKKO = Party("Mikko Virtanen", "mikko.virtanen@elisa.example")
P_OLGA = Party("Ольга Иванова", "olga.ivanova@mail.example")
P_OKSANA = Party("Оксана Коваленко", "oksana.k@ukr.example")
P_AYSE = Party("Ayşe Yılmaz", "ayse.yilmaz@gmail.example")
P_JANA = Party("Jana Nováková", "jana.novakova@seznam.example")
P_ANNA = Party("Kovács Anna", "anna.kovacs@freemail.example")
P_IOANA = Party("Ioana Popescu", "ioana.popescu@yahoo.example")
P_WANG = Party("王丽", "wang.li@qq.example")
P_LAN = Party("Nguyễn Thị Lan", "lan.nguyen@gmail.example")
P_HANAKO = Party("山田花子", "hanako.yamada@docomo.example")
P_IVANA = Party("Ivana Horvat", "ivana.horvat@net.example")
P_MARIA_SK = Party("Mária Kováčová", "maria.kovacova@azet.example")
P_MINJI = Party("김민지", "minji.kim@naver.example")
OCT28 = "2021-10-28T16:46:00"  # 28/10/2021 12:46, America/New_York
OCT15 = "2025-10-15T13:31:00"  # 15/10/2025 09:31, America/New_York

ATTRIBUTION_FORWARDS = [
    Fwd(
        "en-outlook2019-quoted",
        "FW: Bus pass",
        'For the record.\n\nOn 28/10/2021 12:46, "John Doe" <john.doe@acme.example> wrote:\n\n'
        "> Hi Ms. Brooks,\n>\n> Sam lost his bus pass again.\n>\n> John\n",
        P_JOHN,
        "Bus pass",
        "Hi Ms. Brooks,",
        "Sam lost his bus pass again.\n\nJohn",
        OCT28,
    ),
    Fwd(
        "en-outlook2019-indented",
        "FW: Bus pass",
        'For the record.\n\nOn 28/10/2021 12:46, "John Doe" <john.doe@acme.example> wrote:\n\n'
        "    Hi Ms. Brooks,\n\n    Sam lost his bus pass again.\n\n    John\n",
        P_JOHN,
        "Bus pass",
        "Hi Ms. Brooks,",
        "Sam lost his bus pass again.\n\nJohn",
        OCT28,
    ),
    Fwd(
        "en-outlook2019-plain",
        "Fw: Bus pass",
        'For the record.\n\nOn 28/10/2021 12:46, "John Doe" <john.doe@acme.example> wrote:\n'
        "Hi Ms. Brooks,\n\nSam lost his bus pass again.\n\nJohn\n",
        P_JOHN,
        "Bus pass",
        "Hi Ms. Brooks,",
        "Sam lost his bus pass again.\n\nJohn",
        OCT28,
    ),
    Fwd(
        "en-gmail-style",
        "Fwd: Liam out Thursday",
        "For the record.\n\nOn Wed, Oct 15, 2025 at 9:31 AM Patricia Doherty "
        "<pdoherty74@gmail.example> wrote:\n\n> Liam will be out Thursday.\n> Patricia\n",
        P_PAT,
        "Liam out Thursday",
        "Liam will be out",
        "Patricia",
        OCT15,
    ),
    Fwd(
        "en-gmail-wrapped",
        "Fwd: Liam out Thursday",
        "For the record.\n\nOn Wed, Oct 15, 2025 at 9:31 AM Patricia Doherty <\n"
        "pdoherty74@gmail.example> wrote:\n\n> Liam will be out Thursday.\n> Patricia\n",
        P_PAT,
        "Liam out Thursday",
        "Liam will be out",
        "Patricia",
        OCT15,
    ),
    Fwd(
        "en-apple",
        "Fwd: Liam out Thursday",
        "For the record.\n\nOn Oct 15, 2025, at 9:31 AM, Patricia Doherty "
        "<pdoherty74@gmail.example> wrote:\n\n> Liam will be out Thursday.\n> \n> Patricia\n",
        P_PAT,
        "Liam out Thursday",
        "Liam will be out",
        "Patricia",
        OCT15,
    ),
    Fwd(
        "en-thunderbird-no-address",
        "Fwd: Siobhan's retake",
        "For the record.\n\nOn 10/15/25 9:31 AM, Robert Callahan wrote:\n"
        "> Mr. Tran, when can Siobhan retake the test?\n",
        Party("Robert Callahan", ""),
        "Siobhan's retake",
        "Mr. Tran,",
        "retake the test?",
        OCT15,
    ),
    Fwd(
        "fr-outlook",
        "TR: Absence de Kevin",
        "Pour le dossier.\n\nLe 28/10/2021 à 12:46, Nadège Pierre-Louis "
        "<nadege.pl@orange.example> a écrit :\n> Bonjour Madame,\n> Kevin sera absent demain.\n",
        P_NADEGE,
        "Absence de Kevin",
        "Bonjour Madame,",
        "Kevin sera absent demain.",
        OCT28,
        note="Pour le dossier.",
    ),
    Fwd(
        "fr-gmail",
        "TR: Absence de Kevin",
        "Pour le dossier.\n\nLe mer. 15 oct. 2025 à 09:31, Nadège Pierre-Louis "
        "<nadege.pl@orange.example> a écrit :\n\n> Bonjour Madame,\n> Kevin sera absent.\n",
        P_NADEGE,
        "Absence de Kevin",
        "Bonjour Madame,",
        "Kevin sera absent.",
        OCT15,
        note="Pour le dossier.",
    ),
    Fwd(
        "de-apple",
        "WG: Elternabend",
        "Zur Ablage.\n\nAm 28.10.2021 um 12:46 schrieb Jürgen Weiß <j.weiss@web.example>:\n\n"
        "> Sehr geehrte Frau Schmidt,\n> wir kommen am Donnerstag.\n",
        P_JURGEN,
        "Elternabend",
        "Sehr geehrte",
        "wir kommen am Donnerstag.",
        OCT28,
        note="Zur Ablage.",
    ),
    Fwd(
        "de-gmail",
        "WG: Elternabend",
        "Zur Ablage.\n\nAm Mi., 15. Okt. 2025 um 09:31 Uhr schrieb Jürgen Weiß "
        "<j.weiss@web.example>:\n\n> Sehr geehrte Frau Schmidt,\n> wir kommen.\n",
        P_JURGEN,
        "Elternabend",
        "Sehr geehrte",
        "wir kommen.",
        OCT15,
        note="Zur Ablage.",
    ),
    Fwd(
        "es-apple",
        "RV: Excursión",
        "Para el archivo.\n\nEl 28/10/2021, a las 12:46, María José Gómez "
        "<mj.gomez@gmail.example> escribió:\n\n> Buenos días,\n> Lucía no irá a la excursión.\n",
        P_MARIA,
        "Excursión",
        "Buenos días,",
        "no irá a la excursión.",
        OCT28,
        note="Para el archivo.",
    ),
    Fwd(
        "es-gmail",
        "RV: Excursión",
        "Para el archivo.\n\nEl mié, 15 oct 2025 a las 9:31, María José Gómez "
        "(<mj.gomez@gmail.example>) escribió:\n\n> Buenos días,\n> Lucía no irá.\n",
        P_MARIA,
        "Excursión",
        "Buenos días,",
        "Lucía no irá.",
        OCT15,
        note="Para el archivo.",
    ),
    Fwd(
        "it-gmail",
        "I: Colloquio",
        "Per l'archivio.\n\nIl giorno mer 15 ott 2025 alle ore 09:31 Giulia Rossi "
        "<giulia.rossi@libero.example> ha scritto:\n\n> Gentile maestra,\n> grazie.\n",
        P_GIULIA,
        "Colloquio",
        "Gentile maestra,",
        "grazie.",
        OCT15,
        note="Per l'archivio.",
    ),
    Fwd(
        "it-outlook",
        "I: Colloquio",
        "Per l'archivio.\n\nIl 28/10/2021 12:46, Giulia Rossi <giulia.rossi@libero.example> "
        "ha scritto:\n> Gentile maestra,\n> grazie.\n",
        P_GIULIA,
        "Colloquio",
        "Gentile maestra,",
        "grazie.",
        OCT28,
        note="Per l'archivio.",
    ),
    Fwd(
        "nl-apple",
        "Doorst: Ouderavond",
        "Ter info.\n\nOp 28-10-2021 om 12:46 schreef Sanne de Vries "
        "<sanne.devries@ziggo.example>:\n\n> Beste juf,\n> Tot donderdag.\n",
        P_SANNE,
        "Ouderavond",
        "Beste juf,",
        "Tot donderdag.",
        OCT28,
        note="Ter info.",
    ),
    Fwd(
        "nl-gmail",
        "Doorst: Ouderavond",
        "Ter info.\n\nOp wo 15 okt 2025 om 09:31 schreef Sanne de Vries "
        "<sanne.devries@ziggo.example>:\n\n> Beste juf,\n> Tot donderdag.\n",
        P_SANNE,
        "Ouderavond",
        "Beste juf,",
        "Tot donderdag.",
        OCT15,
        note="Ter info.",
    ),
    Fwd(
        "pl-thunderbird",
        "PD: Wycieczka",
        "Do archiwum.\n\nW dniu 28.10.2021 o 12:46, Katarzyna Nowak <k.nowak@wp.example> pisze:\n"
        "> Dzień dobry,\n> Zosia nie pojedzie.\n",
        P_KASIA,
        "Wycieczka",
        "Dzień dobry,",
        "Zosia nie pojedzie.",
        OCT28,
        note="Do archiwum.",
    ),
    Fwd(
        "pl-gmail",
        "PD: Wycieczka",
        "Do archiwum.\n\nśr., 15 paź 2025 o 09:31 Katarzyna Nowak <k.nowak@wp.example> "
        "napisał(a):\n\n> Dzień dobry,\n> Zosia nie pojedzie.\n",
        P_KASIA,
        "Wycieczka",
        "Dzień dobry,",
        "Zosia nie pojedzie.",
        OCT15,
        note="Do archiwum.",
    ),
    Fwd(
        "pt-outlook",
        "ENC: Reunião",
        "Para arquivo.\n\nEm 28/10/2021 12:46, Ana Souza <ana.souza@uol.example> escreveu:\n"
        "> Bom dia professora,\n> até quinta.\n",
        P_ANA,
        "Reunião",
        "Bom dia professora,",
        "até quinta.",
        OCT28,
        note="Para arquivo.",
    ),
    Fwd(
        "pt-br-gmail",
        "Enc: Reunião",
        "Para arquivo.\n\nEm qua., 15 de out. de 2025 às 09:31, Ana Souza "
        "<ana.souza@uol.example> escreveu:\n\n> Bom dia professora,\n> até quinta.\n",
        P_ANA,
        "Reunião",
        "Bom dia professora,",
        "até quinta.",
        OCT15,
        note="Para arquivo.",
    ),
    Fwd(
        "sv-apple",
        "VB: Utflykt",
        "För arkivet.\n\nDen 28 okt. 2021 kl. 12:46 skrev Erik Lindqvist "
        "<erik.lindqvist@telia.example>:\n\n> Hej,\n> Elsa kommer inte.\n",
        P_ERIK,
        "Utflykt",
        "Hej,",
        "Elsa kommer inte.",
        OCT28,
        note="För arkivet.",
    ),
    Fwd(
        "da-apple",
        "VS: Forældremøde",
        "Til arkivet.\n\nDen 28. okt. 2021 kl. 12.46 skrev Mette Hansen "
        "<mette.hansen@mail.example>:\n\n> Hej,\n> Vi kommer.\n",
        P_METTE,
        "Forældremøde",
        "Hej,",
        "Vi kommer.",
        OCT28,
        note="Til arkivet.",
    ),
    Fwd(
        "no-gmail",
        "VS: Foreldremøte",
        "Til arkivet.\n\nons. 15. okt. 2025 kl. 09:31 skrev Ingrid Berg "
        "<ingrid.berg@online.example>:\n\n> Hei,\n> Vi kommer.\n",
        P_INGRID,
        "Foreldremøte",
        "Hei,",
        "Vi kommer.",
        OCT15,
        note="Til arkivet.",
    ),
    Fwd(
        "fi-outlook",
        "VL: Retki",
        "Arkistoon.\n\nMikko Virtanen <mikko.virtanen@elisa.example> kirjoitti 28.10.2021 "
        "klo 12.46:\n> Hei,\n> Aino ei tule.\n",
        P_MIKKO,
        "Retki",
        "Hei,",
        "Aino ei tule.",
        OCT28,
        note="Arkistoon.",
    ),
    Fwd(
        "ru-gmail",
        "Fwd: Экскурсия",
        "Для архива.\n\nср, 15 окт. 2025 г. в 09:31, Ольга Иванова "
        "<olga.ivanova@mail.example>:\n\n> Здравствуйте,\n> Маша не поедет.\n",
        P_OLGA,
        "Экскурсия",
        "Здравствуйте,",
        "Маша не поедет.",
        OCT15,
        note="Для архива.",
    ),
    Fwd(
        "ru-thunderbird",
        "Fwd: Экскурсия",
        "Для архива.\n\n28.10.2021 12:46, Ольга Иванова пишет:\n> Здравствуйте,\n"
        "> Маша не поедет.\n",
        Party("Ольга Иванова", ""),
        "Экскурсия",
        "Здравствуйте,",
        "Маша не поедет.",
        OCT28,
        note="Для архива.",
    ),
    Fwd(
        "uk-gmail",
        "Пересл: Екскурсія",
        "Для архіву.\n\nср, 15 жовт. 2025 о 09:31 Оксана Коваленко <oksana.k@ukr.example> "
        "пише:\n\n> Добрий день,\n> дякую.\n",
        P_OKSANA,
        "Екскурсія",
        "Добрий день,",
        "дякую.",
        OCT15,
        note="Для архіву.",
    ),
    Fwd(
        "tr-gmail",
        "İLT: Gezi",
        "Arşiv için.\n\nAyşe Yılmaz <ayse.yilmaz@gmail.example>, 15 Eki 2025 Çar, 09:31 "
        "tarihinde şunu yazdı:\n\n> Merhaba,\n> Elif gelmeyecek.\n",
        P_AYSE,
        "Gezi",
        "Merhaba,",
        "Elif gelmeyecek.",
        OCT15,
        note="Arşiv için.",
    ),
    Fwd(
        "cs-thunderbird",
        "Fwd: Výlet",
        "Pro archiv.\n\nDne 28.10.2021 v 12:46 Jana Nováková <jana.novakova@seznam.example> "
        "napsal(a):\n> Dobrý den,\n> Tomáš nepojede.\n",
        P_JANA,
        "Výlet",
        "Dobrý den,",
        "Tomáš nepojede.",
        OCT28,
        note="Pro archiv.",
    ),
    Fwd(
        "hu-gmail",
        "TOV: Kirándulás",
        "Archiválásra.\n\nKovács Anna <anna.kovacs@freemail.example> ezt írta (időpont: "
        "2025. okt. 15., Sze, 9:31):\n\n> Kedves Tanárnő,\n> köszönöm.\n",
        P_ANNA,
        "Kirándulás",
        "Kedves Tanárnő,",
        "köszönöm.",
        OCT15,
        note="Archiválásra.",
    ),
    Fwd(
        "ro-gmail",
        "Fwd: Excursie",
        "Pentru arhivă.\n\nÎn mie., 15 oct. 2025 la 09:31, Ioana Popescu "
        "<ioana.popescu@yahoo.example> a scris:\n\n> Bună ziua,\n> mulțumesc.\n",
        P_IOANA,
        "Excursie",
        "Bună ziua,",
        "mulțumesc.",
        OCT15,
        note="Pentru arhivă.",
    ),
    Fwd(
        "zh-gmail",
        "转发: 家长会",
        "存档。\n\n王丽 <wang.li@qq.example> 于2025年10月15日周三 09:31写道：\n\n"
        "> 老师好，\n> 谢谢。\n",
        P_WANG,
        "家长会",
        "老师好，",
        "谢谢。",
        OCT15,
        note="存档。",
    ),
    Fwd(
        "vi-gmail",
        "Fwd: Họp phụ huynh",
        "Lưu hồ sơ.\n\nVào Th 4, 15 thg 10, 2025 vào lúc 09:31 Nguyễn Thị Lan "
        "<lan.nguyen@gmail.example> đã viết:\n\n> Chào cô,\n> cảm ơn cô.\n",
        P_LAN,
        "Họp phụ huynh",
        "Chào cô,",
        "cảm ơn cô.",
        OCT15,
        note="Lưu hồ sơ.",
    ),
    Fwd(
        "ja-gmail",
        "Fwd: 面談",
        "保存用。\n\n2025年10月15日(水) 9:31 山田花子 <hanako.yamada@docomo.example>:\n\n"
        "> 先生へ\n> よろしくお願いします。\n",
        P_HANAKO,
        "面談",
        "先生へ",
        "よろしくお願いします。",
        OCT15,
        note="保存用。",
    ),
    Fwd(
        "hr-gmail",
        "Fwd: Izlet",
        "Za arhivu.\n\nsri, 15. lis 2025. u 09:31 Ivana Horvat <ivana.horvat@net.example> "
        "je napisao/la:\n\n> Poštovana,\n> hvala.\n",
        P_IVANA,
        "Izlet",
        "Poštovana,",
        "hvala.",
        OCT15,
        note="Za arhivu.",
    ),
    Fwd(
        "sk-thunderbird",
        "PD: Výlet",
        "Do archívu.\n\nDňa 28.10.2021 o 12:46 Mária Kováčová <maria.kovacova@azet.example> "
        "napísal(a):\n> Dobrý deň,\n> ďakujem.\n",
        P_MARIA_SK,
        "Výlet",
        "Dobrý deň,",
        "ďakujem.",
        OCT28,
        note="Do archívu.",
    ),
    Fwd(
        "ko-gmail",
        "Fwd: 상담",
        "보관용.\n\n2025년 10월 15일 (수) 오전 9:31, 김민지 <minji.kim@naver.example>님이 작성:\n\n"
        "> 선생님,\n> 감사합니다.\n",
        P_MINJI,
        "상담",
        "선생님,",
        "감사합니다.",
        OCT15,
        note="보관용.",
    ),
]

QUOTED_BLOCK_FORWARDS = [
    Fwd(
        "de-ionos-quoted",
        "WG: Elternabend",
        "Zur Ablage.\n\n> -------- Original-Nachricht --------\n"
        "> Von: Jürgen Weiß <j.weiss@web.example>\n> An: Anna Schmidt <a.schmidt@gmx.example>\n"
        "> Datum: 15.10.2025 09:31\n> Betreff: Elternabend\n>\n"
        "> Sehr geehrte Frau Schmidt,\n>\n> wir kommen am Donnerstag.\n",
        P_JURGEN,
        "Elternabend",
        "Sehr geehrte",
        "wir kommen am Donnerstag.",
        OCT15,
        note="Zur Ablage.",
    ),
    Fwd(
        "en-ionos-quoted",
        "Fwd: Siobhan's retake",
        "For the record.\n\n> -------- Original Message --------\n"
        "> From: John Doe <john.doe@acme.example>\n> To: Kevin Tran <kt@gmail.example>\n"
        "> Date: 10/15/2025 9:31 AM\n> Subject: Siobhan's retake\n>\n"
        "> Mr. Tran, when can she retake it?\n>\n> John\n",
        P_JOHN,
        "Siobhan's retake",
        "Mr. Tran,",
        "John",
        OCT15,
    ),
    Fwd(
        "fr-webmail-quoted",
        "TR: Absence de Kevin",
        "Pour le dossier.\n\n> -------- Message d'origine --------\n"
        "> De : Nadège Pierre-Louis <nadege.pl@orange.example>\n> Date : 15/10/2025 09:31\n"
        "> À : Lena Brooks <lena@orange.example>\n> Objet : Absence de Kevin\n>\n"
        "> Bonjour Madame,\n> Kevin sera absent.\n",
        P_NADEGE,
        "Absence de Kevin",
        "Bonjour Madame,",
        "Kevin sera absent.",
        OCT15,
        note="Pour le dossier.",
    ),
    Fwd(
        "es-webmail-quoted",
        "RV: Excursión",
        "Para el archivo.\n\n> -------- Mensaje original --------\n"
        "> De: María José Gómez <mj.gomez@gmail.example>\n> Fecha: 15/10/2025 9:31\n"
        "> Para: Lena Brooks <lena@gmail.example>\n> Asunto: Excursión\n>\n"
        "> Buenos días,\n> Lucía no irá.\n",
        P_MARIA,
        "Excursión",
        "Buenos días,",
        "Lucía no irá.",
        OCT15,
        note="Para el archivo.",
    ),
    Fwd(
        "it-webmail-quoted",
        "I: Colloquio",
        "Per l'archivio.\n\n> -------- Messaggio originale --------\n"
        "> Da: Giulia Rossi <giulia.rossi@libero.example>\n> Data: 15/10/2025 09:31\n"
        "> A: Lena Brooks <lena@libero.example>\n> Oggetto: Colloquio\n>\n"
        "> Gentile maestra,\n> grazie.\n",
        P_GIULIA,
        "Colloquio",
        "Gentile maestra,",
        "grazie.",
        OCT15,
        note="Per l'archivio.",
    ),
    Fwd(
        "nl-webmail-quoted",
        "Doorst: Ouderavond",
        "Ter info.\n\n> -------- Oorspronkelijk bericht --------\n"
        "> Van: Sanne de Vries <sanne.devries@ziggo.example>\n> Datum: 15-10-2025 09:31\n"
        "> Aan: Lena Brooks <lena@ziggo.example>\n> Onderwerp: Ouderavond\n>\n"
        "> Beste juf,\n> Tot donderdag.\n",
        P_SANNE,
        "Ouderavond",
        "Beste juf,",
        "Tot donderdag.",
        OCT15,
        note="Ter info.",
    ),
    Fwd(
        "de-quoted-outlook2013",
        "WG: Elternabend",
        "Zur Ablage.\n\n> -----Ursprüngliche Nachricht-----\n"
        "> Von: Jürgen Weiß [mailto:j.weiss@web.example] \n"
        "> Gesendet: Mittwoch, 15. Oktober 2025 09:31\n> An: Schmidt, Anna\n"
        "> Betreff: Elternabend\n> \n> Sehr geehrte Frau Schmidt,\n> wir kommen.\n",
        P_JURGEN,
        "Elternabend",
        "Sehr geehrte",
        "wir kommen.",
        OCT15,
        note="Zur Ablage.",
    ),
    Fwd(
        "en-quoted-strong-banner",
        "Fwd: Liam out Thursday",
        "For the record.\n\n> ---------- Forwarded message ---------\n"
        "> From: Patricia Doherty <pdoherty74@gmail.example>\n"
        "> Date: Wed, Oct 15, 2025 at 9:31 AM\n> Subject: Liam out Thursday\n"
        "> To: Rachel Okafor <ro@gmail.example>\n>\n> Liam will be out Thursday.\n> Patricia\n",
        P_PAT,
        "Liam out Thursday",
        "Liam will be out",
        "Patricia",
        OCT15,
    ),
]


def _outlook2013(banner: str, labels: tuple[str, str, str, str], date: str, party: Party) -> str:
    frm, sent, to, subject = labels
    return (
        f"For the record.\n\n-----{banner}-----\n{frm}: {party.name} [mailto:{party.address}] \n"
        f"{sent}: {date}\n{to}: Brooks, Lena\n{subject}: Meeting\n\nHello,\nsee you.\n"
    )


OUTLOOK2013_FORWARDS = [
    Fwd(
        f"{lang}-outlook2013",
        "FW: Meeting",
        _outlook2013(banner, labels, date, party),
        party,
        "Meeting",
        "Hello,",
        "see you.",
        OCT15,
    )
    for lang, banner, labels, date, party in [
        (
            "en",
            "Original Message",
            ("From", "Sent", "To", "Subject"),
            "Wednesday, October 15, 2025 9:31 AM",
            P_JOHN,
        ),
        (
            "de",
            "Ursprüngliche Nachricht",
            ("Von", "Gesendet", "An", "Betreff"),
            "Mittwoch, 15. Oktober 2025 09:31",
            P_JURGEN,
        ),
        (
            "fr",
            "Message d'origine",
            ("De ", "Envoyé ", "À ", "Objet "),
            "mercredi 15 octobre 2025 09:31",
            P_NADEGE,
        ),
        (
            "es",
            "Mensaje original",
            ("De", "Enviado el", "Para", "Asunto"),
            "miércoles, 15 de octubre de 2025 9:31",
            P_MARIA,
        ),
        (
            "it",
            "Messaggio originale",
            ("Da", "Inviato", "A", "Oggetto"),
            "mercoledì 15 ottobre 2025 09:31",
            P_GIULIA,
        ),
        (
            "nl",
            "Oorspronkelijk bericht",
            ("Van", "Verzonden", "Aan", "Onderwerp"),
            "woensdag 15 oktober 2025 09:31",
            P_SANNE,
        ),
        (
            "pt",
            "Mensagem original",
            ("De", "Enviada em", "Para", "Assunto"),
            "quarta-feira, 15 de outubro de 2025 09:31",
            P_ANA,
        ),
        (
            "fi",
            "Alkuperäinen viesti",
            ("Lähettäjä", "Lähetetty", "Vastaanottaja", "Aihe"),
            "15. lokakuuta 2025 9:31",
            P_MIKKO,
        ),
        (
            "da",
            "Oprindelig meddelelse",
            ("Fra", "Sendt", "Til", "Emne"),
            "15. oktober 2025 09:31",
            P_METTE,
        ),
        (
            "no",
            "Opprinnelig melding",
            ("Fra", "Sendt", "Til", "Emne"),
            "onsdag 15. oktober 2025 09:31",
            P_INGRID,
        ),
        (
            "sv",
            "Ursprungligt meddelande",
            ("Från", "Skickat", "Till", "Ämne"),
            "den 15 oktober 2025 09:31",
            P_ERIK,
        ),
        (
            "pl",
            "Wiadomość oryginalna",
            ("Od", "Wysłano", "Do", "Temat"),
            "środa, 15 października 2025 09:31",
            P_KASIA,
        ),
        (
            "cs",
            "Původní zpráva",
            ("Od", "Odesláno", "Komu", "Předmět"),
            "středa 15. října 2025 9:31",
            P_JANA,
        ),
        (
            "hu",
            "Eredeti üzenet",
            ("Feladó", "Elküldve", "Címzett", "Tárgy"),
            "2025. október 15. 9:31",
            P_ANNA,
        ),
        (
            "ru",
            "Исходное сообщение",
            ("От", "Отправлено", "Кому", "Тема"),
            "15 октября 2025 г. 9:31",
            P_OLGA,
        ),
        (
            "tr",
            "Özgün İleti",
            ("Kimden", "Gönderildi", "Kime", "Konu"),
            "15 Ekim 2025 Çarşamba 09:31",
            P_AYSE,
        ),
    ]
]

QUOTED_BODY_FORWARDS = [
    Fwd(
        "en-missive",
        "Fwd: Liam out Thursday",
        "For the record.\n\n---------- Forwarded message ----------\n"
        "From: Patricia Doherty <pdoherty74@gmail.example>\nDate: Wed, Oct 15, 2025 at 9:31 AM\n"
        "Subject: Liam out Thursday\nTo: Rachel Okafor <ro@gmail.example>\n\n"
        "> Hi Ms. Okafor,\n>\n> Liam will be out Thursday.\n>\n> Patricia\n",
        P_PAT,
        "Liam out Thursday",
        "Hi Ms. Okafor,",
        "Liam will be out Thursday.\n\nPatricia",
        OCT15,
    ),
    Fwd(
        "en-missive-begin",
        "Fwd: Liam out Thursday",
        "For the record.\n\nBegin forwarded message:\n\n"
        "From: Patricia Doherty <pdoherty74@gmail.example>\nSubject: Liam out Thursday\n"
        "Date: October 15, 2025 at 9:31:00 AM EDT\nTo: Rachel Okafor <ro@gmail.example>\n\n"
        "> Hi Ms. Okafor,\n> Liam will be out Thursday.\n",
        P_PAT,
        "Liam out Thursday",
        "Hi Ms. Okafor,",
        "Liam will be out Thursday.",
        OCT15,
    ),
    Fwd(
        "en-outlook-headers-quoted-body",
        "FW: Liam out Thursday",
        "For the record.\n\nFrom: Patricia Doherty <pdoherty74@gmail.example>\n"
        "Sent: Wednesday, October 15, 2025 9:31 AM\nTo: Rachel Okafor <ro@gmail.example>\n"
        "Subject: Liam out Thursday\n\n> Hi Ms. Okafor,\n> Liam will be out Thursday.\n",
        P_PAT,
        "Liam out Thursday",
        "Hi Ms. Okafor,",
        "Liam will be out Thursday.",
        OCT15,
    ),
    Fwd(
        "en-missive-nested-quote",
        "Fwd: Re: Liam out Thursday",
        "For the record.\n\n---------- Forwarded message ----------\n"
        "From: Patricia Doherty <pdoherty74@gmail.example>\nDate: Wed, Oct 15, 2025 at 9:31 AM\n"
        "Subject: Re: Liam out Thursday\nTo: Rachel Okafor <ro@gmail.example>\n\n"
        "> Thank you.\n>\n> > Is Liam out Thursday?\n",
        P_PAT,
        "Re: Liam out Thursday",
        "Thank you.",
        "> Is Liam out Thursday?",
        OCT15,
    ),
    Fwd(
        "de-missive",
        "WG: Elternabend",
        "Zur Ablage.\n\n---------- Weitergeleitete Nachricht ---------\n"
        "Von: Jürgen Weiß <j.weiss@web.example>\nDatum: Mi., 15. Okt. 2025 um 09:31 Uhr\n"
        "Betreff: Elternabend\nAn: Anna Schmidt <a.schmidt@gmx.example>\n\n"
        "> Sehr geehrte Frau Schmidt,\n> wir kommen.\n",
        P_JURGEN,
        "Elternabend",
        "Sehr geehrte",
        "wir kommen.",
        OCT15,
        note="Zur Ablage.",
    ),
    Fwd(
        "fr-missive",
        "TR: Absence de Kevin",
        "Pour le dossier.\n\n-------- Message transféré --------\n"
        "De : Nadège Pierre-Louis <nadege.pl@orange.example>\nDate : 15/10/2025 09:31\n"
        "À : Lena Brooks <lena@orange.example>\nObjet : Absence de Kevin\n\n"
        "> Bonjour Madame,\n> Kevin sera absent.\n",
        P_NADEGE,
        "Absence de Kevin",
        "Bonjour Madame,",
        "Kevin sera absent.",
        OCT15,
        note="Pour le dossier.",
    ),
    Fwd(
        "es-missive",
        "RV: Excursión",
        "Para el archivo.\n\n---------- Mensaje reenviado ---------\n"
        "De: María José Gómez <mj.gomez@gmail.example>\nDate: mié, 15 oct 2025 a las 9:31\n"
        "Subject: Excursión\nTo: Lena Brooks <lena@gmail.example>\n\n"
        "> Buenos días,\n> Lucía no irá.\n",
        P_MARIA,
        "Excursión",
        "Buenos días,",
        "Lucía no irá.",
        OCT15,
        note="Para el archivo.",
    ),
    Fwd(
        "pt-missive",
        "Enc: Reunião",
        "Para arquivo.\n\n---------- Mensagem encaminhada ---------\n"
        "De: Ana Souza <ana.souza@uol.example>\nData: qua., 15 de out. de 2025 às 09:31\n"
        "Assunto: Reunião\nPara: Lena Brooks <lena@uol.example>\n\n"
        "> Bom dia professora,\n> até quinta.\n",
        P_ANA,
        "Reunião",
        "Bom dia professora,",
        "até quinta.",
        OCT15,
        note="Para arquivo.",
    ),
    Fwd(
        "it-missive",
        "I: Colloquio",
        "Per l'archivio.\n\n---------- Messaggio inoltrato ---------\n"
        "Da: Giulia Rossi <giulia.rossi@libero.example>\nData: mer 15 ott 2025 alle ore 09:31\n"
        "Oggetto: Colloquio\nA: Lena Brooks <lena@libero.example>\n\n"
        "> Gentile maestra,\n> grazie.\n",
        P_GIULIA,
        "Colloquio",
        "Gentile maestra,",
        "grazie.",
        OCT15,
        note="Per l'archivio.",
    ),
    Fwd(
        "nl-missive",
        "Doorst: Ouderavond",
        "Ter info.\n\n---------- Doorgestuurd bericht ---------\n"
        "Van: Sanne de Vries <sanne.devries@ziggo.example>\nDatum: wo 15 okt 2025 om 09:31\n"
        "Onderwerp: Ouderavond\nAan: Lena Brooks <lena@ziggo.example>\n\n"
        "> Beste juf,\n> Tot donderdag.\n",
        P_SANNE,
        "Ouderavond",
        "Beste juf,",
        "Tot donderdag.",
        OCT15,
        note="Ter info.",
    ),
]

ISSUE12_FORWARDS = (
    ATTRIBUTION_FORWARDS + QUOTED_BLOCK_FORWARDS + OUTLOOK2013_FORWARDS + QUOTED_BODY_FORWARDS
)


@pytest.mark.parametrize("case", ISSUE12_FORWARDS, ids=[c.id for c in ISSUE12_FORWARDS])
def test_issue12_forwards(case: Fwd) -> None:
    found = split_forward(case.text, None, case.subject)
    assert found is not None
    assert found.note == case.note
    original = found.chain[0]
    assert original.sender == case.sender
    assert original.subject == case.original_subject
    assert original.body.startswith(case.body_start), original.body
    assert original.body.endswith(case.body_end), original.body
    assert original.date == (utc(case.date) if case.date else None)
    if case.body_end.startswith(">"):
        return
    assert not any(line.startswith(">") for line in original.body.splitlines()), original.body


ISSUE12_NOT_FORWARDS = [
    # The same attributions under a reply's subject, or no subject: replies.
    ("RE: Bus pass", ATTRIBUTION_FORWARDS[0].text),
    ("AW: Elternabend", ATTRIBUTION_FORWARDS[10].text),
    ("", ATTRIBUTION_FORWARDS[7].text),
    ("Bus pass", ATTRIBUTION_FORWARDS[3].text),
    ("RE: FW: Bus pass", ATTRIBUTION_FORWARDS[0].text),  # a reply to a forward
    ("Odp: PD: Wycieczka", ATTRIBUTION_FORWARDS[17].text),
    # A forward subject with no attribution and no block.
    ("Fwd: notes", "Notes from today's meeting.\n\nSee you Thursday.\n"),
    # A forward subject, and a sentence that merely ends with "wrote:".
    ("Fwd: notes", "Here is what the principal wrote:\n\nNo school Friday.\n"),
    # A reply whose quote holds an Outlook block further down: the quoted reply stays quoted.
    (
        "AW: Elternabend",
        "Danke.\n\nAm 15.10.2025 um 10:00 schrieb Anna Schmidt <a.schmidt@gmx.example>:\n"
        "> Gerne.\n>\n> -----Ursprüngliche Nachricht-----\n"
        "> Von: Jürgen Weiß [mailto:j.weiss@web.example]\n"
        "> Gesendet: Mittwoch, 15. Oktober 2025 09:31\n> An: Schmidt, Anna\n"
        "> Betreff: Elternabend\n>\n> Wir kommen.\n",
    ),
    (
        "",
        "Danke.\n\nAm 15.10.2025 um 10:00 schrieb Anna Schmidt <a.schmidt@gmx.example>:\n"
        "> -------- Original-Nachricht --------\n> Von: Jürgen Weiß <j.weiss@web.example>\n"
        "> Datum: 15.10.2025 09:31\n> Betreff: Elternabend\n>\n> Wir kommen.\n",
    ),
]


@pytest.mark.parametrize(("subject", "text"), ISSUE12_NOT_FORWARDS)
def test_issue12_not_forwards(subject: str, text: str) -> None:
    assert split_forward(text, None, subject) is None


# Second round, written after the first passed: more clients' wordings and layouts.
MORE_ATTRIBUTION_FORWARDS = [
    Fwd(
        "en-outlook-mac-us",
        "FW: Bus pass",
        'For the record.\n\nOn 10/28/21, 12:46 PM, "John Doe" <john.doe@acme.example> wrote:\n\n'
        "    Hi Ms. Brooks,\n    Sam lost his bus pass.\n",
        P_JOHN,
        "Bus pass",
        "Hi Ms. Brooks,",
        "Sam lost his bus pass.",
        OCT28,
    ),
    Fwd(
        "en-quoted-comma-name",
        "FW: Bus pass",
        'For the record.\n\nOn 28/10/2021 12:46, "Doe, John" <john.doe@acme.example> wrote:\n'
        "> Hi Ms. Brooks,\n> Sam lost his bus pass.\n",
        Party("Doe, John", "john.doe@acme.example"),
        "Bus pass",
        "Hi Ms. Brooks,",
        "Sam lost his bus pass.",
        OCT28,
    ),
    Fwd(
        "en-seconds-and-signature",
        "Fwd: Re: Bus pass",
        "For the record.\n\nOn 28/10/2021 12:46:03, John Doe <john.doe@acme.example> wrote:\n"
        "> Hi Ms. Brooks,\n> Sam lost his bus pass.\n\n-- \nLena Brooks\nGrade 3\n",
        P_JOHN,
        "Re: Bus pass",  # the original was a reply: only the forward's own prefix goes
        "Hi Ms. Brooks,",
        "Sam lost his bus pass.",
        "2021-10-28T16:46:03",
    ),
    Fwd(
        "en-gmail-narrow-space",
        "Fwd: Liam out Thursday",
        "For the record.\n\nOn Wed, Oct 15, 2025 at 9:31\u202fAM Patricia Doherty "
        "<pdoherty74@gmail.example> wrote:\n\n> Liam will be out Thursday.\n",
        P_PAT,
        "Liam out Thursday",
        "Liam will be out",
        "Thursday.",
        OCT15,
    ),
    Fwd(
        "en-thread-inside",
        "Fwd: Liam out Thursday",
        "For the record.\n\nOn Wed, Oct 15, 2025 at 9:31 AM Patricia Doherty "
        "<pdoherty74@gmail.example> wrote:\n\n> Yes, Thursday.\n>\n"
        "> On Tue, Oct 14, 2025 at 3:00 PM Rachel Okafor <ro@gmail.example> wrote:\n"
        "> > Is Liam out?\n",
        P_PAT,
        "Liam out Thursday",
        "Yes, Thursday.",
        "> Is Liam out?",
        OCT15,
    ),
    Fwd(
        "en-no-date",
        "Fwd: Liam out Thursday",
        "For the record.\n\nPatricia Doherty <pdoherty74@gmail.example> wrote:\n"
        "> Liam will be out Thursday.\n",
        P_PAT,
        "Liam out Thursday",
        "Liam will be out",
        "Thursday.",
        None,
    ),
    Fwd(
        "fr-apple",
        "TR: Absence de Kevin",
        "Pour le dossier.\n\nLe 15 oct. 2025 à 09:31, Nadège Pierre-Louis "
        "<nadege.pl@orange.example> a écrit\u00a0:\n\n> Bonjour Madame,\n> Kevin sera absent.\n",
        P_NADEGE,
        "Absence de Kevin",
        "Bonjour Madame,",
        "Kevin sera absent.",
        OCT15,
        note="Pour le dossier.",
    ),
    Fwd(
        "de-quoted-comma-name",
        "WG: Elternabend",
        'Zur Ablage.\n\nAm 28.10.2021 um 12:46 schrieb "Weiß, Jürgen" <j.weiss@web.example>:\n'
        "> Sehr geehrte Frau Schmidt,\n> wir kommen.\n",
        Party("Weiß, Jürgen", "j.weiss@web.example"),
        "Elternabend",
        "Sehr geehrte",
        "wir kommen.",
        OCT28,
        note="Zur Ablage.",
    ),
    Fwd(
        "es-outlook",
        "RV: Excursión",
        "Para el archivo.\n\nEl mié., 15 oct. 2025 9:31, María José Gómez "
        "<mj.gomez@gmail.example> escribió:\n> Buenos días,\n> Lucía no irá.\n",
        P_MARIA,
        "Excursión",
        "Buenos días,",
        "Lucía no irá.",
        OCT15,
        note="Para el archivo.",
    ),
    Fwd(
        "pt-apple",
        "Enc: Reunião",
        "Para arquivo.\n\nEm 15 de out. de 2025, à(s) 09:31, Ana Souza <ana.souza@uol.example> "
        "escreveu:\n\n> Bom dia professora,\n> até quinta.\n",
        P_ANA,
        "Reunião",
        "Bom dia professora,",
        "até quinta.",
        OCT15,
        note="Para arquivo.",
    ),
    Fwd(
        "it-apple",
        "I: Colloquio",
        "Per l'archivio.\n\nIl giorno 15 ott 2025, alle ore 09:31, Giulia Rossi "
        "<giulia.rossi@libero.example> ha scritto:\n\n> Gentile maestra,\n> grazie.\n",
        P_GIULIA,
        "Colloquio",
        "Gentile maestra,",
        "grazie.",
        OCT15,
        note="Per l'archivio.",
    ),
    Fwd(
        "nl-apple-geschreven",
        "Doorst: Ouderavond",
        "Ter info.\n\nOp 15 okt. 2025 om 09:31 heeft Sanne de Vries "
        "<sanne.devries@ziggo.example> het volgende geschreven:\n\n> Beste juf,\n"
        "> Tot donderdag.\n",
        P_SANNE,
        "Ouderavond",
        "Beste juf,",
        "Tot donderdag.",
        OCT15,
        note="Ter info.",
    ),
    Fwd(
        "pl-apple",
        "PD: Wycieczka",
        "Do archiwum.\n\nWiadomość napisana przez Katarzyna Nowak <k.nowak@wp.example> w dniu "
        "15.10.2025, o godz. 09:31:\n\n> Dzień dobry,\n> Zosia nie pojedzie.\n",
        P_KASIA,
        "Wycieczka",
        "Dzień dobry,",
        "Zosia nie pojedzie.",
        OCT15,
        note="Do archiwum.",
    ),
    Fwd(
        "fi-apple",
        "VL: Retki",
        "Arkistoon.\n\nMikko Virtanen <mikko.virtanen@elisa.example> kirjoitti 15.10.2025 kello "
        "9.31:\n\n> Hei,\n> Aino ei tule.\n",
        P_MIKKO,
        "Retki",
        "Hei,",
        "Aino ei tule.",
        OCT15,
        note="Arkistoon.",
    ),
    Fwd(
        "ru-apple",
        "Fwd: Экскурсия",
        "Для архива.\n\n15 окт. 2025 г., в 9:31, Ольга Иванова <olga.ivanova@mail.example> "
        "написал(а):\n\n> Здравствуйте,\n> Маша не поедет.\n",
        P_OLGA,
        "Экскурсия",
        "Здравствуйте,",
        "Маша не поедет.",
        OCT15,
        note="Для архива.",
    ),
    Fwd(
        "cs-apple",
        "Fwd: Výlet",
        "Pro archiv.\n\n15. 10. 2025 v 9:31, Jana Nováková <jana.novakova@seznam.example>:\n\n"
        "> Dobrý den,\n> Tomáš nepojede.\n",
        P_JANA,
        "Výlet",
        "Dobrý den,",
        "Tomáš nepojede.",
        OCT15,
        note="Pro archiv.",
    ),
    Fwd(
        "cs-gmail",
        "Fwd: Výlet",
        "Pro archiv.\n\nst 15. 10. 2025 v 9:31 odesílatel Jana Nováková "
        "<jana.novakova@seznam.example> napsal:\n\n> Dobrý den,\n> Tomáš nepojede.\n",
        P_JANA,
        "Výlet",
        "Dobrý den,",
        "Tomáš nepojede.",
        OCT15,
        note="Pro archiv.",
    ),
    Fwd(
        "hu-apple",
        "TOV: Kirándulás",
        "Archiválásra.\n\n2025. okt. 15. dátummal, 9:31 időpontban Kovács Anna "
        "<anna.kovacs@freemail.example> ezt írta:\n\n> Kedves Tanárnő,\n> köszönöm.\n",
        P_ANNA,
        "Kirándulás",
        "Kedves Tanárnő,",
        "köszönöm.",
        OCT15,
        note="Archiválásra.",
    ),
    Fwd(
        "tr-apple",
        "İLT: Gezi",
        "Arşiv için.\n\n15 Eki 2025 tarihinde 09:31 saatinde, Ayşe Yılmaz "
        "<ayse.yilmaz@gmail.example> şunları yazdı:\n\n> Merhaba,\n> Elif gelmeyecek.\n",
        P_AYSE,
        "Gezi",
        "Merhaba,",
        "Elif gelmeyecek.",
        OCT15,
        note="Arşiv için.",
    ),
    Fwd(
        "ro-apple",
        "Fwd: Excursie",
        "Pentru arhivă.\n\nPe 15 oct. 2025, la 09:31, Ioana Popescu <ioana.popescu@yahoo.example> "
        "a scris:\n\n> Bună ziua,\n> mulțumesc.\n",
        P_IOANA,
        "Excursie",
        "Bună ziua,",
        "mulțumesc.",
        OCT15,
        note="Pentru arhivă.",
    ),
    Fwd(
        "ko-apple",
        "Fwd: 상담",
        "보관용.\n\n2025. 10. 15. 오전 9:31, 김민지 <minji.kim@naver.example> 작성:\n\n"
        "> 선생님,\n> 감사합니다.\n",
        P_MINJI,
        "상담",
        "선생님,",
        "감사합니다.",
        OCT15,
        note="보관용.",
    ),
    Fwd(
        "ja-apple",
        "Fwd: 面談",
        "保存用。\n\n2025/10/15 9:31、山田花子 <hanako.yamada@docomo.example>のメール:\n\n"
        "> 先生へ\n> よろしくお願いします。\n",
        P_HANAKO,
        "面談",
        "先生へ",
        "よろしくお願いします。",
        OCT15,
        note="保存用。",
    ),
    Fwd(
        "zh-apple",
        "转发: 家长会",
        "存档。\n\n2025年10月15日 09:31，王丽 <wang.li@qq.example> 写道：\n\n"
        "> 老师好，\n> 谢谢。\n",
        P_WANG,
        "家长会",
        "老师好，",
        "谢谢。",
        OCT15,
        note="存档。",
    ),
    Fwd(
        "vi-apple",
        "Fwd: Họp phụ huynh",
        "Lưu hồ sơ.\n\nVào 09:31, ngày 15 thg 10, 2025, Nguyễn Thị Lan "
        "<lan.nguyen@gmail.example> đã viết:\n\n> Chào cô,\n> cảm ơn cô.\n",
        P_LAN,
        "Họp phụ huynh",
        "Chào cô,",
        "cảm ơn cô.",
        OCT15,
        note="Lưu hồ sơ.",
    ),
]

MORE_QUOTED_BLOCK_FORWARDS = [
    Fwd(
        "de-gmx-quoted-no-banner",
        "WG: Elternabend",
        "Zur Ablage.\n\n> Gesendet: Mittwoch, 15. Oktober 2025 um 09:31 Uhr\n"
        '> Von: "Jürgen Weiß" <j.weiss@web.example>\n> An: a.schmidt@gmx.example\n'
        "> Betreff: Elternabend\n>\n> Sehr geehrte Frau Schmidt,\n> wir kommen.\n",
        P_JURGEN,
        "Elternabend",
        "Sehr geehrte",
        "wir kommen.",
        OCT15,
        note="Zur Ablage.",
    ),
    Fwd(
        "de-gmx-banner-gesendet-first",
        "WG: Elternabend",
        "Zur Ablage.\n\n-------- Weitergeleitete Nachricht --------\n"
        "Gesendet: Mittwoch, 15. Oktober 2025 um 09:31 Uhr\n"
        'Von: "Jürgen Weiß" <j.weiss@web.example>\nAn: a.schmidt@gmx.example\n'
        "Betreff: Elternabend\n\nSehr geehrte Frau Schmidt,\nwir kommen.\n",
        P_JURGEN,
        "Elternabend",
        "Sehr geehrte",
        "wir kommen.",
        OCT15,
        note="Zur Ablage.",
    ),
    Fwd(
        "en-ionos-quoted-no-note",
        "Fwd: Siobhan's retake",
        "> -------- Original Message --------\n> From: John Doe <john.doe@acme.example>\n"
        "> Date: October 15, 2025 at 9:31 AM\n> To: kt@gmail.example\n"
        "> Subject: Siobhan's retake\n>\n> Mr. Tran, when can she retake it?\n",
        P_JOHN,
        "Siobhan's retake",
        "Mr. Tran,",
        "retake it?",
        OCT15,
        note="",
    ),
    Fwd(
        "en-ionos-note-wrote",
        "Fwd: Siobhan's retake",
        "Here is what the parent wrote:\n\n> -------- Original Message --------\n"
        "> From: John Doe <john.doe@acme.example>\n> Date: October 15, 2025 at 9:31 AM\n"
        "> To: kt@gmail.example\n> Subject: Siobhan's retake\n>\n"
        "> Mr. Tran, when can she retake it?\n",
        P_JOHN,
        "Siobhan's retake",
        "Mr. Tran,",
        "retake it?",
        OCT15,
        note="Here is what the parent wrote:",
    ),
    Fwd(
        "de-outlook2013-cc-importance",
        "WG: Elternabend",
        "Zur Ablage.\n\n-----Ursprüngliche Nachricht-----\n"
        "Von: Jürgen Weiß [mailto:j.weiss@web.example] \nGesendet: Mittwoch, 15. Oktober 2025 "
        "09:31\nAn: Schmidt, Anna\nCc: Weiß, Petra\nBetreff: Elternabend\nWichtigkeit: Hoch\n\n"
        "Sehr geehrte Frau Schmidt,\nwir kommen.\n",
        P_JURGEN,
        "Elternabend",
        "Sehr geehrte",
        "wir kommen.",
        OCT15,
        note="Zur Ablage.",
    ),
    Fwd(
        "fr-outlook2013-name-only",
        "TR: Absence de Kevin",
        "Pour le dossier.\n\n-----Message d'origine-----\nDe : Pierre-Louis, Nadège \n"
        "Envoyé : mercredi 15 octobre 2025 09:31\nÀ : Brooks, Lena\nObjet : Absence de Kevin\n\n"
        "Bonjour Madame,\nKevin sera absent.\n",
        Party("Pierre-Louis, Nadège", ""),
        "Absence de Kevin",
        "Bonjour Madame,",
        "Kevin sera absent.",
        OCT15,
        note="Pour le dossier.",
    ),
    Fwd(
        "es-outlook2013-quoted",
        "RV: Excursión",
        "Para el archivo.\n\n> -----Mensaje original-----\n"
        "> De: María José Gómez [mailto:mj.gomez@gmail.example] \n"
        "> Enviado el: miércoles, 15 de octubre de 2025 9:31\n> Para: Brooks, Lena\n"
        "> Asunto: Excursión\n> \n> Buenos días,\n> Lucía no irá.\n",
        P_MARIA,
        "Excursión",
        "Buenos días,",
        "Lucía no irá.",
        OCT15,
        note="Para el archivo.",
    ),
]

MORE_QUOTED_BODY_FORWARDS = [
    Fwd(
        "en-missive-no-space",
        "Fwd: Liam out Thursday",
        "For the record.\n\n---------- Forwarded message ----------\n"
        "From: Patricia Doherty <pdoherty74@gmail.example>\nDate: Wed, Oct 15, 2025 at 9:31 AM\n"
        "Subject: Liam out Thursday\nTo: Rachel Okafor <ro@gmail.example>\n\n"
        ">Hi Ms. Okafor,\n>\n>Liam will be out Thursday.\n",
        P_PAT,
        "Liam out Thursday",
        "Hi Ms. Okafor,",
        "Liam will be out Thursday.",
        OCT15,
    ),
    Fwd(
        "en-missive-then-signature",
        "Fwd: Liam out Thursday",
        "For the record.\n\n---------- Forwarded message ----------\n"
        "From: Patricia Doherty <pdoherty74@gmail.example>\nDate: Wed, Oct 15, 2025 at 9:31 AM\n"
        "Subject: Liam out Thursday\nTo: Rachel Okafor <ro@gmail.example>\n\n"
        "> Hi Ms. Okafor,\n> Liam will be out Thursday.\n\n-- \nSent with Missive\n",
        P_PAT,
        "Liam out Thursday",
        "Hi Ms. Okafor,",
        "Liam will be out Thursday.",
        OCT15,
    ),
    Fwd(
        "sv-missive",
        "VB: Utflykt",
        "För arkivet.\n\n---------- Vidarebefordrat meddelande ---------\n"
        "Från: Erik Lindqvist <erik.lindqvist@telia.example>\nDatum: ons 15 okt. 2025 kl. 09:31\n"
        "Ämne: Utflykt\nTill: Lena Brooks <lena@telia.example>\n\n> Hej,\n> Elsa kommer inte.\n",
        P_ERIK,
        "Utflykt",
        "Hej,",
        "Elsa kommer inte.",
        OCT15,
        note="För arkivet.",
    ),
    Fwd(
        "pl-missive",
        "PD: Wycieczka",
        "Do archiwum.\n\n---------- Przekazana wiadomość ---------\n"
        "Od: Katarzyna Nowak <k.nowak@wp.example>\nDate: śr., 15 paź 2025 o 09:31\n"
        "Subject: Wycieczka\nTo: Lena Brooks <lena@wp.example>\n\n> Dzień dobry,\n"
        "> Zosia nie pojedzie.\n",
        P_KASIA,
        "Wycieczka",
        "Dzień dobry,",
        "Zosia nie pojedzie.",
        OCT15,
        note="Do archiwum.",
    ),
]

MORE_FORWARDS = MORE_ATTRIBUTION_FORWARDS + MORE_QUOTED_BLOCK_FORWARDS + MORE_QUOTED_BODY_FORWARDS


@pytest.mark.parametrize("case", MORE_FORWARDS, ids=[c.id for c in MORE_FORWARDS])
def test_issue12_more_forwards(case: Fwd) -> None:
    test_issue12_forwards(case)


MORE_NOT_FORWARDS = [
    # A sentence ending in "wrote:" names no sender.
    ("Fwd: notes", "Here is what the parent wrote:\n\n> No school Friday.\n"),
    ("Fwd: notes", "Here is what our principal John Doe <jd@school.example> wrote:\n> Hi.\n"),
    # A reply quoting a GMX message whose quote opens with its header block.
    (
        "AW: Elternabend",
        "Danke.\n\nAm 15.10.2025 um 10:00 schrieb Anna Schmidt <a.schmidt@gmx.example>:\n"
        "> Gesendet: Mittwoch, 15. Oktober 2025 um 09:31 Uhr\n"
        "> Von: Jürgen Weiß <j.weiss@web.example>\n> An: a.schmidt@gmx.example\n"
        "> Betreff: Elternabend\n>\n> Wir kommen.\n",
    ),
    # A memo that starts with its date: no address, no real date.
    ("Fwd: memo", "Date: tomorrow\nFrom: the office\nTo: all staff\n\nBring your forms.\n"),
]


@pytest.mark.parametrize(("subject", "text"), MORE_NOT_FORWARDS)
def test_issue12_more_not_forwards(subject: str, text: str) -> None:
    assert split_forward(text, None, subject) is None


def test_issue12_an_html_only_attribution_forward() -> None:
    html = (
        "<html><body><div>For the record.</div><div><br></div>"
        '<div>On 28/10/2021 12:46, "John Doe" &lt;john.doe@acme.example&gt; wrote:</div>'
        '<blockquote style="margin:0 0 0 .8ex;border-left:1px #ccc solid;padding-left:1ex">'
        "<div>Hi Ms. Brooks,</div><div><br></div><div>Sam lost his bus pass.</div>"
        "</blockquote></body></html>"
    )
    found = split_forward("", html, "FW: Bus pass")
    assert found is not None and found.note == "For the record."
    [original] = found.chain
    assert original.sender == P_JOHN and original.date == utc(OCT28)
    assert original.body == "Hi Ms. Brooks,\n\nSam lost his bus pass."
    assert split_forward("", html, "RE: Bus pass") is None


def test_issue12_a_name_and_address_alone_need_a_date() -> None:
    # Gmail's Russian and Japanese attributions have no verb: "<date> <name> <address>:".
    assert split_forward("Note.\n\nJohn Doe <jd@acme.example>:\n> Hi.\n", None, "Fwd: x") is None


# Third round: layouts around the attribution.
ROUND3_FORWARDS = [
    Fwd(
        "en-no-note",
        "FW: Bus pass",
        'On 28/10/2021 12:46, "John Doe" <john.doe@acme.example> wrote:\n> Hi Ms. Brooks,\n'
        "> Sam lost his bus pass.\n",
        P_JOHN,
        "Bus pass",
        "Hi Ms. Brooks,",
        "Sam lost his bus pass.",
        OCT28,
        note="",
    ),
    Fwd(
        "en-gmail-name-wrapped",
        "Fwd: Liam out Thursday",
        "For the record.\n\nOn Wed, Oct 15, 2025 at 9:31 AM Patricia\n"
        "Doherty <pdoherty74@gmail.example> wrote:\n\n> Liam will be out Thursday.\n",
        P_PAT,
        "Liam out Thursday",
        "Liam will be out",
        "Thursday.",
        OCT15,
    ),
    Fwd(
        "en-yahoo",
        "Fwd: Liam out Thursday",
        "For the record.\n\nOn Wednesday, October 15, 2025, 09:31:03 AM EDT, Patricia Doherty "
        "<pdoherty74@gmail.example> wrote:\n\n\nLiam will be out Thursday.\n",
        P_PAT,
        "Liam out Thursday",
        "Liam will be out",
        "Thursday.",
        "2025-10-15T13:31:03",
    ),
    Fwd(
        "de-thunderbird-name-only",
        "WG: Elternabend",
        "Zur Ablage.\n\nAm 15.10.25 um 09:31 schrieb Jürgen Weiß:\n> Sehr geehrte Frau Schmidt,\n"
        "> wir kommen.\n",
        Party("Jürgen Weiß", ""),
        "Elternabend",
        "Sehr geehrte",
        "wir kommen.",
        OCT15,
        note="Zur Ablage.",
    ),
    Fwd(
        "en-iphone-signature-above",
        "Fwd: Liam out Thursday",
        "For the record.\n\nSent from my iPhone\n\nOn Oct 15, 2025, at 9:31 AM, Patricia Doherty "
        "<pdoherty74@gmail.example> wrote:\n\n> Liam will be out Thursday.\n",
        P_PAT,
        "Liam out Thursday",
        "Liam will be out",
        "Thursday.",
        OCT15,
        note="For the record.\n\nSent from my iPhone",
    ),
]


@pytest.mark.parametrize("case", ROUND3_FORWARDS, ids=[c.id for c in ROUND3_FORWARDS])
def test_issue12_round3_forwards(case: Fwd) -> None:
    test_issue12_forwards(case)


def test_issue12_an_attribution_above_a_forward_block_makes_a_chain() -> None:
    text = (
        "FYI\n\nOn Wed, Oct 15, 2025 at 9:31 AM Front Office <office@pierce.example.org> wrote:\n"
        "> See below.\n>\n> ---------- Forwarded message ---------\n"
        "> From: Patricia Doherty <pdoherty74@gmail.example>\n"
        "> Date: Wed, Oct 15, 2025 at 9:00 AM\n> Subject: Trip\n> To: office@pierce.example.org\n"
        ">\n> Liam is out.\n"
    )
    found = split_forward(text, None, "Fwd: Trip")
    assert found is not None and found.note == "FYI"
    outer, inner = found.chain
    assert outer.sender == Party("Front Office", "office@pierce.example.org")
    assert outer.body == "See below." and outer.date == utc(OCT15)
    assert inner.sender == P_PAT and inner.body == "Liam is out."
    # Without the forward subject the quoted block is the forward (a reply quoting it).
    replied = split_forward(text)
    assert replied is not None and [o.sender for o in replied.chain] == [P_PAT]


# --- more scripts, closing banners, banners over an attribution line -------------------------
# Training fixtures written for this project while tuning on the tuning part of
# tests/data/forward_set: each one is a form that set showed missing (Greek, Arabic, Hindi,
# Nepali and Khmer blocks; attributions in Traditional Chinese, Greek, Arabic and Hindi; Yahoo's
# app and Yandex; Spark; Zoho; Mutt and Horde), written again with other people, dates and words,
# in more than one language each.

P_NIKOS = Party("Νίκος Αλεξίου", "n.alexiou@forthnet.example")
P_SARA = Party("سارة علي", "sara.ali@hotmail.example")
P_RAHUL = Party("राहुल मेहता", "rahul.mehta@gmail.example")

SCRIPT_BLOCK_FORWARDS = [
    Fwd(
        "el-gmail-partly-translated",
        "Fwd: Σχολική εκδρομή",
        "Για το αρχείο.\n\n---------- Forwarded message ---------\n"
        "Από: Νίκος Αλεξίου <n.alexiou@forthnet.example>\n"
        "Date: Τετ 8 Νοε 2023 στις 9:05 π.μ.\nSubject: Σχολική εκδρομή\n"
        "To: Anna Lee <alee@school.example.org>\n\n\nΚαλημέρα σας,\n\n"
        "Η Ελένη θα έρθει στην εκδρομή.\n\nΝίκος\n",
        P_NIKOS,
        "Σχολική εκδρομή",
        "Καλημέρα σας,",
        "Νίκος",
        "2023-11-08T14:05:00",
        note="Για το αρχείο.",
    ),
    Fwd(
        "el-outlook-no-banner",
        "ΠΡΘ: Βιβλία",
        "Για αρχειοθέτηση.\n\nΑπό: Νίκος Αλεξίου <n.alexiou@forthnet.example>\n"
        "Στάλθηκε: Πέμπτη, 14 Μαρτίου 2024 4:30 μ.μ.\n"
        "Προς: Anna Lee <alee@school.example.org>\nΚοιν.: Office <office@school.example.org>\n"
        "Θέμα: Βιβλία\n\nΚαλησπέρα,\n\nΠαραλάβαμε τα βιβλία.\n",
        P_NIKOS,
        "Βιβλία",
        "Καλησπέρα,",
        "Παραλάβαμε τα βιβλία.",
        "2024-03-14T20:30:00",
        note="Για αρχειοθέτηση.",
    ),
    Fwd(
        "el-thunderbird",
        "Fwd: Βεβαίωση",
        "Αρχείο.\n\n-------- Προωθημένο μήνυμα --------\nΘέμα: \tΒεβαίωση\n"
        "Ημερομηνία: \tTue, 5 Sep 2023 08:15:00 +0300\n"
        "Από: \tΝίκος Αλεξίου <n.alexiou@forthnet.example>\n"
        "Προς: \tAnna Lee <alee@school.example.org>\n\n\nΚαλημέρα,\n\nΣτέλνω τη βεβαίωση.\n",
        P_NIKOS,
        "Βεβαίωση",
        "Καλημέρα,",
        "Στέλνω τη βεβαίωση.",
        "2023-09-05T05:15:00",
        note="Αρχείο.",
    ),
    Fwd(
        "el-outlook-plain-original-message",
        "ΠΡΘ: Πρόγραμμα",
        "Αρχείο.\n\n-----Αρχικό μήνυμα-----\nΑπό: Νίκος Αλεξίου <n.alexiou@forthnet.example>\n"
        "Στάλθηκε: Δευτέρα, 15 Ιανουαρίου 2024 9:50 π.μ.\n"
        "Προς: Anna Lee <alee@school.example.org>\nΘέμα: Πρόγραμμα\n\nΚαλημέρα,\n\nΕυχαριστώ.\n",
        P_NIKOS,
        "Πρόγραμμα",
        "Καλημέρα,",
        "Ευχαριστώ.",
        "2024-01-15T14:50:00",
        note="Αρχείο.",
    ),
    Fwd(
        "ar-outlook-no-banner",
        "إعادة توجيه: غياب",
        "للأرشيف.\n\nمن: سارة علي <sara.ali@hotmail.example> \n"
        "تاريخ الإرسال: الخميس، 7 ديسمبر، 2023 02:40 م\n"
        "إلى: Omar Khalil <okhalil@school.example.org>\nالموضوع: غياب\n\n"
        "الأستاذ عمر المحترم،\n\nابني مريض اليوم.\n\nسارة\n",
        P_SARA,
        "غياب",
        "الأستاذ عمر المحترم،",
        "سارة",
        "2023-12-07T19:40:00",
        note="للأرشيف.",
    ),
    Fwd(
        "ar-apple-ios-quoted",
        "Fwd: موعد",
        "للأرشيف\n\nأُرسلت من الـ iPhone\n\nبداية الرسالة المعاد توجيهها:\n\n"
        "> من: سارة علي <sara.ali@hotmail.example>\n"
        "> التاريخ: 3 يونيو 2024 في 10:05:30 ص GMT-4\n"
        "> إلى: Omar Khalil <okhalil@school.example.org>\n> الموضوع: موعد\n>\n"
        "> أستاذ عمر،\n>\n> لدينا موعد غداً.\n",
        P_SARA,
        "موعد",
        "أستاذ عمر،",
        "لدينا موعد غداً.",
        "2024-06-03T14:05:30",
        note="للأرشيف\n\nأُرسلت من الـ iPhone",
    ),
    Fwd(
        "ar-samsung-arabic-digits-and-marks",
        "Fwd: الكتب",
        "للأرشيف\n\n-------- الرسالة الأصلية --------\n"
        "من: \u200fسارة علي\u200f <sara.ali@hotmail.example> \n"
        "التاريخ: ٢٠/٩/٢٠٢٣ ٨:٤٥ ص (GMT-04:00) \n"
        "إلى: Omar Khalil <okhalil@school.example.org> \nالموضوع: الكتب \n\n"
        "أستاذ عمر،\n\nوصلت الكتب.\n",
        P_SARA,
        "الكتب",
        "أستاذ عمر،",
        "وصلت الكتب.",
        "2023-09-20T12:45:00",
        note="للأرشيف",
    ),
    Fwd(
        "hi-gmail-partly-translated",
        "Fwd: विज्ञान मेला",
        "रिकॉर्ड के लिए।\n\n---------- Forwarded message ---------\n"
        "प्रेषक: राहुल मेहता <rahul.mehta@gmail.example>\n"
        "Date: गुरु, 7 मार्च 2024 को 3:20 pm\nSubject: विज्ञान मेला\n"
        "To: Anna Lee <alee@school.example.org>\n\n\nनमस्ते,\n\nधन्यवाद,\nराहुल\n",
        P_RAHUL,
        "विज्ञान मेला",
        "नमस्ते,",
        "राहुल",
        "2024-03-07T20:20:00",
        note="रिकॉर्ड के लिए।",
    ),
    Fwd(
        "hi-gmail-translated-abbreviated-month",
        "Fwd: फ़ीस",
        "रिकॉर्ड\n\n---------- अग्रेषित संदेश ---------\n"
        "प्रेषक: राहुल मेहता <rahul.mehta@gmail.example>\n"
        "दिनांक: शुक्र, 12 जुल॰ 2024 को 11:45 am\nविषय: फ़ीस\n"
        "प्रति: Anna Lee <alee@school.example.org>\n\n\nनमस्ते,\n\nफ़ीस जमा कर दी है।\n",
        P_RAHUL,
        "फ़ीस",
        "नमस्ते,",
        "फ़ीस जमा कर दी है।",
        "2024-07-12T15:45:00",
        note="रिकॉर्ड",
    ),
    Fwd(
        "hi-outlook-no-banner",
        "FW: बस",
        "रिकॉर्ड हेतु।\n\nप्रेषक: राहुल मेहता <rahul.mehta@gmail.example> \n"
        "भेजा गया: सोमवार, 2 दिसंबर 2024 9:00 am\nप्रति: Anna Lee <alee@school.example.org>\n"
        "प्रतिलिपि: Office <office@school.example.org>\nविषय: बस\n\nनमस्ते,\n\nबस देर से आई।\n",
        P_RAHUL,
        "बस",
        "नमस्ते,",
        "बस देर से आई।",
        "2024-12-02T14:00:00",
        note="रिकॉर्ड हेतु।",
    ),
    Fwd(
        "ne-gmail-devanagari-digits",
        "Fwd: बिदा",
        "अभिलेख।\n\n---------- फर्वार्ड गरिएको सन्देश ---------\n"
        "बाट: राहुल मेहता <rahul.mehta@gmail.example>\n"
        "मिति: बुध, जनवरी १०, २०२४ ३:१५ अपराह्न\nविषय: बिदा\n"
        "लाई: Anna Lee <alee@school.example.org>\n\n\nनमस्ते,\n\nधन्यवाद।\n",
        P_RAHUL,
        "बिदा",
        "नमस्ते,",
        "धन्यवाद।",
        "2024-01-10T20:15:00",
        note="अभिलेख।",
    ),
    Fwd(
        "km-gmail-khmer-digits",
        "Fwd: ច្បាប់",
        "ឯកសារ។\n\n---------- សារដែលបានបញ្ជូនបន្ត ---------\n"
        "ពី: Sok Dara <sok.dara@gmail.example>\n"
        "កាលបរិច្ឆេទ: សុក្រ ៦ តុលា ២០២៣ នៅម៉ោង ០៨:៣០\nប្រធានបទ: ច្បាប់\n"
        "ទៅ: Anna Lee <alee@school.example.org>\n\n\nជម្រាបសួរ\n\nអរគុណ\n",
        Party("Sok Dara", "sok.dara@gmail.example"),
        "ច្បាប់",
        "ជម្រាបសួរ",
        "អរគុណ",
        "2023-10-06T12:30:00",
        note="ឯកសារ។",
    ),
]

SCRIPT_ATTRIBUTION_FORWARDS = [
    Fwd(
        "zh-hant-gmail",
        "Fwd: 請假",
        "存檔\n\n林美玲 <meiling.lin@gmail.example> 於 2023年9月4日 週一 下午2:15寫道：\n\n"
        "> 王老師您好：\n>\n> 小明明天請假。\n>\n> 林美玲\n",
        Party("林美玲", "meiling.lin@gmail.example"),
        "請假",
        "王老師您好：",
        "林美玲",
        "2023-09-04T18:15:00",
        note="存檔",
    ),
    Fwd(
        "el-gmail",
        "Fwd: Εγγραφή",
        "Αρχείο.\n\nΣτις Τρί 10 Οκτ 2023 στις 7:45 π.μ., ο/η Άννα Παππά "
        "<anna.pappa@gmail.example> έγραψε:\n\n> Καλημέρα,\n>\n> Θα έρθουμε αύριο.\n",
        Party("Άννα Παππά", "anna.pappa@gmail.example"),
        "Εγγραφή",
        "Καλημέρα,",
        "Θα έρθουμε αύριο.",
        "2023-10-10T11:45:00",
        note="Αρχείο.",
    ),
    Fwd(
        "ar-gmail-direction-marks",
        "Fwd: نشاط",
        "للأرشيف.\n\n\u202bفي الخميس، 16 نوفمبر 2023 في 4:20 م تمت كتابة ما يلي بواسطة "
        "\u202aYoussef Amin <youssef.amin@gmail.example>\u202c\u200f:\u202c\n\n"
        "> أستاذ عمر،\n>\n> شكراً لكم.\n",
        Party("Youssef Amin", "youssef.amin@gmail.example"),
        "نشاط",
        "أستاذ عمر،",
        "شكراً لكم.",
        "2023-11-16T21:20:00",
        note="للأرشيف.",
    ),
    Fwd(
        "hi-gmail",
        "Fwd: छुट्टी",
        "रिकॉर्ड\n\nशनि, 3 फ़र॰ 2024 को 10:05 am बजे राहुल मेहता <rahul.mehta@gmail.example> "
        "ने लिखा:\n\n> नमस्ते सर,\n>\n> धन्यवाद\n",
        P_RAHUL,
        "छुट्टी",
        "नमस्ते सर,",
        "धन्यवाद",
        "2024-02-03T15:05:00",
        note="रिकॉर्ड",
    ),
]

# A banner, then an attribution line where a header block would be: Yahoo's app (any language)
# and Yandex (Russian, Ukrainian), which also closes the forward with a banner.
BANNER_ATTRIBUTION_FORWARDS = [
    Fwd(
        "en-yahoo-app",
        "Fwd: Science fair",
        "Sent from Yahoo Mail on Android\n\nBegin forwarded message:\n\n"
        "On Thursday, March 7, 2024, 6:12 PM, Dana White <dana.white@yahoo.example> wrote:\n\n"
        "Hello,\n\nMia's poster is ready.\n\nDana\n",
        Party("Dana White", "dana.white@yahoo.example"),
        "Science fair",
        "Hello,",
        "Dana",
        "2024-03-07T23:12:00",
        note="Sent from Yahoo Mail on Android",
    ),
    Fwd(
        "fr-yahoo-app",
        "TR: Sortie scolaire",
        "Début du message réexpédié :\n\n"
        "Le mardi 14 novembre 2023, 08:30, Claire Martin <claire.martin@yahoo.example> a écrit :"
        "\n\nBonjour,\n\nLéa viendra.\n",
        Party("Claire Martin", "claire.martin@yahoo.example"),
        "Sortie scolaire",
        "Bonjour,",
        "Léa viendra.",
        "2023-11-14T13:30:00",
        note="",
    ),
    Fwd(
        "ru-yandex-closing-banner",
        "Fwd: Экскурсия",
        "В архив.\n\n-------- Начало переадресованного сообщения --------\n"
        '07.05.2024, 18:20, "Ольга Иванова" <olga.ivanova@mail.example>:\n\n'
        "Добрый вечер!\n\nМы поедем.\n\nОльга\n\n"
        "-------- Конец переадресованного сообщения --------\n",
        P_OLGA,
        "Экскурсия",
        "Добрый вечер!",
        "Ольга",
        "2024-05-07T22:20:00",
        note="В архив.",
    ),
    Fwd(
        "uk-yandex-signature-after-the-closing-banner",
        "Fwd: Обіди",
        "До архіву.\n\n-------- Початок переадресованого повідомлення --------\n"
        '12.02.2024, 08:05, "Оксана Коваленко" <oksana.k@ukr.example>:\n\n'
        "Доброго дня!\n\nОксана\n\n-------- Кінець переадресованого повідомлення --------\n"
        "\n--\nАнна Лі\n",
        P_OKSANA,
        "Обіди",
        "Доброго дня!",
        "Оксана",
        "2024-02-12T13:05:00",
        note="До архіву.",
    ),
]

# Spark writes the sender's offset between the time and the name, and a comma before the verb.
SPARK_FORWARDS = [
    Fwd(
        "en-spark-offset",
        "Fwd: Banquet",
        "For the record.\n\nOn 12 Mar 2024, 16:45 +0000, John Doe <john.doe@acme.example>, "
        "wrote:\n\n> Coach,\n>\n> We will be there.\n",
        P_JOHN,
        "Banquet",
        "Coach,",
        "We will be there.",
        "2024-03-12T16:45:00",
    ),
    Fwd(
        "de-spark-offset",
        "WG: Elternabend",
        "Zur Ablage.\n\nAm 5. Juni 2023, 10:30 +0200, Jürgen Weiß <j.weiss@web.example>, "
        "schrieb:\n\n> Guten Tag,\n>\n> wir kommen.\n",
        P_JURGEN,
        "Elternabend",
        "Guten Tag,",
        "wir kommen.",
        "2023-06-05T08:30:00",
        note="Zur Ablage.",
    ),
    Fwd(
        "es-spark-offset",
        "RV: Excursión",
        "Archivo.\n\nEl 20 sept 2023, 19:05 -0500, María José Gómez <mj.gomez@gmail.example>, "
        "escribió:\n\n> Hola,\n>\n> Gracias.\n",
        P_MARIA,
        "Excursión",
        "Hola,",
        "Gracias.",
        "2023-09-21T00:05:00",
        note="Archivo.",
    ),
]


def _zoho(banner: str, labels: tuple[str, str, str, str], subject: str) -> str:
    """A Zoho forward: its banner above and below the block, a space before each colon."""
    frm, to, date, subj = labels
    line = f"============ {banner} ============"
    return (
        f"For the record.\n\n{line}\n{frm} : Ana Souza <ana.souza@uol.example>\n"
        f"{to} : <lena@zoho.example>\n{date} : Mon, 04 Mar 2024 08:00:00 -0500\n"
        f"{subj} : {subject}\n{line}\n\nHi,\n\nThe lunch form is in.\n\nAna\n"
    )


ZOHO_FORWARDS = [
    Fwd(
        f"{lang}-zoho-repeated-banner",
        f"Fwd: {subject}",
        _zoho(banner, labels, subject),
        P_ANA,
        subject,
        "Hi,",
        "Ana",
        "2024-03-04T13:00:00",
    )
    for lang, banner, labels, subject in (
        ("en", "Forwarded message", ("From", "To", "Date", "Subject"), "Lunch"),
        ("fr", "Message transféré", ("De", "À", "Date", "Objet"), "Cantine"),
        ("de", "Weitergeleitete Nachricht", ("Von", "An", "Datum", "Betreff"), "Mittagessen"),
        ("ja", "転送メッセージ", ("差出人", "宛先", "日付", "件名"), "給食"),
    )
]

# Mutt and Horde: "----- Forwarded message from … -----" over the block, "----- End forwarded
# message -----" under the body, and the teacher's signature after it.
MUTT_FORWARDS = [
    Fwd(
        "en-mutt",
        "[kmorris@bu.example: Dual enrollment]",
        "For the guidance file.\n\n"
        "----- Forwarded message from Karen Morris <kmorris@bu.example> -----\n\n"
        "Date: Tue, 19 Apr 2022 15:03:58 -0400\nFrom: Karen Morris <kmorris@bu.example>\n"
        'To: "Alan Reyes" <areyes@school.example.org>\nSubject: Dual enrollment\n\n'
        "Alan,\n\nTwo seats are left.\n\nKaren Morris\n\n----- End forwarded message -----\n\n"
        "-- \nAlan Reyes\n",
        Party("Karen Morris", "kmorris@bu.example"),
        "Dual enrollment",
        "Alan,",
        "Karen Morris",
        "2022-04-19T19:03:58",
        note="For the guidance file.",
    ),
    Fwd(
        "en-horde-right-aligned",
        "Fwd: Field permit",
        "FYI.\n\n----- Forwarded message from Youth Soccer <registrar@soccer.example> -----\n"
        "   Date: Mon, 07 Aug 2023 10:30:00 -0400\n"
        "   From: Youth Soccer <registrar@soccer.example>\nSubject: Field permit\n"
        "     To: Kevin Doyle <kdoyle@school.example.org>\n\nHello,\n\nSaturdays only.\n\n"
        "----- End forwarded message -----\n",
        Party("Youth Soccer", "registrar@soccer.example"),
        "Field permit",
        "Hello,",
        "Saturdays only.",
        "2023-08-07T14:30:00",
        note="FYI.",
    ),
]

FWDFIX_FORWARDS = (
    SCRIPT_BLOCK_FORWARDS
    + SCRIPT_ATTRIBUTION_FORWARDS
    + BANNER_ATTRIBUTION_FORWARDS
    + SPARK_FORWARDS
    + ZOHO_FORWARDS
    + MUTT_FORWARDS
)


@pytest.mark.parametrize("case", FWDFIX_FORWARDS, ids=[c.id for c in FWDFIX_FORWARDS])
def test_more_scripts_and_clients(case: Fwd) -> None:
    test_issue12_forwards(case)
    found = split_forward(case.text, None, case.subject)
    assert found is not None and len(found.chain) == 1  # no second, empty original


@pytest.mark.parametrize("case", SCRIPT_BLOCK_FORWARDS, ids=[c.id for c in SCRIPT_BLOCK_FORWARDS])
def test_blocks_in_more_scripts_need_no_forward_subject(case: Fwd) -> None:
    found = split_forward(case.text)
    assert found is not None and found.chain[0].sender == case.sender


def test_the_attribution_under_a_banner_keeps_its_text() -> None:
    found = split_forward(BANNER_ATTRIBUTION_FORWARDS[2].text, None, "Fwd: Экскурсия")
    assert found is not None
    assert found.chain[0].date_text == "07.05.2024, 18:20"


def test_a_nested_closing_banner_hands_the_rest_back_to_the_enclosing_original() -> None:
    text = (
        "Filing.\n\n----- Forwarded message from Front Office <office@school.example.org> -----\n"
        "Date: Wed, 15 Oct 2025 10:00:00 -0400\nFrom: Front Office <office@school.example.org>\n"
        "Subject: Fwd: Trip\n\nSee below.\n\n"
        "----- Forwarded message from Patricia Doherty <pdoherty74@gmail.example> -----\n"
        "Date: Wed, 15 Oct 2025 09:00:00 -0400\nFrom: Patricia Doherty <pdoherty74@gmail.example>\n"
        "Subject: Trip\n\nLiam is out.\n\n----- End forwarded message -----\n\n"
        "Please call her back.\n\n----- End forwarded message -----\n\n-- \nLena\n"
    )
    found = split_forward(text, None, "Fwd: Fwd: Trip")
    assert found is not None and found.note == "Filing."
    outer, inner = found.chain
    assert outer.sender == Party("Front Office", "office@school.example.org")
    assert outer.body == "See below.\n\nPlease call her back."
    assert inner.sender == P_PAT and inner.body == "Liam is out."


def test_a_closing_banner_above_a_second_block_ends_the_original() -> None:
    # Two forwards one after the other, the first closed: the second is not inside the first.
    text = (
        "----- Forwarded message from Pat <pat@gmail.example> -----\n"
        "Date: Wed, 15 Oct 2025 09:00:00 -0400\nFrom: Pat <pat@gmail.example>\nSubject: One\n\n"
        "First.\n\n----- End forwarded message -----\n\n"
        "----- Forwarded message from Jo <jo@gmail.example> -----\n"
        "Date: Wed, 15 Oct 2025 09:30:00 -0400\nFrom: Jo <jo@gmail.example>\nSubject: Two\n\n"
        "Second.\n\n----- End forwarded message -----\n"
    )
    found = split_forward(text)
    assert found is not None
    [original] = found.chain
    assert original.subject == "One" and original.body == "First."


def test_a_repeated_banner_over_its_own_block_is_a_forward_of_a_forward() -> None:
    # Gmail, a forward of a forward with nothing added: the second banner opens the inner one.
    text = (
        "FYI\n\n---------- Forwarded message ---------\n"
        "From: Front Office <office@pierce.example.org>\nDate: Wed, Oct 15, 2025 at 9:31 AM\n"
        "Subject: Fwd: Trip\nTo: Lena <lena@pierce.example.org>\n\n"
        "---------- Forwarded message ---------\n"
        "From: Patricia Doherty <pdoherty74@gmail.example>\nDate: Wed, Oct 15, 2025 at 9:00 AM\n"
        "Subject: Trip\nTo: office@pierce.example.org\n\nLiam is out.\n"
    )
    found = split_forward(text, None, "Fwd: Fwd: Trip")
    assert found is not None
    outer, inner = found.chain
    assert outer.subject == "Fwd: Trip" and outer.body == ""
    assert inner.sender == P_PAT and inner.body == "Liam is out."


@pytest.mark.parametrize(
    ("subject", "inherited"),
    [
        ("Fwd: Fwd: Trip", "Fwd: Trip"),  # one forward, one prefix
        ("TR: RE: Sortie", "RE: Sortie"),
        ("Пересл: Экскурсия", "Экскурсия"),
        ("Trip", None),  # no forward prefix: nothing says what the original's subject was
    ],
)
def test_a_block_without_a_subject_row_takes_the_forwards(
    subject: str, inherited: str | None
) -> None:
    text = (
        "-------- Начало переадресованного сообщения --------\n"
        '07.05.2024, 18:20, "Ольга Иванова" <olga.ivanova@mail.example>:\n\nДобрый вечер!\n'
    )
    found = split_forward(text, None, subject)
    assert found is not None and found.chain[0].subject == inherited


# Samsung Email (and other Korean, Japanese and Chinese clients) write a short year first.
YEAR_FIRST_BLOCKS = [
    (
        "-------- 원본 이메일 --------\n보낸 사람: 김민지 <minji.kim@naver.example>\n"
        "날짜: 23/11/7 오전 8:30 (GMT+09:00)\n받는 사람: Ji-woo Park <jpark@school.example.org>\n"
        "제목: 현장 학습\n\n선생님 안녕하세요,\n",
        "2023-11-06T23:30:00",
    ),
    (
        "-------- 元のメッセージ --------\n差出人: 山田花子 <hanako.yamada@docomo.example>\n"
        "日付: 24/02/09 15:40 (GMT+09:00)\n宛先: Ken <ken@school.example.org>\n件名: 遠足\n\n"
        "先生\n",
        "2024-02-09T06:40:00",
    ),
    (
        "-------- 原始邮件 --------\n发件人: 王丽 <wang.li@qq.example>\n"
        "日期: 23/6/5 下午3:05 (GMT+08:00)\n收件人: Ken <ken@school.example.org>\n主题: 春游\n\n"
        "老师好\n",
        "2023-06-05T07:05:00",
    ),
    # A day-first language keeps its order: 22 April 2023.
    (
        "-------- Ursprüngliche Nachricht --------\nVon: Jürgen Weiß <j.weiss@web.example>\n"
        "Datum: 22.04.23 09:10 (GMT+02:00)\nAn: Anna <anna@school.example.org>\n"
        "Betreff: Ausflug\n\nHallo\n",
        "2023-04-22T07:10:00",
    ),
]


@pytest.mark.parametrize(("text", "date"), YEAR_FIRST_BLOCKS)
def test_a_short_year_first_is_read_in_the_languages_that_write_it(text: str, date: str) -> None:
    found = split_forward(f"Archive.\n\n{text}", None, "Fwd: x")
    assert found is not None and found.chain[0].date == utc(date)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Δευ 15 Μαΐ 2023 στις 3:25 μ.μ.", "2023-05-15T19:25:00"),
        ("Τρίτη, 22 Φεβρουαρίου 2022 8:08 π.μ.", "2022-02-22T13:08:00"),
        ("الأربعاء، 20 أكتوبر، 2021 09:15 ص", "2021-10-20T13:15:00"),
        ("٢٦/٦/٢٠٢٣ ١:٢٠ م (GMT-04:00)", "2023-06-26T17:20:00"),
        ("सोम, नोभेम्बर २०, २०२३ ८:०५ पूर्वाह्न", "2023-11-20T13:05:00"),
        ("बुध, 26 अक्तू॰ 2022 को 6:10 pm", "2022-10-26T22:10:00"),
        ("ច័ន្ទ 28 មីនា 2022 នៅម៉ោង 12:00", "2022-03-28T16:00:00"),
        ("5 Jun 2023, 10:30 -0400", "2023-06-05T14:30:00"),
    ],
)
def test_dates_in_more_scripts(text: str, expected: str) -> None:
    assert parse_client_date(text) == utc(expected)


@pytest.mark.parametrize(
    ("subject", "forward"),
    [
        ("ΠΡΘ: Εκδρομή", True),
        ("إعادة توجيه: غياب", True),
        ("ΑΠ: Εκδρομή", False),
        ("رد: غياب", False),
    ],
)
def test_greek_and_arabic_subject_prefixes(subject: str, forward: bool) -> None:
    assert is_forward_subject(subject) is forward
    assert is_reply_subject(subject) is not forward
    assert strip_subject_prefixes(subject) == subject.split(":", 1)[1].strip()


@pytest.mark.parametrize(
    ("subject", "banner"),
    [
        ("Re: Fwd: Field trip", "---------- Forwarded message ---------"),
        ("AW: WG: Ausflug", "---------- Forwarded message ---------"),
        ("RE: TR: Sortie", "-------- Message transféré --------"),
        ("ΑΠ: ΠΡΘ: Εκδρομή", "-------- Προωθημένο μήνυμα --------"),
        ("رد: إعادة توجيه: غياب", "-------- الرسالة الأصلية --------"),
    ],
)
def test_a_reply_whose_quote_holds_a_forward_is_a_reply(subject: str, banner: str) -> None:
    # The outermost prefix says what the sender did; the forward is the reply's history.
    msg = EmailMessage()
    msg["From"] = "Michael Brennan <mbrennan@school.example.org>"
    msg["Subject"] = subject
    block = (
        f"{banner}\nFrom: Dave Ortiz <dave.ortiz@gmail.example>\n"
        "Date: Wed, Mar 15, 2023 at 9:05 PM\nSubject: Field trip\nTo: Megan <m@school.example.org>"
        "\n\nWe can both chaperone.\n"
    )
    msg.set_content(
        "Thanks, I'll add them.\n\nOn Thu, Mar 16, 2023 at 2:20 PM Megan Sullivan "
        "<msullivan@school.example.org> wrote:\n\n"
        + "".join(f"> {line}\n" if line else ">\n" for line in block.split("\n"))
    )
    [original] = parse(msg.as_bytes()).originals
    assert original.provenance == PROVENANCE_NONE
    # The same text forwarded ("Fwd: Re: …") is a forward: the attribution opens the original.
    msg.replace_header("Subject", "Fwd: Re: Field trip")
    forwarded = parse(msg.as_bytes()).originals
    assert forwarded[0].provenance == PROVENANCE_RECONSTRUCTED
    assert forwarded[0].sender is not None
    assert forwarded[0].sender.address == "msullivan@school.example.org"


# --- forward set 2: more languages, clients and layouts ---------------------------------------

P_RINA = Party("Rina Kusuma", "rina.kusuma@gmail.example")
P_ARIEL = Party("אריאל פרץ", "ariel.peretz@gmail.example")

SET2_FORWARDS = [
    Fwd(
        "id-gmail",
        "Fwd: Rapat orang tua",
        "For the record.\n\n---------- Pesan yang diteruskan ---------\n"
        "Dari: Rina Kusuma <rina.kusuma@gmail.example>\nDate: Rab, 10 Apr 2024 pukul 08.20\n"
        "Subject: Rapat orang tua\nTo: <guru@school.example.org>\n\n\nSelamat pagi,\n\n"
        "Saya tidak bisa datang.\n",
        P_RINA,
        "Rapat orang tua",
        "Selamat pagi,",
        "Saya tidak bisa datang.",
        "2024-04-10T12:20:00",
    ),
    Fwd(
        "th-outlook-buddhist-year",
        "FW: การสอบ",
        "For the record.\n\nจาก: Somsak Dee <somsak.dee@hotmail.example>\n"
        "ส่ง: 3 ธันวาคม 2566 07:45\nถึง: Teacher <t@school.example.org>\nเรื่อง: การสอบ\n\n"
        "สวัสดีครับ\n\nสมศักดิ์\n",
        Party("Somsak Dee", "somsak.dee@hotmail.example"),
        "การสอบ",
        "สวัสดีครับ",
        "สมศักดิ์",
        "2023-12-03T12:45:00",
    ),
    Fwd(
        "th-gmail-dotted-month",
        "Fwd: ลาป่วย",
        "For the record.\n\n---------- ข้อความที่ส่งต่อ ---------\n"
        "จาก: Somsak Dee <somsak.dee@hotmail.example>\nDate: ศ. 9 ก.พ. 2024 เวลา 10:30\n"
        "Subject: ลาป่วย\nTo: <t@school.example.org>\n\n\nขอลาป่วยครับ\n",
        Party("Somsak Dee", "somsak.dee@hotmail.example"),
        "ลาป่วย",
        "ขอลาป่วยครับ",
        "ขอลาป่วยครับ",
        "2024-02-09T15:30:00",
    ),
    Fwd(
        "he-gmail",
        "Fwd: טיול",
        "For the record.\n\n---------- הודעה שהועברה ----------\n"
        "מאת: אריאל פרץ <ariel.peretz@gmail.example>\nDate: יום ה׳, 16 במאי 2024 ב-09:40\n"
        "Subject: טיול\nTo: <t@school.example.org>\n\n\nשלום,\n\nאריאל\n",
        P_ARIEL,
        "טיול",
        "שלום,",
        "אריאל",
        "2024-05-16T13:40:00",
    ),
    Fwd(
        "he-outlook",
        "FW: אסיפת הורים",
        "For the record.\n\nמאת: אריאל פרץ <ariel.peretz@gmail.example>\n"
        "נשלח: יום חמישי 16 מאי 2024 18:05\nאל: Teacher <t@school.example.org>\n"
        "נושא: אסיפת הורים\n\nשלום,\n\nאריאל\n",
        P_ARIEL,
        "אסיפת הורים",
        "שלום,",
        "אריאל",
        "2024-05-16T22:05:00",
    ),
    Fwd(
        "fa-gmail-persian-digits",
        "Fwd: جلسه",
        "For the record.\n\n---------- پیام هدایت‌شده ---------\n"
        "از: Ali Ahmadi <ali.ahmadi@gmail.example>\nDate: دوشنبه ۸ آوریل ۲۰۲۴، ساعت ۹:۱۵\n"
        "Subject: جلسه\nTo: <t@school.example.org>\n\n\nسلام\n",
        Party("Ali Ahmadi", "ali.ahmadi@gmail.example"),
        "جلسه",
        "سلام",
        "سلام",
        "2024-04-08T13:15:00",
    ),
    Fwd(
        "am-gmail",
        "Fwd: ስብሰባ",
        "For the record.\n\n---------- የተላለፈ መልዕክት ---------\n"
        "ከ: Abebe Kebede <abebe.k@gmail.example>\nDate: Mon, Apr 8, 2024 at 9:15 AM\n"
        "Subject: ስብሰባ\nTo: <t@school.example.org>\n\n\nሰላም\n",
        Party("Abebe Kebede", "abebe.k@gmail.example"),
        "ስብሰባ",
        "ሰላም",
        "ሰላም",
        "2024-04-08T13:15:00",
    ),
    Fwd(
        "sq-gmail",
        "Fwd: Ekskursioni",
        "For the record.\n\n---------- Mesazh i përcjellë ---------\n"
        "Nga: Drita Berisha <drita.berisha@gmail.example>\nDate: të hën, 8 prill 2024 në 09:15\n"
        "Subject: Ekskursioni\nTo: <t@school.example.org>\n\n\nPërshëndetje,\n\nDrita\n",
        Party("Drita Berisha", "drita.berisha@gmail.example"),
        "Ekskursioni",
        "Përshëndetje,",
        "Drita",
        "2024-04-08T13:15:00",
    ),
    Fwd(
        "ko-samsung-balsin",
        "Fwd: 상담",
        "For the record.\n\n-------- 원본 이메일 --------\n"
        "발신: 정하늘 <haneul.jung@daum.example>\n"
        "날짜: 24/04/08 오후 3:10 (GMT-04:00)\n수신: Teacher <t@school.example.org>\n"
        "제목: 상담\n\n안녕하세요\n",
        Party("정하늘", "haneul.jung@daum.example"),
        "상담",
        "안녕하세요",
        "안녕하세요",
        "2024-04-08T19:10:00",
    ),
    Fwd(
        "he-gmail-attribution",
        "Fwd: הסעה",
        "For the record.\n\n\u202bבתאריך יום ג׳, 9 באפריל 2024 ב-7:05 מאת \u202aאריאל פרץ "
        "<ariel.peretz@gmail.example>\u202c\u200f:\u202c\n\n> שלום,\n>\n> אריאל\n",
        P_ARIEL,
        "הסעה",
        "שלום,",
        "אריאל",
        "2024-04-09T11:05:00",
    ),
    Fwd(
        "id-gmail-attribution",
        "Fwd: Izin",
        "For the record.\n\nPada Sel, 9 Apr 2024 pukul 07.05 Rina Kusuma "
        "<rina.kusuma@gmail.example> menulis:\n\n> Selamat pagi,\n>\n> Rina\n",
        P_RINA,
        "Izin",
        "Selamat pagi,",
        "Rina",
        "2024-04-09T11:05:00",
    ),
    Fwd(
        "sq-gmail-attribution",
        "Fwd: Takimi",
        "For the record.\n\nMë të mar, 9 prill 2024 në 07:05 Drita Berisha "
        "<drita.berisha@gmail.example> shkroi:\n\n> Përshëndetje,\n>\n> Drita\n",
        Party("Drita Berisha", "drita.berisha@gmail.example"),
        "Takimi",
        "Përshëndetje,",
        "Drita",
        "2024-04-09T11:05:00",
    ),
    Fwd(
        "en-notes-labels-say-month-first",
        "Fwd: Supplies",
        'For the record.\n\nFrom: "Dale Hurst" <dhurst@school.example.org>\n'
        'To: "Team" <team@school.example.org>\nDate: 04/11/2024 02:30 PM\nSubject: Supplies\n\n'
        "Order by Friday.\n",
        Party("Dale Hurst", "dhurst@school.example.org"),
        "Supplies",
        "Order by Friday.",
        "Order by Friday.",
        "2024-04-11T18:30:00",
    ),
    Fwd(
        "en-squirrelmail-rule-under-the-block",
        "Fwd: Parking",
        "For the record.\n\n"
        "---------------------------- Original Message ----------------------------\n"
        'Subject: Parking\nFrom:    "Dale Hurst" <dhurst@school.example.org>\n'
        "Date:    Mon, April 8, 2024 9:15 am\nTo:      t@school.example.org\n"
        "--------------------------------------------------------------------------\n\n"
        "Lot B is closed.\n",
        Party("Dale Hurst", "dhurst@school.example.org"),
        "Parking",
        "Lot B is closed.",
        "Lot B is closed.",
        "2024-04-08T13:15:00",
    ),
    Fwd(
        "es-horde-closing-banner",
        "Fwd: Tutoría",
        "For the record.\n\n"
        "----- Mensaje reenviado de Dolores Vidal <dvidal@correo.example> -----\n"
        "   Fecha: Mon, 08 Apr 2024 09:15:00 -0400\n"
        "      De: Dolores Vidal <dvidal@correo.example>\n"
        "  Asunto: Tutoría\n    Para: t@school.example.org\n\nHola,\n\nDolores\n\n"
        "----- Finalizar mensaje reenviado -----\n\n-- \nMaestra\n",
        Party("Dolores Vidal", "dvidal@correo.example"),
        "Tutoría",
        "Hola,",
        "Dolores",
        "2024-04-08T13:15:00",
    ),
]


@pytest.mark.parametrize("case", SET2_FORWARDS, ids=[c.id for c in SET2_FORWARDS])
def test_set2_languages_and_layouts(case: Fwd) -> None:
    test_issue12_forwards(case)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A time written with dots after a four-digit year is not a date with a short year.
        ("5. april 2024 kl. 16.12.08 EDT", "2024-04-05T20:12:08"),
        ("ti 7. marrask. 2023 klo 9.42", "2023-11-07T14:42:00"),
        ("ศ. 9 ก.พ. 2024 เวลา 10:30", "2024-02-09T15:30:00"),
        # A short-year date with dots is still one when no other year is written.
        ("16.12.08 10:00", "2008-12-16T15:00:00"),
    ],
)
def test_set2_dates(text: str, expected: str) -> None:
    assert parse_client_date(text) == utc(expected)


def test_a_buddhist_era_year_needs_thai_labels() -> None:
    # With Thai labels (th-outlook-buddhist-year above) 2566 is 2023; with none, no date.
    assert parse_client_date("3 ธันวาคม 2566 07:45") is None


PHONE_LOG = (
    "Registro de llamada\n------------------------\nDe: Sr. Paredes (padre de Luis)\n"
    "Para: Rosa García\nFecha: 08/04/2024 10:15\nAsunto: Luis llega tarde\n"
    "------------------------\nLlamó a la oficina.\n"
)


def test_a_block_with_no_banner_and_no_address_needs_a_forward_subject() -> None:
    assert split_forward(PHONE_LOG, None, "Registro de llamada") is None
    found = split_forward(PHONE_LOG, None, "RV: Registro de llamada")
    assert found is not None and found.chain[0].sender == Party("Sr. Paredes (padre de Luis)", "")


FINNISH_REPLY = (
    "Kiitos, kirjattu.\n\nMikko Virtanen <mikko.virtanen@elisa.example> kirjoitti ma 8.4.2024 "
    "klo 9.15:\n\n> Veeti on tänään kotona.\n"
)
DANISH_FORWARD = (
    "Til arkivet.\n\nDen man. 8. apr. 2024 kl. 09.15 skrev Mette Hansen "
    "<mette.hansen@mail.example>:\n\n> Frederik er syg i dag.\n"
)


def test_a_prefix_that_forwards_in_one_language_and_replies_in_another() -> None:
    # "Vs:" is a Finnish reply and a Danish or Norwegian forward: the attribution's language says.
    assert split_forward(FINNISH_REPLY, None, "Vs: Poissaolo") is None
    found = split_forward(DANISH_FORWARD, None, "VS: Fravær")
    assert found is not None and found.chain[0].sender == P_METTE
    assert found.chain[0].date == utc("2024-04-08T13:15:00")


def test_an_html_only_forward_with_a_block_element_per_line() -> None:
    # Tuta and others send HTML alone, a <div> per line: converted, the header rows stand apart.
    msg = EmailMessage()
    msg["From"] = "Erin Quinn <erin@tuta.example>"
    msg["Subject"] = "Fwd: Bus 9"
    rows = [
        "========== Forwarded message ==========",
        "",
        "From: dispatch@bus.example",
        "Date: 8 Apr 2024, 09:15",
        "Subject: Bus 9",
        "To: erin@tuta.example",
        "",
        "Bus 9 is late today.",
        "",
        "Dispatch",
    ]
    msg.set_content(
        "<html><body>"
        + "".join(f"<div>{r}</div>" if r else "<div><br></div>" for r in rows)
        + "</body></html>",
        subtype="html",
    )
    original = parse(msg.as_bytes()).originals[0]
    assert original.provenance == PROVENANCE_RECONSTRUCTED
    assert original.sender is not None and original.sender.address == "dispatch@bus.example"
    assert original.body.splitlines()[0] == "Bus 9 is late today."
    assert original.date == utc("2024-04-08T13:15:00")


GROUPWISE = (
    'See below.\n\n>>> "Harold Finch" <hfinch@school.example.org> 4/8/2024 9:15 AM >>>\n'
    "All,\n\nGrades are due Friday.\n"
)


def test_a_groupwise_header_line_under_a_forward_subject_opens_the_original() -> None:
    found = split_forward(GROUPWISE, None, "Fwd: Grades")
    assert found is not None and found.note == "See below."
    original = found.chain[0]
    assert original.sender == Party("Harold Finch", "hfinch@school.example.org")
    assert original.subject == "Grades"
    assert original.body == "All,\n\nGrades are due Friday."
    assert original.date == utc("2024-04-08T13:15:00")  # month first, as GroupWise in the US
    # Under a reply's subject, or none, the same line is the quoted message of a reply.
    assert split_forward(GROUPWISE, None, "Re: Grades") is None
    assert split_forward(GROUPWISE) is None


@pytest.mark.timeout(10)
def test_groupwise_lookalike_lines_stay_fast() -> None:
    noisy = "\n".join(">>> " + "a " * 150 + ">>>" for _ in range(5000))
    spaced = "\n".join(">>> a" + " " * 300 + "b 1/2/24 >>>" for _ in range(5000))
    started = time.perf_counter()
    for text in (noisy, spaced):
        assert split_forward(text, None, "Fwd: x") is None
    assert time.perf_counter() - started < 5


# --- forward set 3: attribution phrases, quoted blocks, client markers, chains ----------------

P_MONTSE = Party("Montse Vila", "montse.vila@gmail.example")
P_ELIF = Party("Elif Kaya", "elif.kaya@ttmail.example")
P_ANNA_RU = Party("Анна Орлова", "anna.orlova@mail.example")
P_ADA = Party("Ada Moss", "ada.moss@zoho.example")

SET3_ATTRIBUTIONS = [
    Fwd(
        "nl-outlook-mac-without-het-volgende",
        "Doorst: Schoolreis",
        'For the record.\n\nOp 14-05-2024 08:05 heeft "Sanne de Vries" '
        "<sanne.devries@ziggo.example> geschreven:\n\n> Goedemorgen,\n>\n> Sanne\n",
        P_SANNE,
        "Schoolreis",
        "Goedemorgen,",
        "Sanne",
        "2024-05-14T12:05:00",
    ),
    Fwd(
        "de-yahoo-hat-folgendes-geschrieben",
        "WG: Ausflug",
        "For the record.\n\nAm Dienstag, 14. Mai 2024, 08:05:30 MESZ hat Jürgen Weiß "
        "<j.weiss@web.example> Folgendes geschrieben:\n\n> Guten Morgen,\n>\n> Jürgen\n",
        P_JURGEN,
        "Ausflug",
        "Guten Morgen,",
        "Jürgen",
        "2024-05-14T06:05:30",
    ),
    Fwd(
        "he-outlook-mac-hyphen",
        "הועבר: טיול",
        'For the record.\n\nב-14.5.2024, 8:05, "אריאל פרץ" <ariel.peretz@gmail.example> '
        "כתב/ה:\n\n> שלום,\n>\n> אריאל\n",
        P_ARIEL,
        "טיול",
        "שלום,",
        "אריאל",
        "2024-05-14T12:05:00",
    ),
    Fwd(
        "he-maqaf-feminine",
        "הועבר: אסיפה",
        "For the record.\n\nב\u05be3.6.2024, 19:40, אריאל פרץ <ariel.peretz@gmail.example> "
        "כתבה:\n\n> ערב טוב,\n>\n> אריאל\n",
        P_ARIEL,
        "אסיפה",
        "ערב טוב,",
        "אריאל",
        "2024-06-03T23:40:00",
    ),
    Fwd(
        "ca-gmail-va-escriure",
        "Fwd: Excursió",
        "For the record.\n\nEl dt., 14 de maig 2024 a les 8:05, Montse Vila "
        "(<montse.vila@gmail.example>) va escriure:\n\n> Bon dia,\n>\n> Montse\n",
        P_MONTSE,
        "Excursió",
        "Bon dia,",
        "Montse",
        "2024-05-14T12:05:00",
    ),
    Fwd(
        "el-prefix-in-full",
        "Προώθηση: Εκδρομή",
        "For the record.\n\nΣτις Τρί 14 Μαΐ 2024 στις 8:05 π.μ., ο/η Νίκος Αλεξίου "
        "<n.alexiou@forthnet.example> έγραψε:\n\n> Καλημέρα,\n>\n> Νίκος\n",
        P_NIKOS,
        "Εκδρομή",
        "Καλημέρα,",
        "Νίκος",
        "2024-05-14T12:05:00",
    ),
    Fwd(
        "tr-outlook-mac-tarihinde",
        "İlt: Gezi",
        'For the record.\n\n14.05.2024 08:05 tarihinde "Elif Kaya" <elif.kaya@ttmail.example> '
        "şunu yazdı:\n\n> Merhaba,\n>\n> Elif\n",
        P_ELIF,
        "Gezi",
        "Merhaba,",
        "Elif",
        "2024-05-14T12:05:00",
    ),
    Fwd(
        "ru-outlook-mac-polzovatel",
        "Пересл.: Экскурсия",
        'For the record.\n\n14.05.2024, 8:05 пользователь "Анна Орлова" '
        "<anna.orlova@mail.example> написал:\n\n> Добрый день!\n>\n> Анна\n",
        P_ANNA_RU,
        "Экскурсия",
        "Добрый день!",
        "Анна",
        "2024-05-14T12:05:00",
    ),
    Fwd(
        "ru-mailru-ot",
        "Fwd: Экскурсия",
        "For the record.\n\nВторник, 14 мая 2024, 8:05 -04:00 от Анна Орлова "
        "<anna.orlova@mail.example>:\n\n> Добрый день!\n>\n> Анна\n",
        P_ANNA_RU,
        "Экскурсия",
        "Добрый день!",
        "Анна",
        "2024-05-14T12:05:00",
    ),
    Fwd(
        "en-gnus-writes",
        "Fwd: Chess club",
        "For the record.\n\nAda Moss <ada.moss@zoho.example> writes:\n\n> Hi,\n>\n> Ada\n",
        P_ADA,
        "Chess club",
        "Hi,",
        "Ada",
        None,
    ),
    Fwd(
        "en-horde-quoting",
        "Fwd: Permission slip",
        "For the record.\n\nQuoting Ada Moss <ada.moss@zoho.example>:\n\n> Hello,\n>\n> Ada\n",
        P_ADA,
        "Permission slip",
        "Hello,",
        "Ada",
        None,
    ),
    Fwd(
        "de-horde-zitat-von",
        "WG: Erlaubnis",
        'For the record.\n\nZitat von "Jürgen Weiß" <j.weiss@web.example>:\n\n> Hallo,\n>\n'
        "> Jürgen\n",
        P_JURGEN,
        "Erlaubnis",
        "Hallo,",
        "Jürgen",
        None,
    ),
    Fwd(
        "en-zoho-between-dashes",
        "Fwd: Field day",
        "For the record.\n\n---- On Tue, 14 May 2024 08:05:00 -0400 Ada Moss "
        "<ada.moss@zoho.example> wrote ----\n\nHello,\n\nField day moved to Friday.\n\nAda\n",
        P_ADA,
        "Field day",
        "Hello,",
        "Ada",
        "2024-05-14T12:05:00",
    ),
    Fwd(
        "fr-zoho-between-dashes",
        "TR: Sortie",
        "For the record.\n\n---- Le mar., 14 mai 2024 08:05:00 -0400 Ada Moss "
        "<ada.moss@zoho.example> a écrit ---\n\nBonjour,\n\nAda\n",
        P_ADA,
        "Sortie",
        "Bonjour,",
        "Ada",
        "2024-05-14T12:05:00",
    ),
]


@pytest.mark.parametrize("case", SET3_ATTRIBUTIONS, ids=[c.id for c in SET3_ATTRIBUTIONS])
def test_set3_attribution_phrases(case: Fwd) -> None:
    test_issue12_forwards(case)
    # The same line under a reply's subject is a reply's.
    assert split_forward(case.text, None, "Re: x") is None


@pytest.mark.parametrize(
    "line",
    [
        "Quoting Ada Moss:",  # no address and no date: a sentence, not Horde's line
        "---- Forwarded by the front office ----",
        "------------------------------------------",
        "---- See you on 14 May ----",
    ],
)
def test_lines_like_set3_attributions_are_not_ones(line: str) -> None:
    assert split_forward(f"For the record.\n\n{line}\n\n> Hello,\n> Ada\n", None, "Fwd: x") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("dc., 3 d'abril 2024 a les 9:10", "2024-04-03T13:10:00"),
        ("dc., 3 d’abril 2024 a les 9:10", "2024-04-03T13:10:00"),
        ("dj., 10 d'octubre 2024 a les 17:44", "2024-10-10T21:44:00"),
        ("dl., 8 de gener 2024 a les 8:00", "2024-01-08T13:00:00"),
    ],
)
def test_catalan_dates(text: str, expected: str) -> None:
    assert parse_client_date(text) == utc(expected)


SET3_BLOCKS = [
    Fwd(
        "fr-orange-message-du",
        "TR: Cantine",
        "For the record.\n\n> Message du 14/05/24 08:05\n"
        '> De : "Nadège Pierre-Louis" <nadege.pl@orange.example>\n'
        '> A : "Prof" <prof@school.example.org>\n> Copie à : \n> Objet : Cantine\n>\n'
        "> Bonjour,\n>\n> Nadège\n",
        P_NADEGE,
        "Cantine",
        "Bonjour,",
        "Nadège",
        "2024-05-14T12:05:00",
    ),
    Fwd(
        "it-libero-ogg",
        "Fwd: Gita",
        "For the record.\n\n> ----Messaggio originale----\n"
        '> Da: "Giulia Rossi" <giulia.rossi@libero.example>\n> Data: 14/05/2024 8.05\n'
        "> A: <prof@school.example.org>\n> Ogg: Gita\n>\n> Buongiorno,\n>\n> Giulia\n",
        P_GIULIA,
        "Gita",
        "Buongiorno,",
        "Giulia",
        "2024-05-14T12:05:00",
    ),
    Fwd(
        "en-quoted-block-then-the-forwarders-text",
        "Fwd: Bus",
        "For the record.\n\n> -------- Original Message --------\n"
        "> From: Patricia Doherty <pdoherty74@gmail.example>\n"
        "> Date: May 14, 2024 at 8:05 AM\n> Subject: Bus\n>\n> Liam takes bus 9 today.\n>\n"
        "> Pat\n\nI told the office.\n-- \nLena Brooks\nGrade 3\n",
        P_PAT,
        "Bus",
        "Liam takes bus 9 today.",
        "Pat",
        "2024-05-14T12:05:00",
    ),
    Fwd(
        "en-quoted-rows-over-an-unquoted-body",  # GMX, WEB.DE: the body under them goes on
        "Fwd: Bus",
        "For the record.\n\n> From: Patricia Doherty <pdoherty74@gmail.example>\n"
        "> Date: May 14, 2024 at 8:05 AM\n> To: prof@school.example.org\n> Subject: Bus\n\n"
        "Liam takes bus 9 today.\n\nPat\n",
        P_PAT,
        "Bus",
        "Liam takes bus 9 today.",
        "Pat",
        "2024-05-14T12:05:00",
    ),
    Fwd(
        "en-the-bat-scissors",
        "Fwd: Olympiad",
        "For the record.\n\nThis is a forwarded message\n"
        "From: Patricia Doherty <pdoherty74@gmail.example>\nTo: Lena <lena@school.example.org>\n"
        "Date: Tuesday, May 14, 2024, 8:05:00 AM\nSubject: Olympiad\n\n"
        "===8<==============Original message text===============\nHello,\n\nPat\n"
        "===8<===========End of original message text===========\n\n-- \nLena\n",
        P_PAT,
        "Olympiad",
        "Hello,",
        "Pat",
        "2024-05-14T12:05:00",
        note="For the record.\n\nThis is a forwarded message",
    ),
    Fwd(
        "en-sylpheed-rule-and-ends",
        "Fwd: Trip",
        "For the record.\n\n----------------------- Original Message -----------------------\n"
        " From:    Patricia Doherty <pdoherty74@gmail.example>\n"
        " To:      Lena <lena@school.example.org>\n"
        " Date:    Tue, 14 May 2024 08:05:00 -0400\n Subject: Trip\n----\n\nHello,\n\nPat\n\n"
        "--------------------- Original Message Ends --------------------\n",
        P_PAT,
        "Trip",
        "Hello,",
        "Pat",
        "2024-05-14T12:05:00",
    ),
    Fwd(
        "en-sylpheed-quoted-body",
        "Fwd: Trip",
        "For the record.\n\n----------------------- Original Message -----------------------\n"
        " From:    Patricia Doherty <pdoherty74@gmail.example>\n"
        " To:      Lena <lena@school.example.org>\n"
        " Date:    Tue, 14 May 2024 08:05:00 -0400\n Subject: Trip\n----\n\n> Hello,\n>\n"
        "> Pat\n\n--------------------- Original Message Ends --------------------\n",
        P_PAT,
        "Trip",
        "Hello,",
        "Pat",
        "2024-05-14T12:05:00",
    ),
    Fwd(
        "en-mutt-quoted-body-then-closing-banner",
        "Fwd: Trip",
        "For the record.\n\n"
        "----- Forwarded message from Patricia Doherty <pdoherty74@gmail.example> -----\n\n"
        "Date: Tue, 14 May 2024 08:05:00 -0400\n"
        "From: Patricia Doherty <pdoherty74@gmail.example>\nTo: Lena <lena@school.example.org>\n"
        "Subject: Trip\n\n> Hello,\n>\n> Pat\n\n----- End forwarded message -----\n\n-- \nLena\n",
        P_PAT,
        "Trip",
        "Hello,",
        "Pat",
        "2024-05-14T12:05:00",
    ),
    Fwd(
        "en-gnus-start-and-end-of-forwarded-message",
        "Fwd: Trip",
        "For the record.\n\n"
        "-------------------- Start of forwarded message --------------------\n"
        "From: Patricia Doherty <pdoherty74@gmail.example>\nTo: Lena <lena@school.example.org>\n"
        "Subject: Trip\nDate: Tue, 14 May 2024 08:05:00 -0400\n\n> Hello,\n> Pat\n"
        "-------------------- End of forwarded message --------------------\n",
        P_PAT,
        "Trip",
        "Hello,",
        "Pat",
        "2024-05-14T12:05:00",
    ),
]


@pytest.mark.parametrize("case", SET3_BLOCKS, ids=[c.id for c in SET3_BLOCKS])
def test_set3_blocks_and_markers(case: Fwd) -> None:
    test_issue12_forwards(case)
    found = split_forward(case.text, None, case.subject)
    assert found is not None and len(found.chain) == 1
    assert not any(c in found.chain[0].body for c in ("8<", "----", "Ends")), found.chain[0].body


def test_a_dated_line_over_no_header_block_is_text() -> None:
    text = "For the record.\n\nMessage du 14/05/24 08:05\n\nLa cantine ferme à midi.\n"
    assert split_forward(text, None, "TR: Cantine") is None


def test_text_under_a_quoted_forward_goes_back_to_the_message_that_quoted_it() -> None:
    text = (
        "For the record.\n\n-------- Forwarded Message --------\nSubject: Fwd: Bus\n"
        "Date: Tue, 14 May 2024 09:00:00 -0400\nFrom: Front Office <office@school.example.org>\n"
        "To: Lena <lena@school.example.org>\n\nSee below.\n\n"
        "> -------- Original Message --------\n"
        "> From: Patricia Doherty <pdoherty74@gmail.example>\n"
        "> Date: May 14, 2024 at 8:05 AM\n> Subject: Bus\n>\n> Liam takes bus 9 today.\n\n"
        "Please update his card.\n"
    )
    found = split_forward(text, None, "Fwd: Fwd: Bus")
    assert found is not None
    outer, inner = found.chain
    assert outer.body == "See below.\n\nPlease update his card."
    assert inner.sender == P_PAT and inner.body == "Liam takes bus 9 today."


@pytest.mark.parametrize(
    ("subject", "original_subject"),
    [
        ("FW: Fwd: Carpool", "Fwd: Carpool"),  # the original was itself a forward
        ("Fwd: Re: Carpool", "Re: Carpool"),
        ("Fwd: Carpool", "Carpool"),
        ("[Fwd: Carpool]", "Carpool"),
    ],
)
def test_an_attributed_original_keeps_its_own_prefixes(subject: str, original_subject: str) -> None:
    text = (
        'Please file.\n\nOn 14/05/2024 08:05, "Patricia Doherty" <pdoherty74@gmail.example> '
        "wrote:\n\n> Carpool: Monday and Wednesday.\n"
    )
    found = split_forward(text, None, subject)
    assert found is not None and found.chain[0].subject == original_subject


def test_an_attached_forward_is_its_own_text_down_to_the_forward_it_made() -> None:
    inner = EmailMessage()
    inner["From"] = "Gina Russo <gina.russo@icloud.example>"
    inner["To"] = "Lena Brooks <lena@school.example.org>"
    inner["Subject"] = "Fwd: Allergy note"
    inner["Date"] = "Wed, 15 May 2024 09:00:00 -0400"
    inner.set_content(
        "Hi Ms. Brooks,\n\nThe doctor's note is below.\n\nGina\n\nBegin forwarded message:\n\n"
        "From: Dr. Lee <dr.lee@clinic.example>\nSubject: Allergy note\n"
        "Date: May 14, 2024 at 3:02:37 PM EDT\nTo: Gina Russo <gina.russo@icloud.example>\n\n"
        "Dear Ms. Russo,\n\nNo peanuts.\n\nDr. Lee\n"
    )
    outer = EmailMessage()
    outer["From"] = "Lena Brooks <lena@school.example.org>"
    outer["Subject"] = "Fwd: Fwd: Allergy note"
    outer.set_content("Attached for the records.\n")
    outer.add_attachment(inner)
    first, second = parse(outer.as_bytes()).originals
    assert first.sender is not None and first.sender.address == "gina.russo@icloud.example"
    assert first.body == "Hi Ms. Brooks,\n\nThe doctor's note is below.\n\nGina"
    assert second.sender is not None and second.sender.address == "dr.lee@clinic.example"
    assert second.body == "Dear Ms. Russo,\n\nNo peanuts.\n\nDr. Lee"


OUTLOOK_REPLY_ROWS = {
    "fi": (
        "Lähettäjä",
        "Lähetetty",
        "Vastaanottaja",
        "Aihe",
        "keskiviikko 15. toukokuuta 2024 9.15",
    ),
    "sv": ("Från", "Skickat", "Till", "Ämne", "den 15 maj 2024 09:15"),
    "da": ("Fra", "Sendt", "Til", "Emne", "15. maj 2024 09:15"),
}


@pytest.mark.parametrize(("lang", "forward"), [("fi", False), ("sv", True), ("da", True)])
def test_vs_under_an_outlook_block_is_what_the_blocks_language_says(
    lang: str, forward: bool
) -> None:
    # "VS:" replies in Finnish (vastaus) and forwards in Swedish, Danish and Norwegian.
    sender, sent, to, subject, date = OUTLOOK_REPLY_ROWS[lang]
    text = (
        f"Kiitos.\n\n{sender}: Mikko Virtanen <mikko.virtanen@elisa.example>\n{sent}: {date}\n"
        f"{to}: Lena <lena@school.example.org>\n{subject}: Leirikoulu\n\nHei,\n\nMikko\n"
    )
    found = split_forward(text, None, "VS: Leirikoulu")
    assert (found is not None) is forward
    if found is not None:
        assert found.chain[0].sender == P_MIKKO
        assert found.chain[0].date == utc("2024-05-15T13:15:00")
    # Under the Finnish forward prefix, the Finnish block is a forward.
    assert split_forward(text, None, "VL: Leirikoulu") is not None


def test_finnish_prefixes() -> None:
    assert is_forward_subject("VL: Leirikoulu") and not is_reply_subject("VL: Leirikoulu")
    assert is_forward_subject("VS: Leirikoulu")  # still a Scandinavian forward's prefix
    assert strip_subject_prefixes("VS: VL: Leirikoulu") == "Leirikoulu"


@pytest.mark.parametrize(
    ("value", "sender"),
    [
        # The common forms (read without the stdlib's address parser)...
        (
            "Sophie   Lambert <s.lambert@orange.example>",
            Party("Sophie Lambert", "s.lambert@orange.example"),
        ),
        ('"  Sophie  Lambert " <s@orange.example>', Party("Sophie  Lambert", "s@orange.example")),
        ("O'Brien Pat <p.obrien@q.example>", Party("O'Brien Pat", "p.obrien@q.example")),
        ("Ольга Кузнецова <olga@mail.example>", Party("Ольга Кузнецова", "olga@mail.example")),
        ("Jo<Jo.Ray@Mail.Example>", Party("Jo", "Jo.Ray@Mail.Example")),
        ("<jo@mail.example>", Party("", "jo@mail.example")),
        ("jo+school@mail.example", Party("", "jo+school@mail.example")),
        ('"jo@mail.example" <JO@mail.example>', Party("", "JO@mail.example")),
        ("'Jo <jo@mail.example>", Party("Jo", "jo@mail.example")),
        # ...and the others, which the stdlib reads, give the same kind of answer.
        (
            "Dr. Anil Shah <anil.shah@clinic.example>",
            Party("Dr. Anil Shah", "anil.shah@clinic.example"),
        ),
        ('"Jo \\"JJ\\" Ray" <jo@mail.example>', Party('Jo "JJ" Ray', "jo@mail.example")),
        ("Jo (home) <jo@mail.example>", Party("Jo (home)", "jo@mail.example")),
    ],
)
def test_sender_forms(value: str, sender: Party) -> None:
    body = (
        f"---------- Forwarded message ---------\nFrom: {value}\nTo: t@school.example.org\n\nhi\n"
    )
    found = split_forward(body)
    assert found is not None and found.chain[0].sender == sender
