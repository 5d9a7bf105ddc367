"""Build render/data/syria_adm1.json, the map of Syria's 14 governorates drawn by the HTML report,
from geoBoundaries' ADM1 boundaries of Syria (gbOpen SYR ADM1, GeoJSON in lon/lat).

    .venv/bin/python tools/build_syria_map.py SYR-ADM1.geojson

Where the GeoJSON comes from: geoBoundaries (https://www.geoboundaries.org, gbOpen, SYR, ADM1;
the file geoBoundaries-SYR-ADM1.geojson of its release, or the copy with the same shape ids in the
public repository PluraGate/SyriaHub, public/data/syria-governorates-polygons.json). Licence and
attribution: render/data/LICENSE-syria-adm1.md. Run at development time only; nothing is
downloaded at run time.

What it does: each ring is simplified (Douglas-Peucker, `--tolerance` degrees, about 2 km by
default), projected (equirectangular, longitudes scaled by the cosine of the middle latitude) to
a `--width` pixel box, and written as an SVG path per governorate, with the point where its label
goes (the centre of its largest ring's box, moved inside the ring) and the projection, so the
report can place events by their coordinates.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "render" / "data" / "syria_adm1.json"

# geoBoundaries' shapeISO -> the governorate names of transforms/data/gazetteer.tsv (admin1)
GOVERNORATES = {
    "SYR-DI": ("Damascus", "دمشق"),
    "SYR-RD": ("Rif Dimashq", "ريف دمشق"),
    "SYR-HL": ("Aleppo", "حلب"),
    "SYR-HI": ("Homs", "حمص"),
    "SYR-HM": ("Hama", "حماة"),
    "SYR-LA": ("Latakia", "اللاذقية"),
    "SYR-TA": ("Tartus", "طرطوس"),
    "SYR-ID": ("Idlib", "إدلب"),
    "SYR-HA": ("Al-Hasakah", "الحسكة"),
    "SYR-DY": ("Deir ez-Zor", "دير الزور"),
    "SYR-RA": ("Ar-Raqqah", "الرقة"),
    "SYR-DR": ("Daraa", "درعا"),
    "SYR-SU": ("As-Suwayda", "السويداء"),
    "SYR-QU": ("Quneitra", "القنيطرة"),
}

Point = tuple[float, float]


def _perpendicular(p: Point, a: Point, b: Point) -> float:
    (x, y), (x1, y1), (x2, y2) = p, a, b
    dx, dy = x2 - x1, y2 - y1
    if dx == dy == 0:
        return math.hypot(x - x1, y - y1)
    return abs(dy * x - dx * y + x2 * y1 - y2 * x1) / math.hypot(dx, dy)


def simplify(points: list[Point], tolerance: float) -> list[Point]:
    """Douglas-Peucker (iterative): the points that keep the line within `tolerance`."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        i, j = stack.pop()
        best, at = 0.0, -1
        for k in range(i + 1, j):
            d = _perpendicular(points[k], points[i], points[j])
            if d > best:
                best, at = d, k
        if best > tolerance and at > 0:
            keep[at] = True
            stack += [(i, at), (at, j)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def rings(geometry: dict[str, Any]) -> list[list[Point]]:
    """Outer rings of a Polygon or MultiPolygon (holes are not drawn)."""
    polys = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    return [[(float(x), float(y)) for x, y, *_ in poly[0]] for poly in polys]


def _inside(p: Point, ring: list[Point]) -> bool:
    x, y = p
    hit = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            hit = not hit
    return hit


def _area(ring: list[Point]) -> float:
    return abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True))) / 2


def label_point(ring: list[Point]) -> Point:
    """A point inside the ring near its middle: the centroid when it is inside, else the middle of
    the widest horizontal run through the ring at the centroid's height."""
    n = len(ring)
    cx, cy = sum(x for x, _ in ring) / n, sum(y for _, y in ring) / n
    if _inside((cx, cy), ring):
        return cx, cy
    xs = sorted(
        x1 + (cy - y1) * (x2 - x1) / (y2 - y1)
        for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True)
        if (y1 > cy) != (y2 > cy)
    )
    spans = [(b - a, (a + b) / 2) for a, b in zip(xs[::2], xs[1::2], strict=False)]
    return (max(spans)[1], cy) if spans else (cx, cy)


def build(source: Path, *, width: int, tolerance: float, margin: int = 6) -> dict[str, Any]:
    data = json.loads(source.read_text(encoding="utf-8"))
    feats = []
    for f in data["features"]:
        iso = f["properties"].get("shapeISO")
        if iso not in GOVERNORATES:
            raise SystemExit(f"{source}: unknown governorate {iso!r} ({f['properties'].get('shapeName')})")
        feats.append((iso, [simplify(r, tolerance) for r in rings(f["geometry"])]))
    if {iso for iso, _ in feats} != set(GOVERNORATES):
        raise SystemExit(f"{source}: expected the 14 governorates, got {sorted(iso for iso, _ in feats)}")
    lons = [x for _, rs in feats for r in rs for x, _ in r]
    lats = [y for _, rs in feats for r in rs for _, y in r]
    lon0, lat0, lon1, lat1 = min(lons), min(lats), max(lons), max(lats)
    k = math.cos(math.radians((lat0 + lat1) / 2))
    scale = (width - 2 * margin) / ((lon1 - lon0) * k)
    height = round((lat1 - lat0) * scale + 2 * margin)

    def xy(p: Point) -> Point:
        return (margin + (p[0] - lon0) * k * scale, margin + (lat1 - p[1]) * scale)

    out = []
    for iso, rs in sorted(feats):
        name, name_ar = GOVERNORATES[iso]
        path = " ".join(
            "M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in (xy(p) for p in r[:-1] if len(r) > 3)) + " Z" for r in rs if len(r) > 3
        )
        lx, ly = xy(label_point(max(rs, key=_area)))
        out.append({"iso": iso, "admin1": name, "name_ar": name_ar, "path": path, "label": [round(lx, 1), round(ly, 1)]})
    return {
        "source": "geoBoundaries gbOpen SYR ADM1 (https://www.geoboundaries.org); licence: render/data/LICENSE-syria-adm1.md",
        "source_sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
        "built_by": "tools/build_syria_map.py",
        "tolerance_degrees": tolerance,
        "width": width,
        "height": height,
        "projection": {"lon0": lon0, "lat1": lat1, "k": k, "scale": scale, "margin": margin},
        "governorates": out,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", type=Path, help="GeoJSON of geoBoundaries gbOpen SYR ADM1")
    parser.add_argument("--width", type=int, default=560, help="map width in pixels (default 560)")
    parser.add_argument("--tolerance", type=float, default=0.02, help="simplification in degrees (default 0.02)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    result = build(args.source, width=args.width, tolerance=args.tolerance)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    points = sum(g["path"].count("L") + g["path"].count("M") for g in result["governorates"])
    print(f"wrote {args.out}: 14 governorates, {points} points, {args.out.stat().st_size} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
