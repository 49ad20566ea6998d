"""Card `detail` markdown → HTML that is safe to insert into the demo EHR page.

Cards carry GitHub-flavoured markdown (CDS Hooks 2.0). An EHR must never inject raw HTML from
a service, so the demo EHR renders it server-side with markdown-it-py with raw HTML turned off
(any `<tag>` in the source comes out escaped) and markdown-it's own link validation (no
`javascript:`, `vbscript:`, `file:` or non-image `data:` URLs). Tables and strikethrough are
enabled because the cards use GFM tables.
"""

from __future__ import annotations

from functools import cache

from markdown_it import MarkdownIt

MAX_MARKDOWN_CHARS = 20_000


@cache
def _renderer() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
        ["table", "strikethrough"]
    )


def render_markdown(text: str) -> str:
    """Safe HTML for `text` (raw HTML escaped, dangerous link schemes dropped)."""
    html: str = _renderer().render(text[:MAX_MARKDOWN_CHARS])
    return html
