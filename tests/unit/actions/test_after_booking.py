"""After a request (in process, from tracker fixtures): a change or cancellation of an existing
appointment is taken as a request for the staff of its own kind, and a request made earlier in the
conversation is found again by its reference."""

from __future__ import annotations

import pytest

from actions.booking import ActionSubmitBooking
from actions.handoff import (
    ActionBookingStatus,
    ActionStartAppointmentChange,
    ActionSubmitCallback,
    appointment_change_kind,
    kind_of_reference,
)
from clinic.outbox import REQUEST_KINDS
from tests.support.chat import CLAIMS_DONE

COMPLETE = {"full_name": "Ann Lee", "contact_details": "+14155550133", "phone": "+14155550133", "email": None,
            "callback_message": "the one on friday at 3pm"}


@pytest.mark.parametrize("text, kind", [
    ("I need to cancel my appointment on friday, something came up", "cancel"),
    ("please call off my session tomorrow", "cancel"),
    ("can I cancel and pick a different day?", "change"),
    ("i need to reschedule my infusion", "change"),
    ("can my appointment be moved to next week", "change"),
    ("I can't make it on monday", "change"),
])
def test_a_cancellation_is_told_from_a_change(text, kind):
    assert appointment_change_kind(text) == kind


def test_every_kind_of_request_has_its_own_reference_prefix():
    prefixes = [kind.prefix for kind in REQUEST_KINDS.values()]
    assert len(set(prefixes)) == len(prefixes)
    for kind, known in REQUEST_KINDS.items():
        assert kind_of_reference(f"{known.prefix}-ABCD-EFGH") == kind
    assert kind_of_reference("XX-ABCD-EFGH") is None and kind_of_reference("") is None


@pytest.mark.parametrize("text, kind", [("cancel my appointment on friday", "cancel"),
                                        ("can i move my appointment", "change")])
def test_the_patient_is_told_first_that_the_staff_do_it(run_action, make_tracker, render, text, kind):
    ran = run_action(ActionStartAppointmentChange(), make_tracker({}, text, "change_appointment"))
    assert ran.responses == [f"utter_appointment_change_start_{kind}"] and ran.slots == {"request_kind": kind}
    assert "can't see" in render(ran.messages[0])


@pytest.mark.parametrize("kind, prefix", [("cancel", "CX-"), ("change", "CH-")])
def test_a_change_request_is_stored_under_its_kind_and_never_described_as_done(
        run_action, make_tracker, stored, render, kind, prefix):
    ran = run_action(ActionSubmitCallback(), make_tracker({**COMPLETE, "request_kind": kind}))
    [request] = stored.requests()
    assert request["kind"] == kind and request["request_id"].startswith(prefix)
    assert ran.responses == [f"utter_{kind}_request_confirmed"]
    confirmation = render(ran.messages[0])
    assert request["request_id"] in confirmation and "confirm" in confirmation
    assert not CLAIMS_DONE.search(confirmation)
    assert ran.slots["request_kind"] is None and ran.slots["request_reference"] == request["request_id"]


def test_a_request_made_earlier_is_found_again_with_what_happens_next(run_action, make_tracker, stored, render):
    booked = run_action(ActionSubmitBooking(), make_tracker({**COMPLETE, "consent": True}))
    reference = booked.slots["request_reference"]
    ran = run_action(ActionBookingStatus(), booked.next_tracker())
    assert ran.responses == ["utter_booking_status_saved", "utter_booking_confirmed"]
    assert reference in render(ran.messages[1])
    stored.mark_delivered(reference)
    assert run_action(ActionBookingStatus(), booked.next_tracker()).responses[0] == "utter_booking_status_delivered"


def test_without_a_request_the_patient_is_offered_one(run_action, make_tracker):
    ran = run_action(ActionBookingStatus(), make_tracker({}, "did my booking go through?", "booking_status"))
    assert ran.responses == ["utter_no_request_yet"] and ran.events == []
