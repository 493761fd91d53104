"""The inbox: search by name, e-mail or reference in words, by phone in digits however written;
times in the clinic's zone."""

from __future__ import annotations

import pytest

from staff.app import first_words, request_matches

ROW = {"request_id": "BK-ABCD-2345", "payload": {"name": "Maria Lopez", "phone": "+12025550187 ext. 4",
                                                 "email": "maria@example.org"}}


@pytest.mark.parametrize("search", ["", "maria", "LOPEZ", "maria lopez", "maria@example", "bk-abcd",
                                    "0187", "555-0187", "(202) 555-0187", "+1 202 555 0187", "2345"])
def test_a_request_is_found_by_name_e_mail_reference_or_phone_however_written(search):
    assert request_matches(ROW, search)


@pytest.mark.parametrize("search", ["maria smith", "0188", "(303) 555-0187", "lopez@example"])
def test_other_searches_do_not_find_it(search):
    assert not request_matches(ROW, search)


def test_a_request_without_phone_or_e_mail_is_found_by_name():
    assert request_matches({"request_id": "CB-1", "payload": {"name": "Ann"}}, "ann")
    assert not request_matches({"request_id": "CB-1", "payload": {"name": "Ann"}}, "0187")


def test_first_words_are_cut_with_an_ellipsis():
    assert first_words("one two three", 2) == "one two …" and first_words("one two", 2) == "one two"


def test_stored_times_are_shown_in_the_clinics_zone_named_and_written_with_its_offset():
    from staff.app import local_iso, local_time

    assert local_time("2026-12-07T03:49:00Z", "America/New_York") == "Sun 6 Dec 2026, 22:49 EST"
    assert local_time(0, "Europe/London") == "Thu 1 Jan 1970, 01:00 BST"
    assert local_iso("2026-07-01T12:00:00Z", "America/New_York") == "2026-07-01T08:00:00-04:00"
    assert local_time("", "UTC") == "-" and local_iso("", "UTC") == ""
