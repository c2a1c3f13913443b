import pytest

from briefings.text import clean_control_characters, has_control_characters


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("page one\x0cpage two", "page one\npage two"),  # a PDF's form feed is a page break
        ("A\x0bB", "A\nB"),
        ("nul\x00here", "nulhere"),
        ("escape\x1b[31m", "escape[31m"),
        ("c1\x85control", "c1control"),
        ("non\ufffecharacter\uffff", "noncharacter"),
        ("tab\tnewline\ncr\r kept", "tab\tnewline\ncr\r kept"),
        ("£3 billion — “quoted” café ✓", "£3 billion — “quoted” café ✓"),
    ],
)
def test_clean_control_characters(raw, clean):
    assert clean_control_characters(raw) == clean
    assert not has_control_characters(clean_control_characters(raw))
