"""domain.providers: a lower app's slot for a read that a higher app provides at start-up."""
import pytest

from domain.providers import NotProvided, Provided


def test_an_empty_slot_says_what_is_missing():
    slot = Provided("a user's scan summary (scans)")
    with pytest.raises(NotProvided, match=r"Nothing provides a user's scan summary \(scans\)\."):
        slot(user=1)


def test_a_filled_slot_passes_the_keywords_to_the_reader():
    slot = Provided("doubles")
    slot.provide(lambda *, n: 2 * n)
    assert slot(n=21) == 42
