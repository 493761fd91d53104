"""The inbox's search: by name, e-mail or reference in words, by phone in digits however written."""

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
