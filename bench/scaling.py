"""Scaling: the time to transform one document against its size, for text and HTML.

    python -m bench.scaling [--sizes 0.1,1,4,10] [--shapes text,html] [--repeat 1]

Generates Arabic documents of the given sizes (MB) in several shapes and times the worker's whole
work on each (decode, trafilatura for HTML, cleaning, fields, facts: transforms.pipeline), once
per size after a warm-up on a small one. The curve must stay linear: each line prints the time,
the MB/s and the ratio to the 1 MB document (a linear transform gives ratio = size). Shapes:

    text        paragraphs of news sentences, dense in places, actors, people and counts
    html        the same inside <article><p>...</p></article>
    one-line    text without a line break (a single paragraph, sentences end with '.')
    no-stops    text without a line break or a full stop (one sentence)
    links       text whose every paragraph carries tweets, short links and photo captions
    nested      HTML whose paragraphs sit inside 200 nested <div>s, repeated

The generator is deterministic (a seeded random choice of words); tests/test_hostile_scaling.py
uses it with small sizes to assert the ratio.
"""

from __future__ import annotations

import argparse
import gc
import random
import time

from bench.common import header
from transforms.pipeline import transform_document
from transforms.records import DocumentResult, RawDocument

SENTENCE = (
    "قال مصدر محلي إن قوات الأمن اعتقلت عددا من الشبان في ريف دير الزور الشرقي خلال حملة مداهمات "
    "شملت قرى الرقة ومنبج والحسكة والقامشلي وقتل خمسة أشخاص وأصيب عشرة آخرون بجروح بينهم أطفال "
    "وأعلنت قسد والجيش الوطني السوري وقوات سوريا الديمقراطية أن القيادي أحمد محمد العلي والناطق "
    "باسم المجلس العسكري فرهاد شامي أكدا أن الاشتباكات توقفت بعد ظهر اليوم في مدينة الطبقة وبلدة "
    "الشدادي وقرية الصور حيث نزح أكثر من مئة عائلة نحو مخيم الهول"
)
WORDS = tuple(SENTENCE.split(" "))
SHAPES = ("text", "html", "one-line", "no-stops", "links", "nested")


def _sentence(rng: random.Random, words: int = 25) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)) + "."


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(3))


def _links(rng: random.Random, i: int) -> str:
    status = 1_500_000_000_000_000_000 + i * 7919
    return (
        f"{_paragraph(rng)}\n"
        f"— فرهاد شامي (@farhad{i % 50}) May 24, 2020 https://twitter.com/farhad{i % 50}/status/{status}\n"
        f"https://t.co/{i:08x} رابط مختصر: https://enabbaladi.net/?p={i}\n"
        f"صورة: عناصر من قوات الأمن في الرقة ({rng.choice(WORDS)}/ عنب بلدي)"
    )


def document(shape: str, megabytes: float, seed: int = 1) -> tuple[bytes, str]:
    """(bytes, media type) of a generated document of about `megabytes` MB in `shape`."""
    rng = random.Random(seed)
    target = int(megabytes * 1_000_000)
    parts: list[str] = []
    size = 0
    i = 0
    while size < target:
        part = _links(rng, i) if shape == "links" else _paragraph(rng)
        parts.append(part)
        size += len(part.encode()) + 1
        i += 1
    if shape == "html":
        body = "".join(f"<p>{p}</p>\n" for p in parts)
        return f"<html><head><title>خبر</title></head><body><article>{body}</article></body></html>".encode(), "html"
    if shape == "nested":
        depth = 200
        block = "".join(f"{'<div>' * depth}<p>{p}</p>{'</div>' * depth}\n" for p in parts)
        return f"<html><body><article>{block}</article></body></html>".encode(), "html"
    if shape == "one-line":
        return " ".join(parts).encode(), "text"
    if shape == "no-stops":
        return " ".join(parts).replace(".", "").encode(), "text"
    return "\n".join(parts).encode(), "text"


def transform(data: bytes, media: str) -> DocumentResult:
    return transform_document(RawDocument(input_ref="bench", content=data, media_type=media))


def timed(shape: str, megabytes: float, repeat: int = 1, *, cpu: bool = False) -> float:
    """Seconds (the best of `repeat`) to transform one generated document: wall time, or with
    `cpu` this process's CPU time (what the algorithm costs, whatever else the machine runs)."""
    data, media = document(shape, megabytes)
    clock = time.process_time if cpu else time.perf_counter
    best = float("inf")
    for _ in range(repeat):
        gc.collect()  # the garbage of the run before is not this run's cost
        started = clock()
        transform(data, media)
        best = min(best, clock() - started)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="0.1,1,4,10", help="document sizes in MB (default 0.1,1,4,10)")
    parser.add_argument("--shapes", default="text,html", help=f"comma-separated, of {', '.join(SHAPES)} (default text,html)")
    parser.add_argument("--repeat", type=int, default=1, help="time each size this many times, keep the best")
    args = parser.parse_args(argv)
    sizes = [float(s) for s in args.sizes.split(",")]
    header("Scaling: transform time against document size")
    for shape in args.shapes.split(","):
        transform(*document(shape, 0.02, seed=2))  # warm-up: rule files, gazetteer, regexes
        base: float | None = None
        print(f"{shape}:")
        for mb in sizes:
            seconds = timed(shape, mb, args.repeat)
            if mb == 1:
                base = seconds
            ratio = f"  {seconds / base:5.1f}x the 1 MB time" if base and mb > 1 else ""
            print(f"  {mb:6.2f} MB  {seconds:8.2f} s  {mb / seconds:6.2f} MB/s{ratio}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
