"""The sentences of incidents and tickets read for the several things one sentence says (sentences.py): the texts
quoted, the effects a later update strings together, each item of a list. Read in all three languages, with no
page and no incident: what evidence.py builds on (test_matching_evidence.py checks what the incident makes of them)."""
from __future__ import annotations

import pytest

from statuspage.support.sentences import enumerated, later_effects, quote_words, quoted_texts, quotes_shared


# --- what a text quotes: a status or message on screen, the same in any language --------------------------------

def test_quoted_texts_are_read_from_every_kind_of_quotation_mark():
    assert quoted_texts("Da steht „Nicht verfügbar“ und ‚Gesperrt‘.") == {"nicht verfügbar", "gesperrt"}
    assert quoted_texts("L'écran affiche « Accès refusé » depuis midi.") == {"accès refusé"}
    assert quoted_texts('It says "Sync paused" and the badge reads \'Offline\'.') == {"sync paused", "offline"}
    # apostrophes open nothing, and a long citation is no text on screen
    assert quoted_texts("It's my colleague's laptop, l'appli n'ouvre pas.") == frozenset()
    assert quoted_texts('He wrote "we will call you back tomorrow morning about the broken printer".') == frozenset()


def test_a_single_quoted_word_must_be_quoted():
    for text in ("the list says overdue for all", 'the list says "overdue" for all'):
        assert quotes_shared(quote_words(text), quoted_texts(text), frozenset({"overdue"})) == (["overdue"] if '"' in text else [])
    # two words or more are shared written word for word, quoted or not, in any case
    text = "Im Konto steht AUSGELIEHEN – überfällig."
    assert quotes_shared(quote_words(text), quoted_texts(text), frozenset({"ausgeliehen überfällig"})) == ["ausgeliehen überfällig"]


# --- a later update's effects, one by one -------------------------------------------------------------------------

@pytest.mark.parametrize(("update", "language", "effect"), [
    ("Until the backlog is cleared, returned books stay on the borrower's account for a while, reminders are sent to "
     "readers who returned them, and the kiosk shows the wrong due date. Holds work as usual.", "en",
     "reminders are sent to readers who returned them"),
    ("Bis der Rückstand abgearbeitet ist, stehen zurückgegebene Bücher weiter im Leserkonto, und die Ausleihfrist wird "
     "am Automaten falsch angezeigt. Vormerkungen funktionieren normal.", "de",
     "die Ausleihfrist wird am Automaten falsch angezeigt."),
    ("Tant que le retard n'est pas résorbé, les livres rendus restent sur le compte du lecteur, et les relances "
     "partent aussi aux lecteurs qui les ont rendus.", "fr", "les livres rendus restent sur le compte du lecteur"),
])
def test_a_later_update_listing_several_effects_is_read_effect_by_effect(update, language, effect):
    effects = later_effects([update], language)
    assert effect in effects
    # what works is no effect, and "Kundinnen und Kunden" / "readers and staff" stay one thing
    assert not any("usual" in e or "normal" in e for e in effects)
    assert later_effects(["Readers and staff of the branch libraries see the wrong due date."], language) == []


# --- each item of an enumeration ---------------------------------------------------------------------------------

@pytest.mark.parametrize("sentence, expected", [
    ("While we upgrade, invoices can't be created, edited or deleted in the portal.",
     ["While we upgrade, invoices can't be created in the portal.", "While we upgrade, invoices can't be edited in the portal.",
      "While we upgrade, invoices can't be deleted in the portal."]),
    ("Während der Arbeiten können Gutscheine nicht eingelöst, verlängert oder storniert werden.",
     ["Während der Arbeiten können Gutscheine nicht eingelöst werden.",
      "Während der Arbeiten können Gutscheine nicht verlängert werden.",
      "Während der Arbeiten können Gutscheine nicht storniert werden."]),
    ("Pendant la fenêtre, les factures et les devis ne peuvent pas être imprimés.",
     ["Pendant la fenêtre, les factures ne peuvent pas être imprimés.",
      "Pendant la fenêtre, les devis ne peuvent pas être imprimés."]),
    ("Invoices, quotes and delivery notes are unavailable.",
     ["Invoices are unavailable.", "quotes are unavailable.", "delivery notes are unavailable."]),
])
def test_each_item_of_an_enumeration_is_a_sentence_of_its_own(sentence, expected):
    assert enumerated(sentence) == expected


def test_two_enumerations_in_one_sentence_are_also_paired():
    variants = enumerated("Invoices and quotes can't be printed or mailed.")
    assert variants[:4] == ["Invoices can't be printed or mailed.", "quotes can't be printed or mailed.",
                            "Invoices and quotes can't be printed.", "Invoices and quotes can't be mailed."]
    assert set(variants[4:]) == {"Invoices can't be printed.", "Invoices can't be mailed.", "quotes can't be printed.",
                                 "quotes can't be mailed."}
    assert len(enumerated("Factures et devis ne peuvent être ni imprimés ni envoyés par courrier, ni par e-mail.")) <= 12


@pytest.mark.parametrize("sentence", [
    "The mail queue is long, and delivery is slow.",          # a comma before "and" joins clauses
    "Monats- und Jahreskarten bleiben gültig.",               # a word cut short joins word parts
    "Nothing is lost.",
])
def test_no_enumeration_no_items(sentence):
    assert enumerated(sentence) == []
