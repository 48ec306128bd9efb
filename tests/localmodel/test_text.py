"""Generated text: stop sequences across tokens, held-back text, characters split by tokens."""

from playground.localmodel.text import StopScanner, Utf8Text


def feed(scanner: StopScanner, pieces: list[str]) -> list[list[str]]:
    """What each token lets out (the texts of the tokens released after it), until a stop."""
    released = []
    for piece in pieces:
        released.append([token.text for token in scanner.add(piece)])
        if scanner.stopped:
            break
    return released


def test_without_stop_sequences_every_token_goes_at_once():
    scanner = StopScanner([], base_offset=5)

    assert feed(scanner, ["Hel", "lo", "!"]) == [["Hel"], ["lo"], ["!"]]
    assert not scanner.stopped


def test_a_stop_sequence_across_tokens_is_held_back_then_cut():
    scanner = StopScanner(["END"])

    released = feed(scanner, ["So", " E", "N", "D", " more"])

    assert released == [["So"], [], [], [" "]]
    assert scanner.stopped
    assert scanner.text == "So "


def test_text_held_back_goes_out_when_it_turns_out_not_to_be_a_stop():
    scanner = StopScanner(["END"])

    assert feed(scanner, ["a E", "N", "x"]) == [[], [], ["a E", "N", "x"]]
    assert not scanner.stopped


def test_the_end_lets_out_what_was_held_back():
    scanner = StopScanner(["\n\n"])
    feed(scanner, ["line", "\n"])

    assert [t.text for t in scanner.finish()] == ["\n"]


def test_offsets_count_from_the_prompt_and_the_earliest_stop_wins():
    scanner = StopScanner(["B", "AB"], base_offset=10)

    released = scanner.add("xyAB")

    assert [(t.text, t.offset) for t in released] == [("xy", 10)]
    assert scanner.text == "xy"


def test_a_token_after_the_stop_sequence_is_dropped():
    scanner = StopScanner(["."])
    feed(scanner, ["One"])

    assert [t.text for t in scanner.add(". Two")] == []
    assert scanner.stopped
    assert scanner.text == "One"


def test_a_character_split_over_tokens_belongs_to_the_token_that_ends_it():
    text = Utf8Text()
    llama = "🦙".encode()

    pieces = [text.add(llama[:2]), text.add(llama[2:]), text.add(b"!")]

    assert pieces == ["", "🦙", "!"]
    assert text.flush() == ""


def test_an_unfinished_character_at_the_end_becomes_a_replacement_character():
    text = Utf8Text()

    assert text.add("é".encode()[:1]) == ""
    assert text.flush() == "\ufffd"
