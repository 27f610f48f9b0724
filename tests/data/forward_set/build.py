#!/usr/bin/env python3
"""Render the forward test set (NNN.eml, labels.json) from source.toml.

Usage::

    python tests/data/forward_set/build.py           # rewrite the .eml files and labels.json
    python tests/data/forward_set/build.py --check   # exit 1 if the files on disk differ
    python tests/data/forward_set/build.py --dir tests/data/forward_set2 [--check]  # set 2
    python tests/data/forward_set/build.py --dir tests/data/forward_set3 [--check]  # set 3

``source.toml`` holds every message as written by hand: the teacher, the note, the client and
its interface language, the original (sender, recipients, date, subject, body) and, for a
forward of a forward, the message that one forwarded. This script lays each message out the way
the named client puts a forward together (banner, header block or attribution line, quoting,
MIME structure, transfer encoding), from what its author knows of those clients; it was written
without reading the archiver's forward-finding code or its fixtures. The labels come from the
same source: the sender, subject and body lines the original was written with, and its date
at the precision the client shows it. Standard library only, no randomness: every token
(Message-ID, boundary) is derived from the message number, so each run gives the same bytes.

A ``raw`` message gives its forward block as written (text lines with ``{body}``, ``{qbody}``
or ``{ibody}`` standing for the original's body, plain, ``> ``-quoted or indented, and
``<<pattern>>`` for its date in the forwarder's zone, ``<<own:pattern>>`` in the sender's), for
the clients and layouts the tables below do not hold. Set 3 adds ``{qqbody}`` (the body
``>> ``-quoted), ``after`` (the forwarder's text under the block), the option ``flowq``
(format=flowed that breaks quoted lines too) and, for a forward of a forward, ``via_raw`` (the
forward the original's sender made, written by hand) and ``via_opts`` (its options).

The split (``split_of``): within each kind, files are ranked by SHA-256 of
``archiver-forward-split-v1:<file name>``; the first third, ``(n + 1) // 3``, are ``heldout``.
"""

# ruff: noqa: RUF001  (the forms are written in their own scripts: Greek, Cyrillic, CJK...)
from __future__ import annotations

import argparse
import base64
import dataclasses
import hashlib
import html
import json
import quopri
import re
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
HERE = Path(__file__).resolve().parent
SOURCE = HERE / "source.toml"  # set by main() for another set's folder (--dir)
LABELS = HERE / "labels.json"

ARCHIVE = "records@milton.k12.example.org"
DISTRICT = ZoneInfo("America/New_York")  # the teachers' zone: clients show times in it
SPLIT_KEY = "archiver-forward-split-v1:"
KINDS = (
    "inline_html",
    "inline_text",
    "attached",
    "attribution",
    "quoted_headers",
    "original_message",
    "quoted_body",
    "chain",
    "not_forward",
)

# ------------------------------------------------------------------------------------------
# Dates as clients write them
# ------------------------------------------------------------------------------------------

Names = tuple[tuple[str, ...], tuple[str, ...]]  # full, abbreviated

WEEKDAYS: dict[str, Names] = {
    "en": (
        ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    ),
    "es": (
        ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
        ("lun", "mar", "mié", "jue", "vie", "sáb", "dom"),
    ),
    "pt": (
        ("segunda-feira", "terça-feira", "quarta-feira", "quinta-feira", "sexta-feira", "sábado",
         "domingo"),
        ("seg", "ter", "qua", "qui", "sex", "sáb", "dom"),
    ),
    "fr": (
        ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
        ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."),
    ),
    "de": (
        ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
        ("Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So."),
    ),
    "it": (
        ("lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica"),
        ("lun", "mar", "mer", "gio", "ven", "sab", "dom"),
    ),
    "nl": (
        ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
        ("ma", "di", "wo", "do", "vr", "za", "zo"),
    ),
    "nb": (
        ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag"),
        ("man.", "tir.", "ons.", "tor.", "fre.", "lør.", "søn."),
    ),
    "pl": (
        ("poniedziałek", "wtorek", "środa", "czwartek", "piątek", "sobota", "niedziela"),
        ("pon.", "wt.", "śr.", "czw.", "pt.", "sob.", "niedz."),
    ),
    "ru": (
        ("понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье"),
        ("пн", "вт", "ср", "чт", "пт", "сб", "вс"),
    ),
    "uk": (
        ("понеділок", "вівторок", "середа", "четвер", "пʼятниця", "субота", "неділя"),
        ("пн", "вт", "ср", "чт", "пт", "сб", "нд"),
    ),
    "tr": (
        ("Pazartesi", "Salı", "Çarşamba", "Perşembe", "Cuma", "Cumartesi", "Pazar"),
        ("Pzt", "Sal", "Çar", "Per", "Cum", "Cmt", "Paz"),
    ),
    "el": (
        ("Δευτέρα", "Τρίτη", "Τετάρτη", "Πέμπτη", "Παρασκευή", "Σάββατο", "Κυριακή"),
        ("Δευ", "Τρί", "Τετ", "Πέμ", "Παρ", "Σάβ", "Κυρ"),
    ),
    "vi": (
        ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật"),
        ("Th 2", "Th 3", "Th 4", "Th 5", "Th 6", "Th 7", "CN"),
    ),
    "zh-Hans": (
        ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"),
        ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
    ),
    "zh-Hant": (
        ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"),
        ("週一", "週二", "週三", "週四", "週五", "週六", "週日"),
    ),
    "ja": (
        ("月曜日", "火曜日", "水曜日", "木曜日", "金曜日", "土曜日", "日曜日"),
        ("月", "火", "水", "木", "金", "土", "日"),
    ),
    "ko": (
        ("월요일", "화요일", "수요일", "목요일", "금요일", "토요일", "일요일"),
        ("월", "화", "수", "목", "금", "토", "일"),
    ),
    "ar": (
        ("الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد"),
        ("الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد"),
    ),
    "hi": (
        ("सोमवार", "मंगलवार", "बुधवार", "गुरुवार", "शुक्रवार", "शनिवार", "रविवार"),
        ("सोम", "मंगल", "बुध", "गुरु", "शुक्र", "शनि", "रवि"),
    ),
    "ne": (
        ("सोमबार", "मङ्गलबार", "बुधबार", "बिहिबार", "शुक्रबार", "शनिबार", "आइतबार"),
        ("सोम", "मङ्गल", "बुध", "बिही", "शुक्र", "शनि", "आइत"),
    ),
    "km": (
        ("ច័ន្ទ", "អង្គារ", "ពុធ", "ព្រហស្បតិ៍", "សុក្រ", "សៅរ៍", "អាទិត្យ"),
        ("ច័ន្ទ", "អង្គារ", "ពុធ", "ព្រហស្បតិ៍", "សុក្រ", "សៅរ៍", "អាទិត្យ"),
    ),
    "so": (
        ("Isniin", "Talaado", "Arbaco", "Khamiis", "Jimco", "Sabti", "Axad"),
        ("Isn", "Tldo", "Arbc", "Khms", "Jmc", "Sbti", "Axd"),
    ),
    # Set 3's languages.
    "sv": (
        ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag"),
        ("mån", "tis", "ons", "tors", "fre", "lör", "sön"),
    ),
    "da": (
        ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag"),
        ("man.", "tirs.", "ons.", "tors.", "fre.", "lør.", "søn."),
    ),
    "fi": (
        ("maanantai", "tiistai", "keskiviikko", "torstai", "perjantai", "lauantai", "sunnuntai"),
        ("ma", "ti", "ke", "to", "pe", "la", "su"),
    ),
    "cs": (
        ("pondělí", "úterý", "středa", "čtvrtek", "pátek", "sobota", "neděle"),
        ("po", "út", "st", "čt", "pá", "so", "ne"),
    ),
    "sk": (
        ("pondelok", "utorok", "streda", "štvrtok", "piatok", "sobota", "nedeľa"),
        ("po", "ut", "st", "št", "pi", "so", "ne"),
    ),
    "hu": (
        ("hétfő", "kedd", "szerda", "csütörtök", "péntek", "szombat", "vasárnap"),
        ("H", "K", "Sze", "Cs", "P", "Szo", "V"),
    ),
    "ro": (
        ("luni", "marți", "miercuri", "joi", "vineri", "sâmbătă", "duminică"),
        ("lun.", "mar.", "mie.", "joi", "vin.", "sâm.", "dum."),
    ),
    "hr": (
        ("ponedjeljak", "utorak", "srijeda", "četvrtak", "petak", "subota", "nedjelja"),
        ("pon", "uto", "sri", "čet", "pet", "sub", "ned"),
    ),
    "he": (
        ("יום שני", "יום שלישי", "יום רביעי", "יום חמישי", "יום שישי", "שבת", "יום ראשון"),
        ("יום ב׳", "יום ג׳", "יום ד׳", "יום ה׳", "יום ו׳", "שבת", "יום א׳"),
    ),
    "id": (
        ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
        ("Sen", "Sel", "Rab", "Kam", "Jum", "Sab", "Min"),
    ),
    "ca": (
        ("dilluns", "dimarts", "dimecres", "dijous", "divendres", "dissabte", "diumenge"),
        ("dl.", "dt.", "dc.", "dj.", "dv.", "ds.", "dg."),
    ),
}  # fmt: skip

# Months as they stand in a date (the genitive where the language uses one there).
MONTHS: dict[str, Names] = {
    "en": (
        ("January", "February", "March", "April", "May", "June", "July", "August", "September",
         "October", "November", "December"),
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    ),
    "es": (
        ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
         "octubre", "noviembre", "diciembre"),
        ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic"),
    ),
    "pt": (
        ("janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro",
         "outubro", "novembro", "dezembro"),
        ("jan", "fev", "mar", "abr", "mai", "jun", "jul", "ago", "set", "out", "nov", "dez"),
    ),
    "fr": (
        ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
         "octobre", "novembre", "décembre"),
        ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
         "nov.", "déc."),
    ),
    "de": (
        ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
         "Oktober", "November", "Dezember"),
        ("Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.",
         "Dez."),
    ),
    "it": (
        ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto",
         "settembre", "ottobre", "novembre", "dicembre"),
        ("gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic"),
    ),
    "nl": (
        ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
         "oktober", "november", "december"),
        ("jan.", "feb.", "mrt.", "apr.", "mei", "jun.", "jul.", "aug.", "sep.", "okt.", "nov.",
         "dec."),
    ),
    "nb": (
        ("januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september",
         "oktober", "november", "desember"),
        ("jan.", "feb.", "mar.", "apr.", "mai", "jun.", "jul.", "aug.", "sep.", "okt.", "nov.",
         "des."),
    ),
    "pl": (
        ("stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca", "lipca", "sierpnia",
         "września", "października", "listopada", "grudnia"),
        ("sty", "lut", "mar", "kwi", "maj", "cze", "lip", "sie", "wrz", "paź", "lis", "gru"),
    ),
    "ru": (
        ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября",
         "октября", "ноября", "декабря"),
        ("янв.", "февр.", "мар.", "апр.", "мая", "июн.", "июл.", "авг.", "сент.", "окт.",
         "нояб.", "дек."),
    ),
    "uk": (
        ("січня", "лютого", "березня", "квітня", "травня", "червня", "липня", "серпня", "вересня",
         "жовтня", "листопада", "грудня"),
        ("січ.", "лют.", "бер.", "квіт.", "трав.", "черв.", "лип.", "серп.", "вер.", "жовт.",
         "лист.", "груд."),
    ),
    "tr": (
        ("Ocak", "Şubat", "Mart", "Nisan", "Mayıs", "Haziran", "Temmuz", "Ağustos", "Eylül",
         "Ekim", "Kasım", "Aralık"),
        ("Oca", "Şub", "Mar", "Nis", "May", "Haz", "Tem", "Ağu", "Eyl", "Eki", "Kas", "Ara"),
    ),
    "el": (
        ("Ιανουαρίου", "Φεβρουαρίου", "Μαρτίου", "Απριλίου", "Μαΐου", "Ιουνίου", "Ιουλίου",
         "Αυγούστου", "Σεπτεμβρίου", "Οκτωβρίου", "Νοεμβρίου", "Δεκεμβρίου"),
        ("Ιαν", "Φεβ", "Μαρ", "Απρ", "Μαΐ", "Ιουν", "Ιουλ", "Αυγ", "Σεπ", "Οκτ", "Νοε", "Δεκ"),
    ),
    "ar": (
        ("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر",
         "أكتوبر", "نوفمبر", "ديسمبر"),
        ("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر",
         "أكتوبر", "نوفمبر", "ديسمبر"),
    ),
    "hi": (
        ("जनवरी", "फ़रवरी", "मार्च", "अप्रैल", "मई", "जून", "जुलाई", "अगस्त", "सितंबर", "अक्तूबर",
         "नवंबर", "दिसंबर"),
        ("जन॰", "फ़र॰", "मार्च", "अप्रैल", "मई", "जून", "जुल॰", "अग॰", "सित॰", "अक्तू॰", "नव॰",
         "दिस॰"),
    ),
    "ne": (
        ("जनवरी", "फेब्रुअरी", "मार्च", "अप्रिल", "मे", "जुन", "जुलाई", "अगस्ट", "सेप्टेम्बर",
         "अक्टोबर", "नोभेम्बर", "डिसेम्बर"),
        ("जनवरी", "फेब्रुअरी", "मार्च", "अप्रिल", "मे", "जुन", "जुलाई", "अगस्ट", "सेप्टेम्बर",
         "अक्टोबर", "नोभेम्बर", "डिसेम्बर"),
    ),
    "km": (
        ("មករា", "កុម្ភៈ", "មីនា", "មេសា", "ឧសភា", "មិថុនា", "កក្កដា", "សីហា", "កញ្ញា", "តុលា",
         "វិច្ឆិកា", "ធ្នូ"),
        ("មករា", "កុម្ភៈ", "មីនា", "មេសា", "ឧសភា", "មិថុនា", "កក្កដា", "សីហា", "កញ្ញា", "តុលា",
         "វិច្ឆិកា", "ធ្នូ"),
    ),
    "so": (
        ("Jannaayo", "Febraayo", "Maarso", "Abriil", "May", "Juun", "Luuliyo", "Ogost",
         "Sebtembar", "Oktoobar", "Nofembar", "Desembar"),
        ("Jan", "Feb", "Mar", "Abr", "May", "Jun", "Lul", "Ogs", "Seb", "Okt", "Nof", "Des"),
    ),
    # Set 3's languages.
    "sv": (
        ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september",
         "oktober", "november", "december"),
        ("jan.", "feb.", "mars", "apr.", "maj", "juni", "juli", "aug.", "sep.", "okt.", "nov.",
         "dec."),
    ),
    "da": (
        ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september",
         "oktober", "november", "december"),
        ("jan.", "feb.", "mar.", "apr.", "maj", "jun.", "jul.", "aug.", "sep.", "okt.", "nov.",
         "dec."),
    ),
    "fi": (  # the partitive, as in "14. maaliskuuta 2024"
        ("tammikuuta", "helmikuuta", "maaliskuuta", "huhtikuuta", "toukokuuta", "kesäkuuta",
         "heinäkuuta", "elokuuta", "syyskuuta", "lokakuuta", "marraskuuta", "joulukuuta"),
        ("tammik.", "helmik.", "maalisk.", "huhtik.", "toukok.", "kesäk.", "heinäk.", "elok.",
         "syysk.", "lokak.", "marrask.", "jouluk."),
    ),
    "cs": (
        ("ledna", "února", "března", "dubna", "května", "června", "července", "srpna", "září",
         "října", "listopadu", "prosince"),
        ("led", "úno", "bře", "dub", "kvě", "čvn", "čvc", "srp", "zář", "říj", "lis", "pro"),
    ),
    "sk": (
        ("januára", "februára", "marca", "apríla", "mája", "júna", "júla", "augusta",
         "septembra", "októbra", "novembra", "decembra"),
        ("jan", "feb", "mar", "apr", "máj", "jún", "júl", "aug", "sep", "okt", "nov", "dec"),
    ),
    "hu": (
        ("január", "február", "március", "április", "május", "június", "július", "augusztus",
         "szeptember", "október", "november", "december"),
        ("jan.", "febr.", "márc.", "ápr.", "máj.", "jún.", "júl.", "aug.", "szept.", "okt.",
         "nov.", "dec."),
    ),
    "ro": (
        ("ianuarie", "februarie", "martie", "aprilie", "mai", "iunie", "iulie", "august",
         "septembrie", "octombrie", "noiembrie", "decembrie"),
        ("ian.", "feb.", "mar.", "apr.", "mai", "iun.", "iul.", "aug.", "sept.", "oct.", "nov.",
         "dec."),
    ),
    "hr": (
        ("siječnja", "veljače", "ožujka", "travnja", "svibnja", "lipnja", "srpnja", "kolovoza",
         "rujna", "listopada", "studenoga", "prosinca"),
        ("sij", "velj", "ožu", "tra", "svi", "lip", "srp", "kol", "ruj", "lis", "stu", "pro"),
    ),
    "he": (
        ("ינואר", "פברואר", "מרץ", "אפריל", "מאי", "יוני", "יולי", "אוגוסט", "ספטמבר", "אוקטובר",
         "נובמבר", "דצמבר"),
        ("ינו׳", "פבר׳", "מרץ", "אפר׳", "מאי", "יוני", "יולי", "אוג׳", "ספט׳", "אוק׳", "נוב׳",
         "דצמ׳"),
    ),
    "id": (
        ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
         "Oktober", "November", "Desember"),
        ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"),
    ),
    "ca": (
        ("gener", "febrer", "març", "abril", "maig", "juny", "juliol", "agost", "setembre",
         "octubre", "novembre", "desembre"),
        ("gen.", "febr.", "març", "abr.", "maig", "juny", "jul.", "ag.", "set.", "oct.", "nov.",
         "des."),
    ),
}  # fmt: skip

AMPM: dict[str, tuple[str, str]] = {
    "en": ("AM", "PM"),
    "zh-Hans": ("上午", "下午"),
    "zh-Hant": ("上午", "下午"),
    "ja": ("午前", "午後"),
    "ko": ("오전", "오후"),
    "ar": ("ص", "م"),
    "el": ("π.μ.", "μ.μ."),
    "hi": ("am", "pm"),
    "vi": ("SA", "CH"),
    "so": ("GH", "GD"),
    "ne": ("पूर्वाह्न", "अपराह्न"),
}
DEVANAGARI_DIGITS = str.maketrans("0123456789", "०१२३४५६७८९")


def _names(table: dict[str, Names], lang: str) -> Names:
    if lang in table:
        return table[lang]
    base = lang.split("-", maxsplit=1)[0]
    if base in table:
        return table[base]
    raise KeyError(f"no names for language {lang!r}")


def _offset(dt: datetime, sep: str) -> str:
    off = dt.utcoffset() or timedelta(0)
    sign = "-" if off < timedelta(0) else "+"
    minutes = abs(int(off.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}{sep}{minutes % 60:02d}"


def _gmt(dt: datetime, minus: str = "-") -> str:
    """GMT-4, GMT+5:45: how Apple and others name an offset."""
    off = dt.utcoffset() or timedelta(0)
    sign = minus if off < timedelta(0) else "+"
    minutes = abs(int(off.total_seconds())) // 60
    hours, rest = divmod(minutes, 60)
    return f"{sign}{hours}" + (f":{rest:02d}" if rest else "")


def _capital(word: str) -> str:
    """A weekday that starts a date (Mail.ru's "Четверг, 14 марта"): its first letter upper."""
    return word[:1].upper() + word[1:]


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def fmt(pattern: str, dt: datetime, lang: str) -> str:
    """`dt` written with `pattern`'s tokens ({EEEE}, {MMM}, {d}, {HH}, {a}, {z}...) in `lang`."""

    def token(m: re.Match[str]) -> str:
        t = m.group(1)
        h12 = dt.hour % 12 or 12
        values: dict[str, Callable[[], str]] = {
            "EEEE": lambda: _names(WEEKDAYS, lang)[0][dt.weekday()],
            "EEE": lambda: _names(WEEKDAYS, lang)[1][dt.weekday()],
            "EEEEc": lambda: _capital(_names(WEEKDAYS, lang)[0][dt.weekday()]),
            "MMMM": lambda: _names(MONTHS, lang)[0][dt.month - 1],
            "MMM": lambda: _names(MONTHS, lang)[1][dt.month - 1],
            "M": lambda: str(dt.month),
            "MM": lambda: f"{dt.month:02d}",
            "d": lambda: str(dt.day),
            "dd": lambda: f"{dt.day:02d}",
            "ord": lambda: _ordinal(dt.day),
            "yyyy": lambda: str(dt.year),
            "yy": lambda: f"{dt.year % 100:02d}",
            "H": lambda: str(dt.hour),
            "HH": lambda: f"{dt.hour:02d}",
            "h": lambda: str(h12),
            "hh": lambda: f"{h12:02d}",
            "mm": lambda: f"{dt.minute:02d}",
            "ss": lambda: f"{dt.second:02d}",
            "a": lambda: AMPM.get(lang, AMPM["en"])[dt.hour >= 12],
            "z": lambda: dt.tzname() or "",
            "Z": lambda: _offset(dt, ""),
            "XXX": lambda: _offset(dt, ":"),
            "GMT": lambda: "GMT" + _gmt(dt),
            "UTCm": lambda: "UTC" + _gmt(dt, "\u2212"),
        }
        if t not in values:
            raise KeyError(f"unknown date token {{{t}}} in {pattern!r}")
        return values[t]()

    out = re.sub(r"\{(\w+)\}", token, pattern)
    return out.translate(DEVANAGARI_DIGITS) if lang == "ne" else out


def precision(pattern: str) -> str | None:
    """What a date written with `pattern` pins down: seconds, minutes, or no time of day."""
    if "{ss}" in pattern:
        return "s"
    if "{mm}" in pattern:
        return "m"
    return None


def rfc2822(dt: datetime) -> str:
    return fmt("{EEE}, {d} {MMM} {yyyy} {HH}:{mm}:{ss} {Z}", dt, "en")


# ------------------------------------------------------------------------------------------
# People and headers
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    name: str | None
    addr: str


SPECIALS = re.compile(r'[,;:@()<>\[\]".\\]')


def quoted(name: str) -> str:
    """A display name as RFC 5322 wants it (quoted when it holds specials)."""
    if SPECIALS.search(name):
        return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return name


def encoded_words(text: str, style: str = "B") -> list[str]:
    """RFC 2047 encoded words for `text`, each at most 75 characters, never splitting a
    character."""
    words: list[str] = []
    chunk = ""
    limit = 45 if style == "B" else 60

    def size(s: str) -> int:
        data = s.encode("utf-8")
        if style == "B":
            return len(data)
        return sum(1 if (b < 128 and chr(b).isalnum()) or b == 32 else 3 for b in data)

    for ch in text:
        if chunk and size(chunk + ch) > limit:
            words.append(chunk)
            chunk = ""
        chunk += ch
    if chunk:
        words.append(chunk)
    out = []
    for w in words:
        data = w.encode("utf-8")
        if style == "B":
            out.append("=?UTF-8?B?" + base64.b64encode(data).decode("ascii") + "?=")
        else:
            q = "".join(
                chr(b) if b < 128 and chr(b).isalnum() else "_" if b == 32 else f"={b:02X}"
                for b in data
            )
            out.append("=?utf-8?Q?" + q + "?=")
    return out


def header(name: str, value: str, style: str = "B") -> str:
    """One header field, folded, non-ASCII text as encoded words."""
    if value.isascii():
        return fold(f"{name}: {value}")
    return f"{name}: " + "\r\n ".join(encoded_words(value, style))


def fold(line: str, width: int = 78) -> str:
    """Fold a long header line at spaces."""
    out: list[str] = []
    while len(line) > width:
        cut = line.rfind(" ", 0, width)
        if cut <= line.find(":") + 1:
            break
        out.append(line[:cut])
        line = line[cut:]
    out.append(line)
    return "\r\n".join(out)


def address_field(name: str, people: list[Person], style: str = "B") -> str:
    parts = []
    for p in people:
        if not p.name:
            parts.append(p.addr)
        elif p.name.isascii():
            parts.append(f"{quoted(p.name)} <{p.addr}>")
        else:
            parts.append(" ".join(encoded_words(p.name, style)) + f" <{p.addr}>")
    return fold(f"{name}: " + ", ".join(parts))


def token(n: int, purpose: str, length: int, alphabet: str = "0123456789abcdef") -> str:
    """A deterministic token for message `n` (boundaries, Message-IDs)."""
    digest = hashlib.sha256(f"{n}:{purpose}".encode()).digest()
    while len(digest) < length:
        digest += hashlib.sha256(digest).digest()
    return "".join(alphabet[b % len(alphabet)] for b in digest[:length])


# ------------------------------------------------------------------------------------------
# MIME
# ------------------------------------------------------------------------------------------


@dataclass
class Part:
    """A MIME entity: its header lines and its body, already encoded, lines joined by CRLF."""

    headers: list[str]
    body: bytes


def crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def encode_body(text: str, cte: str) -> tuple[str, bytes]:
    """`text` in a transfer encoding: `qp` (quoted-printable when needed, else 7bit), `qp!`
    (always), `b64` (base64 when not ASCII), `b64!`, `8bit` (when not ASCII)."""
    plain = text.isascii() and all(len(line) <= 900 for line in text.split("\n"))
    if cte in ("qp", "b64", "8bit") and plain:
        return "7bit", crlf(text).encode("ascii")
    if cte == "8bit" and not all(len(line.encode()) <= 900 for line in text.split("\n")):
        cte = "qp"  # a long line (HTML written on one line) cannot go as 8bit
    if cte in ("qp", "qp!"):
        encoded = quopri.encodestring(text.replace("\r\n", "\n").encode("utf-8"))
        return "quoted-printable", encoded.replace(b"\n", b"\r\n")
    if cte in ("b64", "b64!"):
        encoded = base64.encodebytes(crlf(text).encode("utf-8"))
        return "base64", encoded.replace(b"\n", b"\r\n")
    if cte == "8bit":
        return "8bit", crlf(text).encode("utf-8")
    raise ValueError(f"unknown transfer encoding {cte!r}")


def text_part(
    subtype: str,
    text: str,
    cte: str,
    params: str = 'charset="UTF-8"',
    extra: list[str] | None = None,
) -> Part:
    name, body = encode_body(text, cte)
    heads = [f"Content-Type: text/{subtype}; {params}", f"Content-Transfer-Encoding: {name}"]
    return Part(heads + (extra or []), body)


def multipart(
    subtype: str, boundary: str, parts: list[Part], extra: list[str] | None = None
) -> Part:
    chunks: list[bytes] = []
    for p in parts:
        chunks.append(f"--{boundary}\r\n".encode())
        chunks.append(("\r\n".join(p.headers) + "\r\n\r\n").encode())
        chunks.append(p.body.rstrip(b"\r\n") + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    heads = [f'Content-Type: multipart/{subtype}; boundary="{boundary}"']
    return Part(heads + (extra or []), b"".join(chunks))


def whole(headers: list[str], body: Part) -> bytes:
    return ("\r\n".join(headers + body.headers) + "\r\n\r\n").encode("ascii") + body.body


def flowed(text: str, width: int = 72, quotes: bool = False) -> str:
    """format=flowed (RFC 3676): long lines broken at spaces with a trailing space, lines that
    start with a space or "From " stuffed; with `quotes`, quoted lines are broken too, each
    piece under the same quote marks."""
    out: list[str] = []
    for written in text.split("\n"):
        if written.startswith(">") and quotes:
            mark = re.match(r">+ ?", written)
            assert mark is not None
            prefix, rest = mark.group(0), written[mark.end() :]
            while len(prefix) + len(rest) > width:
                cut = rest.rfind(" ", 0, width - len(prefix))
                if cut <= 0:
                    break
                out.append(prefix + rest[: cut + 1])
                rest = rest[cut + 1 :]
            out.append(prefix + rest)
            continue
        if written.startswith(">"):
            out.append(written)
            continue
        rest = " " + written if written.startswith((" ", "From ")) else written
        while len(rest) > width:
            cut = rest.rfind(" ", 0, width)
            if cut <= 0:
                break
            out.append(rest[: cut + 1])
            rest = rest[cut + 1 :]
        out.append(rest)
    return "\n".join(out)


# ------------------------------------------------------------------------------------------
# The source
# ------------------------------------------------------------------------------------------


@dataclass
class Original:
    sender: Person
    to: list[Person]
    cc: list[Person]
    when: datetime
    subject: str
    body: list[str]
    html: bool = False  # written in HTML (for an attached original: multipart/alternative)
    via: str = ""  # a chain: the client this original's sender forwarded `fwd` with
    via_lang: str = "en"
    fwd: Original | None = None
    via_opts: set[str] = field(default_factory=set)  # options of the forward `via` made
    via_raw: list[str] | None = None  # that forward written by hand (see raw_block)
    client: str = "gmail"  # for an attached original: who sent it (Message-ID, encoding)
    mid: str = ""


@dataclass
class Message:
    n: int
    kind: str
    client: str
    lang: str
    teacher: Person
    note: list[str]
    about: str
    options: set[str] = field(default_factory=set)
    original: Original | None = None
    subject: str | None = None  # the outer subject, when not prefix + original's
    prefix: str | None = None
    text: list[str] = field(default_factory=list)  # not a forward: the whole body
    to: list[Person] = field(default_factory=list)
    cc: list[Person] = field(default_factory=list)
    when: datetime | None = None
    client_name: str | None = None
    attribution: str = ""  # attribution kind: which line format
    text_language: str | None = None
    raw: list[str] | None = None  # the forward block as written (see raw_block)
    raw_html: str | None = None
    prec: str | None = None  # a raw block's date precision when it has no <<date>>
    after: list[str] = field(default_factory=list)  # the forwarder's text under the block

    @property
    def name(self) -> str:
        return f"{self.n:03d}.eml"


def lines(text: str) -> list[str]:
    """A multi-line TOML string as lines: a leading newline dropped, trailing spaces kept."""
    if text.startswith("\n"):
        text = text[1:]
    return text.rstrip("\n").split("\n")


def person(value: Any) -> Person:
    if isinstance(value, str):
        return Person(None, value)
    name, addr = value
    return Person(name or None, addr)


def people(value: Any) -> list[Person]:
    return [person(v) for v in value or []]


def when(value: str, tz: str | None) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=ZoneInfo(tz or "America/New_York"))


def read_original(doc: dict[str, Any], teacher: Person) -> Original:
    o = Original(
        sender=person(doc["from"]),
        to=people(doc["to"]) if "to" in doc else [teacher],
        cc=people(doc.get("cc")),
        when=when(doc["date"], doc.get("tz")),
        subject=doc["subject"],
        body=lines(doc["body"]),
        html=bool(doc.get("html", False)),
        via=doc.get("via", ""),
        via_lang=doc.get("via_lang", "en"),
        client=doc.get("client", "gmail"),
        mid=doc.get("mid", ""),
        via_opts=set(doc.get("via_opts", [])),
        via_raw=lines(doc["via_raw"]) if "via_raw" in doc else None,
    )
    if "f" in doc:
        o.fwd = read_original(doc["f"], o.sender)
    return o


def read_source() -> list[Message]:
    doc = tomllib.loads(SOURCE.read_text(encoding="utf-8"))
    teachers = {k: Person(v[0], v[1]) for k, v in doc["teachers"].items()}
    out: list[Message] = []
    for i, m in enumerate(doc["m"], 1):
        t = m["teacher"]
        teacher = teachers[t] if isinstance(t, str) else person(t)
        msg = Message(
            n=i,
            kind=m["kind"],
            client=m["client"],
            lang=m["lang"],
            teacher=teacher,
            note=lines(m["note"]) if m.get("note") else [],
            about=m["about"],
            options=set(m.get("options", [])),
            subject=m.get("subject"),
            prefix=m.get("prefix"),
            text=lines(m["text"]) if "text" in m else [],
            to=people(m["to"]) if "to" in m else [Person(None, ARCHIVE)],
            cc=people(m.get("cc")),
            when=when(m["date"], m.get("tz")) if "date" in m else None,
            client_name=m.get("client_name"),
            attribution=m.get("attribution", ""),
            text_language=m.get("text_language"),
            raw=lines(m["raw"]) if "raw" in m else None,
            raw_html=m.get("raw_html"),
            prec=m.get("prec") or None,
            after=lines(m["after"]) if m.get("after") else [],
        )
        if "o" in m:
            msg.original = read_original(m["o"], teacher)
        if msg.kind not in KINDS:
            raise ValueError(f"message {i}: unknown kind {msg.kind!r}")
        if (msg.kind == "not_forward") != (msg.original is None):
            raise ValueError(f"message {i}: a forward needs an original, a non-forward none")
        out.append(msg)
    return out


# ------------------------------------------------------------------------------------------
# Forward blocks, client by client
# ------------------------------------------------------------------------------------------


@dataclass
class Block:
    """A forward block as a client writes it: text lines, HTML, and how precise its date is
    ("s", "m", or None when it shows no time of day or no date)."""

    text: list[str]
    html: str
    prec: str | None


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def divs(body: list[str]) -> str:
    return "".join(f"<div>{esc(x)}</div>" if x.strip() else "<div><br></div>" for x in body)


def mso(body: list[str]) -> str:
    return "".join(
        f'<p class="MsoNormal">{esc(x)}<o:p></o:p></p>'
        if x.strip()
        else '<p class="MsoNormal"><o:p>&nbsp;</o:p></p>'
        for x in body
    )


def quote(text: list[str], mark: str = "> ") -> list[str]:
    return [(mark + x) if x else mark.rstrip() for x in text]


def body_text(o: Original) -> list[str]:
    """The original's body as its text part reads: its own lines, then (a chain) the forward
    its sender made."""
    if o.fwd is None:
        return list(o.body)
    return [*o.body, "", *inner_block(o).text]


def body_html(o: Original) -> str:
    if o.fwd is None:
        return divs(o.body)
    return divs(o.body) + "<div><br></div>" + inner_block(o).html


def inner_block(o: Original) -> Block:
    """The forward an original's sender made (a chain): a client's block, or one written by
    hand (`via_raw`), quoted whole when its options say `quote_all`."""
    assert o.fwd is not None
    if o.via_raw is not None:
        blk = raw_lines(o.via_raw, None, o.via_lang, o.fwd, None)
    else:
        blk = block(o.via, o.via_lang, o.fwd, set(o.via_opts))
    if "quote_all" in o.via_opts:
        blk = Block(quote(blk.text), f'<blockquote type="cite">{blk.html}</blockquote>', blk.prec)
    return blk


def angle(p: Person, bare: str = "{addr}") -> str:
    """`Name <addr>`, or the bare form when the sender has no display name."""
    return f"{p.name} <{p.addr}>" if p.name else bare.format(addr=p.addr)


def rfc(p: Person) -> str:
    """As the address header reads once decoded: a name with specials is quoted."""
    return f"{quoted(p.name)} <{p.addr}>" if p.name else p.addr


def angle_html(p: Person) -> str:
    link = f'<a href="mailto:{p.addr}">{p.addr}</a>'
    return f"{esc(p.name)} &lt;{link}&gt;" if p.name else link


def local(dt: datetime) -> datetime:
    return dt.astimezone(DISTRICT)


COLON = {"fr": " : ", "zh-Hans": "： ", "zh-Hant": "： "}


def colon(lang: str) -> str:
    return COLON.get(lang, ": ")


# --- Gmail (web and app) -----------------------------------------------------------------

GMAIL = {  # banner, From, Date, Subject, To, Cc; web date; app date
    "en": ("Forwarded message", "From", "Date", "Subject", "To", "Cc"),
    "es": ("Mensaje reenviado", "De", "Fecha", "Asunto", "Para", "CC"),
    "pt-BR": ("Mensagem encaminhada", "De", "Data", "Assunto", "Para", "Cc"),
    "pt-PT": ("Mensagem encaminhada", "De", "Data", "Assunto", "Para", "Cc"),
    "fr": ("Message transféré", "De", "Date", "Objet", "À", "Cc"),
    "de": ("Weitergeleitete Nachricht", "Von", "Datum", "Betreff", "An", "Cc"),
    "it": ("Messaggio inoltrato", "Da", "Data", "Oggetto", "A", "Cc"),
    "nl": ("Doorgestuurd bericht", "Van", "Datum", "Onderwerp", "Aan", "Cc"),
    "pl": ("Przekazana wiadomość", "Od", "Data", "Temat", "Do", "DW"),
    "ru": ("Пересылаемое сообщение", "От", "Дата", "Тема", "Кому", "Копия"),
    "uk": ("Пересланий лист", "Від", "Дата", "Тема", "Кому", "Копія"),
    "tr": ("Yönlendirilen ileti", "Gönderen", "Tarih", "Konu", "Alıcı", "Cc"),
    "el": ("Προωθημένο μήνυμα", "Από", "Ημερομηνία", "Θέμα", "Προς", "Κοιν."),
    "vi": ("Thư được chuyển tiếp", "Từ", "Ngày", "Chủ đề", "Tới", "Cc"),
    "zh-Hans": ("转发的邮件", "发件人", "日期", "主题", "收件人", "抄送"),
    "zh-Hant": ("轉寄的郵件", "寄件者", "日期", "主旨", "收件者", "副本"),
    "ja": ("転送されたメッセージ", "From", "Date", "Subject", "To", "Cc"),
    "ko": ("전달된 메일", "보낸사람", "날짜", "제목", "받는사람", "참조"),
    "ar": ("رسالة معاد توجيهها", "من", "التاريخ", "الموضوع", "إلى", "نسخة إلى"),
    "hi": ("फ़ॉरवर्ड किया गया संदेश", "प्रेषक", "दिनांक", "विषय", "प्रति", "प्रतिलिपि"),
    "ne": ("फर्वार्ड गरिएको सन्देश", "बाट", "मिति", "विषय", "लाई", "Cc"),
    "km": ("សារដែលបានបញ្ជូនបន្ត", "ពី", "កាលបរិច្ឆេទ", "ប្រធានបទ", "ទៅ", "Cc"),
    "so": ("Fariin la gudbiyay", "Ka", "Taariikh", "Mawduuc", "Ku", "Cc"),
}
GMAIL_DATE = {
    "en": "{EEE}, {MMM} {d}, {yyyy} at {h}:{mm} {a}",
    "es": "{EEE}, {d} {MMM} {yyyy} a las {H}:{mm}",
    "pt-BR": "{EEE}., {d} de {MMM}. de {yyyy} às {HH}:{mm}",
    "pt-PT": "{EEE}, {d}/{MM}/{yyyy} às {HH}:{mm}",
    "fr": "{EEE} {d} {MMM} {yyyy} à {HH}:{mm}",
    "de": "{EEE}, {d}. {MMM} {yyyy} um {HH}:{mm} Uhr",
    "it": "{EEE} {d} {MMM} {yyyy} alle ore {HH}:{mm}",
    "nl": "{EEE} {d} {MMM} {yyyy} om {HH}:{mm}",
    "pl": "{EEE}, {d} {MMM} {yyyy} o {HH}:{mm}",
    "ru": "{EEE}, {d} {MMM} {yyyy} г. в {HH}:{mm}",
    "uk": "{EEE}, {d} {MMM} {yyyy} о {HH}:{mm}",
    "tr": "{d} {MMM} {yyyy} {EEE}, {HH}:{mm}",
    "el": "{EEE} {d} {MMM} {yyyy} στις {h}:{mm} {a}",
    "vi": "{EEE}, {d} thg {M}, {yyyy} vào lúc {HH}:{mm}",
    "zh-Hans": "{yyyy}年{M}月{d}日{EEE} {a}{h}:{mm}",
    "zh-Hant": "{yyyy}年{M}月{d}日 {EEE} {a}{h}:{mm}",
    "ja": "{yyyy}年{M}月{d}日({EEE}) {H}:{mm}",
    "ko": "{yyyy}년 {M}월 {d}일 ({EEE}) {a} {h}:{mm}",
    "ar": "{EEEE}، {d} {MMMM} {yyyy} في {h}:{mm} {a}",
    "hi": "{EEE}, {d} {MMM} {yyyy} को {h}:{mm} {a}",
    "ne": "{EEE}, {MMMM} {d}, {yyyy} {h}:{mm} {a}",
    "km": "{EEE} {d} {MMMM} {yyyy} នៅម៉ោង {HH}:{mm}",
    "so": "{EEE}, {MMM} {d}, {yyyy} at {h}:{mm} {a}",
}
GMAIL_APP_DATE = {"en": "{EEE}, {MMM} {d}, {yyyy}, {h}:{mm} {a}"}


def gmail_block(o: Original, lang: str, opts: set[str], app: bool = False) -> Block:
    full = GMAIL[lang]
    # Gmail translates the banner and From in many languages but leaves Date, Subject and To
    # in English; "full" is the wholly translated form.
    banner, lfrom, ldate, lsubj, lto, lcc = (
        full if "full" in opts else ("Forwarded message", full[1], "Date", "Subject", "To", "Cc")
    )
    pattern = (GMAIL_APP_DATE.get(lang) if app else None) or GMAIL_DATE[lang]
    shown = fmt(pattern, local(o.when), lang)
    c = colon(lang)

    def who(p: Person) -> str:
        return angle(p, "<{addr}>")

    heads = [
        (lfrom, who(o.sender), angle_html_gmail(o.sender, sender=True)),
        (ldate, shown, esc(shown)),
        (lsubj, o.subject, esc(o.subject)),
        (lto, ", ".join(who(p) for p in o.to), ", ".join(angle_html_gmail(p) for p in o.to)),
    ]
    if o.cc:
        heads.append(
            (lcc, ", ".join(who(p) for p in o.cc), ", ".join(angle_html_gmail(p) for p in o.cc))
        )

    def sep(label: str) -> str:
        return c if label == lfrom or "full" in opts else ": "

    text = [f"---------- {banner} ---------"]
    text += [f"{k}{sep(k)}{v}" for k, v, _ in heads]
    text += ["", "", *body_text(o)]
    attr = "<br>".join(f"{esc(k)}{esc(sep(k))}{h}" for k, _, h in heads)
    markup = (
        '<div class="gmail_quote"><div dir="ltr" class="gmail_attr">'
        f"---------- {esc(banner)} ---------<br>{attr}<br></div><br><br>"
        f'<div dir="ltr">{body_html(o)}</div></div>'
    )
    return Block(text, markup, precision(pattern))


def angle_html_gmail(p: Person, sender: bool = False) -> str:
    link = f'<span dir="auto">&lt;<a href="mailto:{p.addr}">{p.addr}</a>&gt;</span>'
    if not p.name:
        return link
    if sender:
        return f'<strong class="gmail_sendername" dir="auto">{esc(p.name)}</strong> {link}'
    return f"{esc(p.name)} {link}"


# --- Outlook desktop (2013, 2016, 2019, 365), plain-text mode, Outlook for Mac -------------

OUTLOOK = {  # From, Sent, To, Cc, Subject; date; Original Message banner
    "en": ("From", "Sent", "To", "Cc", "Subject", "{EEEE}, {MMMM} {d}, {yyyy} {h}:{mm} {a}",
           "-----Original Message-----"),
    "es": ("De", "Enviado el", "Para", "CC", "Asunto", "{EEEE}, {d} de {MMMM} de {yyyy} {H}:{mm}",
           "-----Mensaje original-----"),
    "pt-BR": ("De", "Enviada em", "Para", "Cc", "Assunto",
              "{EEEE}, {d} de {MMMM} de {yyyy} {HH}:{mm}", "-----Mensagem original-----"),
    "pt-PT": ("De", "Enviado", "Para", "Cc", "Assunto",
              "{EEEE}, {d} de {MMMM} de {yyyy} {HH}:{mm}", "-----Mensagem original-----"),
    "fr": ("De", "Envoyé", "À", "Cc", "Objet", "{EEEE} {d} {MMMM} {yyyy} {HH}:{mm}",
           "-----Message d'origine-----"),
    "de": ("Von", "Gesendet", "An", "Cc", "Betreff", "{EEEE}, {d}. {MMMM} {yyyy} {HH}:{mm}",
           "-----Ursprüngliche Nachricht-----"),
    "it": ("Da", "Inviato", "A", "Cc", "Oggetto", "{EEEE} {d} {MMMM} {yyyy} {HH}:{mm}",
           "-----Messaggio originale-----"),
    "nl": ("Van", "Verzonden", "Aan", "CC", "Onderwerp", "{EEEE} {d} {MMMM} {yyyy} {HH}:{mm}",
           "-----Oorspronkelijk bericht-----"),
    "nb": ("Fra", "Sendt", "Til", "Kopi", "Emne", "{EEEE} {d}. {MMMM} {yyyy} {HH}:{mm}",
           "-----Opprinnelig melding-----"),
    "pl": ("Od", "Wysłano", "Do", "DW", "Temat", "{EEEE}, {d} {MMMM} {yyyy} {HH}:{mm}",
           "-----Oryginalna wiadomość-----"),
    "ru": ("От", "Отправлено", "Кому", "Копия", "Тема", "{EEEE}, {d} {MMMM} {yyyy} г. {H}:{mm}",
           "-----Исходное сообщение-----"),
    "uk": ("Від", "Надіслано", "Кому", "Копія", "Тема", "{EEEE}, {d} {MMMM} {yyyy} р. {H}:{mm}",
           "-----Оригінальне повідомлення-----"),
    "tr": ("Kimden", "Gönderildi", "Kime", "Bilgi", "Konu", "{d} {MMMM} {yyyy} {EEEE} {HH}:{mm}",
           "-----Özgün İleti-----"),
    "el": ("Από", "Στάλθηκε", "Προς", "Κοιν.", "Θέμα", "{EEEE}, {d} {MMMM} {yyyy} {h}:{mm} {a}",
           "-----Αρχικό μήνυμα-----"),
    "zh-Hans": ("发件人", "发送时间", "收件人", "抄送", "主题", "{yyyy}年{M}月{d}日 {H}:{mm}",
                "-----原始邮件-----"),
    "zh-Hant": ("寄件者", "寄件日期", "收件者", "副本", "主旨", "{yyyy}年{M}月{d}日 {a} {hh}:{mm}",
                "-----原始郵件-----"),
    "ja": ("差出人", "送信日時", "宛先", "CC", "件名", "{yyyy}年{M}月{d}日 {H}:{mm}",
           "-----Original Message-----"),
    "ko": ("보낸 사람", "보낸 날짜", "받는 사람", "참조", "제목",
           "{yyyy}년 {M}월 {d}일 {EEEE} {a} {h}:{mm}", "-----Original Message-----"),
    "vi": ("Từ", "Đã gửi", "Đến", "Cc", "Chủ đề",
           "{EEEE}, ngày {d} tháng {M} năm {yyyy} {h}:{mm} {a}", "-----Original Message-----"),
    "ar": ("من", "تاريخ الإرسال", "إلى", "نسخة", "الموضوع",
           "{EEEE}، {d} {MMMM}، {yyyy} {hh}:{mm} {a}", "-----Original Message-----"),
    "hi": ("प्रेषक", "भेजा गया", "प्रति", "प्रतिलिपि", "विषय", "{EEEE}, {d} {MMMM} {yyyy} {h}:{mm} {a}",
           "-----Original Message-----"),
    # Set 3's languages.
    "fi": ("Lähettäjä", "Lähetetty", "Vastaanottaja", "Kopio", "Aihe",
           "{EEEE} {d}. {MMMM} {yyyy} {H}.{mm}", "-----Alkuperäinen viesti-----"),
    "cs": ("Od", "Odesláno", "Komu", "Kopie", "Předmět", "{EEEE} {d}. {MMMM} {yyyy} {H}:{mm}",
           "-----Původní zpráva-----"),
    "sk": ("Od", "Odoslané", "Komu", "Kópia", "Predmet", "{EEEE} {d}. {MMMM} {yyyy} {H}:{mm}",
           "-----Pôvodná správa-----"),
    "sv": ("Från", "Skickat", "Till", "Kopia", "Ämne", "den {d} {MMMM} {yyyy} {HH}:{mm}",
           "-----Ursprungligt meddelande-----"),
    "da": ("Fra", "Sendt", "Til", "Cc", "Emne", "{d}. {MMMM} {yyyy} {HH}:{mm}",
           "-----Oprindelig meddelelse-----"),
    "hu": ("Feladó", "Küldve", "Címzett", "Másolatot kap", "Tárgy",
           "{yyyy}. {MMMM} {d}., {EEEE} {H}:{mm}", "-----Eredeti üzenet-----"),
    "ro": ("De la", "Trimis", "Către", "Cc", "Subiect", "{EEEE}, {d} {MMMM} {yyyy} {HH}:{mm}",
           "-----Mesaj original-----"),
    "hr": ("Šalje", "Poslano", "Prima", "Kopija", "Predmet",
           "{EEEE}, {d}. {MMMM} {yyyy}. {HH}:{mm}", "-----Izvorna poruka-----"),
    "he": ("מאת", "נשלח", "אל", "עותק", "נושא", "{EEEE} {d} {MMMM} {yyyy} {HH}:{mm}",
           "-----Original Message-----"),
    "id": ("Dari", "Dikirim", "Kepada", "Cc", "Subjek", "{EEEE}, {d} {MMMM} {yyyy} {HH}.{mm}",
           "-----Original Message-----"),
    "ca": ("De", "Enviat el", "Per a", "A/c", "Assumpte",
           "{EEEE}, {d} de {MMMM} de {yyyy} {H}:{mm}", "-----Missatge original-----"),
}  # fmt: skip
OUTLOOK_2013_DATE = {"en": "{EEEE}, {MMMM} {dd}, {yyyy} {h}:{mm} {a}"}


def outlook_block(o: Original, lang: str, opts: set[str], variant: str) -> Block:
    """`variant`: 2013 (`[mailto:]`), 2016 (2016, 2019, 365), or plain (plain-text mode, the
    Original Message banner)."""
    lfrom, lsent, lto, lcc, lsubj, pattern, banner = OUTLOOK[lang]
    if variant == "2013":
        pattern = OUTLOOK_2013_DATE.get(lang, pattern)
    shown = fmt(pattern, local(o.when), lang)
    c = colon(lang)
    if variant == "2013":
        sender = f"{o.sender.name or o.sender.addr} [mailto:{o.sender.addr}] "
    else:
        sender = angle(o.sender) + " "
    heads = [(lfrom, sender), (lsent, shown), (lto, "; ".join(angle(p) for p in o.to))]
    if o.cc:
        heads.append((lcc, "; ".join(angle(p) for p in o.cc)))
    heads.append((lsubj, o.subject))
    text = [banner] if variant == "plain" else []
    text += [f"{k}{c}{v}" for k, v in heads]
    text += ["", *body_text(o)]
    rows = "<br>".join(f"<b>{esc(k)}{esc(c.rstrip())}</b> {esc(v)}" for k, v in heads)
    markup = (
        '<div><div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0in 0in 0in">'
        f'<p class="MsoNormal">{rows}<o:p></o:p></p></div></div>'
        '<p class="MsoNormal"><o:p>&nbsp;</o:p></p>'
    )
    body = mso(o.body) if o.fwd is None else mso(o.body) + body_html(replace_body(o))
    return Block(text, markup + body, precision(pattern))


def replace_body(o: Original) -> Original:
    """The original without its own lines (for markup that writes them its own way)."""
    return dataclasses.replace(o, body=[])


OUTLOOK_MAC = {  # From, Date, To, Cc, Subject; date
    "en": ("From", "Date", "To", "Cc", "Subject", "{EEEE}, {MMMM} {d}, {yyyy} at {h}:{mm} {a}"),
    "es": ("De", "Fecha", "Para", "CC", "Asunto", "{EEEE}, {d} de {MMMM} de {yyyy}, {H}:{mm}"),
    "pt-BR": ("De", "Data", "Para", "Cc", "Assunto",
              "{EEEE}, {d} de {MMMM} de {yyyy} {HH}:{mm}"),
}  # fmt: skip


def outlook_mac_block(o: Original, lang: str, opts: set[str]) -> Block:
    lfrom, ldate, lto, lcc, lsubj, pattern = OUTLOOK_MAC[lang]
    shown = fmt(pattern, local(o.when), lang)
    heads = [(lfrom, angle(o.sender)), (ldate, shown), (lto, ", ".join(angle(p) for p in o.to))]
    if o.cc:
        heads.append((lcc, ", ".join(angle(p) for p in o.cc)))
    heads.append((lsubj, o.subject))
    text = [f"{k}: {v}" for k, v in heads] + ["", *body_text(o)]
    rows = "<br>".join(
        f'<b><span style="font-size:12.0pt;color:black">{esc(k)}: </span></b>'
        f'<span style="font-size:12.0pt;color:black">{esc(v)}</span>'
        for k, v in heads
    )
    markup = (
        '<div style="border:none;border-top:solid #B5C4DF 1.0pt;padding:3.0pt 0in 0in 0in">'
        f'<p class="MsoNormal">{rows}<o:p></o:p></p></div>'
        '<div><p class="MsoNormal"><o:p>&nbsp;</o:p></p></div>' + body_html(o)
    )
    return Block(text, markup, precision(pattern))


# --- Outlook on the web, the new Outlook, Outlook for iOS and Android ----------------------

OWA = {  # From, Sent, To, Cc, Subject; date
    "en": ("From", "Sent", "To", "Cc", "Subject", "{EEEE}, {MMMM} {d}, {yyyy} {h}:{mm} {a}"),
    "es": ("De", "Enviado", "Para", "CC", "Asunto", "{EEEE}, {d} de {MMMM} de {yyyy} {H}:{mm}"),
    "pt-BR": ("De", "Enviado", "Para", "Cc", "Assunto",
              "{EEEE}, {d} de {MMMM} de {yyyy} {HH}:{mm}"),
    "pt-PT": ("De", "Enviado", "Para", "Cc", "Assunto",
              "{EEEE}, {d} de {MMMM} de {yyyy} {HH}:{mm}"),
    "fr": ("De", "Envoyé", "À", "Cc", "Objet", "{EEEE} {d} {MMMM} {yyyy} {HH}:{mm}"),
    "de": ("Von", "Gesendet", "An", "Cc", "Betreff", "{EEEE}, {d}. {MMMM} {yyyy} {HH}:{mm}"),
    "vi": ("Từ", "Đã gửi", "Đến", "Cc", "Chủ đề",
           "{EEEE}, ngày {d} tháng {M} năm {yyyy} {h}:{mm} {a}"),
    "zh-Hans": ("发件人", "发送时间", "收件人", "抄送", "主题", "{yyyy}年{M}月{d}日 {H}:{mm}"),
    "ru": ("От", "Отправлено", "Кому", "Копия", "Тема", "{d} {MMMM} {yyyy} г. {H}:{mm}"),
    "ar": ("من", "تم الإرسال", "إلى", "نسخة", "الموضوع", "{EEEE}، {d} {MMMM}، {yyyy} {h}:{mm} {a}"),
    "so": ("Ka", "La diray", "Ku", "Cc", "Mawduuc", "{EEEE}, {MMMM} {d}, {yyyy} {h}:{mm} {a}"),
}  # fmt: skip
OWA_MOBILE_DATE = {"en": "{EEEE}, {MMMM} {d}, {yyyy} {h}:{mm}:{ss} {a}"}


def owa_block(o: Original, lang: str, opts: set[str], variant: str) -> Block:
    """`variant`: web (Outlook on the web), new (the new Outlook), mobile (iOS, Android)."""
    lfrom, lsent, lto, lcc, lsubj, pattern = OWA[lang]
    if variant == "mobile":
        pattern = OWA_MOBILE_DATE.get(lang, pattern)
    shown = fmt(pattern, local(o.when), lang)
    c = colon(lang)
    heads = [(lfrom, angle(o.sender)), (lsent, shown), (lto, "; ".join(angle(p) for p in o.to))]
    if o.cc:
        heads.append((lcc, "; ".join(angle(p) for p in o.cc)))
    heads.append((lsubj, o.subject))
    text = ["_" * 32] + [f"{k}{c}{v}" for k, v in heads] + ["", *body_text(o)]
    if variant == "new":
        rows = "<br>".join(f"<b>{esc(k)}{esc(c.rstrip())}</b>&nbsp;{esc(v)}" for k, v in heads)
        attr = (
            '<span style="font-family: Calibri, sans-serif; font-size: 11pt; '
            f'color: rgb(0, 0, 0);">{rows}</span>'
        )
    else:
        rows = "<br>".join(f"<b>{esc(k)}{esc(c.rstrip())}</b> {esc(v)}" for k, v in heads)
        attr = (
            f'<font face="Calibri, sans-serif" style="font-size:11pt" color="#000000">{rows}</font>'
        )
    markup = (
        '<div id="appendonsend"></div>'
        '<hr style="display:inline-block;width:98%" tabindex="-1">'
        f'<div id="divRplyFwdMsg" dir="ltr">{attr}<div>&nbsp;</div></div>' + body_html(o)
    )
    return Block(text, markup, precision(pattern))


# --- Apple Mail (macOS, iOS) ---------------------------------------------------------------

APPLE = {  # banner, From, Subject, Date, To, Cc; date
    "en": ("Begin forwarded message:", "From", "Subject", "Date", "To", "Cc",
           "{MMMM} {d}, {yyyy} at {h}:{mm}:{ss}\u202f{a} {z}"),
    "es": ("Inicio del mensaje reenviado:", "De", "Asunto", "Fecha", "Para", "Cc",
           "{d} de {MMMM} de {yyyy}, {H}:{mm}:{ss} {GMT}"),
    "pt-BR": ("Início da mensagem encaminhada:", "De", "Assunto", "Data", "Para", "Cc",
              "{d} de {MMMM} de {yyyy} {HH}:{mm}:{ss} {GMT}"),
    "pt-PT": ("Início da mensagem reencaminhada:", "De", "Assunto", "Data", "Para", "Cc",
              "{d} de {MMMM} de {yyyy} às {HH}:{mm}:{ss} {GMT}"),
    "fr": ("Début du message réexpédié :", "De", "Objet", "Date", "À", "Cc",
           "{d} {MMMM} {yyyy} à {HH}:{mm}:{ss} {UTCm}"),
    "de": ("Anfang der weitergeleiteten Nachricht:", "Von", "Betreff", "Datum", "An", "Kopie",
           "{d}. {MMMM} {yyyy} um {HH}:{mm}:{ss} {GMT}"),
    "it": ("Inizio messaggio inoltrato:", "Da", "Oggetto", "Data", "A", "Cc",
           "{d} {MMMM} {yyyy} {HH}:{mm}:{ss} {GMT}"),
    "zh-Hans": ("以下为转发的邮件：", "发件人", "主题", "日期", "收件人", "抄送",
                "{yyyy}年{M}月{d}日 {GMT} {H}:{mm}:{ss}"),
    "zh-Hant": ("以下為轉寄的郵件：", "寄件者", "主旨", "日期", "收件者", "副本",
                "{yyyy}年{M}月{d}日 {a}{h}:{mm}:{ss} [{GMT}]"),
    "ja": ("転送されたメッセージ:", "差出人", "件名", "日付", "宛先", "Cc",
           "{yyyy}年{M}月{d}日 {H}:{mm}:{ss} {GMT}"),
    "ko": ("전달된 메일:", "보낸 사람", "제목", "날짜", "받는 사람", "참조",
           "{yyyy}년 {M}월 {d}일 {a} {h}:{mm}:{ss} {GMT}"),
    "vi": ("Bắt đầu thư được chuyển tiếp:", "Từ", "Chủ đề", "Ngày", "Đến", "Cc",
           "{d} tháng {M}, {yyyy} lúc {HH}:{mm}:{ss} {GMT}"),
    "ru": ("Начало переадресованного сообщения:", "От", "Тема", "Дата", "Кому", "Копия",
           "{d} {MMMM} {yyyy} г., в {H}:{mm}:{ss} {GMT}"),
    "uk": ("Початок пересланого листа:", "Від", "Тема", "Дата", "Кому", "Копія",
           "{d} {MMMM} {yyyy} р. о {HH}:{mm}:{ss} {GMT}"),
    "ar": ("بداية الرسالة المعاد توجيهها:", "من", "الموضوع", "التاريخ", "إلى", "نسخة",
           "{d} {MMMM} {yyyy} في {h}:{mm}:{ss} {a} {GMT}"),
    "pl": ("Początek przekazywanej wiadomości:", "Od", "Temat", "Data", "Do", "DW",
           "{d} {MMMM} {yyyy} o {HH}:{mm}:{ss} {GMT}"),
    "el": ("Αρχή προωθημένου μηνύματος:", "Από", "Θέμα", "Ημερομηνία", "Προς", "Κοιν.",
           "{d} {MMMM} {yyyy} - {h}:{mm}:{ss} {a} {GMT}"),
    "tr": ("İletilen iletinin başlangıcı:", "Kimden", "Konu", "Tarih", "Kime", "Bilgi",
           "{d} {MMMM} {yyyy} {HH}:{mm}:{ss} {GMT}"),
}  # fmt: skip
APPLE_OLD_EN = "{MMMM} {d}, {yyyy} at {h}:{mm}:{ss} {a} {z}"  # before the narrow space


def apple_block(o: Original, lang: str, opts: set[str], ios: bool) -> Block:
    """macOS lists From, Subject, Date, To; iOS From, Date, To, Subject, and quotes what
    follows its banner with "> " in the text part."""
    banner, lfrom, lsubj, ldate, lto, lcc, pattern = APPLE[lang]
    if lang == "en" and "old" in opts:
        pattern = APPLE_OLD_EN
    shown = fmt(pattern, local(o.when), lang)
    to = ", ".join(angle(p) for p in o.to)
    cc = [(lcc, ", ".join(angle(p) for p in o.cc))] if o.cc else []
    if ios:
        heads = [(lfrom, angle(o.sender)), (ldate, shown), (lto, to), *cc, (lsubj, o.subject)]
    else:
        heads = [(lfrom, angle(o.sender)), (lsubj, o.subject), (ldate, shown), (lto, to), *cc]
    inner = [f"{k}: {v}" for k, v in heads] + ["", *body_text(o)]
    text = [banner, "", *(quote(inner) if ios or "quote" in opts else inner)]
    font = "font-family: -webkit-system-font, Helvetica Neue, Helvetica, sans-serif;"
    rows = "".join(
        '<div style="margin-top: 0px; margin-right: 0px; margin-bottom: 0px; margin-left: 0px;">'
        f'<span style="{font} color:rgba(0, 0, 0, 1.0);"><b>{esc(k)}: </b></span>'
        f'<span style="{font}">{esc(v)}<br></span></div>'
        for k, v in heads
    )
    markup = (
        f'<div><br><blockquote type="cite"><div>{esc(banner)}</div>'
        f'<br class="Apple-interchange-newline">{rows}<br>'
        f"<div>{body_html(o)}</div></blockquote></div>"
    )
    return Block(text, markup, precision(pattern))


# --- Thunderbird ---------------------------------------------------------------------------

THUNDERBIRD = {  # banner, Subject, Date, From, To, CC
    "en": ("Forwarded Message", "Subject", "Date", "From", "To", "CC"),
    "es": ("Mensaje reenviado", "Asunto", "Fecha", "De", "Para", "CC"),
    "pt-BR": ("Mensagem encaminhada", "Assunto", "Data", "De", "Para", "CC"),
    "fr": ("Message transféré", "Sujet", "Date", "De", "Pour", "Copie à"),
    "de": ("Weitergeleitete Nachricht", "Betreff", "Datum", "Von", "An", "Kopie (CC)"),
    "it": ("Messaggio Inoltrato", "Oggetto", "Data", "Mittente", "A", "CC"),
    "ru": ("Перенаправленное сообщение", "Тема", "Дата", "От", "Кому", "Копия"),
    "uk": ("Переслане повідомлення", "Тема", "Дата", "Від", "Кому", "Копія"),
    "pl": ("Przekazana wiadomość", "Temat", "Data", "Od", "Do", "DW"),
    "zh-Hans": ("转发的消息", "主题", "日期", "发件人", "收件人", "抄送"),
    "ja": ("転送メッセージ", "件名", "日付", "差出人", "宛先", "CC"),
    "el": ("Προωθημένο μήνυμα", "Θέμα", "Ημερομηνία", "Από", "Προς", "Κοιν."),
    "vi": ("Thư đã chuyển tiếp", "Chủ đề", "Ngày", "Từ", "Đến", "CC"),
    "tr": ("İletilen Mesaj", "Konu", "Tarih", "Kimden", "Kime", "CC"),
}
THUNDERBIRD_LOCAL_DATE = {
    "de": "{dd}.{MM}.{yy} um {HH}:{mm}",
    "en": "{M}/{d}/{yy} {h}:{mm} {a}",
    "fr": "{dd}/{MM}/{yyyy} à {HH}:{mm}",
}


def thunderbird_block(o: Original, lang: str, opts: set[str]) -> Block:
    """The Date row is the original's Date header as written (its sender's offset), or with
    `local`, Thunderbird 115's short local date."""
    banner, lsubj, ldate, lfrom, lto, lcc = THUNDERBIRD[lang]
    if "local" in opts:
        pattern = THUNDERBIRD_LOCAL_DATE[lang]
        shown = fmt(pattern, local(o.when), lang)
    else:
        pattern = "{EEE}, {d} {MMM} {yyyy} {HH}:{mm}:{ss} {Z}"
        shown = fmt(pattern, o.when, "en")
    c = colon(lang).rstrip() + " "
    heads = [(lsubj, o.subject), (ldate, shown), (lfrom, rfc(o.sender))]
    heads.append((lto, ", ".join(rfc(p) for p in o.to)))
    if o.cc:
        heads.append((lcc, ", ".join(rfc(p) for p in o.cc)))
    text = [f"-------- {banner} --------"] + [f"{k}{c}\t{v}" for k, v in heads]
    text += ["", "", *body_text(o)]
    rows = "".join(
        '<tr><th valign="BASELINE" nowrap="nowrap" align="RIGHT">'
        f"{esc(k)}{esc(c)}</th><td>{esc(v)}</td></tr>"
        for k, v in heads
    )
    markup = (
        f'<div class="moz-forward-container"><br><br>-------- {esc(banner)} --------'
        '<table class="moz-email-headers-table" cellspacing="0" cellpadding="0" border="0">'
        f"<tbody>{rows}</tbody></table><br><br>{body_html(o)}</div>"
    )
    return Block(text, markup, precision(pattern))


# --- Yahoo Mail ----------------------------------------------------------------------------

YAHOO = {  # banner, From, To, Sent, Subject, Cc; date
    "en": ("Forwarded Message", "From", "To", "Sent", "Subject", "Cc",
           "{EEEE}, {MMMM} {d}, {yyyy}, {hh}:{mm}:{ss} {a} {z}"),
    "es": ("Mensaje reenviado", "De", "Para", "Enviado", "Asunto", "CC",
           "{EEEE}, {d} de {MMMM} de {yyyy}, {HH}:{mm}:{ss} {GMT}"),
    "pt-BR": ("Mensagem encaminhada", "De", "Para", "Enviado", "Assunto", "Cc",
              "{EEEE}, {d} de {MMMM} de {yyyy} {HH}:{mm}:{ss} {z}"),
    "fr": ("Message transféré", "De", "À", "Envoyé", "Objet", "Cc",
           "{EEEE} {d} {MMMM} {yyyy} à {HH}:{mm}:{ss} {UTCm}"),
    "de": ("Weitergeleitete Nachricht", "Von", "An", "Gesendet", "Betreff", "Cc",
           "{EEEE}, {d}. {MMMM} {yyyy}, {HH}:{mm}:{ss} {z}"),
    "it": ("Messaggio inoltrato", "Da", "A", "Inviato", "Oggetto", "Cc",
           "{EEEE} {d} {MMMM} {yyyy}, {HH}:{mm}:{ss} {z}"),
    "vi": ("Thư đã chuyển tiếp", "Từ", "Đến", "Đã gửi", "Chủ đề", "Cc",
           "{EEEE}, {d} tháng {M}, {yyyy} {HH}:{mm}:{ss} {GMT}"),
    "zh-Hant": ("轉寄的郵件", "寄件者", "收件者", "寄件日期", "主旨", "副本",
                "{yyyy}年{M}月{d}日 {EEEE} {a}{hh}:{mm}:{ss} [{GMT}]"),
}  # fmt: skip


def yahoo_block(o: Original, lang: str, opts: set[str]) -> Block:
    banner, lfrom, lto, lsent, lsubj, lcc, pattern = YAHOO[lang]
    shown = fmt(pattern, local(o.when), lang)
    c = colon(lang)
    heads = [(lfrom, angle(o.sender)), (lto, ", ".join(angle(p) for p in o.to))]
    if o.cc:
        heads.append((lcc, ", ".join(angle(p) for p in o.cc)))
    heads += [(lsent, shown), (lsubj, o.subject)]
    if "oneline" in opts:
        # Yahoo's text part as it often comes out: the block run together on one line.
        text = [
            f"   ----- {banner} ----- " + "".join(f"{k}{c}{v}" for k, v in heads),
            "",
            *body_text(o),
        ]
    else:
        text = [f"----- {banner} -----"] + [f"{k}{c}{v}" for k, v in heads]
        text += ["", "", *body_text(o)]
    rows = "".join(f"<div><b>{esc(k)}{esc(c.rstrip())}</b> {esc(v)}</div>" for k, v in heads)
    markup = (
        '<div id="yahoo_quoted_5529101122" class="yahoo_quoted">'
        "<div style=\"font-family:'Helvetica Neue', Helvetica, Arial, sans-serif;"
        'font-size:13px;color:#26282a;">'
        f"<div>----- {esc(banner)} -----</div>{rows}<div><br></div><div><br></div>"
        f"{body_html(o)}</div></div>"
    )
    return Block(text, markup, precision(pattern))


# --- Proton Mail ---------------------------------------------------------------------------

PROTON = {  # banner, From, Date, Subject, To, CC; date
    "en": ("Forwarded Message", "From", "Date", "Subject", "To", "CC",
           "On {EEEE}, {MMMM} {ord}, {yyyy} at {h}:{mm} {a}"),
    "fr": ("Message transféré", "De", "Date", "Objet", "À", "CC",
           "Le {EEEE} {d} {MMMM} {yyyy} à {HH}:{mm}"),
    "de": ("Weitergeleitete Nachricht", "Von", "Datum", "Betreff", "An", "CC",
           "Am {EEEE}, {d}. {MMMM} {yyyy} um {HH}:{mm}"),
    "es": ("Mensaje reenviado", "De", "Fecha", "Asunto", "Para", "CC",
           "El {EEEE}, {d} de {MMMM} de {yyyy} a las {HH}:{mm}"),
    "ru": ("Пересланное сообщение", "От", "Дата", "Тема", "Кому", "Копия",
           "{EEEE}, {d} {MMMM} {yyyy} г. в {HH}:{mm}"),
    "uk": ("Переслане повідомлення", "Від", "Дата", "Тема", "Кому", "Копія",
           "{EEEE}, {d} {MMMM} {yyyy} р. о {HH}:{mm}"),
    "tr": ("İletilen Mesaj", "Kimden", "Tarih", "Konu", "Kime", "Bilgi",
           "{d} {MMMM} {yyyy} {EEEE} {HH}:{mm}"),
}  # fmt: skip


def proton_block(o: Original, lang: str, opts: set[str]) -> Block:
    """Proton puts the forwarded body in a blockquote, which its text part quotes with "> "."""
    banner, lfrom, ldate, lsubj, lto, lcc, pattern = PROTON[lang]
    shown = fmt(pattern, local(o.when), lang)
    c = colon(lang)
    heads = [(lfrom, angle(o.sender)), (ldate, shown), (lsubj, o.subject)]
    heads.append((lto, ", ".join(angle(p) for p in o.to)))
    if o.cc:
        heads.append((lcc, ", ".join(angle(p) for p in o.cc)))
    text = [f"------- {banner} -------"] + [f"{k}{c}{v}" for k, v in heads]
    text += ["", "", *quote(body_text(o))]
    rows = "<br>".join(f"{esc(k)}{esc(c)}{esc(v)}" for k, v in heads)
    markup = (
        f'<div class="protonmail_quote">------- {esc(banner)} -------<br>{rows}<br><br>'
        f'<blockquote class="protonmail_quote" type="cite">{body_html(o)}</blockquote></div>'
    )
    return Block(text, markup, precision(pattern))


# --- IONOS (Open-Xchange), GMX and WEB.DE, Zoho, Fastmail, Roundcube ------------------------

IONOS = {  # banner, From, To, Cc, Date, Subject; date
    "en": ("Original Message", "From", "To", "Cc", "Date", "Subject",
           "{MMMM} {d}, {yyyy} at {h}:{mm} {a}"),
    "de": ("Ursprüngliche Nachricht", "Von", "An", "Cc", "Datum", "Betreff",
           "{dd}.{MM}.{yyyy} {HH}:{mm}"),
    "es": ("Mensaje original", "De", "Para", "Cc", "Fecha", "Asunto",
           "{d} de {MMMM} de {yyyy} a las {H}:{mm}"),
    "fr": ("Message d'origine", "De", "À", "Cc", "Date", "Objet", "{d} {MMMM} {yyyy} à {HH}:{mm}"),
    "it": ("Messaggio originale", "Da", "A", "Cc", "Data", "Oggetto",
           "{d} {MMMM} {yyyy} alle {HH}:{mm}"),
    "pl": ("Oryginalna wiadomość", "Od", "Do", "DW", "Data", "Temat",
           "{d} {MMMM} {yyyy} o {HH}:{mm}"),
}  # fmt: skip


def ionos_block(o: Original, lang: str, opts: set[str]) -> Block:
    banner, lfrom, lto, lcc, ldate, lsubj, pattern = IONOS[lang]
    shown = fmt(pattern, local(o.when), lang)
    c = colon(lang)
    heads = [(lfrom, angle(o.sender)), (lto, ", ".join(angle(p) for p in o.to))]
    if o.cc:
        heads.append((lcc, ", ".join(angle(p) for p in o.cc)))
    heads += [(ldate, shown), (lsubj, o.subject)]
    text = [f"---------- {banner} ----------"] + [f"{k}{c}{v}" for k, v in heads]
    text += ["", *body_text(o)]
    rows = "".join(f"<div>{esc(k)}{esc(c)}{esc(v)}</div>" for k, v in heads)
    markup = (
        '<blockquote type="cite"><div>---------- ' + esc(banner) + " ----------</div>"
        f"{rows}<div>&nbsp;</div>{body_html(o)}</blockquote>"
    )
    return Block(text, markup, precision(pattern))


GMX = {  # Sent, From, To, Cc, Subject; date
    "de": ("Gesendet", "Von", "An", "Cc", "Betreff",
           "{EEEE}, {dd}. {MMMM} {yyyy} um {HH}:{mm} Uhr"),
    "en": ("Sent", "From", "To", "Cc", "Subject", "{EEEE}, {MMMM} {dd}, {yyyy} at {h}:{mm} {a}"),
    "es": ("Enviado", "De", "Para", "Cc", "Asunto",
           "{EEEE}, {dd} de {MMMM} de {yyyy} a las {HH}:{mm}"),
    "fr": ("Envoyé", "De", "À", "Cc", "Objet", "{EEEE} {dd} {MMMM} {yyyy} à {HH}:{mm}"),
}  # fmt: skip


def gmx_block(o: Original, lang: str, opts: set[str]) -> Block:
    """GMX and WEB.DE: no banner; the sent date first, the sender's name in quotes."""
    lsent, lfrom, lto, lcc, lsubj, pattern = GMX[lang]
    shown = fmt(pattern, local(o.when), lang)
    c = colon(lang)

    def who(p: Person) -> str:
        return f'"{p.name}" <{p.addr}>' if p.name else p.addr

    heads = [(lsent, shown), (lfrom, who(o.sender)), (lto, ", ".join(who(p) for p in o.to))]
    if o.cc:
        heads.append((lcc, ", ".join(who(p) for p in o.cc)))
    heads.append((lsubj, o.subject))
    text = [f"{k}{c}{v}" for k, v in heads] + ["", *body_text(o)]
    rows = "<br>".join(f"<b>{esc(k)}{esc(c.rstrip())}</b>&nbsp;{esc(v)}" for k, v in heads)
    markup = (
        f'<div name="quote" style="margin:10px 5px 5px 10px; padding: 10px 0 10px 10px; '
        f'border-left:2px solid #C3D9E5;"><div style="margin:0 0 10px 0;">{rows}</div>'
        f'<div name="quoted-content">{body_html(o)}</div></div>'
    )
    return Block(text, markup, precision(pattern))


ZOHO = {  # banner, From, To, Cc, Date, Subject
    "en": ("Forwarded message", "From", "To", "Cc", "Date", "Subject"),
    "es": ("Mensaje reenviado", "De", "Para", "CC", "Fecha", "Asunto"),
    "fr": ("Message transféré", "De", "À", "Cc", "Date", "Objet"),
    "hi": ("अग्रेषित संदेश", "प्रेषक", "प्रति", "प्रतिलिपि", "दिनांक", "विषय"),
    "ja": ("転送メッセージ", "差出人", "宛先", "CC", "日付", "件名"),
}


def zoho_block(o: Original, lang: str, opts: set[str]) -> Block:
    """Zoho: the banner above and below the header block, a space before each colon, the
    original's Date header as written."""
    banner, lfrom, lto, lcc, ldate, lsubj = ZOHO[lang]
    pattern = "{EEE}, {dd} {MMM} {yyyy} {HH}:{mm}:{ss} {Z}"
    shown = fmt(pattern, o.when, "en")
    heads = [(lfrom, angle(o.sender)), (lto, ", ".join(f"<{p.addr}>" for p in o.to))]
    if o.cc:
        heads.append((lcc, ", ".join(f"<{p.addr}>" for p in o.cc)))
    heads += [(ldate, shown), (lsubj, o.subject)]
    bar = f"============ {banner} ============"
    text = [bar] + [f"{k} : {v}" for k, v in heads] + [bar, "", *body_text(o)]
    rows = "<br>".join(f"{esc(k)} : {esc(v)}" for k, v in heads)
    markup = (
        '<div class="zmail_extra_hr" style="border-top: 1px solid rgb(204, 204, 204); '
        'height: 0px; margin-top: 10px; margin-bottom: 10px; line-height: 0px;"><br></div>'
        f'<div class="zmail_extra" data-zmail_extra=""><div>{esc(bar)}<br>{rows}<br>'
        f"{esc(bar)}</div><div><br></div>{body_html(o)}</div>"
    )
    return Block(text, markup, precision(pattern))


def fastmail_block(o: Original, lang: str, opts: set[str]) -> Block:
    pattern = "{EEE}, {MMM} {d}, {yyyy}, at {h}:{mm} {a}"
    shown = fmt(pattern, local(o.when), "en")
    heads = [
        ("From", angle(o.sender)),
        ("To", ", ".join(f'"{p.name}" <{p.addr}>' if p.name else p.addr for p in o.to)),
    ]
    if o.cc:
        heads.append(("Cc", ", ".join(angle(p) for p in o.cc)))
    heads += [("Subject", o.subject), ("Date", shown)]
    text = ["----- Original message -----"] + [f"{k}: {v}" for k, v in heads]
    text += ["", *body_text(o)]
    rows = "".join(f"<div><b>{esc(k)}:</b> {esc(v)}</div>" for k, v in heads)
    markup = (
        f"<div>----- Original message -----</div>{rows}"
        f'<blockquote type="cite" id="qt">{body_html(o)}</blockquote>'
    )
    return Block(text, markup, precision(pattern))


ROUNDCUBE = {  # banner, Subject, Date, From, To, Cc
    "en": ("Original Message", "Subject", "Date", "From", "To", "Cc"),
    "de": ("Originalnachricht", "Betreff", "Datum", "Von", "An", "Kopie"),
    "fr": ("Message original", "Objet", "Date", "De", "À", "Copie à"),
    "es": ("Mensaje original", "Asunto", "Fecha", "Remitente", "Destinatario", "Cc"),
    "pt-BR": ("Mensagem original", "Assunto", "Data", "Remetente", "Destinatário", "Cc"),
}


def roundcube_block(o: Original, lang: str, opts: set[str]) -> Block:
    banner, lsubj, ldate, lfrom, lto, lcc = ROUNDCUBE[lang]
    pattern = "{yyyy}-{MM}-{dd} {HH}:{mm}"
    shown = fmt(pattern, local(o.when), lang)
    c = colon(lang)
    heads = [(lsubj, o.subject), (ldate, shown), (lfrom, rfc(o.sender))]
    heads.append((lto, ", ".join(rfc(p) for p in o.to)))
    if o.cc:
        heads.append((lcc, ", ".join(rfc(p) for p in o.cc)))
    text = [f"-------- {banner} --------"] + [f"{k}{c}{v}" for k, v in heads]
    text += ["", *body_text(o)]
    rows = "".join(
        f'<tr><th align="right" nowrap="nowrap">{esc(k)}{esc(c)}</th><td>{esc(v)}</td></tr>'
        for k, v in heads
    )
    markup = (
        f'<p>-------- {esc(banner)} --------</p><table border="0" cellspacing="0" '
        f'cellpadding="0"><tbody>{rows}</tbody></table><br>{body_html(o)}'
    )
    return Block(text, markup, precision(pattern))


# --- Mail.ru, Yandex -----------------------------------------------------------------------

MAILRU = {  # banner, From, To, Cc, Date, Subject; date
    "ru": ("Пересылаемое сообщение", "От кого", "Кому", "Копия", "Дата", "Тема",
           "{EEEE}, {d} {MMMM} {yyyy}, {H}:{mm} {XXX}"),
    "en": ("Forwarded message", "From", "To", "Cc", "Date", "Subject",
           "{EEEE}, {MMMM} {d}, {yyyy} {h}:{mm} {a} {XXX}"),
    "uk": ("Пересланий лист", "Від кого", "Кому", "Копія", "Дата", "Тема",
           "{EEEE}, {d} {MMMM} {yyyy}, {H}:{mm} {XXX}"),
}  # fmt: skip


def mailru_block(o: Original, lang: str, opts: set[str]) -> Block:
    banner, lfrom, lto, lcc, ldate, lsubj, pattern = MAILRU[lang]
    shown = fmt(pattern, local(o.when), lang)
    shown = shown[0].upper() + shown[1:]
    heads = [(lfrom, angle(o.sender)), (lto, ", ".join(angle(p) for p in o.to))]
    if o.cc:
        heads.append((lcc, ", ".join(angle(p) for p in o.cc)))
    heads += [(ldate, shown), (lsubj, o.subject)]
    text = [f"-------- {banner} --------"] + [f"{k}: {v}" for k, v in heads]
    text += ["", *body_text(o)]
    rows = "<br>".join(f"{esc(k)}: {esc(v)}" for k, v in heads)
    markup = (
        f"<div>-------- {esc(banner)} --------<br>{rows}<br>"
        '<blockquote style="border-left:1px solid #0857A6; margin:10px; padding:0 0 0 10px;">'
        f'<div id="">{body_html(o)}</div></blockquote></div>'
    )
    return Block(text, markup, precision(pattern))


YANDEX = {  # start, end
    "ru": ("Начало переадресованного сообщения", "Конец переадресованного сообщения"),
    "en": ("Beginning of forwarded message", "End of forwarded message"),
    "uk": ("Початок переадресованого повідомлення", "Кінець переадресованого повідомлення"),
    "tr": ("Yönlendirilen mesajın başlangıcı", "Yönlendirilen mesajın sonu"),
}


def yandex_block(o: Original, lang: str, opts: set[str]) -> Block:
    """Yandex: a line with the date and the sender, no subject (the forward's subject is the
    original's with a prefix), and a closing banner."""
    start, end = YANDEX[lang]
    pattern = "{dd}.{MM}.{yyyy}, {HH}:{mm}"
    shown = fmt(pattern, local(o.when), lang)
    who = f'"{o.sender.name}" <{o.sender.addr}>' if o.sender.name else o.sender.addr
    text = [f"-------- {start} --------", f"{shown}, {who}:", "", *body_text(o), ""]
    text += [f"-------- {end} --------"]
    markup = (
        f"<div>-------- {esc(start)} --------</div><div>{esc(shown)}, {esc(who)}:</div>"
        f"<div>&nbsp;</div>{body_html(o)}<div>&nbsp;</div><div>-------- {esc(end)} --------</div>"
    )
    return Block(text, markup, precision(pattern))


# --- Samsung Email, K-9 Mail, Naver, QQ Mail -------------------------------------------------

SAMSUNG = {  # banner, From, Date, To, Cc, Subject; date
    "en": ("Original message", "From", "Date", "To", "Cc", "Subject",
           "{M}/{d}/{yy} {h}:{mm} {a} (GMT{XXX})"),
    "es": ("Mensaje original", "De", "Fecha", "Para", "Cc", "Asunto",
           "{d}/{M}/{yy} {H}:{mm} (GMT{XXX})"),
    "pt-BR": ("Mensagem original", "De", "Data", "Para", "Cc", "Assunto",
              "{dd}/{MM}/{yyyy} {HH}:{mm} (GMT{XXX})"),
    "ko": ("원본 이메일", "보낸 사람", "날짜", "받는 사람", "참조", "제목",
           "{yy}/{M}/{d} {a} {h}:{mm} (GMT{XXX})"),
    "vi": ("Thư gốc", "Từ", "Ngày", "Đến", "Cc", "Chủ đề", "{dd}/{MM}/{yyyy} {HH}:{mm} (GMT{XXX})"),
    "ar": ("الرسالة الأصلية", "من", "التاريخ", "إلى", "نسخة", "الموضوع",
           "{d}/{M}/{yyyy} {h}:{mm} {a} (GMT{XXX})"),
}  # fmt: skip


def samsung_block(o: Original, lang: str, opts: set[str]) -> Block:
    banner, lfrom, ldate, lto, lcc, lsubj, pattern = SAMSUNG[lang]
    shown = fmt(pattern, local(o.when), lang)
    heads = [(lfrom, angle(o.sender)), (ldate, shown), (lto, ", ".join(angle(p) for p in o.to))]
    if o.cc:
        heads.append((lcc, ", ".join(angle(p) for p in o.cc)))
    heads.append((lsubj, o.subject))
    text = [f"-------- {banner} --------"] + [f"{k}: {v} " for k, v in heads]
    text += ["", *body_text(o)]
    rows = "".join(f"<div>{esc(k)}: {esc(v)} </div>" for k, v in heads)
    markup = (
        f'<div align="left" dir="auto" style="font-size:100%;color:#000000">'
        f"<div>-------- {esc(banner)} --------</div></div>{rows}<div><br></div>{body_html(o)}"
    )
    return Block(text, markup, precision(pattern))


def k9_block(o: Original, lang: str, opts: set[str]) -> Block:
    """K-9 Mail: older versions print the date as Java's Date.toString(), newer ones in UTC."""
    if "java" in opts:
        pattern = "{EEE} {MMM} {dd} {HH}:{mm}:{ss} {z} {yyyy}"
        shown = fmt(pattern, local(o.when), "en")
    else:
        pattern = "{MMMM} {d}, {yyyy} {h}:{mm}:{ss} {a} {z}"
        shown = fmt(pattern, o.when.astimezone(UTC), "en")
    heads = [("From", angle(o.sender)), ("Sent", shown), ("To", ", ".join(angle(p) for p in o.to))]
    if o.cc:
        heads.append(("Cc", ", ".join(angle(p) for p in o.cc)))
    heads.append(("Subject", o.subject))
    text = ["-------- Original Message --------"] + [f"{k}: {v}" for k, v in heads]
    text += ["", *body_text(o)]
    rows = "<br>".join(f"{esc(k)}: {esc(v)}" for k, v in heads)
    markup = f"<div>-------- Original Message --------<br>{rows}<br><br>{body_html(o)}</div>"
    return Block(text, markup, precision(pattern))


def naver_block(o: Original, lang: str, opts: set[str]) -> Block:
    pattern = "{yyyy}-{MM}-{dd} ({EEE}) {HH}:{mm}:{ss} (GMT{XXX})"
    shown = fmt(pattern, local(o.when), "ko")

    def who(p: Person) -> str:
        return f'"{p.name}"<{p.addr}>' if p.name else f"<{p.addr}>"

    heads = [("From", who(o.sender)), ("To", "; ".join(who(p) for p in o.to) + ";")]
    heads += [("Cc", "; ".join(who(p) for p in o.cc))]
    heads += [("Sent", shown), ("Subject", o.subject)]
    text = ["-----Original Message-----"] + [f"{k}: {v}" for k, v in heads]
    text += ["", *body_text(o)]
    rows = "<br>".join(f"<b>{esc(k)}:</b> {esc(v)}" for k, v in heads)
    markup = (
        f"<div><br></div><div>-----Original Message-----<br>{rows}<br></div>"
        f"<div><br></div>{body_html(o)}"
    )
    return Block(text, markup, precision(pattern))


QQ = {  # banner, From, Date, To, Cc, Subject
    "zh-Hans": ("原始邮件", "发件人", "发送时间", "收件人", "抄送", "主题"),
    "en": ("Original", "From", "Date", "To", "Cc", "Subject"),
}
QQ_DATE = {
    "zh-Hans": "{yyyy}年{M}月{d}日({EEEE}) {a}{h}:{mm}",
    "en": "{EEE}, {MMM} {d}, {yyyy} {hh}:{mm} {a}",
}


def qq_block(o: Original, lang: str, opts: set[str]) -> Block:
    banner, lfrom, ldate, lto, lcc, lsubj = QQ[lang]
    pattern = QQ_DATE[lang]
    shown = fmt(pattern, local(o.when), lang)

    def who(p: Person) -> str:
        return f'"{p.name or p.addr}"<{p.addr}>;'

    heads = [(lfrom, who(o.sender)), (ldate, shown), (lto, "".join(who(p) for p in o.to))]
    if o.cc:
        heads.append((lcc, "".join(who(p) for p in o.cc)))
    heads.append((lsubj, o.subject))
    bar = f"------------------ {banner} ------------------"
    text = ["", bar] + [f"{k}: {v}" for k, v in heads] + ["", *body_text(o)]
    rows = "".join(f"<div><b>{esc(k)}:</b>&nbsp;{esc(v)}</div>" for k, v in heads)
    markup = (
        '<div style="font-size: 12px;font-family: Arial Narrow;padding:2px 0 2px 0;">'
        f"------------------&nbsp;{esc(banner)}&nbsp;------------------</div>"
        f'<div style="font-size: 12px;background:#efefef;padding:8px;">{rows}</div>'
        f"<div><br></div>{body_html(o)}"
    )
    return Block(text, markup, precision(pattern))


# --- Mutt, Horde, Missive, Spark --------------------------------------------------------------


def mutt_block(o: Original, lang: str, opts: set[str]) -> Block:
    pattern = "{EEE}, {d} {MMM} {yyyy} {HH}:{mm}:{ss} {Z}"
    shown = fmt(pattern, o.when, "en")
    heads = [("Date", shown), ("From", rfc(o.sender)), ("To", ", ".join(rfc(p) for p in o.to))]
    if o.cc:
        heads.append(("Cc", ", ".join(rfc(p) for p in o.cc)))
    heads.append(("Subject", o.subject))
    text = [f"----- Forwarded message from {rfc(o.sender)} -----", ""]
    text += [f"{k}: {v}" for k, v in heads] + [
        "",
        *body_text(o),
        "",
        "----- End forwarded message -----",
    ]
    return Block(text, "", precision(pattern))


def horde_block(o: Original, lang: str, opts: set[str]) -> Block:
    pattern = "{EEE}, {dd} {MMM} {yyyy} {HH}:{mm}:{ss} {Z}"
    shown = fmt(pattern, o.when, "en")
    heads = [("Date", shown), ("From", rfc(o.sender)), ("Subject", o.subject)]
    heads.append(("To", ", ".join(rfc(p) for p in o.to)))
    if o.cc:
        heads.append(("Cc", ", ".join(rfc(p) for p in o.cc)))
    width = max(len(k) for k, _ in heads)
    text = [f"----- Forwarded message from {rfc(o.sender)} -----"]
    text += [f"{k.rjust(width)}: {v}" for k, v in heads]
    text += ["", *body_text(o), "", "----- End forwarded message -----"]
    return Block(text, "", precision(pattern))


def missive_block(o: Original, lang: str, opts: set[str]) -> Block:
    """Missive quotes the forwarded body whole."""
    labels = {"en": ("Forwarded message", "From", "Date", "Subject", "To"),
              "es": ("Mensaje reenviado", "De", "Fecha", "Asunto", "Para")}[lang]  # fmt: skip
    banner, lfrom, ldate, lsubj, lto = labels
    pattern = {"en": "{MMMM} {d}, {yyyy} at {h}:{mm} {a}",
               "es": "{d} de {MMMM} de {yyyy}, {H}:{mm}"}[lang]  # fmt: skip
    shown = fmt(pattern, local(o.when), lang)
    heads = [(lfrom, angle(o.sender)), (ldate, shown), (lsubj, o.subject)]
    heads.append((lto, ", ".join(angle(p) for p in o.to)))
    text = [f"---------- {banner} ----------"] + [f"{k}: {v}" for k, v in heads]
    text += ["", *quote(body_text(o))]
    rows = "<br>".join(f"{esc(k)}: {esc(v)}" for k, v in heads)
    markup = (
        f'<div class="missive_quote"><div>---------- {esc(banner)} ----------<br>{rows}</div>'
        f'<blockquote style="margin: 0 0 0 0.8ex; border-left: 1px solid #ccc; '
        f'padding-left: 1ex;">{body_html(o)}</blockquote></div>'
    )
    return Block(text, markup, precision(pattern))


SPARK = {  # banner, From, Date, To, Subject
    "en": ("Forwarded message", "From", "Date", "To", "Subject"),
    "de": ("Weitergeleitete Nachricht", "Von", "Datum", "An", "Betreff"),
    "ru": ("Пересылаемое сообщение", "От", "Дата", "Кому", "Тема"),
    "uk": ("Переслане повідомлення", "Від", "Дата", "Кому", "Тема"),
}


def spark_block(o: Original, lang: str, opts: set[str]) -> Block:
    """Spark: the header block, then the body quoted."""
    banner, lfrom, ldate, lto, lsubj = SPARK[lang]
    pattern = "{d} {MMM} {yyyy}, {HH}:{mm} {Z}"
    shown = fmt(pattern, local(o.when), lang)
    heads = [(lfrom, angle(o.sender)), (ldate, shown), (lto, ", ".join(angle(p) for p in o.to))]
    heads.append((lsubj, o.subject))
    text = [f"---------- {banner} ----------"] + [f"{k}: {v}" for k, v in heads]
    text += ["", *quote(body_text(o))]
    rows = "<br>".join(f"{esc(k)}: {esc(v)}" for k, v in heads)
    markup = (
        f'<div name="messageReplySection">---------- {esc(banner)} ----------<br>{rows}<br>'
        f'<blockquote type="cite" style="margin: 5px 5px; padding-left: 10px; '
        f'border-left: thin solid #1abc9c;">{body_html(o)}</blockquote></div>'
    )
    return Block(text, markup, precision(pattern))


# --- Attribution lines ("On ... wrote:") under a forward subject ----------------------------

ATTRIBUTION = {
    "gmail-en": "On {EEE}, {MMM} {d}, {yyyy} at {h}:{mm} {a} {who} wrote:",
    "gmail-es": "El {EEE}, {d} {MMM} {yyyy} a las {H}:{mm}, {name} (<{addr}>) escribió:",
    "gmail-pt-BR": "Em {EEE}., {d} de {MMM}. de {yyyy} às {HH}:{mm}, {who} escreveu:",
    "gmail-fr": "Le {EEE} {d} {MMM} {yyyy} à {HH}:{mm}, {who} a écrit :",
    "gmail-de": "Am {EEE}, {d}. {MMM} {yyyy} um {HH}:{mm} Uhr schrieb {who}:",
    "gmail-it": "Il giorno {EEE} {d} {MMM} {yyyy} alle ore {HH}:{mm} {who} ha scritto:",
    "gmail-nl": "Op {EEE} {d} {MMM} {yyyy} om {HH}:{mm} schreef {who}:",
    "gmail-pl": "{EEE}, {d} {MMM} {yyyy} o {HH}:{mm} {who} napisał(a):",
    "gmail-ru": "{EEE}, {d} {MMM} {yyyy} г. в {HH}:{mm}, {who}:",
    "gmail-uk": "{EEE}, {d} {MMM} {yyyy} о {HH}:{mm} {who} пише:",
    "gmail-zh-Hans": "{who} 于{yyyy}年{M}月{d}日{EEE} {a}{h}:{mm}写道：",
    "gmail-zh-Hant": "{who} 於 {yyyy}年{M}月{d}日 {EEE} {a}{h}:{mm}寫道：",
    "gmail-ja": "{yyyy}年{M}月{d}日({EEE}) {H}:{mm} {who}:",
    "gmail-ko": "{yyyy}년 {M}월 {d}일 ({EEE}) {a} {h}:{mm}, {who}님이 작성:",
    "gmail-vi": "Vào {EEE}, {d} thg {M}, {yyyy} vào lúc {HH}:{mm} {who} đã viết:",
    "gmail-tr": "{who}, {d} {MMM} {yyyy} {EEE}, {HH}:{mm} tarihinde şunu yazdı:",
    "gmail-el": "Στις {EEE} {d} {MMM} {yyyy} στις {h}:{mm} {a}, ο/η {who} έγραψε:",
    "gmail-ar": "في {EEEE}، {d} {MMMM} {yyyy} في {h}:{mm} {a} تمت كتابة ما يلي بواسطة {who}:",
    "gmail-hi": "{EEE}, {d} {MMM} {yyyy} को {h}:{mm} {a} बजे {who} ने लिखा:",
    "apple-en": "On {MMM} {d}, {yyyy}, at {h}:{mm}\u202f{a}, {who} wrote:",
    "apple-es": "El {d} {MMM} {yyyy}, a las {H}:{mm}, {who} escribió:",
    "apple-pt-BR": "Em {d} de {MMM}. de {yyyy}, à(s) {HH}:{mm}, {who} escreveu:",
    "apple-fr": "Le {d} {MMM} {yyyy} à {HH}:{mm}, {who} a écrit :",
    "apple-vi": "Vào lúc {HH}:{mm}, ngày {d} thg {M}, {yyyy}, {who} đã viết:",
    "apple-ko": "{yyyy}. {M}. {d}. {a} {h}:{mm}, {who} 작성:",
    "outlookmac-en": 'On {M}/{d}/{yy}, {h}:{mm} {a}, "{name}" <{addr}> wrote:',
    "outlookmac-en-GB": 'On {dd}/{MM}/{yyyy} {HH}:{mm}, "{name}" <{addr}> wrote:',
    "yahoo-en": "On {EEEE}, {MMMM} {d}, {yyyy}, {h}:{mm} {a}, {who} wrote:",
    "yahoo-es": "El {EEEE}, {d} de {MMMM} de {yyyy}, {H}:{mm}, {who} escribió:",
    "spark-en": "On {d} {MMM} {yyyy}, {HH}:{mm} {Z}, {who}, wrote:",
    "nodate-en": "{who} wrote:",
    "nodate-es": "{who} escribió:",
}
ATTRIBUTION_BANNER = {
    "yahoo-en": "Begin forwarded message:",
    "yahoo-es": "Inicio del mensaje reenviado:",
}


def attribution_block(o: Original, key: str, opts: set[str]) -> Block:
    """An attribution line and the original's body under it: quoted with "> " unless
    `unquoted`, `indent` for four spaces."""
    pattern = ATTRIBUTION[key]
    lang = key.split("-", 1)[1]
    lang = "en" if lang == "en-GB" else lang
    who = f"{o.sender.name} <{o.sender.addr}>" if o.sender.name else f"<{o.sender.addr}>"
    line = pattern.replace("{who}", who).replace("{name}", o.sender.name or "")
    line = line.replace("{addr}", o.sender.addr)
    line = fmt(line, local(o.when), lang)
    if "bidi" in opts:  # Gmail's Arabic attribution as it arrives: with direction marks
        line = "\u202b" + line.replace(who, f"\u202a{who}\u202c\u200f") + "\u202c"
    body = body_text(o)
    if "indent" in opts:
        shown = ["    " + x if x else "" for x in body]
    elif "unquoted" in opts:
        shown = body
    else:
        shown = quote(body)
    head = [line]
    if "wrap" in opts:  # Gmail's text part breaks a long attribution line
        cut = line.rfind(" ", 0, 76)
        head = [line[:cut], line[cut + 1 :]]
    text = [*head, *shown] if "nogap" in opts else [*head, "", *shown]
    banner = ATTRIBUTION_BANNER.get(key)
    if banner:
        text = [banner, "", *text]
    markup = (
        f'<div class="gmail_quote"><div dir="ltr" class="gmail_attr">{esc(line)}<br></div>'
        '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid '
        f'rgb(204,204,204);padding-left:1ex">{body_html(o)}</blockquote></div>'
    )
    if banner:
        markup = f"<div>{esc(banner)}</div><div><br></div>" + markup
    return Block(text, markup, precision(pattern))


# --- Dispatch ------------------------------------------------------------------------------

BlockFn = Callable[[Original, str, set[str]], Block]

BLOCKS: dict[str, BlockFn] = {
    "gmail": gmail_block,
    "gmail_plain": gmail_block,
    "gmail_app": lambda o, lang, opts: gmail_block(o, lang, opts, app=True),
    "outlook2013": lambda o, lang, opts: outlook_block(o, lang, opts, "2013"),
    "outlook2016": lambda o, lang, opts: outlook_block(o, lang, opts, "2016"),
    "outlook2019": lambda o, lang, opts: outlook_block(o, lang, opts, "2016"),
    "outlook365": lambda o, lang, opts: outlook_block(o, lang, opts, "2016"),
    "outlook_plain": lambda o, lang, opts: outlook_block(o, lang, opts, "plain"),
    "outlook_mac": outlook_mac_block,
    "owa": lambda o, lang, opts: owa_block(o, lang, opts, "web"),
    "new_outlook": lambda o, lang, opts: owa_block(o, lang, opts, "new"),
    "outlook_ios": lambda o, lang, opts: owa_block(o, lang, opts, "mobile"),
    "outlook_android": lambda o, lang, opts: owa_block(o, lang, opts, "mobile"),
    "apple_mac": lambda o, lang, opts: apple_block(o, lang, opts, ios=False),
    "apple_ios": lambda o, lang, opts: apple_block(o, lang, opts, ios=True),
    "thunderbird": thunderbird_block,
    "yahoo": yahoo_block,
    "proton": proton_block,
    "ionos": ionos_block,
    "gmx": gmx_block,
    "webde": gmx_block,
    "zoho": zoho_block,
    "fastmail": fastmail_block,
    "roundcube": roundcube_block,
    "mailru": mailru_block,
    "yandex": yandex_block,
    "samsung": samsung_block,
    "k9": k9_block,
    "naver": naver_block,
    "qqmail": qq_block,
    "mutt": mutt_block,
    "horde": horde_block,
    "missive": missive_block,
    "spark": spark_block,
    # Set 3's clients that lay a forward out as one of the above.
    "outlook2010": lambda o, lang, opts: outlook_block(o, lang, opts, "2013"),
    "outlook2019_text": lambda o, lang, opts: outlook_block(o, lang, opts, "plain"),
    "owa2010": lambda o, lang, opts: owa_block(o, lang, opts, "web"),
    "thunderbird_android": k9_block,
}


RAW_DATE = re.compile(r"<<(own:)?(.+?)>>")


def raw_block(m: Message, o: Original) -> Block:
    """A block written by hand: `{body}`/`{qbody}`/`{qqbody}`/`{ibody}` lines stand for the
    original's body (plain, "> "- or ">> "-quoted, indented), `<<pattern>>` for its date
    (`own:` in its zone)."""
    assert m.raw is not None
    return raw_lines(m.raw, m.raw_html, m.lang, o, m.prec)


def raw_lines(raw: list[str], raw_html: str | None, lang: str, o: Original, prec: str | None
              ) -> Block:  # fmt: skip
    precs: list[str | None] = [prec]

    def date(mt: re.Match[str]) -> str:
        precs.append(precision(mt.group(2)))
        return fmt(mt.group(2), o.when if mt.group(1) else local(o.when), lang)

    body = body_text(o)
    indented = ["    " + x if x else "" for x in body]
    forms = {"{body}": body, "{qbody}": quote(body), "{ibody}": indented}
    forms["{qqbody}"] = quote(body, ">> ")
    text: list[str] = []
    for x in raw:
        if x.strip() in forms:
            text += forms[x.strip()]
        else:
            text.append(RAW_DATE.sub(date, x))
    if raw_html is not None:
        markup = RAW_DATE.sub(date, raw_html).replace("{body}", divs(body))
    else:
        markup = unquoted_html(text)
    kept = "s" if "s" in precs else "m" if "m" in precs else None
    return Block(text, markup, kept)


def block(client: str, lang: str, o: Original, opts: set[str]) -> Block:
    if client.startswith("attr:"):
        return attribution_block(o, client[5:], opts)
    if client not in BLOCKS:
        raise KeyError(f"no forward block for client {client!r}")
    return BLOCKS[client](o, lang, opts)


# ------------------------------------------------------------------------------------------
# Whole messages, client by client
# ------------------------------------------------------------------------------------------

OUTLOOK_PREFIX = {
    "en": "FW:", "es": "RV:", "pt-BR": "ENC:", "pt-PT": "FW:", "fr": "TR:", "de": "WG:",
    "it": "I:", "nl": "Doorst:", "nb": "VS:", "pl": "PD:", "ru": "FW:", "uk": "FW:",
    "tr": "İLT:", "el": "ΠΡΘ:", "zh-Hans": "转发:", "zh-Hant": "轉寄:", "ja": "FW:",
    "ko": "전달:", "vi": "FW:", "ar": "إعادة توجيه:", "hi": "FW:", "so": "FW:",
    "fi": "VL:", "sv": "VB:", "da": "VS:", "hu": "TOV:", "ca": "RV:",
}  # fmt: skip
LOCAL_PREFIX = {"de": "WG:", "es": "RV:", "fr": "TR:"}


@dataclass(frozen=True)
class Client:
    """How a client lays out a whole message."""

    name: str
    mime: str  # alt (text and HTML), text, html
    cte: str  # transfer encoding of the text part (see encode_body)
    html_cte: str
    family: str  # which prefix table, Message-ID and wrapper it uses
    headers: tuple[str, ...] = ()
    flowed: bool = False
    words: str = "B"  # encoded words: B or Q


CLIENTS: dict[str, Client] = {
    "gmail": Client("Gmail web", "alt", "qp", "qp", "gmail"),
    "gmail_plain": Client("Gmail web (plain text mode)", "text", "qp", "qp", "gmail"),
    "gmail_app": Client("Gmail app", "alt", "b64", "b64", "gmail"),
    "outlook2013": Client("Outlook 2013", "alt", "qp!", "qp!", "outlook",
                          ("X-Mailer: Microsoft Outlook 15.0",)),
    "outlook2016": Client("Outlook 2016", "alt", "qp!", "qp!", "outlook",
                          ("X-Mailer: Microsoft Outlook 16.0",)),
    "outlook2019": Client("Outlook 2019", "alt", "qp!", "qp!", "outlook",
                          ("X-Mailer: Microsoft Outlook 16.0",)),
    "outlook365": Client("Outlook 365 desktop", "alt", "qp!", "qp!", "outlook365"),
    "outlook_plain": Client("Outlook 2016 (plain text)", "text", "qp", "qp", "outlook",
                            ("X-Mailer: Microsoft Outlook 16.0",)),
    "outlook_mac": Client("Outlook for Mac", "alt", "qp!", "qp!", "outlook365",
                          ("User-Agent: Microsoft-MacOutlook/16.78.23100802",)),
    "owa": Client("Outlook on the web", "alt", "qp!", "qp!", "outlook365"),
    "new_outlook": Client("new Outlook", "alt", "qp!", "qp!", "outlook365"),
    "outlook_ios": Client("Outlook for iOS", "alt", "b64!", "b64!", "outlook365"),
    "outlook_android": Client("Outlook for Android", "alt", "b64!", "b64!", "outlook365"),
    "apple_mac": Client("Apple Mail macOS", "alt", "qp", "qp", "apple",
                        ("X-Mailer: Apple Mail (2.3774.600.62)",), words="Q"),
    "apple_ios": Client("Apple Mail iOS", "text", "qp", "qp", "apple",
                        ("X-Mailer: iPhone Mail (21F90)",), words="Q"),
    "thunderbird": Client("Thunderbird", "text", "8bit", "8bit", "thunderbird",
                          ("User-Agent: Mozilla Thunderbird",), flowed=True),
    "yahoo": Client("Yahoo Mail web", "alt", "qp", "qp", "yahoo",
                    ("X-Mailer: WebService/1.1.21797 YMailNorrin",)),
    "yahoo_app": Client("Yahoo Mail app", "alt", "qp", "qp", "yahoo",
                        ("X-Mailer: YahooMailIosMobile Raven/47910 CFNetwork/1408.0.4",)),
    "proton": Client("Proton Mail", "alt", "qp", "b64!", "proton"),
    "ionos": Client("IONOS webmail", "text", "qp", "qp", "ionos",
                    ("X-Mailer: Open-Xchange Mailer v7.10.6-Rev57",)),
    "gmx": Client("GMX", "text", "qp", "qp", "gmx", ("Importance: normal", "Sensitivity: Normal")),
    "webde": Client("WEB.DE", "text", "qp", "qp", "gmx",
                    ("Importance: normal", "Sensitivity: Normal")),
    "zoho": Client("Zoho Mail", "alt", "qp!", "qp!", "zoho", ("User-Agent: Zoho Mail",)),
    "fastmail": Client("Fastmail", "alt", "qp", "qp", "fastmail",
                       ("User-Agent: Cyrus-JMAP/3.11.0-alpha0",)),
    "roundcube": Client("Roundcube", "text", "qp", "qp", "roundcube",
                        ("User-Agent: Roundcube Webmail/1.6.6",)),
    "mailru": Client("Mail.ru", "alt", "b64!", "b64!", "mailru",
                     ("X-Mailer: Mail.Ru Mailer 1.0",)),
    "yandex": Client("Yandex Mail", "text", "8bit", "8bit", "yandex", ("X-Mailer: Yamail 5.0",)),
    "samsung": Client("Samsung Email", "alt", "b64!", "b64!", "samsung"),
    "k9": Client("K-9 Mail", "text", "qp", "qp", "k9", ("User-Agent: K-9 Mail for Android",)),
    "naver": Client("Naver Mail", "alt", "b64!", "b64!", "naver", ("X-Mailer: Naver Mail",)),
    "qqmail": Client("QQ Mail", "alt", "b64!", "b64!", "qqmail", ("X-Mailer: QQMail 2.x",)),
    "mutt": Client("Mutt", "text", "8bit", "8bit", "mutt", ("User-Agent: Mutt/2.2.12",)),
    "horde": Client("Horde", "text", "qp", "qp", "horde",
                    ("User-Agent: Horde Application Framework 5",)),
    "missive": Client("Missive", "alt", "qp", "qp", "missive"),
    "spark": Client("Spark", "alt", "qp", "qp", "spark"),
    # Set 2's clients (their blocks are written raw in its source.toml).
    "aol": Client("AOL Mail", "alt", "qp", "qp", "yahoo",
                  ("X-Mailer: WebService/1.1 AolMailNorrin",)),
    "tutanota": Client("Tuta Mail", "html", "qp", "qp", "tutanota"),
    "zimbra": Client("Zimbra", "alt", "qp", "qp", "zimbra", ("X-Mailer: Zimbra 9.0.0_GA_4546",)),
    "notes": Client("HCL Notes", "alt", "qp", "qp", "notes",
                    ("X-Mailer: HCL Notes Release 12.0.2",)),
    "groupwise": Client("GroupWise", "alt", "qp", "qp", "groupwise",
                        ("X-Mailer: GroupWise 18.4.1",)),
    "squirrelmail": Client("SquirrelMail", "text", "8bit", "8bit", "squirrelmail",
                           ("User-Agent: SquirrelMail/1.4.22",)),
    "hey": Client("HEY", "alt", "qp", "qp", "hey"),
    "superhuman": Client("Superhuman", "alt", "qp", "qp", "superhuman"),
    "edison": Client("Edison Mail", "alt", "qp", "qp", "edison"),
    "bluemail": Client("BlueMail", "alt", "qp", "qp", "bluemail"),
    "airmail": Client("Airmail", "alt", "qp", "qp", "airmail"),
    "seznam": Client("Seznam", "alt", "qp", "qp", "seznam"),
    "libero": Client("Libero Mail", "alt", "qp", "qp", "libero"),
    "wp": Client("WP Poczta", "alt", "qp", "qp", "wp"),
    "orange": Client("Mail Orange", "alt", "qp", "qp", "orange"),
    "evolution": Client("Evolution", "text", "8bit", "8bit", "evolution",
                        ("User-Agent: Evolution 3.50.2",)),
    "claws": Client("Claws Mail", "text", "qp", "qp", "claws",
                    ("User-Agent: Claws Mail 4.2.0 (GTK 3.24.41; x86_64-pc-linux-gnu)",)),
    "emclient": Client("eM Client", "alt", "qp", "qp", "emclient", ("X-Mailer: eM_Client/9.2",)),
    "alpine": Client("Alpine", "text", "8bit", "8bit", "alpine"),
    # Set 3's clients (most of their blocks are written raw in its source.toml).
    "outlook2010": Client("Outlook 2010", "alt", "qp!", "qp!", "outlook",
                          ("X-Mailer: Microsoft Outlook 14.0",)),
    "outlook2019_text": Client("Outlook 2019 (plain text)", "text", "qp", "qp", "outlook",
                               ("X-Mailer: Microsoft Outlook 16.0",)),
    "owa2010": Client("Outlook Web App 2010", "alt", "qp!", "qp!", "outlook365"),
    "thunderbird_android": Client("Thunderbird for Android", "text", "qp", "qp", "k9",
                                  ("User-Agent: Thunderbird for Android",)),
    "gnus": Client("Gnus", "text", "qp", "qp", "gnus",
                   ("User-Agent: Gnus/5.13 (Gnus v5.13) Emacs/29.3 (gnu/linux)",)),
    "sylpheed": Client("Sylpheed", "text", "8bit", "8bit", "sylpheed",
                       ("X-Mailer: Sylpheed 3.7.0 (GTK+ 2.24.33; x86_64-pc-linux-gnu)",)),
    "rediff": Client("Rediffmail", "alt", "qp", "qp", "rediff"),
    "sogo": Client("SOGo", "alt", "qp", "qp", "sogo", ("User-Agent: SOGoMail 5.10.0",)),
    "mail163": Client("NetEase 163 Mail", "alt", "b64!", "b64!", "mail163",
                      ("X-Mailer: Coremail Webmail Server Version XT5.0.14",)),
    "thebat": Client("The Bat!", "text", "8bit", "8bit", "thebat",
                     ("X-Mailer: The Bat! (v10.3.3.7) Professional",)),
    "windows_live": Client("Windows Live Mail", "alt", "qp", "qp", "outlook",
                           ("X-Mailer: Microsoft Windows Live Mail 16.4.3528.331",)),
    "windows_mail": Client("Mail for Windows", "alt", "b64", "b64", "outlook365"),
    "daum": Client("Daum Mail", "alt", "b64!", "b64!", "daum"),
    "tonline": Client("T-Online Mail", "text", "qp", "qp", "tonline"),
    "outlook_mac_text": Client("Outlook for Mac (plain text)", "text", "qp", "qp", "outlook365",
                               ("User-Agent: Microsoft-MacOutlook/16.83.24031120",)),
}  # fmt: skip


def prefix_for(m: Message, c: Client) -> str:
    if m.prefix is not None:
        return m.prefix
    if c.family in ("outlook", "outlook365"):
        return OUTLOOK_PREFIX.get(m.lang, "FW:")
    if c.family in ("gmx", "ionos"):
        return LOCAL_PREFIX.get(m.lang, "Fwd:")
    if c.family == "naver":
        return "FW:"
    if c.family == "qqmail":
        return "转发：" if m.lang == "zh-Hans" else "Fwd:"
    return "Fwd:"


def message_id(n: int, family: str, domain: str) -> str:
    up = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    hexd = "0123456789abcdef"
    if family == "gmail":
        return f"<CA{token(n, 'mid', 40, up + 'abcdefghijklmnopqrstuvwxyz+_-')}@mail.gmail.example>"
    if family == "outlook":
        a, b, c = token(n, "a", 8, hexd), token(n, "b", 8, hexd), token(n, "c", 8, hexd)
        return f"<00{a[:2]}01d{a[2:]}${b}${c}@{domain}>"
    if family == "outlook365":
        t = token(n, "mid", 24, up)
        return f"<{t[:12]}{t}@{t[:12]}.namprd04.prod.outlook.example>"
    if family == "apple":
        t = token(n, "mid", 32, "0123456789ABCDEF")
        return f"<{t[:8]}-{t[8:12]}-{t[12:16]}-{t[16:20]}-{t[20:]}@{domain}>"
    if family == "yahoo":
        d = token(n, "mid", 27, "0123456789")
        return f"<{d[:10]}.{d[10:17]}.{d[17:]}@mail.yahoo.example>"
    return f"<{token(n, 'mid', 24, hexd)}@{domain}>"


def boundary(n: int, family: str, level: str) -> str:
    t = token(n, "boundary" + level, 28, "0123456789abcdef")
    if family == "gmail":
        return "0000000000" + t[:18]
    if family in ("outlook", "outlook365"):
        return f"_00{level}_{t[:24].upper()}_"
    if family == "apple":
        return f"Apple-Mail={t[:8].upper()}-{t[8:12].upper()}-{t[12:16].upper()}-{t[16:28].upper()}"
    if family == "thunderbird":
        return "------------" + t[:24]
    if family == "yahoo":
        return f"----=_Part_{int(t[:6], 16)}_{int(t[6:14], 16)}.{int(t[14:24], 16)}"
    return f"=_{t}"


def note_html(note: list[str], family: str) -> str:
    if family == "outlook":
        return mso(note)
    if family == "thunderbird":
        return "<p>" + "<br>".join(esc(x) for x in note) + "</p>" if note else ""
    return divs(note)


def document(inner: str, family: str) -> str:
    if family == "gmail":
        return f'<div dir="ltr">{inner}</div>'
    if family == "outlook":
        return (
            '<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:'
            'office:office" xmlns:w="urn:schemas-microsoft-com:office:word" xmlns:m="http://'
            'schemas.microsoft.com/office/2004/12/omml" xmlns="http://www.w3.org/TR/REC-html40">'
            '<head><meta http-equiv=Content-Type content="text/html; charset=utf-8">'
            '<meta name=Generator content="Microsoft Word 15 (filtered medium)"><style><!--'
            "p.MsoNormal, li.MsoNormal, div.MsoNormal {margin:0in;font-size:11.0pt;"
            'font-family:"Calibri",sans-serif;} --></style></head>'
            '<body lang=EN-US link="#0563C1" vlink="#954F72" style="word-wrap:break-word">'
            f"<div class=WordSection1>{inner}</div></body></html>"
        )
    if family == "outlook365":
        return (
            '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
            '<style type="text/css" style="display:none;"> P {margin-top:0;margin-bottom:0;} '
            '</style></head><body dir="ltr"><div class="elementToProof" style="font-family: '
            'Aptos, Calibri, Helvetica, sans-serif; font-size: 12pt; color: rgb(0, 0, 0);">'
            f"{inner}</div></body></html>"
        )
    if family == "apple":
        return (
            '<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8">'
            '</head><body style="overflow-wrap: break-word; -webkit-nbsp-mode: space; '
            f'line-break: after-white-space;">{inner}</body></html>'
        )
    if family == "thunderbird":
        return (
            '<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; '
            f'charset=UTF-8"></head><body>{inner}</body></html>'
        )
    if family == "yahoo":
        return (
            '<html><head></head><body><div class="ydp3b2b7f1eyahoo-style-wrap" style="font-'
            'family:Helvetica Neue, Helvetica, Arial, sans-serif;font-size:13px;">'
            f"{inner}</div></body></html>"
        )
    return f"<html><head></head><body>{inner}</body></html>"


def unquoted_html(text: list[str]) -> str:
    """A plain body as HTML: quoted runs in a blockquote."""
    out, run = [], []
    for x in [*text, ""]:
        if x.startswith(">"):
            run.append(x[1:].removeprefix(" "))
            continue
        if run:
            out.append(f'<blockquote type="cite">{divs(run)}</blockquote>')
            run = []
        out.append(divs([x]))
    return "".join(out[:-1])


def body_parts(m: Message, c: Client, text: list[str], markup: str) -> Part:
    mime = c.mime
    if "plain" in m.options:
        mime = "text"
    elif "html" in m.options:
        mime = "alt"
    elif "html_only" in m.options:
        mime = "html"
    plain = "\n".join(text) + "\n"
    if "flowq" in m.options and mime == "text":  # quoted lines flowed too
        tp = text_part("plain", flowed(plain, quotes=True), c.cte, "charset=UTF-8; format=flowed")
    elif c.flowed and mime == "text":
        tp = text_part("plain", flowed(plain), c.cte, "charset=UTF-8; format=flowed")
    else:
        tp = text_part("plain", plain, c.cte)
    hp = text_part("html", document(markup, c.family), c.html_cte)
    if mime == "text":
        return tp
    if mime == "html":
        return hp
    return multipart("alternative", boundary(m.n, c.family, "1"), [tp, hp])


def original_message(o: Original, n: int) -> bytes:
    """An attached original: its own headers, its body as its sender's client wrote it."""
    family = {"outlook": "outlook", "apple": "apple", "yahoo": "yahoo"}.get(o.client, "gmail")
    domain = o.sender.addr.split("@")[1]
    heads = [address_field("From", [o.sender]), address_field("To", o.to)]
    if o.cc:
        heads.append(address_field("Cc", o.cc))
    heads += [
        header("Subject", o.subject),
        f"Date: {rfc2822(o.when)}",
        f"Message-ID: {o.mid or message_id(n * 1000 + 1, family, domain)}",
        "MIME-Version: 1.0",
    ]
    plain = "\n".join(body_text(o)) + "\n"
    cte = "qp!" if family == "outlook" else "qp"
    if o.html or o.fwd is not None:
        hp = text_part("html", document(body_html(o), family), cte)
        body = multipart(
            "alternative", boundary(n * 1000 + 1, family, "1"), [text_part("plain", plain, cte), hp]
        )
    else:
        body = text_part("plain", plain, cte)
    return whole(heads, body)


def attachment_name(subject: str) -> list[str]:
    name = re.sub(r'[\\/:*?"<>|]', "_", subject or "Untitled") + ".eml"
    if name.isascii():
        return [f'Content-Type: message/rfc822; name="{name}"',
                f'Content-Disposition: attachment; filename="{name}"']  # fmt: skip
    encoded = "".join(
        chr(b) if b < 128 and (chr(b).isalnum() or chr(b) in ".-_") else f"%{b:02X}"
        for b in name.encode()
    )
    return ["Content-Type: message/rfc822",
            f"Content-Disposition: attachment; filename*=UTF-8''{encoded}"]  # fmt: skip


@dataclass
class Rendered:
    raw: bytes
    prec: str | None  # of the original's date as the message shows it


def render(m: Message) -> Rendered:
    c = CLIENTS[m.client]
    domain = m.teacher.addr.split("@")[1]
    o = m.original
    prec: str | None = None
    if o is None:
        subject = m.subject or ""
        sent = m.when or datetime(2022, 1, 3, 9, 0, tzinfo=DISTRICT) + timedelta(days=m.n)
        markup = m.raw_html if m.raw_html is not None else unquoted_html(m.text)
        body = body_parts(m, c, m.text, note_html([], c.family) + markup)
    else:
        subject = m.subject if m.subject is not None else f"{prefix_for(m, c)} {o.subject}".strip()
        hours = int(token(m.n, "delay", 4, "0123456789")) % 70 + 1
        sent = m.when or (o.when + timedelta(hours=hours, minutes=m.n % 53)).astimezone(DISTRICT)
        if m.kind == "attached" or "attach" in m.options:
            text = m.note or [""]
            first = body_parts(m, c, text, note_html(m.note, c.family))
            inner = original_message(o, m.n)
            att = Part([*attachment_name(o.subject)], inner)
            body = multipart("mixed", boundary(m.n, c.family, "0"), [first, att])
            prec = "s"
        else:
            if m.raw is not None:
                blk = raw_block(m, o)
            elif m.kind == "attribution" or m.attribution:
                blk = attribution_block(o, m.attribution, m.options)
            else:
                blk = block(m.client, m.lang, o, m.options)
            prec = blk.prec
            btext, bhtml = blk.text, blk.html
            if "quote_all" in m.options:
                btext = quote(btext)
                bhtml = f'<blockquote type="cite">{bhtml}</blockquote>'
            text = [*m.note, "", *btext] if m.note else ["", *btext]
            if m.after:  # the forwarder's text under the block
                text += ["", *m.after]
                bhtml += "<div><br></div>" + divs(m.after)
            body = body_parts(m, c, text, note_html(m.note, c.family) + "<div><br></div>" + bhtml)
    heads = [address_field("From", [m.teacher], c.words), address_field("To", m.to, c.words)]
    if m.cc:
        heads.append(address_field("Cc", m.cc, c.words))
    heads += [header("Subject", subject, c.words), f"Date: {rfc2822(sent)}"]
    heads += [f"Message-ID: {message_id(m.n, c.family, domain)}", "MIME-Version: 1.0"]
    if c.family in ("outlook", "outlook365"):
        heads.append(header("Thread-Topic", re.sub(r"^\S+:\s*", "", subject), c.words))
        heads.append(f"Thread-Index: AQH{token(m.n, 'ti', 40, B64)}")
        heads.append("Content-Language: en-US")
    heads += list(c.headers)
    return Rendered(whole(heads, body), prec)


# ------------------------------------------------------------------------------------------
# Labels and the split
# ------------------------------------------------------------------------------------------


def first_last(body: list[str]) -> tuple[str, str]:
    kept = [x.strip() for x in body if x.strip()]
    if not kept:
        raise ValueError("an original needs a non-empty body")
    return kept[0], kept[-1]


def shown_date(dt: datetime, prec: str | None) -> str | None:
    if prec is None:
        return None
    if prec == "m":
        dt = dt.replace(second=0)
    return dt.astimezone(UTC).isoformat()


def label(m: Message, r: Rendered) -> dict[str, Any]:
    c = CLIENTS[m.client]
    out: dict[str, Any] = {
        "client": m.client_name or c.name,
        "language": m.lang,
        "kind": m.kind,
        "forward": m.original is not None,
    }
    if m.text_language:
        out["text_language"] = m.text_language
    o = m.original
    if o is not None:
        first, last = first_last(o.body)
        out |= {
            "from_address": o.sender.addr,
            "from_name": o.sender.name,
            "subject": o.subject,
            "body_first": first,
            "body_last": last,
            "date": shown_date(o.when, r.prec),
        }
    out["about"] = m.about
    return out


def split_of(labels: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Within each kind, the first third by SHA-256 of the keyed file name is held out."""
    out: dict[str, str] = {}
    for kind in KINDS:
        names = [n for n, v in labels.items() if v["kind"] == kind]
        names.sort(key=lambda n: hashlib.sha256((SPLIT_KEY + n).encode()).hexdigest())
        held = (len(names) + 1) // 3
        for i, n in enumerate(names):
            out[n] = "heldout" if i < held else "tuning"
    return out


def build() -> tuple[dict[str, bytes], str]:
    files: dict[str, bytes] = {}
    labels: dict[str, dict[str, Any]] = {}
    for m in read_source():
        r = render(m)
        files[m.name] = r.raw
        labels[m.name] = label(m, r)
    whole_set = tomllib.loads(SOURCE.read_text(encoding="utf-8")).get("split")
    for name, part in split_of(labels).items():
        labels[name]["split"] = whole_set or part  # a set that is all tuning says so
    return files, json.dumps(labels, indent=1, ensure_ascii=False) + "\n"


def main() -> int:
    global HERE, SOURCE, LABELS  # noqa: PLW0603  (the one run's set)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare with the files on disk")
    ap.add_argument("--dir", type=Path, default=HERE, help="the set's folder (default: this one)")
    args = ap.parse_args()
    HERE = args.dir.resolve()
    SOURCE, LABELS = HERE / "source.toml", HERE / "labels.json"
    files, labels = build()
    if args.check:
        bad = [
            n
            for n, raw in files.items()
            if not (HERE / n).exists() or (HERE / n).read_bytes() != raw
        ]
        extra = sorted({p.name for p in HERE.glob("*.eml")} - set(files))
        if LABELS.read_text(encoding="utf-8") != labels:
            bad.append(LABELS.name)
        for n in [*bad, *extra]:
            print(f"differs: {n}", file=sys.stderr)
        return 1 if bad or extra else 0
    for old in HERE.glob("*.eml"):
        if old.name not in files:
            old.unlink()
    for n, raw in files.items():
        (HERE / n).write_bytes(raw)
    LABELS.write_text(labels, encoding="utf-8")
    print(f"{len(files)} messages written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
