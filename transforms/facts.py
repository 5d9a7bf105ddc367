"""Facts in an article: people, organisations and places (mentions) and event figures.

Seam for the entity/figure extractors; returns nothing until they are built.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from transforms.records import Figure, Mention


@dataclass(slots=True)
class Facts:
    mentions: list[Mention] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)


def extract_facts(body: str, body_search: str) -> Facts:
    """Mentions and figures of one article; offsets are into `body_search`."""
    return Facts()
