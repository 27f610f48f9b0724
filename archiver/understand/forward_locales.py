# ruff: noqa: RUF001, RUF003  (this file is made of words in other scripts, on purpose)
"""Words mail clients write around an inline forward, per language.

`forwards.py` reads these tables; it holds no words of its own. Each `Locale` lists what clients
write in that language: the banner lines that open a forwarded message, the labels of the
header block under it, month and weekday names for dates, and subject prefixes.

Sources. The separator phrases and header labels for Apple Mail, Gmail, Outlook (Live/365,
"new" 2019), Thunderbird and Yahoo in cs, da, de, en, es, fi, fr, hr, hu, it, nl, no, pl, pt,
pt-BR, ro, ru, sk, sv, tr and uk are facts recorded by crisp-oss/email-forward-parser
(`lib/parser.js` and its test fixtures, MIT). The tables and their layout are ours. Outlook
desktop labels ("Gesendet", "Enviada em", "发送时间"...) and "Original Message" banners in other
languages, Gmail's zh/ja banners, and the month and weekday abbreviations (CLDR style) are from
what those clients are known to print, checked against samples where we had them, less
certainly than crisp's. The Greek, Arabic, Hindi, Nepali and Khmer entries, and the closing
banners of Mutt, Horde and Yandex, are what those clients print as far as we know them, checked
against the tuning part of tests/data/forward_set where it had a sample. Entries marked
"unverified" are our best rendering where no client sample was available (Haitian Creole,
several Apple Mail zh/ja/vi banners, the Gmail ar/hi banners): confirm them against a real
message before relying on them.

Order matters: when a word means different months in two languages ("listopad" is October in
Croatian and November in Polish and Czech), the language listed first wins unless the header
labels of the block point to the other one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Locale:
    code: str
    name: str
    # Header labels, as written before the colon.
    from_labels: tuple[str, ...] = ()
    to_labels: tuple[str, ...] = ()
    cc_labels: tuple[str, ...] = ()
    bcc_labels: tuple[str, ...] = ()
    date_labels: tuple[str, ...] = ()  # "Date" and Outlook's "Sent"
    subject_labels: tuple[str, ...] = ()
    reply_to_labels: tuple[str, ...] = ()
    other_labels: tuple[str, ...] = ()  # Outlook "Attachments", "Importance": read and dropped
    # Phrases inside a dashed banner ("---------- Forwarded message ---------"): a forward.
    forward_banners: tuple[str, ...] = ()
    # Phrases inside a dashed banner that Outlook and others also use for replies
    # ("-----Original Message-----"): only a forward when a header block follows.
    original_banners: tuple[str, ...] = ()
    # Lines of their own, ending in a colon (Apple Mail "Begin forwarded message:").
    intro_banners: tuple[str, ...] = ()
    # Phrases that open a dashed banner naming the sender after them (Mutt, Horde: "-----
    # Forwarded message from Jo Doe <jo@example.org> -----"): a forward.
    sender_banners: tuple[str, ...] = ()
    # Phrases inside a dashed banner that closes a forwarded message (Mutt, Horde, Yandex:
    # "----- End forwarded message -----"): never part of the original's body.
    end_banners: tuple[str, ...] = ()
    # Phrases inside a dashed line between a header block and the body it heads (The Bat!:
    # "===8<===Original message text==="): part of the block, not of the body.
    body_banners: tuple[str, ...] = ()
    # Phrases that open a line ending in the original's date, over its header block (Mail
    # Orange: "Message du 19/03/24 12:28"): a banner like "Original Message", with a date.
    dated_banners: tuple[str, ...] = ()
    # Twelve tuples (January first): full names, genitive forms and abbreviations.
    months: tuple[tuple[str, ...], ...] = ()
    weekdays: tuple[str, ...] = ()
    forward_prefixes: tuple[str, ...] = ()
    reply_prefixes: tuple[str, ...] = ()
    day_first: bool = True  # numeric dates: 27/10/2021 rather than 10/27/2021
    year_first: bool = False  # numeric dates with a short year first: 21/10/27 (Samsung ko)
    era_offset: int = 0  # years to subtract from a calendar era's year (Thai: 2567 is 2024)


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _zones(text: str) -> dict[str, int]:
    """ "ABBR ABBR: minutes" lines into {abbreviation: UTC offset in minutes}."""
    zones: dict[str, int] = {}
    for line in text.strip().splitlines():
        names, minutes = line.split(":")
        for name in names.split():
            zones[name] = int(minutes)
    return zones


def _months(text: str) -> tuple[tuple[str, ...], ...]:
    """Twelve groups separated by "|", each the words for one month."""
    groups = tuple(_words(group) for group in text.split("|"))
    if len(groups) != 12:
        raise ValueError(f"expected 12 months, got {len(groups)}")
    return groups


EN = Locale(
    code="en",
    name="English",
    from_labels=("From",),
    to_labels=("To",),
    cc_labels=("Cc", "CC"),
    bcc_labels=("Bcc",),
    date_labels=("Date", "Sent", "Sent on", "Date sent"),
    subject_labels=("Subject",),
    reply_to_labels=("Reply-To", "Reply To"),
    other_labels=("Attachments", "Importance", "Organization", "Newsgroups"),
    # Gnus: "-------------------- Start of forwarded message --------------------".
    forward_banners=(
        "Forwarded message",
        "Forwarded Message",
        "Forwarded e-mail",
        "Start of forwarded message",
    ),
    original_banners=("Original Message", "Original message"),
    intro_banners=("Begin forwarded message", "Forwarded message"),
    sender_banners=("Forwarded message from",),
    # Sylpheed closes its block with "----- Original Message Ends -----", The Bat! with
    # "===8<===End of original message text===".
    end_banners=(
        "End forwarded message",
        "End of forwarded message",
        "Original Message Ends",
        "End of original message text",
    ),
    body_banners=("Original message text",),
    months=_months(
        "january jan | february feb | march mar | april apr | may | june jun | july jul | "
        "august aug | september sep sept | october oct | november nov | december dec"
    ),
    weekdays=_words(
        "monday mon tuesday tue tues wednesday wed thursday thu thur thurs friday fri "
        "saturday sat sunday sun"
    ),
    forward_prefixes=("Fwd", "Fw", "Fwrd", "Forward"),
    reply_prefixes=("Re",),
    day_first=False,
)

ES = Locale(
    code="es",
    name="Spanish",
    from_labels=("De",),
    to_labels=("Para", "A"),
    cc_labels=("CC",),
    bcc_labels=("CCO", "Cco"),
    date_labels=("Fecha", "Enviado", "Enviado el"),
    subject_labels=("Asunto",),
    reply_to_labels=("Responder a",),
    other_labels=("Datos adjuntos", "Importancia"),
    forward_banners=("Mensaje reenviado",),
    original_banners=("Mensaje original",),
    intro_banners=("Inicio del mensaje reenviado",),
    sender_banners=("Mensaje reenviado de",),  # Horde es
    end_banners=("Finalizar mensaje reenviado", "Fin del mensaje reenviado"),
    months=_months(
        "enero ene | febrero feb | marzo mar | abril abr | mayo may | junio jun | julio jul "
        "| agosto ago | septiembre setiembre sep sept set | octubre oct | noviembre nov | "
        "diciembre dic"
    ),
    weekdays=_words(
        "lunes lun martes mar miércoles miercoles mié mie jueves jue viernes vie sábado "
        "sabado sáb sab domingo dom"
    ),
    forward_prefixes=("RV", "Rv"),
    reply_prefixes=("RE", "Re", "RPTA", "Rta"),
)

PT = Locale(
    code="pt",
    name="Portuguese (Portugal)",
    from_labels=("De",),
    to_labels=("Para",),
    cc_labels=("Cc",),
    bcc_labels=("Bcc", "Cco"),
    date_labels=("Data", "Enviado", "Enviada"),
    subject_labels=("Assunto",),
    reply_to_labels=("Responder A", "Responder a"),
    other_labels=("Anexos",),
    forward_banners=("Mensagem reencaminhada",),
    original_banners=("Mensagem original",),
    intro_banners=("Início da mensagem reencaminhada",),
    months=_months(
        "janeiro jan | fevereiro fev | março marco mar | abril abr | maio mai | junho jun | "
        "julho jul | agosto ago | setembro set | outubro out | novembro nov | dezembro dez"
    ),
    weekdays=_words(
        "segunda seg terça terca ter quarta qua quinta qui sexta sex sábado sabado sáb sab "
        "domingo dom feira"
    ),
    forward_prefixes=("Enc", "ENC", "Reenc"),
    reply_prefixes=("Re", "RES", "Res", "Resp"),
)

PT_BR = Locale(
    code="pt-BR",
    name="Portuguese (Brazil)",
    from_labels=("De",),
    to_labels=("Para",),
    cc_labels=("Cc",),
    bcc_labels=("Cco",),
    date_labels=("Data", "Enviado", "Enviada em", "Enviado em"),
    subject_labels=("Assunto",),
    reply_to_labels=("Responder a",),
    other_labels=("Anexos", "Importância"),
    forward_banners=("Mensagem encaminhada",),
    original_banners=("Mensagem original",),
    intro_banners=("Início da mensagem encaminhada",),
    months=PT.months,
    weekdays=PT.weekdays,
    forward_prefixes=("ENC", "Enc", "Encaminhar"),
    reply_prefixes=("RES", "Res", "RE"),
)

FR = Locale(
    code="fr",
    name="French",
    from_labels=("De", "Expéditeur"),
    to_labels=("À", "A", "Pour", "Destinataire"),
    cc_labels=("Cc", "Copie à", "Copie"),
    bcc_labels=("Cci",),
    date_labels=("Date", "Envoyé", "Envoyé le"),
    subject_labels=("Objet", "Sujet"),
    reply_to_labels=("Répondre à",),
    other_labels=("Pièces jointes", "Importance"),
    forward_banners=("Message transféré", "Message transmis", "Courriel transféré"),
    original_banners=("Message d'origine", "Message d’origine", "Message original"),
    intro_banners=("Début du message réexpédié", "Début du message transféré"),
    dated_banners=("Message du",),  # Mail Orange
    months=_months(
        "janvier janv jan | février fevrier févr fevr fév fev | mars | avril avr | mai | "
        "juin | juillet juil | août aout | septembre sept | octobre oct | novembre nov | "
        "décembre decembre déc dec"
    ),
    weekdays=_words(
        "lundi lun mardi mar mercredi mer jeudi jeu vendredi ven samedi sam dimanche dim"
    ),
    forward_prefixes=("TR", "Tr", "Transf", "Fwd"),
    reply_prefixes=("RE", "Re", "Réf", "Ref", "Rép", "Rep"),
)

# Haitian Creole. No major client ships a Kreyòl interface that we could sample, so the labels
# below are unverified renderings (a teacher's tool, or a translated template, may write them);
# families mostly write Kreyòl inside messages whose headers are in English or French.
HT = Locale(
    code="ht",
    name="Haitian Creole",
    from_labels=("Soti nan", "Soti", "Moun ki voye", "Ekspeditè"),
    to_labels=("Pou", "Bay", "Destinatè"),
    cc_labels=("Kopi",),
    date_labels=("Dat", "Voye", "Voye le"),
    subject_labels=("Sijè", "Sije", "Objè", "Obje"),
    reply_to_labels=("Reponn bay",),
    forward_banners=("Mesaj transfere", "Mesaj voye ale", "Mesaj ki transfere"),
    original_banners=("Mesaj orijinal",),
    intro_banners=("Kòmansman mesaj transfere a", "Mesaj transfere"),
    months=_months(
        "janvye janv | fevriye fevr | mas | avril | me | jen | jiyè jiye | out dawou | "
        "septanm sept | oktòb oktob | novanm | desanm"
    ),
    weekdays=_words("lendi madi mèkredi mekredi jedi vandredi samdi dimanch"),
    forward_prefixes=("TR", "Transfere"),
    reply_prefixes=("Rep", "Repons"),
)

DE = Locale(
    code="de",
    name="German",
    from_labels=("Von", "Absender"),
    to_labels=("An", "Empfänger"),
    cc_labels=("Cc", "CC", "Kopie", "Kopie (CC)"),
    bcc_labels=("Bcc", "Blindkopie (BCC)"),
    date_labels=("Datum", "Gesendet", "Gesendet am"),
    subject_labels=("Betreff",),
    reply_to_labels=("Antwort an", "Antworten an"),
    other_labels=("Anlagen", "Wichtigkeit"),
    forward_banners=("Weitergeleitete Nachricht", "Weitergeleitete E-Mail"),
    original_banners=("Ursprüngliche Nachricht", "Originalnachricht", "Original-Nachricht"),
    intro_banners=("Anfang der weitergeleiteten Nachricht", "Anfang der weitergeleiteten E-Mail"),
    months=_months(
        "januar jänner jan jän | februar feb febr | märz maerz mär mrz | april apr | mai | "
        "juni jun | juli jul | august aug | september sep sept | oktober okt | november nov "
        "| dezember dez"
    ),
    weekdays=_words(
        "montag mo dienstag di mittwoch mi donnerstag do freitag fr samstag sonnabend sa sonntag so"
    ),
    forward_prefixes=("WG", "Wg", "WTR", "Weiterl"),
    reply_prefixes=("AW", "Aw", "Antw"),
)

IT = Locale(
    code="it",
    name="Italian",
    from_labels=("Da", "Mittente"),
    to_labels=("A", "Destinatario"),
    cc_labels=("Cc", "CC"),
    bcc_labels=("Ccn",),
    date_labels=("Data", "Inviato", "Inviato il"),
    subject_labels=("Oggetto", "Ogg"),  # Libero: "Ogg:"
    reply_to_labels=("Rispondi a",),
    other_labels=("Allegati", "Priorità", "Importanza"),
    forward_banners=("Messaggio inoltrato", "Messaggio Inoltrato"),
    original_banners=("Messaggio originale",),
    intro_banners=("Inizio messaggio inoltrato",),
    months=_months(
        "gennaio gen | febbraio feb | marzo mar | aprile apr | maggio mag | giugno giu | "
        "luglio lug | agosto ago | settembre set | ottobre ott | novembre nov | dicembre "
        "dic"
    ),
    weekdays=_words(
        "lunedì lunedi lun martedì martedi mar mercoledì mercoledi mer giovedì giovedi gio "
        "venerdì venerdi ven sabato sab domenica dom"
    ),
    forward_prefixes=("I", "Inoltro", "Inol"),
    reply_prefixes=("R", "RIF", "Rif"),
)

NL = Locale(
    code="nl",
    name="Dutch",
    from_labels=("Van", "Afzender"),
    to_labels=("Aan",),
    cc_labels=("CC", "Cc"),
    bcc_labels=("BCC",),
    date_labels=("Datum", "Verzonden", "Verzonden op"),
    subject_labels=("Onderwerp",),
    reply_to_labels=("Antwoord aan",),
    other_labels=("Bijlagen", "Urgentie", "Prioriteit"),
    forward_banners=("Doorgestuurd bericht",),
    original_banners=("Oorspronkelijk bericht", "Origineel bericht"),
    intro_banners=("Begin doorgestuurd bericht",),
    months=_months(
        "januari jan | februari feb | maart mrt mar | april apr | mei | juni jun | juli jul "
        "| augustus aug | september sep sept | oktober okt | november nov | december dec"
    ),
    weekdays=_words(
        "maandag ma dinsdag di woensdag wo donderdag do vrijdag vr zaterdag za zondag zo"
    ),
    forward_prefixes=("Doorst", "FW"),
    reply_prefixes=("Antw", "Re"),
)

PL = Locale(
    code="pl",
    name="Polish",
    from_labels=("Od", "Nadawca"),
    to_labels=("Do", "Adresat"),
    cc_labels=("DW", "Dw", "Kopia"),
    bcc_labels=("UDW",),
    date_labels=("Data", "Wysłano", "Wysłane"),
    subject_labels=("Temat",),
    reply_to_labels=("Odpowiedź-do", "Odpowiedz do"),
    other_labels=("Załączniki", "Ważność", "Priorytet"),
    forward_banners=(
        "Przekazana wiadomość",
        "Wiadomość przesłana dalej",
        "Treść przekazanej wiadomości",
        "Przekazana dalej wiadomość",
    ),
    original_banners=("Wiadomość oryginalna", "Oryginalna wiadomość"),
    intro_banners=("Początek przekazywanej wiadomości",),
    months=_months(
        "styczeń stycznia sty | luty lutego lut | marzec marca mar | kwiecień kwietnia kwi "
        "| maj maja | czerwiec czerwca cze | lipiec lipca lip | sierpień sierpnia sie | "
        "wrzesień września wrz | październik października paź paz | listopad listopada lis "
        "| grudzień grudnia gru"
    ),
    weekdays=_words(
        "poniedziałek pon wtorek wt środa śr czwartek czw piątek pt sobota sob niedziela niedz nd"
    ),
    forward_prefixes=("PD", "Pd"),
    reply_prefixes=("Odp", "ODP", "Odpowiedź"),
)

RU = Locale(
    code="ru",
    name="Russian",
    from_labels=("От", "От кого", "Отправитель"),
    to_labels=("Кому",),
    cc_labels=("Копия",),
    bcc_labels=("Скрытая копия",),
    date_labels=("Дата", "Отправлено", "Отправлено в"),
    subject_labels=("Тема",),
    reply_to_labels=("Ответ-Кому", "Ответить"),
    other_labels=("Вложения", "Важность"),
    forward_banners=(
        "Пересылаемое сообщение",
        "Перенаправленное сообщение",
        "Пересланное сообщение",
        "Начало переадресованного сообщения",  # Yandex, which closes with end_banners
    ),
    original_banners=("Исходное сообщение", "Оригинальное сообщение"),
    intro_banners=("Начало переадресованного сообщения", "Начало пересылаемого сообщения"),
    end_banners=("Конец переадресованного сообщения", "Конец пересылаемого сообщения"),
    months=_months(
        "январь января янв | февраль февраля февр фев | март марта мар | апрель апреля апр "
        "| май мая | июнь июня июн | июль июля июл | август августа авг | сентябрь сентября "
        "сент сен | октябрь октября окт | ноябрь ноября нояб ноя | декабрь декабря дек"
    ),
    weekdays=_words(
        "понедельник пн вторник вт среда ср четверг чт пятница пт суббота сб воскресенье вс"
    ),
    forward_prefixes=("Пересл", "Переслано", "Fwd"),
    reply_prefixes=("Отв", "Ответ", "НА"),
)

UK = Locale(
    code="uk",
    name="Ukrainian",
    from_labels=("Від", "Від кого"),
    to_labels=("Кому",),
    cc_labels=("Копія",),
    bcc_labels=("Прихована копія",),
    date_labels=("Дата", "Надіслано", "Відправлено"),
    subject_labels=("Тема",),
    reply_to_labels=("Кому відповісти",),
    other_labels=("Вкладення",),
    forward_banners=(
        "Перенаправлене повідомлення",
        "Переслане повідомлення",
        "Початок переадресованого повідомлення",  # Yandex
    ),
    original_banners=("Оригінальне повідомлення", "Вихідне повідомлення"),
    intro_banners=("Початок листа, що пересилається", "Початок пересланого листа"),
    end_banners=("Кінець переадресованого повідомлення",),
    months=_months(
        "січень січня січ | лютий лютого лют | березень березня бер | квітень квітня квіт "
        "кві | травень травня трав тра | червень червня черв чер | липень липня лип | "
        "серпень серпня серп сер | вересень вересня вер | жовтень жовтня жовт жов | "
        "листопад листопада лист лис | грудень грудня груд гру"
    ),
    weekdays=_words(
        "понеділок пн вівторок вт середа ср четвер чт пʼятниця п'ятниця пт субота сб неділя нд"
    ),
    forward_prefixes=("Пересл", "Переслати"),
    reply_prefixes=("Відп", "Відповідь"),
)

TR = Locale(
    code="tr",
    name="Turkish",
    from_labels=("Kimden", "Gönderen"),
    to_labels=("Kime", "Alıcı"),
    cc_labels=("Bilgi", "CC"),
    bcc_labels=("Gizli",),
    date_labels=("Tarih", "Gönderildi", "Gönderilen", "Gönderme Tarihi"),
    subject_labels=("Konu",),
    reply_to_labels=("Yanıt Adresi",),
    other_labels=("Ekler", "Önem"),
    forward_banners=("İletilmiş Mesaj", "İletilen İleti", "İletilen Mesaj"),
    original_banners=("Özgün İleti", "Orijinal Mesaj", "Özgün Mesaj"),
    intro_banners=("İleti başlangıcı", "İletilen ileti başlangıcı"),
    months=_months(
        "ocak oca | şubat şub | mart mar | nisan nis | mayıs may | haziran haz | temmuz tem "
        "| ağustos ağu | eylül eyl | ekim eki | kasım kas | aralık ara"
    ),
    weekdays=_words(
        "pazartesi pzt salı sal çarşamba çar perşembe per cuma cum cumartesi cmt pazar paz"
    ),
    forward_prefixes=("İLT", "ILT", "İlt", "Ilt"),
    reply_prefixes=("YNT", "Ynt", "YANIT", "Yanıt"),
)

SV = Locale(
    code="sv",
    name="Swedish",
    from_labels=("Från", "Avsändare"),
    to_labels=("Till", "Mottagare"),
    cc_labels=("Kopia", "CC"),
    bcc_labels=("Hemlig kopia",),
    date_labels=("Datum", "Skickat", "Skickades"),
    subject_labels=("Ämne",),
    reply_to_labels=("Svara till",),
    other_labels=("Bifogade filer", "Prioritet"),
    forward_banners=("Vidarebefordrat meddelande", "Vidarebefordrat mejl"),
    original_banners=("Ursprungligt meddelande", "Originalmeddelande"),
    intro_banners=("Vidarebefordrat mejl", "Vidarebefordrat meddelande"),
    months=_months(
        "januari jan | februari feb | mars mar | april apr | maj | juni jun | juli jul | "
        "augusti aug | september sep sept | oktober okt | november nov | december dec"
    ),
    weekdays=_words(
        "måndag mån tisdag tis onsdag ons torsdag tors tor fredag fre lördag lör söndag sön"
    ),
    forward_prefixes=("VB", "Vb", "VS"),
    reply_prefixes=("SV", "Sv"),
)

DA = Locale(
    code="da",
    name="Danish",
    from_labels=("Fra", "Afsender"),
    to_labels=("Til", "Modtager"),
    cc_labels=("Cc", "Kopi til"),
    bcc_labels=("Bcc",),
    date_labels=("Dato", "Sendt"),
    subject_labels=("Emne",),
    reply_to_labels=("Svar til",),
    other_labels=("Vedhæftede filer", "Prioritet"),
    forward_banners=("Videresendt meddelelse", "Videresendt besked"),
    original_banners=("Oprindelig meddelelse", "Original meddelelse"),
    intro_banners=("Start på videresendt besked", "Videresendt besked"),
    months=_months(
        "januar jan | februar feb | marts mar | april apr | maj | juni jun | juli jul | "
        "august aug | september sep sept | oktober okt | november nov | december dec"
    ),
    weekdays=_words(
        "mandag man tirsdag tir onsdag ons torsdag tor fredag fre lørdag lør søndag søn"
    ),
    forward_prefixes=("VS", "Vs", "Videresend"),
    reply_prefixes=("SV", "Sv"),
)

NO = Locale(
    code="no",
    name="Norwegian",
    from_labels=("Fra", "Avsender"),
    to_labels=("Til", "Mottaker"),
    cc_labels=("Kopi", "Kopi til", "Cc"),
    bcc_labels=("Blindkopi",),
    date_labels=("Dato", "Sendt"),
    subject_labels=("Emne",),
    reply_to_labels=("Svar til",),
    other_labels=("Vedlegg", "Prioritet"),
    forward_banners=("Videresendt melding",),
    original_banners=("Opprinnelig melding", "Opprinnelig e-post"),
    intro_banners=("Videresendt melding", "Start på videresendt melding"),
    months=_months(
        "januar jan | februar feb | mars mar | april apr | mai | juni jun | juli jul | "
        "august aug | september sep sept | oktober okt | november nov | desember des"
    ),
    weekdays=_words(
        "mandag man tirsdag tir onsdag ons torsdag tor fredag fre lørdag lør søndag søn"
    ),
    forward_prefixes=("Vs", "VS", "Videresend", "Videresendt"),
    reply_prefixes=("SV", "Sv"),
)

FI = Locale(
    code="fi",
    name="Finnish",
    from_labels=("Lähettäjä",),
    to_labels=("Vastaanottaja",),
    cc_labels=("Kopio", "CC"),
    bcc_labels=("Piilokopio",),
    date_labels=("Päivämäärä", "Päiväys", "Lähetetty", "Lähetetty klo"),
    subject_labels=("Aihe",),
    reply_to_labels=("Vastaus",),
    other_labels=("Liitteet", "Tärkeys"),
    forward_banners=(
        "Välitetty viesti / Fwd.Msg",
        "Välitetty viesti",
        "Edelleenlähetetty viesti",
    ),
    original_banners=("Alkuperäinen viesti",),
    intro_banners=("Välitetty viesti alkaa",),
    months=_months(
        "tammikuu tammikuuta tammik tammi | helmikuu helmikuuta helmik helmi | maaliskuu "
        "maaliskuuta maalisk maalis | huhtikuu huhtikuuta huhtik huhti | toukokuu "
        "toukokuuta toukok touko | kesäkuu kesäkuuta kesäk kesä | heinäkuu heinäkuuta "
        "heinäk heinä | elokuu elokuuta elok elo | syyskuu syyskuuta syysk syys | lokakuu "
        "lokakuuta lokak loka | marraskuu marraskuuta marrask marras | joulukuu joulukuuta "
        "jouluk joulu"
    ),
    weekdays=_words(
        "maanantai ma tiistai ti keskiviikko ke torstai to perjantai pe lauantai la "
        "sunnuntai su maanantaina tiistaina keskiviikkona torstaina perjantaina lauantaina "
        "sunnuntaina"
    ),
    # "VS:" is a reply in Finnish (vastaus), a forward in Swedish, Danish and Norwegian.
    forward_prefixes=("VL", "Vl"),
    reply_prefixes=("VS", "Vs", "Vast"),
)

CS = Locale(
    code="cs",
    name="Czech",
    from_labels=("Od",),
    to_labels=("Komu",),
    cc_labels=("Kopie",),
    bcc_labels=("Skrytá kopie",),
    date_labels=("Datum", "Odesláno"),
    subject_labels=("Předmět",),
    reply_to_labels=("Odpověď na",),
    other_labels=("Přílohy", "Důležitost"),
    forward_banners=("Přeposlaná zpráva", "Přeposlaný e-mail"),
    original_banners=("Původní zpráva", "Původní e-mail"),
    intro_banners=("Začátek přeposílané zprávy",),
    months=_months(
        "leden ledna led | únor února úno | březen března bře | duben dubna dub | květen "
        "května kvě | červen června čvn | červenec července čvc | srpen srpna srp | září "
        "zář | říjen října říj | listopad listopadu lis | prosinec prosince pro"
    ),
    weekdays=_words("pondělí po úterý út středa st čtvrtek čt pátek pá sobota so neděle ne"),
    forward_prefixes=("PŘ", "Př", "Fwd"),
    reply_prefixes=("Odp", "ODP"),
)

SK = Locale(
    code="sk",
    name="Slovak",
    from_labels=("Od",),
    to_labels=("Komu", "Pre"),
    cc_labels=("Kópia", "Kopia"),
    bcc_labels=("Skrytá kópia",),
    date_labels=("Dátum", "Odoslané"),
    subject_labels=("Predmet",),
    reply_to_labels=("Odpovedať-Pre", "Odpovedať na"),
    other_labels=("Prílohy", "Dôležitosť"),
    forward_banners=("Preposlaná správa --- Forwarded Message", "Preposlaná správa"),
    original_banners=("Pôvodná správa",),
    intro_banners=("Začiatok preposlanej správy",),
    months=_months(
        "január januára jan | február februára feb | marec marca mar | apríl apríla apr | "
        "máj mája | jún júna | júl júla | august augusta aug | september septembra sep | "
        "október októbra okt | november novembra nov | december decembra dec"
    ),
    weekdays=_words("pondelok po utorok ut streda st štvrtok št piatok pi sobota so nedeľa ne"),
    forward_prefixes=("PD", "Fwd"),
    reply_prefixes=("Odp", "RE"),
)

HU = Locale(
    code="hu",
    name="Hungarian",
    from_labels=("Feladó",),
    to_labels=("Címzett",),
    cc_labels=("Másolat", "Másolatot kap", "Másolatot kapnak"),
    bcc_labels=("Titkos másolat",),
    date_labels=("Dátum", "Elküldve", "Küldve"),
    subject_labels=("Tárgy",),
    reply_to_labels=("Válaszcím",),
    other_labels=("Mellékletek", "Fontosság"),
    forward_banners=("Továbbított üzenet", "Továbbított levél"),
    original_banners=("Eredeti üzenet",),
    intro_banners=("Továbbított levél kezdete",),
    months=_months(
        "január jan | február febr feb | március márc már | április ápr | május máj | "
        "június jún | július júl | augusztus aug | szeptember szept szep | október okt | "
        "november nov | december dec"
    ),
    weekdays=_words("hétfő h kedd k szerda sze csütörtök cs péntek p szombat szo vasárnap v"),
    forward_prefixes=("TOV", "Tov", "Továbbítás"),
    reply_prefixes=("Vá", "VÁ", "Válasz"),
)

RO = Locale(
    code="ro",
    name="Romanian",
    from_labels=("De la", "Expeditorul", "Expeditor"),
    to_labels=("Către", "Catre", "Destinatarul", "Destinatar"),
    cc_labels=("Cc", "CC"),
    bcc_labels=("Bcc",),
    date_labels=("Dată", "Data", "Trimis", "Trimis la"),
    subject_labels=("Subiect", "Subiectul"),
    reply_to_labels=("Răspuns către",),
    other_labels=("Atașări", "Importanță"),
    forward_banners=("Mesaj redirecționat", "Mesaj redirectionat", "Mesaj transmis"),
    original_banners=("Mesaj original", "Mesajul original"),
    intro_banners=("Începe mesajul redirecționat", "Începutul mesajului redirecționat"),
    months=_months(
        "ianuarie ian | februarie feb | martie mar | aprilie apr | mai | iunie iun | iulie "
        "iul | august aug | septembrie sept sep | octombrie oct | noiembrie nov noi | "
        "decembrie dec"
    ),
    weekdays=_words(
        "luni lun marți marti mar miercuri mie joi vineri vin sâmbătă sambata sâm sam "
        "duminică duminica dum"
    ),
    forward_prefixes=("Redir", "Fwd", "TR"),
    reply_prefixes=("Re", "RE", "Răsp"),
)

HR = Locale(
    code="hr",
    name="Croatian",
    from_labels=("Šalje", "Pošiljatelj", "Od"),
    to_labels=("Prima", "Primatelj", "Za"),
    cc_labels=("Kopija", "Cc"),
    bcc_labels=("Skrivena kopija",),
    date_labels=("Datum", "Poslano"),
    subject_labels=("Predmet", "Naslov"),
    reply_to_labels=("Odgovori na",),
    other_labels=("Privici", "Važnost"),
    forward_banners=("Proslijeđena poruka", "Prosljeđena poruka"),
    original_banners=("Izvorna poruka", "Originalna poruka"),
    intro_banners=("Započni proslijeđenu poruku", "Početak proslijeđene poruke"),
    months=_months(
        "siječanj siječnja sij | veljača veljače velj vel | ožujak ožujka ožu | travanj "
        "travnja tra | svibanj svibnja svi | lipanj lipnja lip | srpanj srpnja srp | "
        "kolovoz kolovoza kol | rujan rujna ruj | listopad listopada lis | studeni "
        "studenoga studenog stu | prosinac prosinca pro"
    ),
    weekdays=_words(
        "ponedjeljak pon utorak uto srijeda sri četvrtak čet petak pet subota sub nedjelja ned"
    ),
    forward_prefixes=("PROSLIJEĐENO", "Fwd"),
    reply_prefixes=("Odg", "ODG"),
)

# Chinese: Gmail zh writes "---------- 转发的邮件 ---------" and full-width colons ("发件人：");
# Outlook zh-CN "发件人: / 发送时间: / 收件人: / 抄送: / 主题:", zh-TW "寄件者 / 寄件日期 /
# 收件者 / 副本 / 主旨". The Apple Mail banners are unverified.
ZH = Locale(
    code="zh",
    name="Chinese",
    from_labels=("发件人", "寄件者", "寄件人", "發件人"),
    to_labels=("收件人", "收件者"),
    cc_labels=("抄送", "副本", "抄送人"),
    bcc_labels=("密送", "密件副本"),
    date_labels=("日期", "发送时间", "发送日期", "時間", "时间", "傳送時間", "寄件日期"),
    subject_labels=("主题", "主旨", "主題"),
    reply_to_labels=("回复至", "回覆至"),
    other_labels=("附件", "重要性"),
    forward_banners=(
        "转发的邮件",
        "轉寄的郵件",
        "转发邮件",
        "轉寄郵件",
        "转发的消息",
        "轉寄的訊息",
    ),
    original_banners=("原始邮件", "原始郵件"),
    intro_banners=("转发的邮件", "以下为转发的邮件", "轉寄的郵件", "開始轉寄的郵件"),
    forward_prefixes=("转发", "轉寄", "轉發", "转寄"),
    reply_prefixes=("回复", "回覆", "答复", "答覆"),
    year_first=True,
)

# Vietnamese: Gmail vi writes "Từ:" for From and dates like "Th 4, 27 thg 10, 2021 lúc 09:31";
# Outlook vi "Từ / Đã gửi / Đến / Cc / Chủ đề". Banners other than Gmail's are unverified.
VI = Locale(
    code="vi",
    name="Vietnamese",
    from_labels=("Từ", "Người gửi"),
    to_labels=("Đến", "Tới", "Người nhận"),
    cc_labels=("Cc", "CC", "Đồng gửi"),
    bcc_labels=("Bcc",),
    date_labels=("Ngày", "Đã gửi", "Ngày gửi", "Thời gian"),
    subject_labels=("Chủ đề", "Tiêu đề"),
    reply_to_labels=("Trả lời tới",),
    other_labels=("Tệp đính kèm",),
    forward_banners=("Thư được chuyển tiếp", "Thư đã chuyển tiếp", "Tin nhắn đã chuyển tiếp"),
    original_banners=("Thư gốc", "Tin nhắn gốc"),
    intro_banners=("Bắt đầu thư được chuyển tiếp", "Thư được chuyển tiếp"),
    forward_prefixes=("Chuyển tiếp",),
    reply_prefixes=("Trả lời", "TL"),
)

# Japanese: Gmail ja writes "---------- 転送メッセージ ---------", "差出人: / 日付: / 件名: / To:";
# Outlook ja "差出人: / 送信日時: / 宛先: / CC: / 件名:".
JA = Locale(
    code="ja",
    name="Japanese",
    from_labels=("差出人", "送信者", "送信元"),
    to_labels=("宛先", "送信先"),
    cc_labels=("CC", "Cc"),
    bcc_labels=("BCC",),
    date_labels=("日付", "送信日時", "日時"),
    subject_labels=("件名",),
    reply_to_labels=("返信先",),
    other_labels=("添付ファイル", "重要度"),
    forward_banners=("転送メッセージ", "転送されたメッセージ", "メッセージを転送"),
    original_banners=("元のメッセージ", "オリジナル メッセージ"),
    intro_banners=("転送されたメッセージ", "転送メッセージの開始"),
    forward_prefixes=("転送", "FW"),
    reply_prefixes=("返信",),
    year_first=True,
)

KO = Locale(
    code="ko",
    name="Korean",
    from_labels=("보낸 사람", "보낸사람", "발신"),  # Samsung Email: "발신" / "수신"
    to_labels=("받는 사람", "받는사람", "수신"),
    cc_labels=("참조",),
    bcc_labels=("숨은 참조",),
    date_labels=("날짜", "보낸 날짜"),
    subject_labels=("제목",),
    forward_banners=("전달된 메시지",),
    original_banners=("원본 메시지", "원본 이메일"),  # Samsung Email: "원본 이메일"
    forward_prefixes=("전달",),
    reply_prefixes=("회신", "답장"),
    year_first=True,  # Samsung Email: "22/4/18 오후 9:10"
)

# Greek: Gmail el (partly translated: "Από:" over English labels), Outlook el "Από / Στάλθηκε /
# Προς / Κοιν. / Θέμα" under "ΠΡΘ:", Thunderbird el "Προωθημένο μήνυμα" with "Θέμα / Ημερομηνία
# / Από / Προς"; day periods "π.μ." and "μ.μ." after the time. The Apple Mail banner is
# unverified.
EL = Locale(
    code="el",
    name="Greek",
    from_labels=("Από",),
    to_labels=("Προς",),
    cc_labels=("Κοιν.", "Κοιν"),
    bcc_labels=("Ιδιαίτ. κοιν.",),
    date_labels=("Ημερομηνία", "Στάλθηκε", "Εστάλη"),
    subject_labels=("Θέμα",),
    reply_to_labels=("Απάντηση σε",),
    other_labels=("Συνημμένα", "Σημασία"),
    forward_banners=("Προωθημένο μήνυμα",),
    original_banners=("Αρχικό μήνυμα",),
    intro_banners=("Αρχή προωθημένου μηνύματος",),
    months=_months(
        "ιανουάριος ιανουαρίου ιαν | φεβρουάριος φεβρουαρίου φεβ | μάρτιος μαρτίου μαρ | "
        "απρίλιος απριλίου απρ | μάιος μαΐου μαΐ μαίου μαι | ιούνιος ιουνίου ιουν | ιούλιος "
        "ιουλίου ιουλ | αύγουστος αυγούστου αυγ | σεπτέμβριος σεπτεμβρίου σεπ | οκτώβριος "
        "οκτωβρίου οκτ | νοέμβριος νοεμβρίου νοε | δεκέμβριος δεκεμβρίου δεκ"
    ),
    weekdays=_words(
        "δευτέρα δευ τρίτη τρί τρι τετάρτη τετ πέμπτη πέμ πεμ παρασκευή παρ σάββατο σάβ σαβ "
        "κυριακή κυρ"
    ),
    # "Προώθηση:" ("forwarding") is the word in full; which clients write it is unverified.
    forward_prefixes=("ΠΡΘ", "Πρθ", "Προώθηση"),
    reply_prefixes=("ΑΠ", "Απ"),
)

# Arabic: Outlook ar "من / تاريخ الإرسال / إلى / نسخة / الموضوع" under "إعادة توجيه:", Samsung
# Email "-------- الرسالة الأصلية --------" with "التاريخ", Apple Mail "بداية الرسالة المعاد
# توجيهها:"; "ص" and "م" after the time. The Gmail banner is unverified.
AR = Locale(
    code="ar",
    name="Arabic",
    from_labels=("من", "المرسل"),
    to_labels=("إلى", "الى"),
    cc_labels=("نسخة", "نسخة إلى"),
    bcc_labels=("نسخة مخفية",),
    date_labels=("التاريخ", "تاريخ الإرسال"),
    subject_labels=("الموضوع",),
    reply_to_labels=("الرد على",),
    other_labels=("المرفقات", "الأهمية"),
    forward_banners=("رسالة مُعاد توجيهها", "رسالة معاد توجيهها"),
    original_banners=("الرسالة الأصلية",),
    intro_banners=("بداية الرسالة المعاد توجيهها", "بداية الرسالة المُعاد توجيهها"),
    # The Levantine names of January, October, November and December are two words each.
    months=_months(
        "يناير | فبراير شباط | مارس آذار | أبريل ابريل إبريل نيسان | مايو أيار | يونيو يونيه "
        "حزيران | يوليو يوليه تموز | أغسطس اغسطس آب | سبتمبر أيلول | أكتوبر اكتوبر | نوفمبر "
        "| ديسمبر"
    ),
    weekdays=_words("الأحد الاثنين الإثنين الثلاثاء الأربعاء الخميس الجمعة السبت"),
    forward_prefixes=("إعادة توجيه",),
    reply_prefixes=("رد",),
)

# Hindi: Gmail hi (partly translated: "प्रेषक:" over English labels; "सोम, 19 फ़र॰ 2024 को
# 7:35 am"), Outlook hi "प्रेषक / भेजा गया / प्रति / प्रतिलिपि / विषय". Both banners are
# unverified.
HI = Locale(
    code="hi",
    name="Hindi",
    from_labels=("प्रेषक",),
    to_labels=("प्रति",),
    cc_labels=("प्रतिलिपि",),
    bcc_labels=("गुप्त प्रतिलिपि",),
    date_labels=("दिनांक", "भेजा गया", "तारीख"),
    subject_labels=("विषय",),
    forward_banners=("अग्रेषित संदेश",),
    original_banners=("मूल संदेश",),
    months=_months(
        "जनवरी जन | फ़रवरी फरवरी फ़र फर | मार्च | अप्रैल | मई | जून | जुलाई जुल | अगस्त अग | "
        "सितंबर सितम्बर सित | अक्तूबर अक्टूबर अक्तू अक्टू | नवंबर नवम्बर नव | दिसंबर दिसम्बर दिस"
    ),
    weekdays=_words("रविवार रवि सोमवार सोम मंगलवार मंगल बुधवार बुध गुरुवार गुरु शुक्रवार शुक्र शनिवार शनि"),
)

# Nepali: Gmail ne "---------- फर्वार्ड गरिएको सन्देश ---------", "बाट / मिति / विषय / लाई", dates
# in Devanagari digits with "पूर्वाह्न" / "अपराह्न" after the time.
NE = Locale(
    code="ne",
    name="Nepali",
    from_labels=("बाट",),
    to_labels=("लाई",),
    date_labels=("मिति",),
    subject_labels=("विषय",),
    forward_banners=("फर्वार्ड गरिएको सन्देश",),
    months=_months(
        "जनवरी | फेब्रुअरी | मार्च | अप्रिल | मे | जुन | जुलाई | अगस्ट अगस्त | सेप्टेम्बर | "
        "अक्टोबर | नोभेम्बर | डिसेम्बर"
    ),
    weekdays=_words(
        "आइतबार आइत सोमबार सोम मङ्गलबार मङ्गल बुधबार बुध बिहिबार बिहि शुक्रबार शुक्र शनिबार शनि"
    ),
)

# Khmer: Gmail km "---------- សារដែលបានបញ្ជូនបន្ត ---------", "ពី / កាលបរិច្ឆេទ / ប្រធានបទ / ទៅ".
KM = Locale(
    code="km",
    name="Khmer",
    from_labels=("ពី",),
    to_labels=("ទៅ",),
    date_labels=("កាលបរិច្ឆេទ",),
    subject_labels=("ប្រធានបទ",),
    forward_banners=("សារដែលបានបញ្ជូនបន្ត",),
    months=_months(
        "មករា | កុម្ភៈ | មីនា | មេសា | ឧសភា | មិថុនា | កក្កដា | សីហា | កញ្ញា | តុលា | វិច្ឆិកា | ធ្នូ"
    ),
    weekdays=_words("អាទិត្យ ច័ន្ទ អង្គារ ពុធ ព្រហស្បតិ៍ សុក្រ សៅរ៍"),
)

# Indonesian: Gmail id "---------- Pesan yang diteruskan ---------" with "Dari:" over English
# labels and "Sen, 5 Feb 2024 pukul 13.10"; Outlook id "Dari / Dikirim / Kepada / Subjek"; Apple
# Mail "Awal pesan yang diteruskan:" with "Tanggal / Perihal". Outlook's banner is unverified.
ID = Locale(
    code="id",
    name="Indonesian",
    from_labels=("Dari",),
    to_labels=("Kepada",),
    cc_labels=("Cc", "CC", "Tembusan"),
    bcc_labels=("Bcc",),
    date_labels=("Tanggal", "Dikirim", "Terkirim"),
    subject_labels=("Subjek", "Perihal", "Judul"),
    reply_to_labels=("Balas ke",),
    forward_banners=("Pesan yang diteruskan", "Pesan terusan"),
    original_banners=("Pesan asli",),
    intro_banners=("Awal pesan yang diteruskan",),
    months=_months(
        "januari jan | februari feb | maret mar | april apr | mei | juni jun | juli jul | "
        "agustus agu agt | september sep | oktober okt | november nov | desember des"
    ),
    weekdays=_words("senin sen selasa sel rabu rab kamis kam jumat jum sabtu sab minggu min"),
    forward_prefixes=("TRS",),
    reply_prefixes=("BLS", "Balas"),
)

# Thai: Gmail th "---------- ข้อความที่ส่งต่อ ---------" with "จาก:" and "พฤ. 11 ม.ค. 2024 เวลา
# 9:15"; Outlook th "จาก / ส่ง / ถึง / เรื่อง" with Buddhist-era years ("11 มกราคม 2567"); Apple
# Mail "เริ่มข้อความที่ส่งต่อ:" with "วันที่". Month abbreviations are written without their dots
# (dates are read with the dots between Thai letters dropped). Apple's banner is unverified.
TH = Locale(
    code="th",
    name="Thai",
    from_labels=("จาก",),
    to_labels=("ถึง",),
    cc_labels=("สำเนาถึง", "สำเนา"),
    date_labels=("วันที่", "ส่ง", "ส่งเมื่อ"),
    subject_labels=("เรื่อง", "หัวเรื่อง"),
    forward_banners=("ข้อความที่ส่งต่อ",),
    original_banners=("ข้อความต้นฉบับ",),
    intro_banners=("เริ่มข้อความที่ส่งต่อ",),
    months=_months(
        "มกราคม มค | กุมภาพันธ์ กพ | มีนาคม มีค | เมษายน เมย | พฤษภาคม พค | มิถุนายน มิย | "
        "กรกฎาคม กค | สิงหาคม สค | กันยายน กย | ตุลาคม ตค | พฤศจิกายน พย | ธันวาคม ธค"
    ),
    weekdays=_words("อาทิตย์ อา จันทร์ จ อังคาร อ พุธ พ พฤหัสบดี พฤ ศุกร์ ศ เสาร์ ส"),
    forward_prefixes=("ส่งต่อ",),
    reply_prefixes=("ตอบกลับ",),
    era_offset=543,
)

# Hebrew: Gmail he "---------- הודעה שהועברה ----------" with "מאת:" and "יום ב׳, 4 במרץ 2024
# ב-15:20" (month names take the prefix ב-, "in"); Outlook he "מאת / נשלח / אל / נושא"; Gmail's
# attribution "בתאריך <date> מאת <sender>:". Apple Mail's banner is unverified.
HE = Locale(
    code="he",
    name="Hebrew",
    from_labels=("מאת",),
    to_labels=("אל",),
    cc_labels=("עותק", "העתק"),
    bcc_labels=("עותק מוסתר",),
    date_labels=("תאריך", "נשלח", "נשלח בתאריך"),
    subject_labels=("נושא",),
    forward_banners=("הודעה שהועברה", "הודעה מועברת"),
    original_banners=("הודעה מקורית",),
    intro_banners=("תחילת ההודעה המועברת", "תחילת הודעה שהועברה"),
    months=_months(
        "ינואר בינואר | פברואר בפברואר | מרץ מרס במרץ במרס | אפריל באפריל | מאי במאי | יוני "
        "ביוני | יולי ביולי | אוגוסט באוגוסט | ספטמבר בספטמבר | אוקטובר באוקטובר | נובמבר "
        "בנובמבר | דצמבר בדצמבר"
    ),
    weekdays=_words("ראשון שני שלישי רביעי חמישי שישי שבת"),
    forward_prefixes=("הועבר", "העבר"),
    reply_prefixes=("השב", "תשובה"),
)

# Persian: Gmail fa "---------- پیام هدایت‌شده ---------" with "از:" (Persian digits in dates are
# read as digits). Unverified beyond Gmail's banner and From label.
FA = Locale(
    code="fa",
    name="Persian",
    from_labels=("از", "فرستنده"),
    to_labels=("به", "گیرنده"),
    cc_labels=("رونوشت",),
    date_labels=("تاریخ", "ارسال شده"),
    subject_labels=("موضوع",),
    forward_banners=("پیام هدایت‌شده", "پیام هدایت شده", "پیام بازارسال‌شده"),
    original_banners=("پیام اصلی",),
    months=_months(
        "ژانویه | فوریه | مارس | آوریل | مه | ژوئن | ژوئیه جولای | اوت آگوست | سپتامبر | "
        "اکتبر | نوامبر | دسامبر"
    ),
    weekdays=_words("شنبه یکشنبه دوشنبه سه‌شنبه چهارشنبه پنجشنبه پنج‌شنبه جمعه"),
    forward_prefixes=("هدایت",),
    reply_prefixes=("پاسخ",),
)

# Amharic: Gmail am "---------- የተላለፈ መልዕክት ---------" with "ከ:" over English labels.
# Unverified beyond that.
AM = Locale(
    code="am",
    name="Amharic",
    from_labels=("ከ",),
    to_labels=("ወደ",),
    date_labels=("ቀን",),
    subject_labels=("ርዕሰ ጉዳይ",),
    forward_banners=("የተላለፈ መልዕክት", "የተላለፈ መልእክት"),
)

# Albanian: Gmail sq "---------- Mesazh i përcjellë ---------" with "Nga:" over English labels
# and "të enj, 21 mar 2024 në 17:35"; its attribution "Më <date> <sender> shkroi:".
SQ = Locale(
    code="sq",
    name="Albanian",
    from_labels=("Nga",),
    to_labels=("Për",),
    date_labels=("Dërguar",),
    subject_labels=("Subjekti",),
    forward_banners=("Mesazh i përcjellë", "Mesazhi i përcjellë"),
    original_banners=("Mesazhi origjinal",),
    months=_months(
        "janar jan | shkurt shk | mars mar | prill pri | maj | qershor qer | korrik kor | "
        "gusht gus | shtator sht | tetor tet | nëntor nën | dhjetor dhj"
    ),
    weekdays=_words("hënë hën martë mërkurë mër enjte enj premte pre shtunë diel"),
)

# Gmail et ("Saatja") is cheap to keep.
ET = Locale(
    code="et",
    name="Estonian",
    from_labels=("Saatja",),
    to_labels=("Adressaat", "Saaja"),
    date_labels=("Kuupäev", "Saadetud"),
    subject_labels=("Teema",),
    months=_months(
        "jaanuar jaan | veebruar veebr | märts | aprill | mai | juuni | juuli | august aug "
        "| september sept | oktoober okt | november nov | detsember dets"
    ),
)

# Catalan: Gmail ca "El dj., 25 de gener 2024 a les 17:44, <sender> va escriure:" (month names
# after "de" or "d'"), Outlook ca "De / Enviat / Per a / A/c / Assumpte". Outlook's labels and
# the banners are unverified.
CA = Locale(
    code="ca",
    name="Catalan",
    from_labels=("De",),
    to_labels=("Per a",),
    cc_labels=("A/c",),
    date_labels=("Data", "Enviat"),
    subject_labels=("Assumpte",),
    forward_banners=("Missatge reenviat",),
    original_banners=("Missatge original",),
    months=_months(
        "gener gen | febrer febr | març | abril abr d'abril | maig | juny | juliol jul | "
        "agost ag d'agost | setembre set | octubre oct d'octubre | novembre nov | desembre des"
    ),
    weekdays=_words(
        "dilluns dl dimarts dt dimecres dc dijous dj divendres dv dissabte ds diumenge dg"
    ),
)

# Priority order (see the module docstring).
LOCALES: tuple[Locale, ...] = (
    EN,
    ES,
    PT_BR,
    PT,
    FR,
    HT,
    DE,
    IT,
    NL,
    PL,
    CS,
    SK,
    RU,
    UK,
    TR,
    SV,
    DA,
    NO,
    FI,
    HU,
    RO,
    HR,
    ZH,
    VI,
    JA,
    KO,
    EL,
    AR,
    HI,
    NE,
    KM,
    ET,
    ID,
    TH,
    HE,
    FA,
    AM,
    SQ,
    CA,
)

# Time-of-day markers (checked next to the time, case-sensitively for the short ones).
AM_MARKERS: tuple[str, ...] = ("上午", "午前", "오전", "早上", "凌晨", "SA", "π.μ.", "ص", "पूर्वाह्न")
PM_MARKERS: tuple[str, ...] = ("下午", "午後", "오후", "晚上", "中午", "CH", "μ.μ.", "م", "अपराह्न")
# The markers written before the time ("下午3:05", "오후 9:10"); the others follow it.
MARKERS_BEFORE_TIME: frozenset[str] = frozenset(
    {"上午", "午前", "오전", "早上", "凌晨", "下午", "午後", "오후", "晚上", "中午"}
)
# The zero of each script whose own digits clients write in dates (Arabic-Indic, Persian,
# Devanagari, Bengali, Thai, Myanmar, Khmer): "२०२३" is 2023.
DIGIT_ZEROS: tuple[str, ...] = (
    "\u0660", "\u06f0", "\u0966", "\u09e6", "\u0e50", "\u1040", "\u17e0"
)  # fmt: skip

# Time zone abbreviations clients print, as UTC offsets in minutes. Ambiguous ones resolve to
# the North American reading ("CST" is US Central, "AST" Atlantic), as this archive is in
# Massachusetts. German (MEZ, OESZ), French-Canadian (HNE, HAE) forms included.
ZONE_ABBREVIATIONS: dict[str, int] = _zones(
    """
    UT UTC GMT WET WEZ: 0
    BST CET MEZ WEST WESZ WAT SEČ SEC: 60
    CEST MESZ SELČ SELC EET OEZ CAT SAST: 120
    EEST OESZ MSK EAT TRT: 180
    PKT: 300
    ICT WIB: 420
    HKT SGT AWST PHT: 480
    JST KST: 540
    ACST: 570
    AEST: 600
    AEDT: 660
    NZST: 720
    NZDT: 780
    NST: -210
    NDT: -150
    AST: -240
    ADT BRT ART: -180
    EST HNE COT PET: -300
    EDT HAE CLT: -240
    CST HNC: -360
    CDT HAC: -300
    MST HNR: -420
    MDT HAR: -360
    PST HNP: -480
    PDT HAP: -420
    AKST: -540
    AKDT: -480
    HST: -600
    """
)
# "IST" is India (+5:30), Ireland (+1) or Israel (+2): keep the text, give no date.
AMBIGUOUS_ZONES: frozenset[str] = frozenset({"IST"})

# Reply attribution lines ("On <date>, <sender> wrote:"). Clients also write them above a
# forwarded message (Outlook 2019, Apple Mail and webmails with some settings): under a forward
# subject such a line opens the original. Each pattern is matched against one stripped line (or
# two lines joined, when a client wrapped it) and names the groups `date` and `who`, or `mixed`
# for "<date> <sender>" with no word between (split at the time of day). Written for this project
# from what Gmail, Apple Mail, Outlook and Thunderbird print; languages as in LOCALES.
#
# The verb at the end of the line, after "<intro> <date>, <sender>".
ATTRIBUTION_VERBS: tuple[tuple[str, str], ...] = (
    ("en", r"(?:wrote|writes)"),  # Gnus: "<sender> writes:"
    ("fr", r"a [ée]crit"),
    ("es", r"escribi[óo]"),
    ("it", r"ha scritto"),
    ("pl", r"(?:pisze|napisał(?:\(a\)|a)?)"),
    ("pt", r"escreveu"),
    ("ro", r"a scris"),
    ("hr", r"je napisa(?:o(?:/la|\(la\))?|la)"),
    ("sk", r"napísal(?:\(a\)|a)?"),
    ("cs", r"napsal(?:\(a\)|a)?"),
    ("ru", r"(?:пишет|написал(?:\(а\)|а)?)"),
    ("uk", r"(?:пише|написав(?:\(ла\))?|написала)"),
    ("vi", r"đã viết"),
    ("fi", r"kirjoitti"),
    ("tr", r"(?:şunları|şunu)[ \t]+yazdı"),
    ("ko", r"작성"),
    ("zh", r"[写寫]道"),
    ("et", r"kirjutas"),
    ("hu", r"(?:ezt[ \t]+)?írta"),
    ("ht", r"te ekri"),
    ("de", r"schrieb"),
    ("nl", r"schreef"),
    ("el", r"έγραψε"),  # Gmail el: "Στις <date>, ο/η <sender> έγραψε:"
    ("hi", r"ने[ \t]+लिखा"),  # Gmail hi: "<date> को <time> बजे <sender> ने लिखा:"
    ("id", r"menulis"),  # Gmail id: "Pada <date> <sender> menulis:"
    ("sq", r"shkroi"),  # Gmail sq: "Më <date> <sender> shkroi:"
    ("he", r"כתב(?:/ה|ה)?"),  # Outlook for Mac he: "ב-<date>, <sender> כתב/ה:"
    ("ca", r"va[ \t]+escriure"),  # Gmail ca: "El <date>, <sender> va escriure:"
)
# Words that may open the line before the date ("On", "Le", "Am", "W dniu"...). Hebrew writes
# "on" as a prefix joined to the date by a hyphen or maqaf ("ב-29.1.2024"): the intros that
# end in one take no space after them.
ATTRIBUTION_INTROS: tuple[str, ...] = (
    "On", "Le", "Am", "El", "Il giorno", "Il", "Op", "W dniu", "Em", "Às", "Den", "Dne", "Dňa",
    "La", "În", "Pe", "Vào", "Lúc", "At", "Στις", "Pada", "Më", "ב-", "ב־",
)  # fmt: skip
# Whole-line forms: the verb between the date and the sender, or the sender first (languages
# separated by spaces).
ATTRIBUTION_FORMS: tuple[tuple[str, str], ...] = (
    ("ko", r"(?P<mixed>.+?)[ \t]?님이[ \t]작성[ \t]?[:：]"),
    ("ja", r"(?P<mixed>.+?)[ \t]?(?:は書きました|が書きました|のメール)[ \t]?[:：]"),
    ("pl", r"Wiadomość[ \t]+napisana[ \t]+przez[ \t]+(?P<who>.+?)[ \t]+w[ \t]+dniu[ \t]+"
     r"(?P<date>.+?)[ \t]*:"),
    ("zh", r"(?P<who>.+?)[ \t]?[于於][ \t]?(?P<date>.+?)[ \t]?[写寫]道[ \t]?[:：]"),
    ("zh", r"在[ \t]?(?P<date>.+?)[,，][ \t]?(?P<who>.+?)[ \t]?[写寫]道[ \t]?[:：]"),
    ("hu", r"(?P<who>.+?)[ \t]+ezt[ \t]+írta[ \t]*\(időpont:[ \t]*(?P<date>.+?)\)[ \t]*:"),
    ("hu", r"(?P<date>.+?)[ \t]+keltezéssel,[ \t]*(?P<who>.+?)[ \t]+írta[ \t]*:"),
    ("tr", r"(?P<who>.+?),[ \t]*(?P<date>.+?)[ \t]+tarihinde[ \t]+şunu[ \t]+yazdı[ \t]*:"),
    ("fi", r"(?P<who>.+?)[ \t]+kirjoitti[ \t]+(?P<date>.*\d.*?)[ \t]*:"),
    ("et", r"(?P<who>.+?)[ \t]+kirjutas[ \t]+(?:kuupäeval[ \t]+)?(?P<date>.*\d.*?)[ \t]*:"),
    # Apple Mail nl "Op <date> heeft <sender> het volgende geschreven:", Outlook for Mac nl
    # without "het volgende"; Yahoo de "Am <date> hat <sender> Folgendes geschrieben:".
    ("nl", r"Op[ \t]+(?P<date>.+?)[ \t]+heeft[ \t]+(?P<who>.+?)[ \t]+"
     r"(?:het[ \t]+volgende[ \t]+)?geschreven[ \t]*:"),
    ("de", r"(?:Am[ \t]+)?(?P<date>\D*\d.*?)[ \t]+hat[ \t]+(?P<who>.+?)[ \t]+"
     r"(?:Folgendes[ \t]+)?geschrieben[ \t]*:"),
    ("de", r"(?:Am[ \t]+)?(?P<date>.*\d.*?)[ \t]+schrieb[ \t]+(?P<who>.+?)[ \t]*:"),
    ("nl", r"(?:Op[ \t]+)?(?P<date>.*\d.*?)[ \t]+schreef[ \t]+(?P<who>.+?)[ \t]*:"),
    ("sv da no", r"(?:Den[ \t]+)?(?P<date>.*\d.*?)[ \t]+skrev[ \t]+(?P<who>.+?)[ \t]*:"),
    # Gmail he: "בתאריך <date> מאת <sender>:" ("on the date ... from ...").
    ("he", r"בתאריך[ \t]+(?P<date>.*\d.*?)[ \t]+מאת[ \t]+(?P<who>.+?)[ \t]*:"),
    # Gmail ar: "في <date> تمت كتابة ما يلي بواسطة <sender>:" ("on <date> this was written by").
    ("ar", r"في[ \t]+(?P<date>.*\d.*?)[ \t]+تمت[ \t]+كتابة[ \t]+ما[ \t]+يلي[ \t]+بواسطة[ \t]+"
     r"(?P<who>.+?)[ \t]*:"),
    # Horde (IMP) writes no date: "Quoting <sender>:", "Zitat von <sender>:", "Citation de
    # <sender> :" (the French form unverified). Without a date, an attribution needs the
    # sender's address.
    ("en", r"Quoting[ \t]+(?P<who>.+?)[ \t]*:"),
    ("de", r"Zitat[ \t]+von[ \t]+(?P<who>.+?)[ \t]*:"),
    ("fr", r"Citation[ \t]+de[ \t]+(?P<who>.+?)[ \t]*:"),
)  # fmt: skip
# What may follow a year in a date ("2025 г.", "2025年", "2025년", "2025.").
YEAR_SUFFIXES: tuple[str, ...] = ("г.", "年", "년", ".")
# Words that end an attribution with no space before the colon (Chinese, Korean).
ATTRIBUTION_END_WORDS: tuple[str, ...] = ("写道", "寫道", "님이 작성")
# Words before the sender that are not part of a name (Czech Gmail: "… v 9:31 odesílatel X",
# Greek "…, ο/η X", Hindi "… 6:10 pm बजे X", Outlook for Mac tr "… 20:11 tarihinde X" and ru
# "… 22:05 пользователь X", Mail.ru "… 8:40 -04:00 от X").
ATTRIBUTION_SENDER_WORDS: tuple[str, ...] = (
    "odesílatel", "Uhr", "h", "időpontban", "saatinde", "ο/η", "बजे", "tarihinde",
    "пользователь", "от",
)  # fmt: skip
