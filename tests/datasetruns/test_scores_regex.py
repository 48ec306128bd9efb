"""The regex score: a valid pattern is searched, a bad or endless one is no score."""

from playground.datasetruns.scores import score


def test_a_pattern_is_searched_in_the_output():
    assert score([" Paris, France"], r"Par[a-z]s")["regex"] is True
    assert score([" Lyon"], r"^Par")["regex"] is False


def test_a_pattern_that_is_not_valid_is_no_score():
    assert score([" Paris"], "(unclosed")["regex"] is None


def test_a_pattern_that_backtracks_without_end_is_no_score_and_does_not_stall():
    # Alternatives that overlap, against a long run of a's with no match: exponential.
    assert score(["a" * 60 + "b"], r"^(a|aa)+$")["regex"] is None
