"""The documents' text format: plain text, safe by construction (no HTML, no Markdown).

Paragraphs are separated by blank lines. A paragraph starting with ``# `` is a heading
(``## `` a sub-heading); lines starting with ``- `` or ``・`` are list items. Everything
else is a paragraph whose line breaks are kept. The pages render the blocks with
autoescaping, so a coordinator's text can never inject markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field

BULLETS = ("- ", "・")


@dataclass(frozen=True)
class Block:
    kind: str  # "h2", "h3", "p" or "ul"
    text: str = ""
    items: list[str] = field(default_factory=list)


def blocks(body: str) -> list[Block]:
    """The blocks of ``body``, in order."""
    found: list[Block] = []
    paragraph: list[str] = []
    items: list[str] = []

    def flush() -> None:
        if paragraph:
            found.append(Block("p", "\n".join(paragraph)))
            paragraph.clear()
        if items:
            found.append(Block("ul", items=list(items)))
            items.clear()

    for raw in body.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped:
            flush()
        elif stripped.startswith("## "):
            flush()
            found.append(Block("h3", stripped[3:].strip()))
        elif stripped.startswith("# "):
            flush()
            found.append(Block("h2", stripped[2:].strip()))
        elif stripped.startswith(BULLETS):
            if paragraph:
                found.append(Block("p", "\n".join(paragraph)))
                paragraph.clear()
            items.append(stripped[1 if stripped.startswith("・") else 2 :].strip())
        else:
            if items:
                found.append(Block("ul", items=list(items)))
                items.clear()
            paragraph.append(stripped)
    flush()
    return found
