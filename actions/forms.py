"""What the booking and call-back forms share: slot validators with re-prompts, the offer to
skip or call after two failures on one slot, FAQ digressions answered mid-form, and
storing a request in the outbox before confirming it."""

from __future__ import annotations

import logging
from abc import abstractmethod
from datetime import datetime
from typing import Any, Collection, Dict, List, Optional, Text
from zoneinfo import ZoneInfo

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from clinic import logs, metrics
from clinic.profile import current_profile
from clinic.outbox import Outbox
from clinic.parsing import (
    MAX_FREE_TEXT,
    PastDateError,
    asks_why_needed,
    clean_text,
    contact_slots,
    detail_parts,
    find_name,
    introduces_a_name,
    is_skip,
    looks_like_question,
    parse_contact,
    parse_name,
    parse_preferred_windows,
    parse_reason,
    time_slots,
    unmistakable_time,
    window_slots,
)

logger = logging.getLogger(__name__)

NOT_GIVEN = "not given"
FAILURES_SLOT, FAILED_SLOT = "form_failures", "form_failed_slot"
# Personal details cleared from the conversation once a request is stored.
PERSONAL_SLOTS = [
    "full_name", "contact_details", "phone", "email", "preferred_time_text", "preferred_time",
    "preferred_time_end", "reason", "insurance_plan", "consent", "callback_message",
]
# A question asked mid-form is answered when the classifier reads a topic at least this surely
# (the medical boundary and language guard readings are certain), then the form asks again.
DIGRESSION_CONFIDENCE = 0.25
ALWAYS_ANSWERED = {"ask_personal_medical", "other_language"}
# Other intents answered mid-form as questions are, besides the FAQ topics ("hold on, are you a
# bot or a real person?" at the contact question).
ANSWERED_MID_FORM = {"crisis_resources", "help_menu", "bot_challenge"}
# At the steps whose answers never name a topic (a name, a phone or e-mail, a day, yes or no), a topic
# read this surely is a question even without a question's shape ("quick q does insurance cover it");
# elsewhere an answer can name a topic ("Aetna" for the insurer, "depression" for the reason), but
# not the bot, the menu or crisis lines ("r u a robot").
SURE_DIGRESSION = 0.8
TOPICLESS_ANSWERS = {"full_name", "contact_details", "preferred_time_text", "consent"}
# The certainty the guards give their readings: the classifier's own reading of another language
# is a guess a name can provoke ("Priya Raman"), never a reason to refuse it.
GUARD_CERTAINTY = 1.0
# The slot whose answer may itself be a question: the message for staff.
QUESTIONS_ARE_ANSWERS = {"callback_message"}
NEVER_THE_MESSAGE = {"greet", "thank", "bot_challenge"}
NEVER_THE_MESSAGE_CONFIDENCE = 0.9
# Said mid-form besides an answer, with what is replied before the form asks its question again:
# "hi", "thanks", a request for a person, a new booking request, by form.
MID_FORM_REPLIES = {
    ("greet", "booking_form"): "utter_greet_mid_form",
    ("greet", "callback_form"): "utter_greet_mid_form",
    ("thank", "booking_form"): "utter_thank_mid_form",
    ("thank", "callback_form"): "utter_thank_mid_form",
    ("request_human", "booking_form"): "utter_request_human_mid_booking",
    ("request_human", "callback_form"): "utter_request_human_mid_callback",
    ("book_appointment", "booking_form"): "utter_book_mid_booking",
    ("book_appointment", "callback_form"): "utter_book_mid_callback",
}
# How surely a typed message must be read as one of those to be replied to rather than read as
# the answer (a name such as "Joy" is no greeting).
MID_FORM_CONFIDENCE = 0.6
# A button of an earlier answer that is itself the answer to the form's question.
BUTTON_ANSWERS = {"consent": {"affirm", "deny"}}
CONFIRMATION_SLOT = "awaiting_confirmation"
# "change" or "cancel" while the call-back form takes a request about an existing appointment.
REQUEST_KIND_SLOT = "request_kind"
YES = {"yes", "y", "yeah", "yep", "sure", "ok", "okay", "of course", "please do", "yes please", "fine", "agree",
       "i agree"}
NO = {"no", "n", "nope", "nah", "no thanks", "don't", "do not", "i don't agree"}


_outbox: Optional[Outbox] = None


def outbox() -> Outbox:
    """One outbox per action-server process, opened on first use."""
    global _outbox
    if _outbox is None:
        _outbox = Outbox()
    return _outbox


def clinic_now() -> datetime:
    return datetime.now(ZoneInfo(current_profile().timezone))


def clinic_region() -> str:
    """Where the clinic's patients' numbers (and dates) are written: the profile's phone_region."""
    return current_profile().phone_region


def faq_digression(tracker: Tracker, requested: str) -> Optional[str]:
    """The topic to answer instead of filling the slot, when the message is a question about one.
    An unsure reading (the fallback) counts as its classifier's first topic."""
    intent = tracker.latest_message.get("intent") or {}
    if intent.get("name") in ALWAYS_ANSWERED and (intent.get("confidence") or 0) >= GUARD_CERTAINTY:
        return intent["name"]
    if intent.get("name") == "nlu_fallback":
        ranking = tracker.latest_message.get("intent_ranking") or []
        intent = next((entry for entry in ranking if entry.get("name") != "nlu_fallback"), {})
    name = intent.get("name") or ""
    answerable = name.startswith("ask_") or name in ANSWERED_MID_FORM
    text = tracker.latest_message.get("text")
    confidence = intent.get("confidence") or 0
    sure = confidence >= SURE_DIGRESSION and (requested in TOPICLESS_ANSWERS or name in ANSWERED_MID_FORM)
    shaped = looks_like_question(text) or is_button(text) or sure
    if answerable and confidence >= DIGRESSION_CONFIDENCE and shaped:
        return name
    return None


def is_button(text: Optional[str]) -> bool:
    """A button's payload ("/ask_cost"): the payload guard has left only those starting with "/"."""
    return (text or "").strip().startswith("/")


def said_besides_an_answer(tracker: Tracker, form: str, requested: str) -> Optional[str]:
    """The reply to a greeting, thanks, a request for a person or a new booking request made
    mid-form (typed, or a button of an earlier answer); None when the message is to be read as the
    answer. The message for staff takes whatever is typed, and so does a name introduced ("hi, I'm
    Dana Lee")."""
    intent = tracker.latest_message.get("intent") or {}
    text = tracker.latest_message.get("text") or ""
    if not is_button(text) and (find_name(text) or (intent.get("confidence") or 0) < MID_FORM_CONFIDENCE
                                or (requested in QUESTIONS_ARE_ANSWERS and not never_the_message(tracker))):
        return None
    return MID_FORM_REPLIES.get((intent.get("name") or "", form))


def never_the_message(tracker: Tracker) -> bool:
    """A greeting, thanks or the bot question, read surely: never the message for staff, which
    otherwise takes whatever is typed (a request for a person or a booking may be that message)."""
    intent = tracker.latest_message.get("intent") or {}
    return intent.get("name") in NEVER_THE_MESSAGE and (intent.get("confidence") or 0) >= NEVER_THE_MESSAGE_CONFIDENCE


def old_button(tracker: Tracker, requested: str) -> bool:
    """A button of an earlier answer that neither answers the question asked nor asks anything."""
    intent = (tracker.latest_message.get("intent") or {}).get("name") or ""
    return is_button(tracker.latest_message.get("text")) and intent not in BUTTON_ANSWERS.get(requested, ())


def answers_the_question(slot: str, text: str) -> bool:
    """Whether a message that reads like a question still answers the form's question
    ("could I come tuesday afternoon?", "can you call 202 555 0143?")."""
    if slot in QUESTIONS_ARE_ANSWERS:
        return True
    if slot == "contact_details":
        return bool(parse_contact(text, clinic_region()))
    if slot == "preferred_time_text":
        try:
            return bool(parse_preferred_windows(text, clinic_now(), clinic_region()))
        except PastDateError:
            return True  # an answer, refused with its own message
    return False


def corrected_details(slot: str, text: str) -> Dict[str, Any]:
    """Details given again while another question is asked ("actually my number is 415 555 0199")."""
    found: Dict[str, Any] = {}
    if slot != "contact_details":
        contact = parse_contact(text, clinic_region())
        if contact:
            found.update(contact_slots(contact, clinic_region()))
    if slot != "full_name":
        name = find_name(text)
        if name:
            found["full_name"] = name
    return found


def details_given_at_once(text: str, requested: str, form_slots: List[str],
                          filled: Collection[str] = ()) -> Dict[str, Any]:
    """The form's answers in a message made of nothing else, by slot, when it gives more than one
    ("I'm Dana Lee, 415-555-0199, weekday mornings" at the name question), or a time not given yet
    that no name is made of, at another question ("friday morning" at the name question); otherwise
    nothing, and the message is read as the answer to the question asked. A name counts where it
    was asked for or introduced as one ("Depression, 415-555-0199" at the reason question holds no
    name)."""
    name_asked = requested == "full_name"
    parts = detail_parts(text, names_in_lower_case=name_asked) or {}
    found: Dict[str, Any] = {}
    name = parse_name(parts.get("name"))
    if name and "full_name" in form_slots and (name_asked or introduces_a_name(parts["name"])):
        found["full_name"] = name
    contact = parse_contact(parts.get("contact", ""), clinic_region())
    if contact and "contact_details" in form_slots:
        found.update(contact_slots(contact, clinic_region()))
    if parts.get("time") and "preferred_time_text" in form_slots:
        found.update(time_slots(parts["time"], clinic_now(), clinic_region()))
    if parts.get("reason") and "reason" in form_slots:
        found["reason"] = parse_reason(parts["reason"])
    answered = {"full_name", "contact_details", "preferred_time_text", "reason"} & set(found)
    time_alone = (answered == {"preferred_time_text"} and requested != "preferred_time_text"
                  and "preferred_time_text" not in filled and unmistakable_time(parts["time"]))
    return found if len(answered) > 1 or time_alone else {}


class ValidatingForm(FormValidationAction):
    """Shared validation for the clinic's forms. Subclasses name the form."""

    # Slots that may be skipped at any time, and those skippable after two failures.
    optional_slots: List[str] = []
    skippable_after_failures: List[str] = []

    @abstractmethod
    def name(self) -> Text:
        """Abstract, so that the action server registers only the concrete forms."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        """Validates the message (`validate_message`); each form slot it fills is a step of the funnel."""
        events = await self.validate_message(dispatcher, tracker, domain)
        metrics.slots_filled(self.form_name(), [event.get("name") for event in events
                                                if event.get("event") == "slot" and event.get("value") is not None])
        return events

    async def validate_message(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: Dict[Text, Any]) -> List[EventType]:
        """Every answer is understood first: a question is answered (or, if unclear, said so), a
        correction of an earlier detail is taken; only then is the text read as the answer."""
        requested = tracker.get_slot("requested_slot")
        if not requested or requested not in tracker.slots_to_validate():
            return await super().run(dispatcher, tracker, domain)
        text = clean_text(tracker.latest_message.get("text"))
        clinic = current_profile().slot_values()
        form_slots = domain.get("forms", {}).get(self.form_name(), {}).get("required_slots", [])
        given = details_given_at_once(text, requested, form_slots,
                                      [slot for slot in form_slots if tracker.get_slot(slot) is not None])
        if given:
            # The question asked is asked again when the message did not answer it.
            if requested not in given:
                dispatcher.utter_message(response="utter_details_noted")
            return [SlotSet(slot, value) for slot, value in self._passed({requested: None, **given}).items()]
        if answers_the_question(requested, text) and not is_button(text) and not (
                requested in QUESTIONS_ARE_ANSWERS and never_the_message(tracker)):
            return await super().run(dispatcher, tracker, domain)
        reply = said_besides_an_answer(tracker, self.form_name(), requested)
        if reply:
            dispatcher.utter_message(response=reply, **clinic)
            return [SlotSet(requested, None)]
        if asks_why_needed(text):
            dispatcher.utter_message(response="utter_why_we_ask")
            return [SlotSet(requested, None)]
        topic = faq_digression(tracker, requested)
        if topic:
            dispatcher.utter_message(response=f"utter_{topic}", **clinic)
            dispatcher.utter_message(response="utter_back_to_form")
            return [SlotSet(requested, None)]
        if old_button(tracker, requested):
            dispatcher.utter_message(response="utter_earlier_button")
            return [SlotSet(requested, None)]
        corrections = corrected_details(requested, text)
        if corrections:
            dispatcher.utter_message(response="utter_details_updated")
            return [SlotSet(slot, value) for slot, value in corrections.items()] + [SlotSet(requested, None)]
        if looks_like_question(text):
            dispatcher.utter_message(response="utter_form_question_unclear", **clinic)
            return [SlotSet(requested, None)]
        return await super().run(dispatcher, tracker, domain)

    # ------------------------------------------------------------------ failure handling
    def _failed(self, slot: str, dispatcher: CollectingDispatcher, tracker: Tracker, reprompt: str) -> Dict[str, Any]:
        failures = int(tracker.get_slot(FAILURES_SLOT) or 0) + 1 if tracker.get_slot(FAILED_SLOT) == slot else 1
        dispatcher.utter_message(response=reprompt)
        if failures >= 2:
            can_skip = slot in self.skippable_after_failures or slot in self.optional_slots
            offer = "utter_offer_skip_or_call" if can_skip else "utter_offer_call"
            dispatcher.utter_message(response=offer, **current_profile().slot_values())
        return {slot: None, FAILURES_SLOT: float(failures), FAILED_SLOT: slot}

    @staticmethod
    def _passed(slot_values: Dict[str, Any]) -> Dict[str, Any]:
        return {**slot_values, FAILURES_SLOT: None, FAILED_SLOT: None}

    def _skipped(self, slot: str, tracker: Tracker, value: Any = None) -> bool:
        # NOT_GIVEN comes back for re-validation when the form restarts for a change.
        if value == NOT_GIVEN:
            return True
        return slot in self.optional_slots or (
            slot in self.skippable_after_failures
            and tracker.get_slot(FAILED_SLOT) == slot
            and int(tracker.get_slot(FAILURES_SLOT) or 0) >= 2
        )

    # ------------------------------------------------------------------ validators
    def validate_full_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> Dict[str, Any]:
        if (value == NOT_GIVEN or is_skip(value)) and self._skipped("full_name", tracker, value):
            return self._passed({"full_name": NOT_GIVEN})
        name = parse_name(value if isinstance(value, str) else "")
        if name:
            return self._passed({"full_name": name})
        return self._failed("full_name", dispatcher, tracker, "utter_invalid_full_name")

    def validate_contact_details(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> Dict[str, Any]:
        found = parse_contact(value if isinstance(value, str) else "", clinic_region())
        if found:
            return self._passed(contact_slots(found, clinic_region()))
        return self._failed("contact_details", dispatcher, tracker, "utter_invalid_contact")

    def validate_preferred_time_text(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> Dict[str, Any]:
        text = clean_text(value if isinstance(value, str) else "")[:MAX_FREE_TEXT]
        if (text == NOT_GIVEN or is_skip(text)) and self._skipped("preferred_time_text", tracker, text):
            return self._passed({"preferred_time_text": NOT_GIVEN, "preferred_time": None, "preferred_time_end": None})
        try:
            windows = parse_preferred_windows(text, clinic_now(), clinic_region())
        except PastDateError:
            return self._failed("preferred_time_text", dispatcher, tracker, "utter_past_preferred_time")
        if not windows:
            return self._failed("preferred_time_text", dispatcher, tracker, "utter_invalid_preferred_time")
        # Every window offered ("Monday or Wednesday morning"), so that the summary lists them all.
        return self._passed({"preferred_time_text": text, **window_slots(windows)})

    def validate_reason(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> Dict[str, Any]:
        if value == NOT_GIVEN or is_skip(value):
            return self._passed({"reason": NOT_GIVEN})
        reason = parse_reason(value if isinstance(value, str) else "")
        if reason:
            return self._passed({"reason": reason})
        return self._failed("reason", dispatcher, tracker, "utter_invalid_reason")

    def validate_insurance_plan(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> Dict[str, Any]:
        text = clean_text(value if isinstance(value, str) else "")[:200]
        if not text:
            return self._failed("insurance_plan", dispatcher, tracker, "utter_invalid_insurance")
        return self._passed({"insurance_plan": NOT_GIVEN if is_skip(text) else text})

    def validate_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> Dict[str, Any]:
        if isinstance(value, bool):  # accepted earlier, re-validated when the form restarts
            return self._passed({"consent": value})
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        answer = clean_text(value if isinstance(value, str) else "").lower().strip(" .!")
        if intent == "affirm" or answer in YES:
            return self._passed({"consent": True})
        if intent == "deny" or answer in NO:
            return self._passed({"consent": False})
        return self._failed("consent", dispatcher, tracker, "utter_invalid_consent")

    def validate_callback_message(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> Dict[str, Any]:
        text = clean_text(value if isinstance(value, str) else "")
        if text == NOT_GIVEN or is_skip(text):
            return self._passed({"callback_message": NOT_GIVEN})
        if not text:
            return self._failed("callback_message", dispatcher, tracker, "utter_invalid_callback_message")
        # Kept as the user wrote it (up to a sensible length): it is data, never markup.
        return self._passed({"callback_message": text[:MAX_FREE_TEXT]})


# What a patient is told when a request of each kind is saved, and again when they ask after it.
CONFIRMATIONS = {
    "booking": "utter_booking_confirmed",
    "callback": "utter_callback_confirmed",
    "change": "utter_change_request_confirmed",
    "cancel": "utter_cancel_request_confirmed",
}


def submit_request(
    kind: str, fields: Dict[str, Any], dispatcher: CollectingDispatcher, tracker: Tracker
) -> List[EventType]:
    """Store the request durably first and confirm it only then; afterwards the personal
    details leave the conversation. If it cannot be stored, say so and keep the details.
    Without a way to reach the patient there is nothing to submit: the request was stored already
    (its details are cleared) or the form never finished."""
    if not (fields.get("phone") or fields.get("email")):
        dispatcher.utter_message(response="utter_nothing_to_confirm")
        return []
    clinic = current_profile().slot_values()
    try:
        payload = outbox().add(kind, {
            **fields,
            "conversation_id": tracker.sender_id,
            "channel": tracker.get_latest_input_channel() or "unknown",
            # The message's trace id (clinic/logs.py): its log lines in every process, for support.
            logs.TRACE_KEY: logs.current_trace_id() or None,
        })
    except Exception:
        logger.exception("could not store a %s request", kind)
        dispatcher.utter_message(response="utter_request_not_stored", **clinic)
        return []
    logger.info("stored %s request %s", kind, payload["request_id"])
    metrics.funnel_step("booking" if kind == "booking" else "callback", "submitted")
    dispatcher.utter_message(response=CONFIRMATIONS[kind], reference=payload["request_id"], **clinic)
    return clear_personal_slots() + [SlotSet("request_reference", payload["request_id"])]


def clear_personal_slots() -> List[EventType]:
    return [SlotSet(slot, None) for slot in PERSONAL_SLOTS] + [
        SlotSet(FAILURES_SLOT, None), SlotSet(FAILED_SLOT, None), SlotSet(CONFIRMATION_SLOT, None),
        SlotSet(REQUEST_KIND_SLOT, None)]
