"""The frozen pages of the source registry (sources/<id>/pages/): what the real pipeline makes of
each page, in the form of its `<name>.expected.json`.

    .venv/bin/python -m tests.frozen_pages            # show pages whose record changed
    .venv/bin/python -m tests.frozen_pages --write    # rewrite every expected file; review the diff

A page goes in with nothing but its bytes (no source id, no URL): the source, the outlet and the
date must come from the page itself, as they would for a file a user loads.
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib import resources
from typing import Any

from transforms.pipeline import transform_document
from transforms.records import RawDocument
from transforms.registry import PACKAGE, FrozenPage, frozen_pages, registry


def snapshot(page: FrozenPage) -> dict[str, Any]:
    result = transform_document(RawDocument(input_ref=page.path, content=page.content, media_type=page.media_type))  # type: ignore[arg-type]  # html | text
    if result.article is None:
        assert result.reject is not None
        return {"reject": result.reject.reason}
    a, prov = result.article, result.provenance
    lines = a.body.split("\n")
    return {
        "source_id": a.source_id,
        "outlet": a.outlet,
        "title": a.title,
        "published_at": a.published_at.isoformat() if a.published_at else None,
        "published_precision": a.published_precision,
        "first_line": lines[0],
        "last_line": lines[-1],
        "removed": [[r.line, r.rule] for r in result.removed],
        "from": {
            "source_id": prov.source_id if prov else None,
            "outlet": prov.outlet if prov else None,
            "title": prov.title if prov else None,
            "published_at": prov.published_at if prov else None,
        },
    }


def all_pages() -> list[FrozenPage]:
    return [page for source_id in sorted(registry().sources) for page in frozen_pages(source_id)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help="rewrite every expected file")
    args = parser.parse_args(argv)
    changed = 0
    for page in all_pages():
        got = snapshot(page)
        if got == page.expected:
            continue
        changed += 1
        target = resources.files(PACKAGE).joinpath(page.source_id, "pages", f"{page.name}.expected.json")
        print(f"{'wrote' if args.write else 'changed'}: {page.path}")
        if args.write:
            with resources.as_file(target) as path:
                path.write_text(json.dumps(got, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"{changed} of {len(all_pages())} frozen pages {'rewritten' if args.write else 'differ from their expected record'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
