"""The original message inside an inline forward.

A teacher who forwards a parent's message from a personal account sends the archive a new
message: the teacher's note, then a block the client wrote ("---------- Forwarded message
---------", "Begin forwarded message:", an Outlook "From: / Sent: / To: / Subject:" block...),
then the original text. `split_forward` finds those blocks, outermost first, and reads the
original sender, recipients, date and subject back out of them. Nothing here can be verified
against real headers: callers record the result as reconstructed from text.

How a block is recognised:
- A banner line: a phrase between dashes ("-------- Forwarded Message --------", also on
  Yahoo's one-line form "----- Forwarded Message ----- From: … To: … Subject: …", and Mutt's
  "----- Forwarded message from <sender> -----"), an intro line ending in a colon (Apple Mail
  "Begin forwarded message:"), or Outlook's line of underscores. Forward phrases count on their
  own; "Original Message" banners and underscore lines, which Outlook also writes above
  replies, only count with a header block under them. Under a forward banner, an attribution
  line may stand in for the header block (Yahoo's app, Yandex); Zoho repeats its banner under
  the block. A block with no subject row takes the forward's subject without its prefix.
  Mail Orange writes "Message du <date>" over its rows; The Bat! "===8<===Original message
  text===" between the rows and the body, and Sylpheed a rule of dashes: neither is the body's.
- A closing banner ("----- End forwarded message -----", Yandex's "Конец переадресованного
  сообщения") ends the innermost original still open; what follows it is not that original's.
- A header block without a banner (Outlook desktop, Outlook for Mac): From, then a date and a
  To or Subject line, where the date parses or the sender has an address.
- Outlook writes the same header block (with or without underscores or "-----Original
  Message-----") above replies. So inside a forwarded message whose own subject is a reply
  ("RE: …"), and where it is '>'-quoted inside a quote or under a reply attribution (a reply
  quoting it), such a block is the quoted message and stays in the body. A '>'-quoted block that
  opens its quote is a forward quoted whole (IONOS, webmails).
- Some subject prefixes forward in one language and reply in another ("VS:" is a Swedish,
  Danish or Norwegian forward and a Finnish reply): the language of the block's labels, or of
  the attribution line, decides.
- "On … wrote:" reply attributions are not blocks, but when the text has no block and the
  message's subject is a forward's ("Fwd:", "TR:", "WG:"...), the first attribution opens the
  original (Outlook 2019 and others forward that way): its quoted or indented text is the body.
  Zoho writes that line between dashes, Horde as "Quoting <sender>:", Gnus "<sender> writes:".
  The original's subject is the forward's without the one prefix the forward added.
- A body quoted whole with '>' (Missive, Mutt, Gnus) loses that level of quotes, down to a
  closing banner. A '>'-quoted block's original ends where its quote does: the text under the
  quote is the forwarder's again (or the enclosing original's, in a chain).

The words (banners, labels, months) are in `forward_locales`. Credit: the per-client and
per-language facts come largely from crisp-oss/email-forward-parser (MIT); the code is ours.

Safety: input is cut to MAX_TEXT characters (HTML to MAX_HTML, and rid of unclosed tags and
comments before the stdlib parser sees it), lines longer than MAX_LINE are never read as banners
or headers, every pattern is matched from the start of one stripped line (or scans a bounded
date string), and nothing here raises.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from email.utils import getaddresses
from zoneinfo import ZoneInfo

from archiver.understand import forward_locales as locales
from archiver.understand.html import html_to_text

DEFAULT_ZONE = "America/New_York"
MAX_TEXT = 256 * 1024  # characters of text considered
MAX_HTML = 512 * 1024  # characters of HTML converted when the text has no block
MAX_LINE = 2000  # a longer line is never a banner or a header line
MAX_DEPTH = 20  # forwards inside forwards
_HEADER_WINDOW = 40  # lines one header block may span
_MAX_DATE = 200  # characters of a date looked at
_MAX_INTRO = 100  # an intro banner ("Begin forwarded message:") is a short line
_MIN_RULE = 4  # dashes of the rule under a header block (Sylpheed: "----")
_LABEL_SPAN = 60  # the colon after a header label comes this early in the line


@dataclass(frozen=True)
class Party:
    name: str  # display name, may be ""
    address: str  # may be "" when the client showed only a name


@dataclass(frozen=True)
class Original:
    sender: Party | None
    to: tuple[Party, ...]
    cc: tuple[Party, ...]
    date_text: str | None  # exactly as written in the block
    date: datetime | None  # aware, UTC
    subject: str | None
    body: str  # the forwarded text without its header block or any nested block, trimmed


@dataclass(frozen=True)
class ForwardSplit:
    note: str  # the forwarder's own text above the first block, trimmed
    chain: tuple[Original, ...]  # outermost first


# --- tables built from forward_locales --------------------------------------------------------


def _key(word: str) -> str:
    return " ".join(word.casefold().split())


def _flex(phrase: str) -> str:
    """A phrase as a pattern: its words, any run of spaces or tabs between them."""
    return r"[ \t]+".join(re.escape(word) for word in phrase.split())


def _alternation(phrases: set[str]) -> str:
    return "|".join(_flex(p) for p in sorted(phrases, key=lambda p: (-len(p), p)))


def _label_tables() -> tuple[dict[str, str], dict[str, frozenset[str]], set[str]]:
    field_of: dict[str, str] = {}
    langs_of: dict[str, set[str]] = {}
    labels: set[str] = set()
    for loc in locales.LOCALES:
        groups = (
            ("from", loc.from_labels),
            ("to", loc.to_labels),
            ("cc", loc.cc_labels),
            ("bcc", loc.bcc_labels),
            ("date", loc.date_labels),
            ("subject", loc.subject_labels),
            ("reply_to", loc.reply_to_labels),
            ("other", loc.other_labels),
        )
        for name, words in groups:
            for label in words:
                key = _key(label)
                # The first language to claim a label decides its field.
                field_of.setdefault(key, name)
                if field_of[key] == name:
                    langs_of.setdefault(key, set()).add(loc.code)
                    labels.add(label)
    return field_of, {k: frozenset(v) for k, v in langs_of.items()}, labels


_FIELD_OF, _LABEL_LANGS, _LABELS = _label_tables()

# "From: x", "*From:* x", "De : x", "发件人" + a full-width colon (a line already stripped).
_HEADER_RE = re.compile(
    r"(?:\*[ \t]?)?(?P<label>" + _alternation(_LABELS) + r")(?:[ \t]?\*)?[ \t]*[:\uff1a]"
    r"(?:[ \t]?\*)?(?P<value>.*)",
    re.IGNORECASE,
)
# Yahoo writes the block on one line: "From: X <x@y>To: A <a@b>Sent: …Subject: …".
_INLINE_LABEL_RE = re.compile(r"(?P<label>" + _alternation(_LABELS) + r")[ \t]?[:\uff1a]")


def _banner_tables() -> tuple[dict[str, tuple[bool, frozenset[str]]], set[str], set[str]]:
    kinds: dict[str, tuple[bool, set[str]]] = {}
    dashed: set[str] = set()
    intro: set[str] = set()
    for loc in locales.LOCALES:
        dashed.update(loc.end_banners)
        dashed.update(loc.body_banners)
        for phrase in loc.forward_banners:
            dashed.add(phrase)
            kinds.setdefault(_key(phrase), (True, set()))[1].add(loc.code)
        for phrase in loc.original_banners:
            dashed.add(phrase)
            kinds.setdefault(_key(phrase), (False, set()))[1].add(loc.code)
        for phrase in loc.intro_banners:
            intro.add(phrase)
    return {k: (strong, frozenset(v)) for k, (strong, v) in kinds.items()}, dashed, intro


_BANNER_KINDS, _DASHED, _INTRO = _banner_tables()
_END_BANNERS = frozenset(_key(p) for loc in locales.LOCALES for p in loc.end_banners)
_BODY_BANNERS = frozenset(_key(p) for loc in locales.LOCALES for p in loc.body_banners)
_SENDER_BANNERS: dict[str, frozenset[str]] = {
    _key(p): frozenset(loc.code for loc in locales.LOCALES if p in loc.sender_banners)
    for loc in locales.LOCALES
    for p in loc.sender_banners
}
_INTRO_LANGS: dict[str, frozenset[str]] = {
    _key(p): frozenset(loc.code for loc in locales.LOCALES if p in loc.intro_banners)
    for p in _INTRO
}
# The Bat! puts scissors in its rules: "===8<===Original message text===".
_DASH_RE = re.compile(
    r"[-=_*~]{2,}(?:8<[-=_*~]+)?[ \t]*(?P<phrase>" + _alternation(_DASHED) + r")[ \t]*"
    r"[-=_*~]{2,}(?P<rest>.*)",
    re.IGNORECASE,
)
_DATED_LANGS: dict[str, frozenset[str]] = {
    _key(p): frozenset(loc.code for loc in locales.LOCALES if p in loc.dated_banners)
    for loc in locales.LOCALES
    for p in loc.dated_banners
}
# Mail Orange: "Message du 19/03/24 12:28" over the header rows.
_DATED_RE = re.compile(
    r"(?P<phrase>" + _alternation(set(_DATED_LANGS)) + r")[ \t]+(?P<date>[^\s:].*\d.*)",
    re.IGNORECASE,
)
_DATED_FIRST = frozenset(c for p in _DATED_LANGS for c in (p[0], p[0].upper()))
_INTRO_RE = re.compile(r"(?P<phrase>" + _alternation(_INTRO) + r")[ \t]*[:\uff1a]?", re.IGNORECASE)
_UNDERSCORES_RE = re.compile(r"_{10,}")
_DASH_CHARS = frozenset("-=_*~")


def _month_tables() -> tuple[dict[str, list[tuple[str, int]]], frozenset[str]]:
    months: dict[str, list[tuple[str, int]]] = {}
    weekdays: set[str] = set()
    for loc in locales.LOCALES:
        for number, words in enumerate(loc.months, start=1):
            for word in words:
                # As dates are read: NFKC ("फ़" is two characters), then case-folded.
                options = months.setdefault(unicodedata.normalize("NFKC", word).casefold(), [])
                if all(lang != loc.code for lang, _ in options):
                    options.append((loc.code, number))
        weekdays.update(unicodedata.normalize("NFKC", w).casefold() for w in loc.weekdays)
    return months, frozenset(weekdays)


_MONTH_WORDS, _WEEKDAY_WORDS = _month_tables()
_DAY_FIRST = {loc.code: loc.day_first for loc in locales.LOCALES}
_YEAR_FIRST = frozenset(loc.code for loc in locales.LOCALES if loc.year_first)
_ERA_OFFSET = {loc.code: loc.era_offset for loc in locales.LOCALES if loc.era_offset}
# Thai abbreviations carry dots between letters ("ม.ค." is January): read without them.
_THAI_DOT_RE = re.compile(r"(?<=[\u0e01-\u0e4e])\.(?=[\u0e01-\u0e4e])")
_REPLY_PREFIXES_OF = {
    loc.code: frozenset(p.casefold() for p in loc.reply_prefixes) for loc in locales.LOCALES
}
_DIGITS = str.maketrans(
    {chr(ord(zero) + n): str(n) for zero in locales.DIGIT_ZEROS for n in range(10)}
)


def _prefix_tables() -> tuple[frozenset[str], str]:
    forward: set[str] = {"fwd", "fw"}
    every: set[str] = {"Fwd", "Fw", "Re"}
    for loc in locales.LOCALES:
        forward.update(p.casefold() for p in loc.forward_prefixes)
        every.update(loc.forward_prefixes)
        every.update(loc.reply_prefixes)
    return frozenset(forward), _alternation(every)


_FORWARD_PREFIXES, _PREFIX_ALT = _prefix_tables()
# "Fwd: ", "RE[2]: ", "[Fwd: …]", "转发" + a full-width colon, at the start of a subject.
_PREFIX_RE = re.compile(
    r"(?P<bracket>\[[ \t]?)?(?P<prefix>" + _PREFIX_ALT + r")\.?"
    r"(?:\[\d{1,3}\]|\(\d{1,3}\)|\^\d{1,3})?[ \t]*[:\uff1a][ \t]*",
    re.IGNORECASE,
)

_HTML_MARKERS_RE = re.compile(
    r"gmail_quote|divRplyFwdMsg|moz-forward-container|yahoo_quoted|OutlookMessageHeader"
    r"|border-top:[ \t]*solid[ \t]*#(?:E1E1E1|B5C4DF)|type=[\"']?cite",
    re.IGNORECASE,
)


_JOINERS = ("-", "\u05be")  # a hyphen, the Hebrew maqaf


def _attribution_tables() -> tuple[list[tuple[re.Pattern[str], frozenset[str]]], re.Pattern[str]]:
    glued = {w for w in locales.ATTRIBUTION_INTROS if w.endswith(_JOINERS)}  # Hebrew "ב-"
    spaced = set(locales.ATTRIBUTION_INTROS) - glued
    intros = r"(?:(?:" + _alternation(spaced) + r")[ \t]+|(?:" + _alternation(glued) + r"))?"
    forms: list[tuple[re.Pattern[str], frozenset[str]]] = [
        (re.compile(pattern, re.IGNORECASE), frozenset(langs.split()))
        for langs, pattern in locales.ATTRIBUTION_FORMS
    ]
    for lang, verb in locales.ATTRIBUTION_VERBS:
        forms.append(
            (
                re.compile(
                    intros + r"(?P<mixed>.+?)[ \t]*,?[ \t]+" + verb + r"[ \t]*[:\uff1a]",
                    re.IGNORECASE,
                ),
                frozenset({lang}),
            )
        )
    # Gmail in Russian and Japanese: "<date>, <name> <address>:" with no verb at all.
    forms.append((re.compile(r"(?P<mixed>.+<[^<>\s@]+@[^<>\s]+>)\)?[ \t]*[:\uff1a]"), frozenset()))
    tail = re.compile(
        r"(?:^|[ \t>\)])(?:" + "|".join(verb for _, verb in locales.ATTRIBUTION_VERBS) + r")"
        r"[ \t]*[:\uff1a]$|@[^<>\s]+>\)?[ \t]*[:\uff1a]$"
        r"|(?:" + _alternation(set(locales.ATTRIBUTION_END_WORDS)) + r")[ \t]?[:\uff1a]$",
        re.IGNORECASE,
    )
    return forms, tail


_ATTRIBUTION_FORMS, _ATTRIBUTION_TAIL_RE = _attribution_tables()
_SENDER_WORDS_RE = re.compile(
    r"(?:[ \t,]*(?:" + _alternation(set(locales.ATTRIBUTION_SENDER_WORDS)) + r")(?![^\W\d_]))*"
    r"[ \t,]*",
    re.IGNORECASE,
)
_AFTER_TIME_RE = re.compile(
    r"(?:[ \t,]*(?:[+\-\u2212]\d{2}:?\d{2}(?!\d)"  # Spark: "10:30 -0400, Megan Cole"
    r"|\(?(?:GMT|UTC)[ \t]?(?:[+\-\u2212][ \t]?\d{1,2}(?::?\d{2})?)?\)?"
    r"|\((?:" + "|".join(sorted(locales.ZONE_ABBREVIATIONS, key=lambda a: (-len(a), a))) + r")\)"
    r"|(?:" + "|".join(sorted(locales.ZONE_ABBREVIATIONS, key=lambda a: (-len(a), a))) + r")"
    r"(?![^\W\d_])))*"
)
_YEAR_RE = re.compile(
    r"(?<![\w@.+\-])(?:19|20)\d{2}(?![\w@])(?:[ \t]?(?:"
    + "|".join(re.escape(w) for w in locales.YEAR_SUFFIXES)
    + r"))?"
)
_GROUPWISE_RE = re.compile(
    r">>>[ \t]*(?P<who>[^\s>](?:[^>]{0,300}?[^\s>])?>?)[ \t]+(?P<date>\d{1,2}/\d{1,2}/\d{2,4}[ \t]+"
    r"\d{1,2}:\d{2}(?::\d{2})?(?:[ \t]?[AaPp]\.?[Mm]\.?)?)[ \t]*>>>"
)
_PAREN_ANGLE_RE = re.compile(r"\(<([^<>()\s]+@[^<>()\s]+)>\)")
_MAX_ATTRIBUTION = 400  # characters of an attribution line (two lines joined)
_MAX_NAME_WORDS = 4  # words of a sender's name in an attribution with no date
_MAX_ATTRIBUTION_TRIES = 50  # lines ending in a colon looked at for one
_MIN_DASHED = 12  # characters of an attribution between dashes, dashes included
_DIGIT_RE = re.compile(r"\d")

# --- public API -------------------------------------------------------------------------------


# None of these raises on any text: the unit tests feed them noise (the parser still guards
# the forward step, so a bug here costs a record its originals, never the record).


def split_forward(
    text: str, html: str | None = None, subject: str | None = None, *, from_html: bool = False
) -> ForwardSplit | None:
    """The forward blocks in a message's plain text (or, when there is no usable text, its HTML),
    or None if it is not an inline forward.

    With the message's `subject`, a forward subject ("Fwd:", "TR:", "WG:"...) also makes a reply
    attribution ("On … wrote:") over the quoted text a forward: some clients write that.
    `from_html`: the text is the HTML's own (an HTML-only message), read as converted HTML is
    (a block element per line, blank lines between header rows)."""
    if from_html:
        plain = (text or "")[:MAX_TEXT]
        return _first(plain, subject, html_mode=True) if plain.strip() else None
    return _split_forward(text, html, subject)


def parse_client_date(text: str, default_zone: str = DEFAULT_ZONE) -> datetime | None:
    """A date as a mail client wrote it in a forward block, in UTC, or None.

    Without a zone in the text, the time is taken as local to `default_zone`."""
    return _date_or_none(text, frozenset(), default_zone)


def strip_subject_prefixes(subject: str) -> str:
    """The subject without its leading forward and reply prefixes ("Fwd: RE: TR: …")."""
    return _strip_prefixes(subject)[0]


def is_forward_subject(subject: str) -> bool:
    """Whether the subject starts with a forward prefix in any supported language."""
    return any(p in _FORWARD_PREFIXES for p in _strip_prefixes(subject)[1])


# --- subjects ---------------------------------------------------------------------------------


def _strip_prefixes(subject: str) -> tuple[str, list[str]]:
    rest = subject or ""
    found: list[str] = []
    brackets = 0
    for _ in range(100):
        rest = rest.lstrip()  # any whitespace: the result is stripped of it too
        m = _PREFIX_RE.match(rest)
        if m is None:
            break
        found.append(m.group("prefix").casefold())
        if m.group("bracket"):
            brackets += 1
        rest = rest[m.end() :]
    rest = rest.strip()
    while brackets and rest.endswith("]"):
        rest = rest[:-1].rstrip()
        brackets -= 1
    return rest, found


def is_reply_subject(subject: str | None) -> bool:
    """Whether the subject's outermost prefix is a reply's ("Re:", "AW:", "RV:"...)."""
    if not subject:
        return False
    found = _strip_prefixes(subject)[1]
    return bool(found) and found[0] not in _FORWARD_PREFIXES


# --- splitting --------------------------------------------------------------------------------


def _split_forward(text: str, html: str | None, subject: str | None) -> ForwardSplit | None:
    plain = (text or "")[:MAX_TEXT]
    if plain.strip():
        found = _first(plain, subject, html_mode=False)
        if found is not None:
            return found
        if not html or not _HTML_MARKERS_RE.search(html, 0, MAX_HTML):
            return None
    if not html:
        return None
    converted = html_to_text(html[:MAX_HTML])[:MAX_TEXT]
    return _first(converted, subject, html_mode=True)


def _first(text: str, subject: str | None, html_mode: bool) -> ForwardSplit | None:
    """The forward in `text`: its first block, or under a forward subject an attribution line
    above that block (the block is then inside the attributed original: a chain)."""
    found = _split_text(text, html_mode, subject)
    attributed = _split_attributed(text, subject, html_mode)
    if attributed is None:
        return found
    if found is None or len(attributed.note) < len(found.note):
        return attributed  # the notes are the text above each: the shorter one comes first
    return found


def _split_text(text: str, html_mode: bool, subject: str | None) -> ForwardSplit | None:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    note, chain, _ = _scan(text.split("\n"), html_mode, subject, 0)
    if not chain:
        return None
    return ForwardSplit(note=note, chain=tuple(chain))


# --- attribution lines under a forward subject -------------------------------------------------


@dataclass(frozen=True)
class _Attribution:
    who: str
    date_text: str | None
    langs: frozenset[str]


def _split_attributed(text: str, subject: str | None, html_mode: bool) -> ForwardSplit | None:
    """A forward whose original opens with a reply attribution ("On … wrote:"): only under a
    forward subject, else it is a reply. The original's body is the quoted (or indented) text."""
    if not subject or not is_forward_subject(subject) or is_reply_subject(subject):
        return None  # "RE: FW: …" is a reply to a forward: its attribution is a reply's
    lines = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "").split("\n")
    candidates = 0
    nxt = _last_char(lines[0]) if lines else ""
    for i in range(len(lines)):
        tail = nxt
        nxt = _last_char(lines[i + 1]) if i + 1 < len(lines) else ""
        if (
            lines[i][:3] == ">>>"
            and len(lines[i]) <= _MAX_ATTRIBUTION
            and (m := _GROUPWISE_RE.fullmatch(lines[i].strip()))
        ):
            # GroupWise: ">>> "Name" <addr> 10/30/2023 9:12 AM >>>" over the unquoted text.
            found = (_Attribution(m["who"], m["date"], frozenset()), i + 1, 0)
        elif (
            tail not in (":", "\uff1a")
            and nxt not in (":", "\uff1a")
            and (tail != "-" or _dashed(_unquote(lines[i])[0].strip()) is None)
        ):
            continue
        else:
            found = None
        candidates += 1
        if candidates > _MAX_ATTRIBUTION_TRIES:
            return None
        found = found or _attribution_at(lines, i)
        if found is None:
            continue
        attribution, end, depth = found
        if _reply_in(subject, attribution.langs):
            return None  # Finnish "Vs:" over "… kirjoitti:": a reply (Danish "VS:" forwards)
        body_lines = _attributed_body(lines[end:], depth)
        if body_lines is None:
            continue
        # Without the prefix this forward added: an original that was a forward keeps its own.
        own_subject = _inherited_subject(subject) or strip_subject_prefixes(subject) or None
        body, inner, _ = _body_and_chain(body_lines, html_mode, own_subject, 1)
        senders = _parse_parties(_PAREN_ANGLE_RE.sub(r"<\1>", attribution.who))
        original = Original(
            sender=senders[0] if senders else None,
            to=(),
            cc=(),
            date_text=attribution.date_text,
            date=_date_or_none(attribution.date_text, attribution.langs),
            subject=own_subject,
            body=body,
        )
        return ForwardSplit(note=_tidy(lines[:i]), chain=(original, *inner))
    return None


def _reply_in(subject: str, langs: frozenset[str]) -> bool:
    """Whether the subject's outermost prefix is a reply's in one of `langs` (a prefix some
    languages use for forwards and others for replies)."""
    found = _strip_prefixes(subject)[1]
    return bool(found) and any(found[0] in _REPLY_PREFIXES_OF.get(lang, ()) for lang in langs)


def _last_char(line: str) -> str:
    """The last visible character of a line (Arabic Gmail ends its attribution in a colon
    between direction marks)."""
    last = line.rstrip()[-1:]
    return line.rstrip().rstrip(_BIDI_MARKS).rstrip()[-1:] if last in _BIDI_SET else last


def _attribution_at(lines: list[str], i: int) -> tuple[_Attribution, int, int] | None:
    """The attribution starting on line i (one line, or two a client wrapped), the index of the
    line after it, and its quote depth."""
    raw = lines[i]
    if len(raw) > MAX_LINE:
        return None
    unquoted, depth = _unquote(raw)
    text = _clean(unquoted)
    if not text or len(text) > _MAX_ATTRIBUTION:
        return None
    found = _attribution(_dashed(text) or text)
    if found is not None:
        return found, i + 1, depth
    if i + 1 < len(lines) and len(lines[i + 1]) <= MAX_LINE:
        nxt, nxt_depth = _unquote(lines[i + 1])
        joined = f"{text} {_clean(nxt)}".replace("< ", "<")
        if nxt_depth == depth and len(joined) <= _MAX_ATTRIBUTION:
            found = _attribution(joined)
            if found is not None:
                return found, i + 2, depth
    return None


def _dashed(text: str) -> str | None:
    """Zoho's attribution between dashes ("---- On <date> <sender> wrote ----") as the line it
    stands for ("On <date> <sender> wrote:"), or None if the line is not between dashes."""
    if len(text) < _MIN_DASHED or text[:2] != "--" or text[-2:] != "--":
        return None
    if "@" not in text and _DIGIT_RE.search(text) is None:
        return None  # no date and no address: a banner or a rule, not an attribution
    inner = text.strip("- \t")
    return f"{inner}:" if inner else None


def _attribution(text: str) -> _Attribution | None:
    """An attribution line's sender and date, or None if the line is not one."""
    if not text.endswith((":", "\uff1a")) or (
        not _ATTRIBUTION_TAIL_RE.search(text) and not any(c.isdigit() for c in text)
    ):
        return None
    for pattern, langs in _ATTRIBUTION_FORMS:
        m = pattern.fullmatch(text)
        if m is None:
            continue
        groups = m.groupdict()
        if groups.get("mixed") is not None:
            split = _split_mixed(groups["mixed"])
            if split is None:
                continue
            date_text, who = split
        else:  # Horde's "Quoting <sender>:" has no date
            date_text, who = (groups.get("date") or "").strip(" \t,"), groups["who"]
        who = who.strip(" \t,")
        if not who or len(who) > MAX_LINE:
            continue
        date = _date_or_none(date_text, langs) if date_text else None
        if date is None and not langs:
            continue  # "<name> <address>:" is an attribution only with its date
        if date is None and "@" not in who:
            continue
        return _Attribution(who=who, date_text=date_text or None, langs=langs)
    return None


def _split_mixed(mixed: str) -> tuple[str, str] | None:
    """ "<date>, <sender>" cut after the last piece of the date (time of day, numeric or CJK
    date, year) written before the sender's name or address; ("", sender) with no digits."""
    mixed = mixed.strip(" \t,")
    stop = len(mixed)
    for mark in ('"', "<"):
        at = mixed.find(mark)
        if at >= 0:
            stop = min(stop, at)
    head = mixed[:stop]
    if not head.isascii():
        head = head.translate(_DIGITS)  # "८:०५" as "8:05", at the same positions
    if not any(c.isdigit() for c in head):
        # "John Doe <john@example.org> wrote:", not a sentence that ends in "wrote:".
        return ("", mixed) if "@" in mixed and len(head.split()) <= _MAX_NAME_WORDS else None
    cut = 0
    blanked = head
    for pattern in (_NUM_DATE_RE, _CJK_DATE_RE):
        m = pattern.search(blanked)
        if m is not None:
            blanked = _blank(blanked, m)
            cut = max(cut, m.end())
    m_time = _TIME_RE.search(blanked)
    if m_time is not None:
        after = _AFTER_TIME_RE.match(head, m_time.end())
        cut = max(cut, after.end() if after is not None else m_time.end())
    for m_year in _YEAR_RE.finditer(head):
        cut = max(cut, m_year.end())
    if cut == 0:
        return None
    date_text = mixed[:cut].strip(" \t,\u3001\uff0c")
    rest = mixed[cut:].lstrip(" \t,\u3001\uff0c")
    words = _SENDER_WORDS_RE.match(rest)
    who = rest[words.end() :] if words is not None else rest
    return (date_text, who) if who.strip() else None


def _attributed_body(lines: list[str], depth: int) -> list[str] | None:
    """The lines of the original under an attribution at quote depth `depth`: the quoted run
    under it (one level of quotes removed), an indented run (dedented), or the rest."""
    k = 0
    while k < len(lines) and not _clean(_unquote(lines[k])[0]) and _unquote(lines[k])[1] <= depth:
        k += 1
    if k == len(lines):
        return None
    first_depth = _unquote(lines[k])[1]
    if first_depth > depth:
        out: list[str] = []
        for raw in lines[k:]:
            unquoted, d = _unquote(raw)
            if d <= depth and _clean(unquoted):
                break
            out.append(_strip_quotes(raw, depth + 1) if d > depth else "")
        return out
    if depth > 0:
        return None
    indent = _indent(lines[k])
    if indent >= 2:
        out = []
        for raw in lines[k:]:
            if raw.strip() and _indent(raw) < indent:
                break
            out.append(raw[indent:] if raw.strip() else "")
        return out
    return lines[k:]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _is_attribution_tail(lines: list[str], k: int) -> bool:
    """Whether line k ends a reply attribution (its own, or with the line before)."""
    text = _clean(_unquote(lines[k][:MAX_LINE])[0])
    if _attribution(text[:_MAX_ATTRIBUTION]) is not None:
        return True
    if k > 0:
        joined = f"{_clean(_unquote(lines[k - 1][:MAX_LINE])[0])} {text}"
        return len(joined) <= _MAX_ATTRIBUTION and _attribution(joined) is not None
    return False


def _opens_quote(lines: list[str], i: int, depth: int) -> bool:
    """Whether the '>'-quoted line i starts its quote: nothing but blank lines above it at that
    depth, and no reply attribution right above (a forward quoted whole, as IONOS and webmails
    write it, rather than a reply quoting a message)."""
    for k in range(i - 1, max(-1, i - _HEADER_WINDOW), -1):
        unquoted, d = _unquote(lines[k][:MAX_LINE])
        if not _clean(unquoted):
            continue
        return d < depth and not _is_attribution_tail(lines, k)
    return True


@dataclass
class _Headers:
    fields: dict[str, str] = field(default_factory=dict)
    langs: set[str] = field(default_factory=set)
    end: int = 0  # index of the first line after the block
    depth: int | None = None  # quote depth of the header lines
    each: list[frozenset[str]] = field(default_factory=list)  # the languages of each label

    def add_langs(self, langs: frozenset[str]) -> None:
        self.langs |= langs
        if langs:
            self.each.append(langs)

    def date_langs(self) -> frozenset[str]:
        """The languages every label and banner of the block belongs to ("From", "To",
        "Subject" say English though "Date" is French too: 03/11/2024 is March 11), or, when
        they share none (Gmail's partly translated blocks), all of them."""
        return self.common_langs() or frozenset(self.langs)

    def common_langs(self) -> frozenset[str]:
        """The languages every label and banner of the block belongs to (maybe none)."""
        return frozenset.intersection(*self.each) if self.each else frozenset()


@dataclass(frozen=True)
class _Block:
    headers: _Headers
    quote_depth: int
    strong: bool = False  # opened by a forward banner, not a block Outlook also writes in replies


def _scan(
    lines: list[str], html_mode: bool, parent_subject: str | None, depth: int
) -> tuple[str, list[Original], list[str] | None]:
    """The text before the first block in `lines`, the chain of originals from there, and the
    lines after the outermost original's closing banner (None when it has none).

    `parent_subject` is the subject of the message the lines are in (the forward's, at depth 0)."""
    start, chain, rest = _scan_at(lines, html_mode, parent_subject, depth)
    return _tidy(lines[:start]), chain, rest


def _scan_at(
    lines: list[str], html_mode: bool, parent_subject: str | None, depth: int
) -> tuple[int, list[Original], list[str] | None]:
    """`_scan`, with the index of the first block (len(lines) when there is none)."""
    in_reply = depth > 0 and is_reply_subject(parent_subject)
    # A message whose subject says nothing of a forward: a block with no banner and no address
    # is more likely a memo or a phone log (De:/Para:/Fecha:/Asunto: lines) than a forward.
    plain = depth == 0 and parent_subject is not None and not is_forward_subject(parent_subject)
    # A prefix some languages forward with and others reply with ("VS:"): a block that is not a
    # forward banner's, in a language that replies with it, is a quoted reply.
    ambiguous = depth == 0 and parent_subject is not None and not plain
    for i in range(len(lines)):
        block = _block_at(lines, i, html_mode, in_reply, plain)
        if block is None:
            continue
        if (
            ambiguous
            and not block.strong
            and _reply_in(parent_subject or "", block.headers.common_langs())
        ):
            return len(lines), [], None  # a Finnish Outlook reply under "VS:"
        fields = block.headers.fields
        subject = fields.get("subject")
        if subject is None:
            subject = _inherited_subject(parent_subject)
        start = block.headers.end
        end = _quote_end(lines, start, block.quote_depth)
        body_lines = _unquoted_body(
            [_strip_quotes(line, block.quote_depth) for line in lines[start:end]]
        )
        body, inner, rest = _body_and_chain(body_lines, html_mode, subject, depth + 1)
        if end < len(lines):  # below the quote: the enclosing message's text again
            rest = [*(rest or []), *lines[end:]]
        date_text = fields.get("date") or None
        senders = _parse_parties(fields.get("from", ""))
        original = Original(
            sender=senders[0] if senders else None,
            to=tuple(_parse_parties(fields.get("to", ""))),
            cc=tuple(_parse_parties(fields.get("cc", ""))),
            date_text=date_text,
            date=_date_or_none(date_text, block.headers.date_langs()),
            subject=subject,
            body=body,
        )
        return i, [original, *inner], rest
    return len(lines), [], None


def _body_and_chain(
    lines: list[str], html_mode: bool, subject: str | None, depth: int
) -> tuple[str, list[Original], list[str] | None]:
    """An original's body from the lines under its block, the originals nested in it, and the
    lines after its closing banner ("----- End forwarded message -----"), which are not its own.

    A closing banner closes the innermost original still open: text after a nested original's
    closing banner is the enclosing original's again."""
    start, inner, after = (
        _scan_at(lines, html_mode, subject, depth) if depth < MAX_DEPTH else (len(lines), [], None)
    )
    end = _closing_banner(lines[:start])
    if end is not None:  # closed above any nested block: what follows is not this original's
        return _tidy(lines[:end]), [], lines[end + 1 :]
    if after is None:
        return _tidy(lines[:start]), inner, None
    end = _closing_banner(after)
    parts = (_tidy(lines[:start]), _tidy(after if end is None else after[:end]))
    return "\n\n".join(p for p in parts if p), inner, None if end is None else after[end + 1 :]


def _closing_banner(lines: list[str]) -> int | None:
    """The index of the first unquoted closing banner in `lines`, if any."""
    for n, raw in enumerate(lines):
        if _is_closing_banner(raw):
            return n
    return None


def _is_closing_banner(raw: str) -> bool:
    """Whether an unquoted line is a closing banner ("----- End forwarded message -----")."""
    if not raw or raw.lstrip(" \t\xa0")[:1] not in _DASH_CHARS or len(raw) > MAX_LINE:
        return False
    m = _DASH_RE.match(_clean(raw))
    return (
        m is not None
        and _key(m.group("phrase")) in _END_BANNERS
        and not m.group("rest").strip(" \t-=_*~")
    )


def _quote_end(lines: list[str], start: int, depth: int) -> int:
    """Where the quote that holds a '>'-quoted header block ends: at the first line less quoted
    than `depth` after a line with no text (the forwarder writing again below the quote, as
    under an IONOS or Outlook "prefix each line" forward). len(lines) when the block is not
    quoted, or when the body under it is not (GMX and WEB.DE quote the header rows only)."""
    if depth == 0:
        return len(lines)
    quoted = False
    blank_above = False
    for n in range(start, len(lines)):
        raw = lines[n]
        if len(raw) > MAX_LINE:
            return len(lines)
        unquoted, d = _unquote(raw)
        if not unquoted.strip(" \t\xa0"):
            blank_above = True
            continue
        if d < depth:
            if not quoted:
                return len(lines)
            if blank_above:
                return n
        quoted = True
        blank_above = False
    return len(lines)


def _inherited_subject(subject: str | None) -> str | None:
    """The subject of an original whose block shows none (Yandex, Yahoo's app): the forward's
    without the forward prefix it added, or None if it has no forward prefix."""
    rest = (subject or "").lstrip()
    m = _PREFIX_RE.match(rest)
    if m is None or m.group("bracket") or m.group("prefix").casefold() not in _FORWARD_PREFIXES:
        return None
    return rest[m.end() :].strip() or None


def _unquoted_body(lines: list[str]) -> list[str]:
    """A body quoted whole with '>' (Missive, Mutt, Gnus, Sylpheed...) without that level of
    quotes, and without the forwarder's signature ("-- ") under the quote. A closing banner
    under the quote stays, unquoted, to close the original."""
    seen = False
    for n, raw in enumerate(lines):
        if len(raw) > MAX_LINE:
            return lines
        if not raw.strip(" \t\xa0"):
            continue
        if _unquote(raw)[1] == 0:
            if seen and raw.rstrip() == "--":
                return [_strip_quotes(line, 1) for line in lines[:n]]
            if seen and _is_closing_banner(raw):
                return [*(_strip_quotes(line, 1) for line in lines[:n]), *lines[n:]]
            return lines
        seen = True
    return [_strip_quotes(line, 1) for line in lines] if seen else lines


def _block_at(
    lines: list[str], i: int, html_mode: bool, in_reply: bool, plain: bool = False
) -> _Block | None:
    raw = lines[i]
    if len(raw) > MAX_LINE:
        return None
    unquoted, depth = _unquote(raw)
    text, source = _view(unquoted)
    if not text:
        return None
    strong: bool | None = None
    langs: frozenset[str] = frozenset()
    rest: str | None = None
    banner: str | None = None
    dated: re.Match[str] | None = None
    m = _DASH_RE.match(text) if text[0] in _DASH_CHARS else None
    if m is not None:
        banner = _key(m.group("phrase"))
        if banner in _END_BANNERS:
            return None  # "----- End forwarded message -----" closes a block, opens none
        strong, langs = _BANNER_KINDS.get(banner, (False, frozenset()))
        rest = source[m.start("rest") :].strip(" \t-=_*~") or None
    elif len(text) <= _MAX_INTRO and (m := _INTRO_RE.fullmatch(text)) is not None:
        strong, langs = True, _INTRO_LANGS.get(_key(m.group("phrase")), frozenset())
    elif text[0] in _DASH_CHARS and (named := _sender_banner(text)) is not None:
        strong, langs = True, named
    elif text[0] == "_" and _UNDERSCORES_RE.fullmatch(text):
        strong = False
    elif (
        text[0] in _DATED_FIRST
        and len(text) <= _MAX_INTRO
        and (dated := _DATED_RE.fullmatch(text)) is not None
    ):
        strong, langs = False, _DATED_LANGS.get(_key(dated["phrase"]), frozenset())
    if strong is not None:
        if not strong and in_reply:
            return None
        headers = _read_headers(lines, i + 1, html_mode, rest)
        if dated is not None:
            headers.fields.setdefault("date", source[dated.start("date") :].strip())
        if strong and not headers.fields and not rest:
            # Yahoo's app and Yandex write an attribution line, not a header block.
            headers = _attribution_block(lines, i + 1) or headers
        headers.add_langs(langs)
        f = headers.fields
        if not strong and (
            not (f.get("from") and ("date" in f or "to" in f or "subject" in f))
            or ((depth > 0 or bool(headers.depth)) and not _opens_quote(lines, i, depth))
        ):
            return None  # Outlook writes the same block above replies; quoted, it is one
        if strong and not f and rest:
            return None  # "----- Forwarded Message ----- and more words": not a banner
        if banner is not None and f:
            _skip_repeated_banner(lines, headers, banner, html_mode)
            _skip_rule(lines, headers)
        quote = headers.depth if headers.depth is not None else depth
        return _Block(headers, quote, strong)
    # A header block with no banner: Outlook desktop, Outlook for Mac.
    if (
        in_reply
        or _header_field(text) not in ("from", "date")
        or (depth > 0 and not _opens_quote(lines, i, depth))
    ):
        return None
    headers = _read_headers(lines, i, html_mode, None)
    f = headers.fields
    if not (f.get("from") and f.get("date") and ("to" in f or "subject" in f)):
        return None
    if "@" not in f["from"] and (plain or _date_or_none(f["date"], headers.date_langs()) is None):
        return None
    _skip_rule(lines, headers)
    return _Block(headers, headers.depth if headers.depth is not None else depth)


def _sender_banner(text: str) -> frozenset[str] | None:
    """The languages of a dashed banner that names the sender ("----- Forwarded message from
    Jo Doe <jo@example.org> -----"), or None if the line is not one."""
    if len(text) < 8 or not {text[0], text[1], text[-2], text[-1]} <= _DASH_CHARS:
        return None
    words = _key(text.strip("-=_*~ \t"))
    for phrase, langs in _SENDER_BANNERS.items():
        if words.startswith(phrase + " "):
            return langs
    return None


def _next_text(lines: list[str], start: int) -> int | None:
    """The index of the first non-blank line from `start`, past at most three blank ones."""
    for k in range(start, min(start + 4, len(lines))):
        if len(lines[k]) > MAX_LINE:
            return None
        if _clean(_unquote(lines[k])[0]):
            return k
    return None


def _attribution_block(lines: list[str], start: int) -> _Headers | None:
    """An attribution line ("On … wrote:", Yandex's "<date>, <sender>:") standing in for the
    header block under a banner, read as one."""
    k = _next_text(lines, start)
    found = _attribution_at(lines, k) if k is not None else None
    if found is None:
        return None
    attribution, end, depth = found
    fields = {"from": _PAREN_ANGLE_RE.sub(r"<\1>", attribution.who)}
    if attribution.date_text:
        fields["date"] = attribution.date_text
    return _Headers(fields=fields, langs=set(attribution.langs), end=end, depth=depth)


def _skip_repeated_banner(
    lines: list[str], headers: _Headers, banner: str, html_mode: bool
) -> None:
    """Zoho writes its banner again under the header block: that line, with no header block of
    its own under it (which would open a forward of a forward), closes the block."""
    k = _next_text(lines, headers.end)
    if k is None:
        return
    text = _clean(_unquote(lines[k])[0])
    m = _DASH_RE.match(text) if text[0] in _DASH_CHARS else None
    if (
        m is not None
        and _key(m.group("phrase")) == banner
        and not m.group("rest").strip()
        and not _read_headers(lines, k + 1, html_mode, None).fields
    ):
        headers.end = k + 1


def _skip_rule(lines: list[str], headers: _Headers) -> None:
    """SquirrelMail and Sylpheed close their header block with a rule of dashes right under the
    last row, and The Bat! opens the body with "===8<===Original message text===": those lines
    belong to the block, not to the body."""
    k = headers.end
    if k < len(lines) and len(lines[k]) <= MAX_LINE:
        text = _clean(_unquote(lines[k])[0])
        if len(text) >= _MIN_RULE and len(set(text)) == 1 and text[0] in "-=":
            headers.end = k + 1
            return
    nxt = _next_text(lines, headers.end)
    if nxt is not None and lines[nxt].lstrip(" \t>")[:1] in _DASH_CHARS:
        m = _DASH_RE.match(_clean(_unquote(lines[nxt])[0]))
        if m is not None and _key(m.group("phrase")) in _BODY_BANNERS and not m.group("rest"):
            headers.end = nxt + 1


def _read_headers(lines: list[str], start: int, html_mode: bool, rest: str | None) -> _Headers:
    headers = _Headers(end=start)
    fields = headers.fields
    if rest:
        _read_inline(rest, headers)
    j = start
    leading_blanks = 0
    last: str | None = None
    last_raw = ""
    awaiting: str | None = None  # HTML tables put a label and its value on separate lines
    while j < len(lines) and j - start < _HEADER_WINDOW:
        raw = lines[j]
        if len(raw) > MAX_LINE:
            break
        unquoted, depth = _unquote(raw)
        text, source = _view(unquoted)
        if not text:
            if not fields:
                leading_blanks += 1
                if leading_blanks > (3 if html_mode else 2):
                    break
                j += 1
                continue
            if not html_mode:
                break
            k = j
            while k < len(lines) and k - j < 3 and not _clean(_unquote(lines[k])[0]):
                k += 1
            if k < len(lines) and len(lines[k]) <= MAX_LINE:
                ahead = _header_field(_clean(_unquote(lines[k])[0]))
                if awaiting or (ahead is not None and (ahead not in fields or ahead == "other")):
                    j = k
                    continue
            break
        m = _HEADER_RE.match(text) if _has_colon(text) else None
        if m is not None:
            label = _key(m.group("label"))
            name = _FIELD_OF.get(label, "other")
            if name in fields and name != "other":
                break
            value = source[m.start("value") :].strip()
            if not fields and not rest and len(_INLINE_LABEL_RE.findall(value)) >= 2:
                _read_inline(source, headers)
            else:
                fields[name] = value
                headers.add_langs(_LABEL_LANGS.get(label, frozenset()))
            if headers.depth is None:
                headers.depth = depth
            awaiting = name if (html_mode and not value) else None
            last, last_raw = name, raw
            j += 1
            headers.end = j
            continue
        if awaiting is not None:
            fields[awaiting] = source
            awaiting = None
            j += 1
            headers.end = j
            continue
        if last in ("to", "cc", "bcc") and fields[last].endswith((",", ";")):
            fields[last] = f"{fields[last]} {source}"[:MAX_LINE]
            j += 1
            headers.end = j
            continue
        if (
            not html_mode
            and last in ("to", "cc", "bcc", "subject")
            and last_raw.endswith(" ")
            and not last_raw.endswith("  ")
            and fields[last]
        ):
            # format=flowed: a soft line break inside a long header value.
            fields[last] = f"{fields[last]} {source}"[:MAX_LINE]
            last_raw = raw
            j += 1
            headers.end = j
            continue
        break
    return headers


def _read_inline(line: str, headers: _Headers) -> None:
    """Fields of a header block written on one line (Yahoo)."""
    text, source = _view(line[:MAX_LINE])
    seen: set[str] = set(headers.fields)
    kept: list[tuple[int, int, str, str]] = []  # start, end, field, label key
    for m in _INLINE_LABEL_RE.finditer(text):
        label = m.group("label")
        key = _key(label)
        name = _FIELD_OF.get(key, "other")
        start = m.start()
        if start > 0 and len(label) < 2 and text[start - 1].isalpha():
            continue  # "A:" inside a word
        if name in seen and name != "other":
            continue
        if not kept and start != 0:
            return  # the line does not start with a label
        seen.add(name)
        kept.append((start, m.end(), name, key))
    for n, (_, end, name, key) in enumerate(kept):
        stop = kept[n + 1][0] if n + 1 < len(kept) else len(text)
        headers.fields[name] = source[end:stop].strip()
        headers.add_langs(_LABEL_LANGS.get(key, frozenset()))


def _has_colon(text: str) -> bool:
    head = text[:_LABEL_SPAN]
    return ":" in head or "\uff1a" in head


def _header_field(text: str) -> str | None:
    if not text or len(text) > MAX_LINE or not _has_colon(text):
        return None
    m = _HEADER_RE.match(text)
    if m is None:
        return None
    return _FIELD_OF.get(_key(m.group("label")), "other")


# --- lines ------------------------------------------------------------------------------------


def _unquote(raw: str) -> tuple[str, int]:
    """The line without its leading '>' quote markers, and how many there were."""
    depth = 0
    i = 0
    n = len(raw)
    while True:
        j = i
        while j < n and raw[j] in " \t":
            j += 1
        if j < n and raw[j] == ">":
            depth += 1
            i = j + 1
        else:
            break
    return (raw[i:], depth) if depth else (raw, 0)


def _strip_quotes(raw: str, levels: int) -> str:
    """The line with up to `levels` leading quote markers (and the space after them) removed."""
    if levels <= 0:
        return raw
    i = 0
    n = len(raw)
    removed = 0
    while removed < levels:
        j = i
        while j < n and raw[j] in " \t":
            j += 1
        if j < n and raw[j] == ">":
            removed += 1
            i = j + 1
        else:
            break
    if removed and i < n and raw[i] == " ":
        i += 1
    return raw[i:] if removed else raw


# Direction marks (Arabic and Hebrew clients put them around names, addresses and colons).
_BIDI_MARKS = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c"
_BIDI_SET = frozenset(_BIDI_MARKS)
_NO_MARKS = str.maketrans(dict.fromkeys(_BIDI_MARKS))
_SPACES = str.maketrans(
    {"\xa0": " ", "\u202f": " ", "\u2007": " ", "\u3000": " "} | dict.fromkeys(_BIDI_MARKS)
)


def _view(unquoted: str) -> tuple[str, str]:
    """The stripped line twice: normalised for matching, and as written (same positions)."""
    if unquoted.isascii():  # most lines: no odd spaces or marks, and NFC already
        text = unquoted.strip()
        return text, text
    translated = unquoted.translate(_SPACES)
    if len(translated) != len(unquoted):
        unquoted = unquoted.translate(_NO_MARKS)  # the same positions as `translated`
    text = translated.strip()
    if not text:
        return "", ""
    start = len(translated) - len(translated.lstrip())
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
        return text, text
    return text, unquoted[start : start + len(text)]


def _clean(text: str) -> str:
    return _view(text)[0]


def _tidy(lines: list[str]) -> str:
    """Lines joined and trimmed, without blank or bare-quote-marker lines at either end."""
    start, end = 0, len(lines)
    while start < end and not lines[start].strip(" \t>\xa0"):
        start += 1
    while end > start and not lines[end - 1].strip(" \t>\xa0"):
        end -= 1
    return "\n".join(lines[start:end]).strip()


# --- addresses --------------------------------------------------------------------------------

_NESTED_MAILTO_RE = re.compile(r"<([^<>\s]+)<mailto:[^<>\s]*>>", re.IGNORECASE)
_MAILTO_RE = re.compile(r"[\[<]mailto:([^\]<>\s]+)[\]>]", re.IGNORECASE)
_PAREN_ADDRESS_RE = re.compile(r"\(([^()\s@]+@[^()\s]+)\)")
_SINGLE_QUOTED_RE = re.compile(r"(^|[,;][ \t]*)'([^'<>\"]*)'([ \t]*<)")
_BARE_BEFORE_ANGLE_RE = re.compile(r"(^|[,;][ \t]*)([^\s<>\"',;@]+@[^\s<>\"',;]+)([ \t]*<)")
_ADDRESS_RE = re.compile(r"[^\s<>()\[\]\"',;:@]+@[^\s<>()\[\]\"',;:]+")
# The common forms ("Name <addr>", '"Name" <addr>', "<addr>", "addr"), read without the stdlib's
# RFC 5322 parser, which took a third of the finder's time; anything else still goes through it.
_PLAIN_ADDRESS = (
    r"[A-Za-z0-9!#$%&*+/=?^_`{|}~\-]+(?:\.[A-Za-z0-9!#$%&*+/=?^_`{|}~\-]+)*"
    r"@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+"
)
_SIMPLE_PARTY_RE = re.compile(
    r"(?:(?:\"(?P<quoted>[^\"\\]*)\"|(?P<words>[^\s\"<>()\[\]@,;:\\.]+"
    r"(?:[ \t]+[^\s\"<>()\[\]@,;:\\.]+)*))?[ \t]*<(?P<angle>" + _PLAIN_ADDRESS + r")>)"
    r"|(?P<bare>" + _PLAIN_ADDRESS + r")"
)


def _parse_parties(value: str) -> list[Party]:
    """The people in a From/To/Cc value: "Name <addr>", "Name [mailto:addr]", "addr", "Name"."""
    value = _clean(value)
    if not value:
        return []
    value = _NESTED_MAILTO_RE.sub(r"<\1>", value)
    value = _MAILTO_RE.sub(r"<\1>", value)
    value = _PAREN_ADDRESS_RE.sub(r"<\1>", value)
    value = _SINGLE_QUOTED_RE.sub(r'\1"\2"\3', value)
    value = _BARE_BEFORE_ANGLE_RE.sub(r'\1"\2"\3', value)
    # Outlook separates recipients with ';' and writes names as "Last, First": when there is a
    # ';' (or no address at all) a comma belongs to a name.
    separator = ";" if ";" in _outside_quotes(value) or "@" not in value else ","
    parties: list[Party] = []
    for party in (
        p for segment in _split_outside_quotes(value, separator) for p in _parse_party(segment)
    ):
        previous = parties[-1] if parties else None
        if (
            separator == ","
            and previous is not None
            and not previous.address
            and " " not in previous.name
            and party.address
            and party.name
            and " " not in party.name
        ):
            # An unquoted "Doherty, Patricia <p@example.org>".
            parties[-1] = Party(f"{previous.name}, {party.name}", party.address)
            continue
        parties.append(party)
    return parties


def _parse_party(segment: str) -> list[Party]:
    segment = segment.strip()
    if "@" not in segment:
        name = segment.strip(" \t\"'<>:")
        return [Party(name=name, address="")] if name else []
    simple = _SIMPLE_PARTY_RE.fullmatch(segment)
    if simple is not None:
        return [_simple_party(simple)]
    pairs = [
        (n.strip(), a.strip())
        for n, a in getaddresses([segment])
        if _ADDRESS_RE.fullmatch(a.strip())
    ]
    if not pairs:
        # Not one mailbox: "a@example.org b@example.org", or a stray quote.
        return [Party(name="", address=a) for a in _ADDRESS_RE.findall(segment)]
    name = next((n for n, _ in pairs if n), "").strip(" \t\"'")
    address = pairs[0][1]
    if name.casefold() == address.casefold():
        name = ""
    return [Party(name=name, address=address)]


def _simple_party(m: re.Match[str]) -> Party:
    """The party of a segment in one of the common forms, as getaddresses would read it."""
    address = m["angle"] or m["bare"]
    words = m["quoted"] if m["quoted"] is not None else " ".join((m["words"] or "").split())
    name = words.strip(" \t\"'")
    return Party(name="" if name.casefold() == address.casefold() else name, address=address)


def _outside_quotes(value: str) -> str:
    """The characters of `value` that are not inside "quotes" or <angle brackets>."""
    out: list[str] = []
    quoted = False
    angle = False
    for ch in value:
        if ch == '"':
            quoted = not quoted
        elif ch == "<" and not quoted:
            angle = True
        elif ch == ">" and not quoted:
            angle = False
        elif not quoted and not angle:
            out.append(ch)
    return "".join(out)


def _split_outside_quotes(value: str, separator: str) -> list[str]:
    segments: list[str] = []
    current: list[str] = []
    quoted = False
    angle = False
    for ch in value:
        if ch == '"':
            quoted = not quoted
        elif ch == "<" and not quoted:
            angle = True
        elif ch == ">" and not quoted:
            angle = False
        elif ch == separator and not quoted and not angle:
            segments.append("".join(current))
            current = []
            continue
        current.append(ch)
    segments.append("".join(current))
    return segments


# --- dates ------------------------------------------------------------------------------------

_ISO_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?"
)
_GMT_OFFSET_RE = re.compile(
    r"(?<![A-Za-z])(?:GMT|UTC|UT)[ \t]?(?P<sign>[+\-\u2212])[ \t]?(?P<h>\d{1,2})"
    r"(?::?(?P<m>\d{2}))?(?!\d)"
)
_NUM_OFFSET_RE = re.compile(
    r"(?<![\w:+\-\u2212])(?P<sign>[+\-\u2212])(?P<h>\d{2}):?(?P<m>\d{2})(?!\d)"
)
_ZONE_ABBR_RE = re.compile(
    r"(?<![A-Za-z])(?P<abbr>"
    + "|".join(
        sorted(
            set(locales.ZONE_ABBREVIATIONS) | locales.AMBIGUOUS_ZONES, key=lambda a: (-len(a), a)
        )
    )
    + r")(?![A-Za-z])"
)
_NUM_DATE_RE = re.compile(
    r"(?<![\d.:/-])(?P<a>\d{1,4})[ \t]?(?P<sep>[./-])[ \t]?(?P<b>\d{1,2})[ \t]?(?P=sep)[ \t]?"
    r"(?P<c>\d{2,4})(?![\d:])"
)
# Korean, Japanese and Chinese clients write a short year first: "22/4/18", "23. 11. 7.".
_YEAR_FIRST_RE = re.compile(
    r"(?<![\d.:/-])(?P<y>\d{2})[ \t]?(?P<sep>[./-])[ \t]?(?P<m>\d{1,2})[ \t]?(?P=sep)[ \t]?"
    r"(?P<d>\d{1,2})(?![\d:/-])"
)
_FULL_YEAR_RE = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")
_CJK_DATE_RE = re.compile(
    r"(?P<y>\d{4})[ \t]?[年년][ \t]?(?P<m>\d{1,2})[ \t]?[月월][ \t]?(?P<d>\d{1,2})[ \t]?[日일]?"
)
_VI_MONTH_RE = re.compile(r"(?<![^\W\d_])(?:thg|tháng)[ \t]?(?P<m>\d{1,2})(?!\d)", re.IGNORECASE)


def _combining_marks() -> str:
    """A character class body: the combining marks (vowel signs, viramas, harakat) of the scripts
    that write them, which `\\w` does not match, so "अक्तू" or "មីនា" stay one word."""
    blocks = (
        (0x0300, 0x036F), (0x0483, 0x0489), (0x0591, 0x05C7), (0x0610, 0x061A),
        (0x064B, 0x065F), (0x0670, 0x0670), (0x06D6, 0x06ED), (0x0900, 0x0DFF),
        (0x0E31, 0x0E4E), (0x0EB1, 0x0ECE), (0x0F18, 0x0FBC), (0x102B, 0x109D),
        (0x1712, 0x1773), (0x17B4, 0x17DD), (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF),
        (0x20D0, 0x20FF), (0x302A, 0x302F), (0x3099, 0x309A), (0xFE20, 0xFE2F),
    )  # fmt: skip
    marks = [
        code
        for low, high in blocks
        for code in range(low, high + 1)
        if unicodedata.category(chr(code)).startswith("M")
    ]
    runs: list[list[int]] = []
    for code in marks:
        if runs and code == runs[-1][1] + 1:
            runs[-1][1] = code
        else:
            runs.append([code, code])
    return "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in runs)


_LETTER = r"(?:[^\W\d_]|[" + _combining_marks() + r"])"  # a letter or a mark on one

_MARKERS = locales.AM_MARKERS + locales.PM_MARKERS
_MARKERS_AFTER = [m for m in _MARKERS if not m.isascii() and m not in locales.MARKERS_BEFORE_TIME]
_TIME_RE = re.compile(
    r"(?P<pre>" + "|".join(m for m in _MARKERS if m in locales.MARKERS_BEFORE_TIME) + r")?[ \t]?"
    r"(?<![\d.:])(?P<h>[01]?\d|2[0-3])"
    r"(?:[:\uff1a](?P<m>[0-5]\d)(?:[:.](?P<s>[0-5]\d))?"
    r"|\.(?P<m2>[0-5]\d)(?:\.(?P<s2>[0-5]\d))?"
    r"|[ \t]?[hH][ \t]?(?P<m3>[0-5]\d))(?!\d)"
    r"(?:[ \t]?(?P<post>[AaPp]\.?[ \t]?[Mm]\.?(?![A-Za-z])|SA(?![A-Za-z])|CH(?![A-Za-z])"
    r"|(?:"
    + "|".join(re.escape(m) for m in sorted(_MARKERS_AFTER, key=lambda m: (-len(m), m)))
    + r")(?!"
    + _LETTER
    + r")))?"
)
_TOKEN_RE = re.compile(r"\d+|" + _LETTER + r"+(?:['\u02bc]" + _LETTER + r"+)?")


def _blank(s: str, m: re.Match[str]) -> str:
    """`s` with the match replaced by as many spaces (later matches keep their positions)."""
    return s[: m.start()] + " " * (m.end() - m.start()) + s[m.end() :]


def _date_or_none(
    text: str | None, langs: frozenset[str], zone: str = DEFAULT_ZONE
) -> datetime | None:
    """A client's date, or None if it is no date (out of range, an impossible day...)."""
    if not text:
        return None
    try:
        return _parse_date(text, zone, langs)
    except (ValueError, ArithmeticError, LookupError):
        return None


def _parse_date(text: str, default_zone: str, langs: frozenset[str]) -> datetime | None:
    s = text.strip()[: _MAX_DATE * 2]
    if not s.isascii():
        s = unicodedata.normalize("NFKC", s).translate(_DIGITS)
        s = _THAI_DOT_RE.sub("", s)
    s = " ".join(s.split())[:_MAX_DATE]
    if not s:
        return None
    if _ISO_RE.fullmatch(s):
        parsed = datetime.fromisoformat(s.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=ZoneInfo(default_zone))
        return parsed.astimezone(UTC)

    offset: int | None = None
    m_gmt = _GMT_OFFSET_RE.search(s)
    m_num = _NUM_OFFSET_RE.search(s)
    explicit = m_num or m_gmt
    if explicit is not None:
        minutes = int(explicit.group("h")) * 60 + int(explicit.group("m") or 0)
        offset = -minutes if explicit.group("sign") in "-\u2212" else minutes
    for m in (m_num, m_gmt):
        if m is not None:
            s = _blank(s, m)
    for m in list(_ZONE_ABBR_RE.finditer(s))[:3]:
        abbr = m.group("abbr")
        if offset is None:
            if abbr in locales.AMBIGUOUS_ZONES:
                return None
            offset = locales.ZONE_ABBREVIATIONS[abbr]
    s = _ZONE_ABBR_RE.sub(" ", s)

    year = month = day = None
    m_short = _YEAR_FIRST_RE.search(s) if langs & _YEAR_FIRST else None
    if m_short is not None and 1 <= int(m_short["m"]) <= 12:
        year, month, day = 2000 + int(m_short["y"]), int(m_short["m"]), int(m_short["d"])
        s = _blank(s, m_short)
    m_date = _NUM_DATE_RE.search(s) if year is None else None
    if m_date is not None and len(m_date["c"]) == 2 and _FULL_YEAR_RE.search(_blank(s, m_date)):
        m_date = None  # "5. april 2024 kl. 16.12.08": a time with dots, the year is elsewhere
    if m_date is not None:
        ymd = _numeric_date(m_date, langs)
        if ymd is not None:
            year, month, day = ymd
            s = _blank(s, m_date)
    if year is None and (m_cjk := _CJK_DATE_RE.search(s)) is not None:
        year, month, day = int(m_cjk.group("y")), int(m_cjk.group("m")), int(m_cjk.group("d"))
        s = _blank(s, m_cjk)

    hour = minute = second = 0
    m_time = _TIME_RE.search(s)
    if m_time is not None:
        hour = int(m_time.group("h"))
        minute = int(m_time.group("m") or m_time.group("m2") or m_time.group("m3") or 0)
        second = int(m_time.group("s") or m_time.group("s2") or 0)
        marker = m_time.group("pre") or m_time.group("post") or ""
        letter = marker[:1].casefold()
        pm = marker in locales.PM_MARKERS or letter == "p"
        am = marker in locales.AM_MARKERS or letter == "a"
        if pm and hour < 12:
            hour += 12
        elif am and hour == 12:
            hour = 0
        s = _blank(s, m_time)
        if offset is None and _unknown_zone(s[m_time.end() :]):
            return None  # a zone we cannot read: better no date than a wrong one

    if year is None:
        ymd = _word_date(s, langs)
        if ymd is None:
            return None
        year, month, day = ymd
    if month is None or day is None:
        return None
    zone: tzinfo = (
        timezone(timedelta(minutes=offset)) if offset is not None else ZoneInfo(default_zone)
    )
    local = datetime(year, month, day, hour, minute, second, tzinfo=zone)
    return local.astimezone(UTC)


def _unknown_zone(after_time: str) -> bool:
    """Whether the word after the time looks like a zone abbreviation we do not know."""
    words = after_time.split()
    if not words:
        return False
    word = words[0].strip("(),.")
    return (
        2 < len(word) <= 5
        and word.isalpha()
        and word.isupper()
        and word.casefold() not in _MONTH_WORDS
        and word.casefold() not in _WEEKDAY_WORDS
    )


def _numeric_date(m: re.Match[str], langs: frozenset[str]) -> tuple[int, int, int] | None:
    a_text, b_text, c_text = m.group("a"), m.group("b"), m.group("c")
    a, b, c = int(a_text), int(b_text), int(c_text)
    if len(a_text) == 4:
        year, month, day = a, b, c
    elif len(a_text) <= 2:
        year = c if len(c_text) == 4 else (2000 + c if c < 70 else 1900 + c)
        if len(c_text) == 3:
            return None
        if m.group("sep") == "." or a > 12:
            day, month = a, b
        elif b > 12:
            month, day = a, b
        elif any(_DAY_FIRST.get(lang, True) for lang in langs):
            day, month = a, b
        else:
            month, day = a, b  # United States order when nothing says otherwise
    else:
        return None
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return year, month, day


def _word_date(s: str, langs: frozenset[str]) -> tuple[int, int, int] | None:
    tokens = [(t.group(), t.start()) for t in _TOKEN_RE.finditer(s)]
    year: int | None = None
    year_at = -1
    era = max((_ERA_OFFSET.get(lang, 0) for lang in langs), default=0)
    for word, at in tokens:
        if not (word.isdigit() and len(word) == 4):
            continue
        value = int(word)
        if era and value > 2100:
            value -= era  # a Buddhist-era year (Thai Outlook, Apple Mail)
        if 1900 <= value <= 2100:
            year, year_at = value, at
            break
    if year is None:
        return None
    # Month candidates: (position, month).
    candidates: list[tuple[int, int, bool]] = []  # position, month, is also a weekday
    m_vi = _VI_MONTH_RE.search(s)
    if m_vi is not None and 1 <= int(m_vi.group("m")) <= 12:
        candidates.append((m_vi.start(), int(m_vi.group("m")), False))
    for word, at in tokens:
        if word.isdigit():
            continue
        key = word.casefold()
        options = _MONTH_WORDS.get(key)
        if not options:
            continue
        chosen = next((n for lang, n in options if lang in langs), options[0][1])
        candidates.append((at, chosen, key in _WEEKDAY_WORDS))
    if not candidates:
        return None
    plain = [c for c in candidates if not c[2]]
    month_at, month, _ = (plain or candidates)[-1]
    vi_span = (m_vi.start(), m_vi.end()) if m_vi is not None else (-1, -1)
    days = [
        (abs(at - month_at), int(word))
        for word, at in tokens
        if word.isdigit()
        and len(word) <= 2
        and 1 <= int(word) <= 31
        and at != year_at
        and not (vi_span[0] <= at < vi_span[1])
    ]
    if not days:
        return None
    day = min(days)[1]
    return year, month, day
