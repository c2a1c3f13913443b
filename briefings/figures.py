"""Reading figures in prose: "43", "over 20,000", "forty-three", "one in five", "a third", "13%".

Two uses: the admin checks that a statistic's value agrees with its value as written
(`read_value`), and `import_document` proposes a draft statistic for every figure in a new
text (`find_figures`). Shares ("one in five", "a third", "13%") read as percentages.
"""

import re
from dataclasses import dataclass
from decimal import Decimal

UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
# Denominators of shares, singular and plural: "a third", "two thirds".
SHARES = {"half": 2, "halves": 2, "third": 3, "thirds": 3, "quarter": 4, "quarters": 4, "fifth": 5, "fifths": 5,
          "tenth": 10, "tenths": 10}
MONTHS = {"january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december"}

# Words before a figure, longest first, and the Statistic.Qualifier value each stands for.
QUALIFIERS = [
    ("well over", "over"), ("just over", "over"), ("more than", "more-than"), ("at least", "at-least"),
    ("up to", "up-to"), ("just under", "nearly"), ("over", "over"), ("around", "around"), ("about", "around"),
    ("approximately", "around"), ("roughly", "around"), ("some", "around"), ("nearly", "nearly"),
    ("almost", "nearly"),
]

# Words that end the phrase naming what a figure counts.
PHRASE_STOPS = {
    "in", "on", "at", "since", "over", "from", "to", "by", "with", "that", "which", "who", "and", "or", "but",
    "were", "was", "are", "is", "be", "been", "have", "has", "had", "will", "would", "could", "across", "this",
    "these", "those", "last", "of", "for", "than", "we", "they", "it", "as", "a", "an", "the", "our", "their",
}

# Words with a letter in them ("MI5", "1990s") are words, not figures.
_TOKEN = re.compile(r"[A-Za-z\d]*[A-Za-z][A-Za-z\d]*(?:[-'’][A-Za-z\d]+)*|\d+(?:,\d{3})*(?:\.\d+)?%?|[^\sA-Za-z\d]")
_DIGITS = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?%?")


@dataclass(frozen=True)
class Figure:
    value: Decimal
    value_text: str  # the figure as written, with its qualifier: "over 20,000"
    qualifier: str  # a Statistic.Qualifier value
    percent: bool
    phrase: str  # the words after the figure that say what it counts, possibly empty
    start: int
    end: int

    @property
    def unit(self):
        if self.percent:
            return "percent"
        return self.phrase.split()[-1] if self.phrase else ""


@dataclass
class _Token:
    text: str
    start: int
    end: int

    @property
    def word(self):
        return self.text.lower().replace("’", "'")


def _tokens(text):
    return [_Token(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _digits_value(text):
    return Decimal(text.rstrip("%").replace(",", ""))


def _number_at(tokens, i, permissive):
    """The number starting at token i as (value, index after it), or None. Permissive
    reading (for a value as written) also takes "a"/"an"/"one" alone as 1."""
    word = tokens[i].word
    if _DIGITS.fullmatch(word):
        value, j = _digits_value(word), i + 1
        if j < len(tokens) and tokens[j].word in SCALES:
            value, j = value * SCALES[tokens[j].word], j + 1
        return value, j
    if word in ("a", "an") and i + 1 < len(tokens) and tokens[i + 1].word == "dozen":
        return Decimal(12), i + 2
    if word == "dozen":
        return Decimal(12), i + 1
    total, current, j = 0, None, i
    while j < len(tokens):
        parts = tokens[j].word.split("-")
        if all(p in UNITS or p in TENS for p in parts) and len(parts) <= 2:
            current = (current or 0) + sum(UNITS.get(p, 0) + TENS.get(p, 0) for p in parts)
        elif tokens[j].word in SCALES and (current is not None or total):
            current = (current or 1) * SCALES[tokens[j].word]
            if SCALES[tokens[j].word] >= 1000:
                total, current = total + current, 0
        else:
            break
        j += 1
    if current is None and not total:
        if permissive and word in ("a", "an"):
            return Decimal(1), i + 1
        return None
    value = total + (current or 0)
    if not permissive and j == i + 1 and word == "one":
        return None  # "one of the", "no one": too common to be a figure on its own
    return Decimal(value), j


def _share_at(tokens, i, permissive):
    """A share as (percent, index after it): "one in five", "a third", "two thirds", "half"."""
    if tokens[i].word == "half":
        return Decimal(50), i + 1
    first = _number_at(tokens, i, permissive=True)
    if first is None:
        return None
    numerator, j = first
    if j < len(tokens) and tokens[j].word in SHARES:
        return (numerator * 100 / SHARES[tokens[j].word]).quantize(Decimal("0.01")), j + 1
    if j + 1 < len(tokens) and tokens[j].word == "in":
        second = _number_at(tokens, j + 1, permissive=False)
        if second and second[0]:
            return (numerator * 100 / second[0]).quantize(Decimal("0.01")), second[1]
    return None


def _is_date_or_year(tokens, i, j):
    word = tokens[i].word
    if re.fullmatch(r"(19|20)\d\d", word):
        return True
    before = tokens[i - 1].word if i else ""
    after = tokens[j].word if j < len(tokens) else ""
    return before in MONTHS or after in MONTHS or after == "/" or before == "/"


def _qualifier_before(tokens, i):
    for phrase, qualifier in QUALIFIERS:
        words = phrase.split()
        if i >= len(words) and [t.word for t in tokens[i - len(words):i]] == words:
            return qualifier, i - len(words)
    return "exact", i


def _phrase_after(tokens, j):
    """Up to six words after a figure, up to the first small word: "late-stage attack plots"."""
    if j + 1 < len(tokens) and tokens[j].word == "per" and tokens[j + 1].word == "cent":
        j += 2
    elif j < len(tokens) and tokens[j].word == "percent":
        j += 1
    while j < len(tokens) and tokens[j].word in ("of", "the", "a", "an"):
        j += 1
    words = []
    while j < len(tokens) and len(words) < 6:
        word = tokens[j].word
        if not re.fullmatch(r"[a-z][a-z0-9'-]*", word) or word in PHRASE_STOPS or word in UNITS:
            break
        words.append(tokens[j].text)
        j += 1
    return " ".join(words)


def _figure_at(text, tokens, i, permissive):
    share = _share_at(tokens, i, permissive)
    if share:
        value, j = share
        percent = True
    else:
        number = _number_at(tokens, i, permissive)
        if number is None:
            return None
        value, j = number
        if not permissive and _is_date_or_year(tokens, i, j):
            return None
        percent = tokens[j - 1].text.endswith("%") or (
            j < len(tokens) and (tokens[j].word == "percent" or tokens[j].word == "per" and j + 1 < len(tokens)
                                 and tokens[j + 1].word == "cent"))
    qualifier, first = _qualifier_before(tokens, i)
    return Figure(
        value=value, value_text=text[tokens[first].start:tokens[j - 1].end], qualifier=qualifier, percent=percent,
        phrase=_phrase_after(tokens, j), start=tokens[first].start, end=tokens[j - 1].end,
    ), j


def find_figures(sentence):
    """Every figure in a sentence, left to right, without years, dates or a lone "one"."""
    tokens = _tokens(sentence)
    figures, i = [], 0
    while i < len(tokens):
        found = _figure_at(sentence, tokens, i, permissive=False)
        if found:
            figure, i = found
            figures.append(figure)
        else:
            i += 1
    return figures


def read_value(value_text):
    """The number a value as written stands for ("over 20,000" → 20000, "one in five" → 20),
    or None when it holds none ("thousands")."""
    tokens = _tokens(value_text)
    for i in range(len(tokens)):
        found = _figure_at(value_text, tokens, i, permissive=True)
        if found:
            return found[0].value
    return None


_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)]*\s+(?=[\"'“‘(]?[A-Z0-9])")


def sentences(paragraph):
    """Split a paragraph into sentences at ., ! or ? followed by a capital or a digit."""
    return [s.strip() for s in _SENTENCE_END.split(paragraph) if s.strip()]
