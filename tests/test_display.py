"""What the UI shows: descriptions that survive Markdown, money as money, counts as integers."""

from __future__ import annotations

from decimal import Decimal

import pytest
from dagster import MetadataValue

from pbr_pipeline.assets.display import (
    count_value,
    markdown_safe,
    money,
    money_value,
    short_description,
    table_value,
)


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("379087.50"), "£379,087.50"),
        (Decimal("-12.50"), "-£12.50"),
        (Decimal("-0.01"), "-£0.01"),
        (Decimal("0"), "£0.00"),
        (Decimal("-0.00"), "£0.00"),
        ("1234567.8", "£1,234,567.80"),
        (250, "£250.00"),
        ("-250.00", "-£250.00"),
    ],
)
def test_money_is_pounds_and_pence_with_thousands_and_the_sign_first(amount, shown):
    assert money(amount) == shown
    assert money_value(amount) == MetadataValue.text(shown)


def test_money_refuses_floats_and_fractions_of_a_penny():
    with pytest.raises(TypeError, match="not float"):
        money(379087.5)
    with pytest.raises(ValueError, match="not a whole number of pence"):
        money(Decimal("0.005"))


def test_counts_are_integers_never_floats_or_booleans():
    assert count_value(3) == MetadataValue.int(3)
    assert count_value(3).value == 3 and type(count_value(3).value) is int
    for wrong in (3.0, True, "3"):
        with pytest.raises(TypeError, match="a count is an int"):
            count_value(wrong)


def test_a_table_types_its_columns_and_formats_its_cells():
    table = table_value(
        [("provider", "text"), ("lines", "count"), ("net_due", "money")],
        [("OXF-LIFELINE", 4, "-250.00"), ("OXF-OXHEALTH", 1_436, Decimal("130190"))],
    )
    assert [(c.name, c.type) for c in table.schema.columns] == [
        ("provider", "string"),
        ("lines", "int"),
        ("net_due", "string"),
    ]
    assert [r.data for r in table.records] == [
        {"provider": "OXF-LIFELINE", "lines": 4, "net_due": "-£250.00"},
        {"provider": "OXF-OXHEALTH", "lines": 1436, "net_due": "£130,190.00"},
    ]
    with pytest.raises(TypeError, match="a count is an int"):
        table_value([("lines", "count")], [(4.0,)])
    with pytest.raises(ValueError):  # a row one cell short
        table_value([("provider", "text"), ("lines", "count")], [("OXF-LIFELINE",)])


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        # Markdown would take <PROVIDER> and <window> for HTML tags and drop them.
        (
            "statement_<PROVIDER>.csv and summary.csv under PBR_EXPORT_DIR/<window>/.",
            "`statement_<PROVIDER>.csv` and summary.csv under `PBR_EXPORT_DIR/<window>/`.",
        ),
        # Two stars would make the words between them italic.
        ("the int_*__current models and int_*__x.", "the `int_*__current` models and `int_*__x`."),
        # Punctuation around the word stays outside the span; code spans stay as they are.
        ("(see <a>), `keep <this>` as is", "(see `<a>`), `keep <this>` as is"),
        # Comparisons are not tags.
        ("payable <= gross <= price, a < b", "payable <= gross <= price, a < b"),
        ("plain text, nothing to do", "plain text, nothing to do"),
    ],
)
def test_markdown_safe_puts_what_markdown_would_eat_in_code_spans(text, safe):
    assert markdown_safe(text) == safe
    assert markdown_safe(safe) == safe  # once is enough


@pytest.mark.parametrize(
    ("text", "first"),
    [
        (
            "Treatment journeys as of the latest run (spec/outputs.md marts.journeys): one row per journey.\n"
            "Rebuilt whole by every run.",
            "Treatment journeys as of the latest run (spec/outputs.md marts.journeys): one row per journey.",
        ),
        # A full stop inside brackets, quotes or a code span, or before a lower-case word, ends nothing.
        (
            'Evidence "before=b. After=a" (see spec/config.md. Here) in `a. B`. Second.',
            'Evidence "before=b. After=a" (see spec/config.md. Here) in `a. B`.',
        ),
        ("Read by int_x. then more. And the end", "Read by int_x. then more."),
        ("No full stop at all", "No full stop at all"),
        ("Folded\n  over   lines. Next one.", "Folded over lines."),
    ],
)
def test_short_description_is_the_first_sentence_on_one_line(text, first):
    assert short_description(text) == first
