"""What the Dagster UI shows of the assets: descriptions that survive its Markdown, money as
money, counts as integers.

The UI renders every description as Markdown, which takes `statement_<PROVIDER>.csv` for an
HTML tag and shows "statement_.csv", and `int_*__current ... int_*` for emphasis. Descriptions
go through `markdown_safe`, which puts such words in code spans (shown literally, and as plain
text in the graph's nodes). A dbt model's asset shows the first sentence of its yml
description (`short_description`); dbt docs keep the whole text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from dagster import MetadataValue, TableColumn, TableRecord, TableSchema

# Code spans are left as they are; words outside them that Markdown would read as raw HTML or
# an autolink (`<` then a letter, `/`, `!` or `?`) or as emphasis (`*`) become code spans.
CODE_SPAN = re.compile(r"(`+).+?\1", re.S)
MARKDOWN_HAZARD = re.compile(r"<[A-Za-z/!?]|\*")
WORD = re.compile(r"\S+")
# A word's opening and closing punctuation stays outside its code span.
PUNCTUATED = re.compile(r"(?P<lead>[(\[\"']*)(?P<core>.*?)(?P<trail>[.,;:!?)\]\"']*)", re.S)


def _code_span(word: str) -> str:
    if not MARKDOWN_HAZARD.search(word):
        return word
    parts = PUNCTUATED.fullmatch(word)
    return f"{parts['lead']}`{parts['core']}`{parts['trail']}"


def markdown_safe(text: str) -> str:
    """The text as Markdown that shows it literally: words Markdown would eat go in code spans."""
    out, last = [], 0
    for span in CODE_SPAN.finditer(text):
        out.append(WORD.sub(lambda word: _code_span(word.group()), text[last : span.start()]))
        out.append(span.group())
        last = span.end()
    out.append(WORD.sub(lambda word: _code_span(word.group()), text[last:]))
    return "".join(out)


# A sentence ends at `.`, `!` or `?` followed by a space and a capital letter (or the end),
# outside brackets, code spans and quotes.
_OPENING, _CLOSING = "([{", ")]}"


def short_description(text: str) -> str:
    """The first sentence of a description, on one line."""
    text = " ".join(text.split())
    depth, quoted = 0, None
    for i, char in enumerate(text):
        if quoted:
            quoted = None if char == quoted else quoted
        elif char in '`"':
            quoted = char
        elif char in _OPENING:
            depth += 1
        elif char in _CLOSING:
            depth = max(depth - 1, 0)
        elif char in ".!?" and depth == 0:
            rest = text[i + 1 :]
            if not rest or (rest[0] == " " and rest[1:2].isupper()):
                return text[: i + 1]
    return text


PENNY = Decimal("0.01")


def money(amount: Decimal | int | str) -> str:
    """`£379,087.50`, `-£12.50`. Amounts are pounds and pence: anything finer is refused, never
    rounded away, and so is a float (binary fractions are not money)."""
    if isinstance(amount, float):
        raise TypeError(f"money is Decimal, int or str, not float: {amount!r}")
    value = Decimal(amount)
    if value != value.quantize(PENNY):
        raise ValueError(f"{amount!r} is not a whole number of pence")
    sign = "-" if value < 0 else ""
    return f"{sign}£{abs(value):,.2f}"


def money_value(amount: Decimal | int | str) -> MetadataValue:
    return MetadataValue.text(money(amount))


def count_value(number: int) -> MetadataValue:
    """A count as an integer in the UI (numpy and bool are not counts; a float is refused)."""
    if isinstance(number, bool) or not isinstance(number, int):
        raise TypeError(f"a count is an int, not {type(number).__name__}: {number!r}")
    return MetadataValue.int(int(number))


def table_value(columns: Sequence[tuple[str, str]], rows: Sequence[Sequence]) -> MetadataValue:
    """A table for the UI. Each column is (name, kind): kind "count" holds ints, "money" amounts
    shown as money, "text" strings. Cells are checked like `count_value` and `money`."""
    kinds = {"count": "int", "money": "string", "text": "string"}
    cells = {"count": lambda v: count_value(v).value, "money": money, "text": str}
    schema = TableSchema(columns=[TableColumn(name, kinds[kind]) for name, kind in columns])
    records = [
        TableRecord({name: cells[kind](value) for (name, kind), value in zip(columns, row, strict=True)})
        for row in rows
    ]
    return MetadataValue.table(records, schema)
