"""Card text: patient data cannot inject markdown; numbers print as clinicians read them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from jinja2 import TemplateNotFound, UndefinedError
from markdown_it import MarkdownIt

from cds.assessment import Status
from cds.cards import CardBuilder, CardContext
from cds.cards.text import Markdown, build_environment, escape_markdown, number
from tests.service.assessments import status_assessment, upcr

CTX = CardContext(hook_instance="h-1", patient_id="pat-1")
HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "[click here](https://evil.example.net)",
    "![x](https://evil.example.net/t.png)",
    "1 | 2 | 3",
    "**bold** _it_ `code` ~~gone~~",
    "line one\n# Heading\n- item",
    "&lt;script&gt;",
]


@pytest.mark.parametrize("reported", HOSTILE)
def test_values_from_patient_data_are_escaped_in_the_detail(reported: str) -> None:
    current = upcr(
        "P", status_assessment(Status.COMPLETE_RESPONSE).as_of, 0.3, "o-1", reported=reported
    )
    a = replace(status_assessment(Status.COMPLETE_RESPONSE), values=(current,))
    detail = CardBuilder().build(a, CTX)[0]["detail"]
    html = MarkdownIt("commonmark", {"html": True}).enable("table").render(detail)
    assert "<img" not in html
    assert 'href="https://evil' not in html
    assert 'src="https://evil' not in html
    assert "<script" not in html
    assert "<h1>" not in html
    row = next(line for line in detail.splitlines() if "o-1" in line)
    assert row.count(" | ") == 5  # still six cells: the value did not split the table


def test_markdown_we_wrote_is_kept_and_values_are_escaped(tmp_path: Path) -> None:
    (tmp_path / "t.md.j2").write_text("**{{ ours }}** {{ theirs }}", "utf-8")
    (tmp_path / "t.txt.j2").write_text("{{ theirs }}", "utf-8")
    env = build_environment(tmp_path)
    values = {"ours": Markdown("_x_"), "theirs": "*y*"}
    assert env.get_template("t.md.j2").render(values) == "**_x_** \\*y\\*"
    assert env.get_template("t.txt.j2").render(values) == "*y*"


def test_escape_markdown_folds_lines_and_escapes_specials() -> None:
    assert escape_markdown("a\n# b | c") == "a \\# b \\| c"
    assert escape_markdown("3.2 g/g") == "3.2 g/g"


def test_summary_is_plain_text_not_escaped() -> None:
    a = replace(status_assessment(Status.INSUFFICIENT_DATA), reason="no P0 (value < 1.0 g/g)")
    summary = CardBuilder().build(a, CTX)[0]["summary"]
    assert summary == "Lupus nephritis: status not assessable — no P0 (value < 1.0 g/g)"


@pytest.mark.parametrize(
    ("value", "text"),
    [(1.5, "1.5"), (0.3, "0.3"), (2.0, "2"), (0.254, "0.25"), (12.34, "12.3"), (97.44, "97.4"),
     (141.6, "142"), (0.0, "0"), (None, "—")],
)  # fmt: skip
def test_numbers_show_at_most_three_significant_digits(value: float | None, text: str) -> None:
    assert number(value) == text


def test_templates_are_strict_about_undefined_values() -> None:
    env = build_environment()
    with pytest.raises(UndefinedError):
        env.get_template("cards/complete-response.md.j2").render(v=None, a=None, m=None)


def test_a_missing_status_template_fails_at_start_up(tmp_path: Path) -> None:
    (tmp_path / "cards").mkdir()
    (tmp_path / "cards" / "summary.txt.j2").write_text("x", "utf-8")
    with pytest.raises(TemplateNotFound):
        CardBuilder(tmp_path)
