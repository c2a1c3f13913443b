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
          "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"}
WEEKDAYS = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "mon", "tue", "wed", "thu",
            "fri", "sat", "sun"}
# Changes by a factor: "doubled", "threefold" (a value in "times").
MULTIPLIERS = {"doubled": 2, "doubling": 2, "doubles": 2, "tripled": 3, "trebled": 3, "tripling": 3, "quadrupled": 4,
               "halved": Decimal("0.5")}
CURRENCIES = {"£": "pounds", "$": "dollars", "€": "euros"}
CURRENCY_SCALES = {"bn": 1_000_000_000, "m": 1_000_000, "k": 1_000}

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
    "within", "among", "between", "into", "under", "after", "before", "during", "through", "about", "around",
    "against", "via", "per", "so", "if", "when", "while", "because", "not", "no", "up",
}

# Verbs that end a phrase ("cases involve minors" names "cases"); a phrase never starts with one ("brings").
VERBS = {
    "involve", "involves", "involved", "bring", "brings", "brought", "show", "shows", "showed", "mean", "means",
    "meant", "remain", "remains", "include", "includes", "included", "represent", "represents", "say", "says", "said",
    "see", "sees", "saw", "seen", "make", "makes", "made", "take", "takes", "took", "come", "comes", "came", "go",
    "goes", "went", "get", "gets", "got", "do", "does", "did", "rose", "rise", "rises", "fell", "fall", "falls", "grew",
    "grow", "grows", "increased", "decreased", "doubled", "tripled", "need", "needs", "needed", "face", "faces",
    "faced", "try", "tried", "tries", "now", "also", "still", "times",
    "concern", "concerns", "concerned", "relate", "relates", "related", "reach", "reached", "continue", "continues",
    "happened", "occurred", "left", "joined", "risen", "fallen", "grown", "gone", "known", "believed", "thought",
    "involving", "including", "according", "being", "having", "stands", "stood", "stand", "totalled", "spent",
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
    fixed_unit: str = ""  # "pounds" for "£3 billion", "times" for "doubled"

    @property
    def unit(self):
        if self.percent:
            return "percent"
        if self.fixed_unit:
            return self.fixed_unit
        return self.phrase.split()[-1] if self.phrase else ""


@dataclass(slots=True)
class _Token:
    text: str
    start: int
    end: int
    word: str  # lower case, with straight apostrophes


def _tokens(text):
    return [_Token(m.group(), m.start(), m.end(), m.group().lower().replace("’", "'")) for m in _TOKEN.finditer(text)]


_FOLD = re.compile(r"([a-z]+)-?fold")
_SCALED = re.compile(r"(\d+(?:\.\d+)?)(bn|m|k)")
_YEAR = re.compile(r"(19|20)\d\d")
_PHRASE_WORD = re.compile(r"[a-z][a-z0-9'-]*")
_LOWER_WORD = re.compile(r"[a-z][a-z'-]*")
# Words a figure can start with; any other token is passed over at once.
_STARTS = {*UNITS, *TENS, *SCALES, *SHARES, *MULTIPLIERS, "a", "an", "dozen", "half"}


def _may_start(token):
    first = token.word[:1]
    return first.isdigit() or token.word in _STARTS or token.word.endswith("fold")


def _digits_value(text):
    return Decimal(text.rstrip("%").replace(",", ""))


def _number_at(tokens, i, permissive):
    """The number starting at token i as (value, index after it), or None. Permissive
    reading (for a value as written) also takes "a"/"an"/"one" alone as 1."""
    word = tokens[i].word
    fold = _FOLD.fullmatch(word)
    if fold and (fold.group(1) in UNITS or fold.group(1) in TENS):
        return Decimal(UNITS.get(fold.group(1), 0) + TENS.get(fold.group(1), 0)), i + 1
    if word in MULTIPLIERS:
        return Decimal(MULTIPLIERS[word]), i + 1
    scaled = _SCALED.fullmatch(word)
    if scaled and i and tokens[i - 1].text in CURRENCIES:
        return Decimal(scaled.group(1)) * CURRENCY_SCALES[scaled.group(2)], i + 1
    if word == "half" and [t.word for t in tokens[i + 1:i + 3]] == ["a", "dozen"]:
        return Decimal(6), i + 3
    if word == "half" and i + 2 < len(tokens) and tokens[i + 1].word in ("a", "an") and tokens[i + 2].word in SCALES:
        return Decimal(SCALES[tokens[i + 2].word]) / 2, i + 3
    if word in ("a", "an") and i + 1 < len(tokens) and tokens[i + 1].word in ("hundred", "thousand", "million", "billion"):
        return Decimal(SCALES[tokens[i + 1].word]), i + 2
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
        if i + 1 < len(tokens) and tokens[i + 1].word in ("a", "an"):
            return None  # "half a dozen", "half a million" are numbers; "half a chance" is not a figure
        return Decimal(50), i + 1
    first = _number_at(tokens, i, permissive=True)
    if first is None:
        return None
    numerator, j = first
    if tokens[i].word in MULTIPLIERS or tokens[i].word.endswith("fold"):
        return None
    if j < len(tokens) and tokens[j].word in SHARES:
        return (numerator * 100 / SHARES[tokens[j].word]).quantize(Decimal("0.01")), j + 1
    if j + 1 < len(tokens) and tokens[j].word == "in":
        second = _number_at(tokens, j + 1, permissive=False)
        if second and second[0]:
            return (numerator * 100 / second[0]).quantize(Decimal("0.01")), second[1]
    return None


def _is_date_or_year(tokens, i, j):
    word = tokens[i].word
    if _YEAR.fullmatch(word):
        return True
    before = tokens[i - 1].word if i else ""
    after = tokens[j].word if j < len(tokens) else ""
    return before in MONTHS or after in MONTHS or after == "/" or before == "/"


_QUALIFIER_SPLIT = [(phrase.split(), qualifier) for phrase, qualifier in QUALIFIERS]
_QUALIFIER_LAST_WORDS = {words[-1] for words, _qualifier in _QUALIFIER_SPLIT}


def _qualifier_before(tokens, i):
    if not i or tokens[i - 1].word not in _QUALIFIER_LAST_WORDS:
        return "exact", i
    for words, qualifier in _QUALIFIER_SPLIT:
        if i >= len(words) and [t.word for t in tokens[i - len(words):i]] == words:
            return qualifier, i - len(words)
    return "exact", i


def _phrase_after(tokens, j):
    """Up to six words after a figure, up to the first small word: "late-stage attack plots"."""
    if j + 1 < len(tokens) and tokens[j].word == "per" and tokens[j + 1].word == "cent":
        j += 2
    elif j < len(tokens) and tokens[j].word == "percent":
        j += 1
    of_what = j < len(tokens) and tokens[j].word == "of"
    while j < len(tokens) and tokens[j].word in ("of", "the", "a", "an", "our", "their", "its", "these", "those", "all"):
        j += 1
    words = []
    while j < len(tokens) and len(words) < 6:
        word = tokens[j].word
        if not _PHRASE_WORD.fullmatch(word) or word in PHRASE_STOPS or word in UNITS or word in VERBS:
            break
        if word.endswith("ing") and words and (words[-1].endswith("s") or words[-1].lower() == "people"):
            break  # "analysts working on…": what follows the noun describes it
        words.append(tokens[j].text)
        j += 1
    if len(words) == 1 and words[0].lower().endswith("ing") and not of_what:
        return ""  # "500 working": a verb, not what the figure counts ("a third of those working" is)
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
    currency = CURRENCIES.get(tokens[i - 1].text, "") if i else ""
    qualifier, first = _qualifier_before(tokens, i - 1 if currency else i)
    word = tokens[i].word
    multiplier = word in MULTIPLIERS or word.endswith("fold") or (j < len(tokens) and tokens[j].word == "times")
    return Figure(
        value=value, value_text=text[tokens[first].start:tokens[j - 1].end], qualifier=qualifier, percent=percent,
        phrase=_phrase_after(tokens, j), start=tokens[first].start, end=tokens[j - 1].end,
        fixed_unit=currency or ("times" if multiplier else ""),
    ), j


def find_figures(sentence):
    """Every figure in a sentence, left to right, without years, dates or a lone "one", and
    without what only looks like a figure (see `_not_a_figure`)."""
    tokens = _tokens(sentence)
    figures, i = [], 0
    while i < len(tokens):
        found = _figure_at(sentence, tokens, i, permissive=False) if _may_start(tokens[i]) else None
        if found:
            figure, j = found
            if not _not_a_figure(sentence, tokens, i, j, figure):
                figures.append(figure)
            i = j
        else:
            i += 1
    return figures


# Words after which a number is a reference or a label, not a quantity: "paragraph 12", "call 999".
REFERENCE_WORDS = {
    "paragraph", "para", "paras", "section", "page", "pages", "chapter", "article", "part", "schedule", "clause",
    "figure", "table", "annex", "step", "item", "no", "number", "issue", "volume", "footnote", "note", "version",
    "v", "call", "dial", "ring", "phone", "telephone", "tel", "hotline", "text", "room", "flat", "route", "line",
    "channel", "level", "grade", "rule", "act", "resolution", "aged", "age", "ages",
}
TIME_UNITS = {"year", "years", "month", "months", "week", "weeks", "day", "days", "hour", "hours", "minute", "minutes",
              "second", "seconds", "decade", "decades", "century", "centuries", "am", "pm", "o'clock", "gmt", "bst",
              "hrs", "yrs"}
# Nouns that count parts of the speech itself: "two things", "three themes".
DISCOURSE_NOUNS = {
    "thing", "things", "theme", "themes", "point", "points", "reason", "reasons", "question", "questions", "area",
    "areas", "way", "ways", "message", "messages", "part", "parts", "observation", "observations", "lesson",
    "lessons", "priority", "priorities", "issue", "issues", "topic", "topics", "word", "words", "example",
    "examples", "aspect", "aspects", "element", "elements", "section", "sections", "remark", "remarks", "idea",
    "ideas", "takeaways", "strands", "pillars", "headlines", "minutes", "recommendations", "findings", "chapters",
    "conclusions", "annexes",
}
DISCOURSE_ADJECTIVES = {"key", "main", "broad", "final", "quick", "brief", "important", "big", "short", "other",
                        "more", "further", "specific", "central", "particular", "distinct", "simple", "general"}
_GLUE_BEFORE = set(" \t\n(“\"‘'£$€[")
_GLUE_AFTER = set(" \t\n,;)”\"’'%!?]")
_AGE_LIMITS = range(10, 26)


def _not_a_figure(sentence, tokens, i, j, figure):
    """Numbers that are not figures a curator keeps: dates and times, phone numbers, paragraph and
    reference numbers, file names and versions, ages, lengths of time (a career, an institution's
    history, "the last 12 months"), names holding numbers ("Five Eyes") and the counting of the
    speech's own structure ("two things")."""
    words = [t.word for t in tokens]
    word, before = words[i], words[i - 1] if i else ""
    after = words[j] if j < len(words) else ""
    digits = bool(_DIGITS.fullmatch(word))
    # Glued to other characters: "13:20", "16-9-10", "07_0.jpg", "11.0.2", "9/11".
    start, end = tokens[i].start, tokens[j - 1].end
    if start and sentence[start - 1] not in _GLUE_BEFORE:
        return True
    if end < len(sentence) and sentence[end] not in _GLUE_AFTER:
        if not (sentence[end] in ".:" and (end + 1 == len(sentence) or sentence[end + 1] in " \n\t")):
            return True
    if digits and len(word) > 1 and word.startswith("0") and "." not in word:
        return True  # "0800": a phone number or a code
    # A run of numbers separated only by spaces: "0800 789 321".
    if digits and (after and _DIGITS.fullmatch(after) or before and _DIGITS.fullmatch(before) and i and
                   sentence[tokens[i - 1].end:start].strip() == ""):
        return True
    # Dates and times: "16 Nov", "Monday 16", "at 10 am".
    if before in WEEKDAYS or after in TIME_UNITS or before in MONTHS or after in MONTHS:
        return True
    if any(w in REFERENCE_WORDS for w in words[max(0, i - 3):i]) and not figure.percent:
        if before in REFERENCE_WORDS or "call" in words[max(0, i - 3):i] or words[max(0, i - 3):i].count("on"):
            return True
    if i >= 2 and words[i - 2:i] == ["age", "of"] or words[max(0, i - 3):i] == ["as", "young", "as"]:
        return True
    if "aged" in words[max(0, i - 4):i]:
        return True  # "aged between 15 and 24"
    # Ages: "under 18", "over-18s", "13-year-old" (glued, above).
    if figure.value in _AGE_LIMITS and not figure.percent and (
            before == "under" or before == "over" and not _is_noun(tokens, j)):
        return True
    if before in ("all", "both", "these", "those") and not digits:
        return True  # "in all three cases": counting what was just named
    if after in ("year-old", "year-olds", "years-old"):
        return True
    # A paragraph number: "12." or "(3)" opening a sentence, or a sentence that is only a number.
    if i == 0 and after in (".", ")", ":") or not re.search(r"[A-Za-z]{3}", sentence):
        return True
    if before == "(" and after == ")" and i == 1:
        return True
    # A name holding a number: "Five Eyes", "IE 11", "Windows 10", "Channel 4".
    capitalised = tokens[i].text[:1].isupper()
    next_capitalised = j < len(tokens) and tokens[j].text[:1].isupper() and tokens[j].text.isalpha()
    if not digits and capitalised and next_capitalised and after not in NATIONALITIES:
        return True
    if digits and i >= 1 and tokens[i - 1].text[:1].isupper() and tokens[i - 1].text.isalpha():
        if before not in _QUALIFIER_WORDS | _OPENERS and not _is_noun(tokens, j) and not figure.percent:
            return True  # "IE 11", "Chart 3", "HC 1234"
    # A numbered heading or paragraph: "1.2 The review team…".
    if i == 0 and digits and next_capitalised and after not in NATIONALITIES and not figure.percent:
        return True
    # The speech's own structure: "two things", "three key themes", "our values are fourfold: …".
    if after == ":" and not digits:
        return True
    k = j
    while k < len(words) and words[k] in DISCOURSE_ADJECTIVES and k - j < 2:
        k += 1
    if k < len(words) and words[k] in DISCOURSE_NOUNS and not figure.percent:
        return True
    return False


NATIONALITIES = {"russian", "russians", "chinese", "iranian", "iranians", "british", "european", "europeans",
                 "american", "americans", "syrian", "syrians", "afghan", "afghans", "irish", "islamist", "islamists",
                 "uk", "mi5"}
_QUALIFIER_WORDS = {word for phrase, _ in QUALIFIERS for word in phrase.split()} | {"than", "least", "to", "by"}
_OPENERS = {"in", "of", "by", "since", "only", "just", "with", "and", "but", "all", "for", "at", "to", "from", "so",
            "fully", "another", "some", "these", "those", "the", "our", "we", "they", "there", "here"}


def _is_noun(tokens, j):
    """Whether the figure is followed by a lowercase word that could be what it counts."""
    if j >= len(tokens):
        return False
    word = tokens[j].word
    return bool(_LOWER_WORD.fullmatch(tokens[j].text)) and word not in PHRASE_STOPS


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
