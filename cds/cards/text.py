"""Card text: the one strict jinja2 environment, its escaping rule and number formatting.

All templates under `templates/cards/` are compiled when the environment is built (at
start-up), so a missing or broken template stops the service instead of a hook call.

Escaping is decided by the template's name, on purpose:

- `*.md.j2` (card `detail`, GitHub-flavoured markdown): every value printed with `{{ }}`
  is markdown-escaped unless it is a `Markdown` (text we wrote ourselves). Values from the
  patient's data (units and values as reported, resource ids, notes) can therefore never
  inject links, images, HTML or break the evidence table, whatever the lab system wrote.
- `*.txt.j2` (card `summary`, plain text): values are printed as they are, on one line.
"""

from __future__ import annotations

import math
import re
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context
from jinja2.runtime import Context

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
CARD_TEMPLATES = "cards"

# Characters with a meaning in GFM inline text or tables. `.`, `-`, `+`, `(` only matter at
# the start of a line or after `]`, which a value can never reach (line breaks are folded
# and `]` is escaped), so numbers like "1.5" stay readable in clients that show raw text.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~#!{}$&])")
_WHITESPACE = re.compile(r"\s+")


class Markdown(str):
    """Markdown we wrote ourselves: printed as is in `*.md.j2` templates."""

    __slots__ = ()


def escape_markdown(text: str) -> str:
    """Make `text` print literally inside a GFM paragraph or table cell, on one line."""
    return _MD_SPECIAL.sub(r"\\\1", _WHITESPACE.sub(" ", text)).strip()


@pass_context
def _finalize(context: Context, value: Any) -> Any:
    if isinstance(value, Markdown):
        return value
    text = value if isinstance(value, str) else str(value)
    if (context.name or "").endswith(".md.j2"):
        return escape_markdown(text)
    return _WHITESPACE.sub(" ", text)


def number(value: float | None) -> str:
    """A measured value for display: 3 significant digits at most, no trailing zeros."""
    if value is None or math.isnan(value):
        return "—"
    magnitude = abs(value)
    decimals = 0 if magnitude >= 100 else 1 if magnitude >= 10 else 2
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


@cache
def build_environment(templates_dir: Path = TEMPLATES_DIR) -> Environment:
    """The strict environment with every card template compiled (fails fast).

    One per process and directory: every app (and the trend view) shares the compiled
    templates, which are immutable once loaded.
    """
    env = Environment(
        loader=FileSystemLoader(str(templates_dir)),
        undefined=StrictUndefined,
        finalize=_finalize,
        autoescape=False,  # noqa: S701 - markdown, not HTML: _finalize escapes (module doc)
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = number
    for name in env.list_templates(filter_func=lambda n: n.startswith(CARD_TEMPLATES + "/")):
        env.get_template(name)
    return env
