"""Short button titles for the FAQ topics, used when the assistant suggests topics."""

from typing import Dict

TOPIC_TITLES: Dict[str, str] = {
    "ask_what_is_ketamine": "What is ketamine therapy?",
    "ask_mechanism": "How does it work?",
    "ask_infusion_duration": "How long is one session?",
    "ask_time_to_effect": "How soon does it work?",
    "ask_effect_duration": "How long does relief last?",
    "ask_treatment_course": "How many sessions?",
    "ask_safety": "Is it safe?",
    "ask_side_effects": "Side effects",
    "ask_addiction_risk": "Addiction risk",
    "ask_insurance": "Insurance",
    "ask_cost": "Cost",
    "ask_conditions_treated": "Conditions treated",
    "ask_candidacy": "Am I a candidate?",
    "ask_session_experience": "What is a session like?",
    "ask_administration_methods": "IV or nasal spray?",
    "ask_effectiveness": "Does it work?",
    "ask_medications": "Medications",
    "ask_vs_antidepressants": "Compared with antidepressants",
    "ask_dosage": "Dose",
    "ask_contact": "Location and hours",
    "book_appointment": "Book a consultation",
    "request_human": "Talk to staff",
}

# Offered when the classifier has no plausible topic at all.
DEFAULT_SUGGESTIONS = ("ask_what_is_ketamine", "ask_cost", "book_appointment")
