"""The map of Syria's governorates the report draws (render/data/syria_adm1.json, built by
tools/build_syria_map.py from geoBoundaries; licence in render/data/LICENSE-syria-adm1.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True, slots=True)
class Governorate:
    iso: str
    admin1: str  # the governorate name used by the gazetteer and the events (admin1)
    name_ar: str
    path: str  # SVG path in the map's pixel box
    label: tuple[float, float]


@dataclass(frozen=True, slots=True)
class SyriaMap:
    width: int
    height: int
    governorates: tuple[Governorate, ...]
    lon0: float
    lat1: float
    k: float
    scale: float
    margin: float
    source: str

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        """Pixel position of a point (the projection the paths were drawn with)."""
        return self.margin + (lon - self.lon0) * self.k * self.scale, self.margin + (self.lat1 - lat) * self.scale

    def inside(self, lat: float, lon: float) -> bool:
        x, y = self.xy(lat, lon)
        return 0 <= x <= self.width and 0 <= y <= self.height


@lru_cache(maxsize=1)
def syria_map() -> SyriaMap:
    data = json.loads(resources.files("render").joinpath("data/syria_adm1.json").read_text(encoding="utf-8"))
    p = data["projection"]
    govs = tuple(
        Governorate(g["iso"], g["admin1"], g["name_ar"], g["path"], (float(g["label"][0]), float(g["label"][1])))
        for g in data["governorates"]
    )
    return SyriaMap(int(data["width"]), int(data["height"]), govs, p["lon0"], p["lat1"], p["k"], p["scale"], p["margin"], data["source"])
