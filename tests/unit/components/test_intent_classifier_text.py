"""The classifier's own text handling (unit tests): "dose" typed for "does"."""

from __future__ import annotations

import pytest

from components.intent_classifier import normalise_text


@pytest.mark.parametrize("typed, read", [
    ("how dose it work in the brian", "how does it work in the brian"),
    ("dose it actually work", "does it actually work"),
    ("Dose insurance cover it?", "does insurance cover it?"),
])
def test_dose_typed_for_does_is_mended(typed, read):
    assert normalise_text(typed) == read


@pytest.mark.parametrize("text", ["what dose is used", "how much dose do i get", "is the dose high", "dose?"])
def test_the_dose_itself_is_left_alone(text):
    assert "dose" in normalise_text(text)
