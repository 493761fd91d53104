"""Responses always carry the clinic's facts. The `clinic_*` slots are set by the custom
session-start action; if the action server is down when a conversation starts, they stay empty and
Rasa would print "None" where the phone number belongs. This generator fills any empty `clinic_*`
value from the clinic profile, which the Rasa server reads itself (endpoints.yml, `nlg`).

An offer the clinic does not make (`clinic_offer_*`, empty) leaves two spaces where it would have
been: they are closed up."""

from __future__ import annotations

import re
from typing import Any, Dict, Optional, Text

from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from clinic.profile import current_profile


class ProfileResponseGenerator(TemplatedNaturalLanguageGenerator):
    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, domain: Optional[Domain] = None) -> None:
        super().__init__(domain.responses if domain else {})

    async def generate(
        self, utter_action: Text, tracker: DialogueStateTracker, output_channel: Text, **kwargs: Any
    ) -> Optional[Dict[Text, Any]]:
        filled_slots = tracker.current_slot_values()
        for name, value in current_profile().slot_values().items():
            if filled_slots.get(name) is None:
                filled_slots[name] = value
        response = self.generate_from_slots(utter_action, filled_slots, output_channel, **kwargs)
        if response and isinstance(response.get("text"), str):
            response["text"] = close_up(response["text"])
        return response


INNER_SPACES = re.compile(r"(?<=\S) {2,}(?=\S)")


def close_up(text: str) -> str:
    """Runs of spaces inside a line (an empty value's place) become one; no line ends in spaces."""
    return "\n".join(INNER_SPACES.sub(" ", line).rstrip(" ") for line in text.split("\n"))
