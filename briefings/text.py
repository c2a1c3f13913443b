"""Text as it comes in: one place that decides which characters may be stored.

Text pasted from PDFs and web pages carries form feeds (page breaks), vertical tabs, NULs,
other C0/C1 control characters and Unicode non-characters. XML 1.0 cannot hold them, so a
backup (XML) or the Atom feed fails on them, and they mean nothing to a reader. Every write
path (the admin's forms, the importer) passes text through `clean_control_characters`.
"""

import re

# C0 controls except tab (\t), newline (\n) and carriage return (\r); DEL and the C1 controls;
# surrogates; the non-characters U+FFFE and U+FFFF that XML 1.0 excludes.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# A form feed or vertical tab separates pages or lines: it becomes a line break, not nothing.
_BREAKS = re.compile("[\x0b\x0c]")


def clean_control_characters(text: str) -> str:
    """The text with page and line separators turned into newlines and every other
    character that XML 1.0 cannot hold removed; tabs, newlines and all printable text kept."""
    return _CONTROL.sub("", _BREAKS.sub("\n", text))


def has_control_characters(text: str) -> bool:
    return bool(_CONTROL.search(text))
