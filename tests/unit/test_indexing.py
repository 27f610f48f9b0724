"""What a record puts in the search index, and how filters and command lines become terms."""

from __future__ import annotations

from archiver.cli.search_cmd import query_text
from archiver.crypto.blind import BlindIndex
from archiver.domain import RecordMeta
from archiver.domain import unpack_terms as unpack
from archiver.understand.indexing import (
    PAIRS,
    WORDS,
    address_tokens,
    filter_tokens,
    index_tokens,
)

META = RecordMeta.from_json(
    {
        "subject": "Fwd: Field trip",
        "note": "For the record.",
        "sender": [{"name": "Coach Byrne", "address": "kbyrne@milton.k12.example.org"}],
        "to": [{"name": "", "address": "records@milton.k12.example.org"}],
        "cc": [],
        "forwarder": {"name": "Coach Byrne", "address": "kbyrne@milton.k12.example.org"},
        "attachments": [{"filename": "Fwd.eml", "content_type": "message/rfc822"}],
        "originals": [
            {
                "from": {"name": "Pat Rivera", "address": "Pat.Rivera@Gmail.example"},
                "to": [{"name": "", "address": "coach@gmail.example"}],
                "cc": [],
                "subject": "Field trip",
                "body": "Liam can go to the aquarium.",
                "attachments": [{"filename": "form.pdf", "content_type": "application/pdf"}],
            }
        ],
    }
)


def test_address_tokens_find_an_address_its_domain_local_part_and_name() -> None:
    assert address_tokens("<Pat.Rivera@Gmail.example>", "Pat Rivera") == {
        "pat.rivera@gmail.example",
        "@gmail.example",
        "pat",
        "rivera",
    }
    assert filter_tokens("Pat.Rivera@gmail.example") == {"pat.rivera@gmail.example"}
    assert filter_tokens("@gmail.example") == {"@gmail.example"}
    assert filter_tokens("Rivera, Pat") == {"rivera", "pat"}


def test_index_doc_terms_per_field() -> None:
    blind = BlindIndex(b"k" * 32)
    tokens = index_tokens(META, ["Permission slip text"])
    assert "aquarium" in tokens.fields[WORDS]  # plaintext tokens, before any key
    doc = blind.document("index-1", tokens)
    terms = set(unpack(doc.terms))
    expected = [
        (WORDS, "aquarium"),  # an original's body
        (WORDS, "record"),  # the note
        (WORDS, "permission"),  # attachment text
        (WORDS, "form"),  # an original's attachment's name
        (PAIRS, "field trip"),
        ("from", "pat.rivera@gmail.example"),
        ("from", "rivera"),
        ("to", "coach@gmail.example"),
        ("forwarder", "kbyrne@milton.k12.example.org"),
        ("participant", "@milton.k12.example.org"),
        ("participant", "pat.rivera@gmail.example"),
    ]
    for field, token in expected:
        assert blind.term(field, token) in terms, (field, token)
    for field, token in [("from", "kbyrne@milton.k12.example.org"), (WORDS, "rivera")]:
        assert blind.term(field, token) not in terms, (field, token)
    assert doc.attachments == 1  # the forwarded message is an original, not a file
    assert unpack(doc.terms) == sorted(terms)
    assert BlindIndex(b"j" * 32).term(WORDS, "aquarium") not in terms  # another key


def test_command_line_words_become_a_query() -> None:
    assert query_text(("coach", "field trip", "-cancelled")) == 'coach "field trip" -cancelled'
    assert query_text(('"field trip" coach',)) == '"field trip" coach'
