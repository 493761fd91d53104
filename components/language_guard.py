"""Messages in another language get an honest answer: the assistant speaks English only.

A question in Spanish read by an English classifier gets a confident wrong answer or the
fallback; neither helps the patient. This step recognises messages written mostly in another
language (common words of Spanish, Portuguese, French, German, Italian, Dutch, Polish and
Turkish, or a non-Latin script) and turns the reading into `other_language`, whose answer says,
in English and in Spanish, that the assistant speaks English only and gives the clinic's phone.
The classifier learns `other_language` too, for languages these lists lack; its reading of a message
of names, numbers and times alone ("Dana Lee 415-555-0199"), or of no letters at all, is no
language and goes to its next reading.
A crisis in any language is still a crisis: the crisis detector runs after this step, and a
personal medical question keeps its clinician answer."""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Dict, List, Optional, Text

from rasa.core.constants import DEFAULT_NLU_FALLBACK_THRESHOLD
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from clinic.parsing import only_details
from clinic.text import normalise
from components.stateless import StatelessComponent, fallback_threshold
from components.text import hand_back, left_alone, override_reading, top_reading

OTHER_LANGUAGE_INTENT = "other_language"
DETECTION_KEY = "not_english"
KEPT_INTENTS = {"crisis", "ask_personal_medical", "affirm", "deny", "cancel", OTHER_LANGUAGE_INTENT}

# Frequent words of each language that are not also common English words (no "die", "was", "son").
COMMON_WORDS: Dict[str, set] = {
    "es": set("""que para con por una los las del mis tengo puedo puede cuanto cuánto cuesta cómo como qué
              hay sesión sesion tratamiento ayuda gracias hola usted ustedes quiero necesito está esta muy pero
              también seguro médico depresión hablan español años desde hace aceptan hacer cuántas cuantas
              sesiones efectos dónde donde clínica esposo esposa hijo hija tiene es el la atienden""".split()),
    "pt": set("""não você vocês quanto custa uma com está tratamento sessão obrigado olá preciso posso quais são
              efeitos ajuda meu minha isso muito fazer tenho depois cetamina onde fica clínica é falam funciona
              quero marcar consulta vicia""".split()),
    "fr": set("""est que pour avec une les des je vous pas combien coûte traitement séance merci bonjour
              est-ce remboursée remboursé assurance kétamine c'est mon mes suis peux où quels quelle
              effets""".split()),
    "de": set("""ich und ist nicht eine einer wie lange dauert kostet behandlung danke hallo bitte mein meine habe
              kann für mit auf sie wir auch oder ungefähr wird werden ketamin nebenwirkungen wo klinik sprechen
              möchte termin vereinbaren welche gibt""".split()),
    "it": set("""che per con una sono della quanto costa grazie buongiorno vorrei prenotare visita mia mio è non
              trattamento sessione dove effetti collaterali parlate si trova""".split()),
    "nl": set("""het een niet ik waar hoe kost precies kliniek behandeling bedankt mijn zijn wat voor met van
              hoeveel bijwerkingen spreekt zit werkt tegen snel""".split()),
    "pl": set("""czy jest nie się jak ile kosztuje leczenie dziękuję uzależnia mam moja mój gdzie ketamina mówicie
              po""".split()),
    "tr": set("""ve bir bu için mı mi işe yarıyor tedavisi nasıl ne kadar mıdır""".split()),
}
ENGLISH_WORDS = set("""the a an is it to and of in for on with what how does do can i you my me are be will would
                    much long cost take after before this that there have has when who where why which your our
                    get about any ketamine infusion therapy treatment session clinic insurance side effects safe
                    work please thanks hi hello yes no not""".split())
# Naming a language is as telling as two of its words ("hablan español?").
LANGUAGE_NAMES = {"español": "es", "espanol": "es", "português": "pt", "portugues": "pt", "français": "fr",
                  "francais": "fr", "deutsch": "de", "italiano": "it", "nederlands": "nl", "polsku": "pl",
                  "türkçe": "tr"}
# Letters that English words do not carry: each word with one counts towards "another language".
FOREIGN_LETTERS = re.compile(r"[ñçãõêèàâùûüöäßłżśćńęąışğ¿¡]")
WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
ADDRESS = re.compile(r"\S+@\S+|https?://\S+|www\.\S+")
MIN_FOREIGN_WORDS = 2


def script_is_latin(letter: str) -> bool:
    return "LATIN" in unicodedata.name(letter, "LATIN")


def other_language(text: str) -> Optional[str]:
    """The language a message is mostly written in, when it is not English (None otherwise)."""
    message = normalise(text)
    letters = [c for c in message if c.isalpha()]
    if len(letters) >= 3 and sum(not script_is_latin(c) for c in letters) > len(letters) / 2:
        return "non-latin"
    words = WORD.findall(ADDRESS.sub(" ", message))
    english = sum(w in ENGLISH_WORDS for w in words)
    best, hits = max(((language, sum(w in vocabulary for w in words)) for language, vocabulary in COMMON_WORDS.items()),
                     key=lambda pair: pair[1])
    named = next((LANGUAGE_NAMES[w] for w in words if w in LANGUAGE_NAMES), None)
    if named:
        best, hits = named, hits + MIN_FOREIGN_WORDS
    hits += sum(1 for w in words if FOREIGN_LETTERS.search(w) and w not in COMMON_WORDS[best])
    return best if hits >= MIN_FOREIGN_WORDS and hits > english else None


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class LanguageGuard(StatelessComponent):
    def __init__(self, config: Dict[Text, Any]) -> None:
        super().__init__(config)
        self.fallback_threshold = float(config.get("fallback_threshold", DEFAULT_NLU_FALLBACK_THRESHOLD))

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "LanguageGuard":
        return cls({**config, "fallback_threshold": fallback_threshold(execution_context)})

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            language = None if left_alone(message, KEPT_INTENTS) else other_language(text)
            if language is not None:
                override_reading(message, OTHER_LANGUAGE_INTENT, DETECTION_KEY, {"language": language})
            elif top_reading(message) == OTHER_LANGUAGE_INTENT and (
                    only_details(text) or not any(c.isalpha() for c in text)):
                hand_back(message, (OTHER_LANGUAGE_INTENT, "nlu_fallback"), self.fallback_threshold)
        return messages
