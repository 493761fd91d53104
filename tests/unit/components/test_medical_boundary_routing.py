"""components/medical_boundary.py: a general question about lasting harm goes to the FAQ topic on
long-term risks; the same worry about the writer's own health (or someone's they speak for) stays
with the clinician's answer."""

from __future__ import annotations

import pytest

from components.medical_boundary import LONG_TERM_RISKS_INTENT, PERSONAL_MEDICAL_INTENT, MedicalBoundaryRules


@pytest.mark.parametrize("text", [
    "what are the long term side effects",
    "does ketamine have any long term side effects",
    "can it cause bladder damage long term",
    "can ketamine cause memory loss",
    "ketamine bladder?",
])
def test_general_questions_about_lasting_harm_go_to_the_long_term_topic(text):
    found = MedicalBoundaryRules().find(text)
    assert found is not None and found.intent == LONG_TERM_RISKS_INTENT, found


@pytest.mark.parametrize("text", [
    "will it mess up my memory, like memory loss",
    "my memory is already foggy from ECT last year. will ketamine make my memory worse long term",
    "overactive bladder, already pee like 15 times a day. will this make it worse",
    "have bladder problems",
    "i have fatty liver disease, can i do the infusions",
    "can ketamine damage the liver",
    "is ketamine safe during pregnancy",
])
def test_own_situations_and_other_concerns_stay_with_the_clinician(text):
    found = MedicalBoundaryRules().find(text)
    assert found is not None and found.intent == PERSONAL_MEDICAL_INTENT, found
