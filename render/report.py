"""`news-etl report`: a self-contained HTML report (inline SVG and HTML bars, no script, no CDN).

Events first: a map of Syria's governorates (events per governorate, the deadliest events as
dots), killed / injured / kidnapped / arrested / detained per governorate side by side (one scale
per column), events over time on a dated axis, the largest events with links to their reports.
Then articles per source over time, the most named actors and places, the data tests and runs of
the last runs. The numbers come from warehouse/report_queries.py (read-only, no Prefect). Arabic
text is marked `lang="ar" dir="rtl"` so the browser lays it out right to left.
"""

from __future__ import annotations

import html
import math
import re
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from render.syria_map import syria_map
from warehouse.paths import LakePaths
from warehouse.report_queries import EventData, EventRow, ReportData, report_data

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
KIND_COLOURS = {
    "killed": "#b2182b", "injured": "#ef8a62", "kidnapped": "#7b3294", "arrested": "#2166ac", "detained": "#67a9cf",
    "attack": "#7f7f7f",
}
COUNT_KINDS = ("killed", "injured", "kidnapped", "arrested", "detained")
MAP_DOTS = 60  # the deadliest events drawn as dots (more hide each other)
BAR_SHARE = 62  # the longest bar's share of its cell, in percent: its number fits beside it
MAP_RAMP = ("#f2f0ec", "#fde0c5", "#fbb482", "#f1804c", "#d7482d", "#a8231b")  # 0 events, then 5 classes
_ARABIC = re.compile("[\u0600-\u06ff]")
# a run of Arabic words (with the spaces and punctuation between them)
_ARABIC_RUN = re.compile("[\u0600-\u06ff](?:[\u0600-\u06ff\\s\u060c\u061b\u061f«»\"'-]*[\u0600-\u06ff])?")


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def text(value: object) -> str:
    """Escaped text; each Arabic run gets its own right-to-left span (the Latin around it stays
    left to right: "دير الزور (Deir ez-Zor)")."""
    s = str(value)
    if not _ARABIC.search(s):
        return esc(s)
    out, at = [], 0
    for m in _ARABIC_RUN.finditer(s):
        out.append(esc(s[at:m.start()]))
        out.append(f'<span lang="ar" dir="rtl" class="ar">{esc(m.group(0))}</span>')
        at = m.end()
    out.append(esc(s[at:]))
    return "".join(out)


def fmt(n: int | None) -> str:
    return "-" if n is None else f"{n:,}"


def count(n: int, one: str, many: str | None = None) -> str:
    """ "1 event", "3 events" """
    return f"{fmt(n)} {one if n == 1 else (many or one + 's')}"


# -- time axis ----------------------------------------------------------------------------------

def _bin(span_days: int) -> str:
    if span_days <= 92:
        return "day"
    if span_days <= 3 * 365:
        return "week"
    return "month"


def _bin_start(d: date, unit: str) -> date:
    if unit == "week":
        return d - timedelta(days=d.weekday())
    if unit == "month":
        return d.replace(day=1)
    return d


def _bin_end(d: date, unit: str) -> date:
    if unit == "week":
        return d + timedelta(days=7)
    if unit == "month":
        return (d.replace(day=28) + timedelta(days=4)).replace(day=1)
    return d + timedelta(days=1)


def _ticks(first: date, last: date, unit: str) -> list[tuple[date, str]]:
    """Dated ticks: the year on the first tick and wherever it changes."""
    span = (last - first).days
    out: list[tuple[date, str]] = []
    if unit == "month" or span > 400:
        d = date(first.year, 1, 1)
        step = max(1, math.ceil((last.year - first.year + 1) / 10))
        while d <= last:
            if d >= first:
                out.append((d, str(d.year)))
            d = date(d.year + step, 1, 1)
        return out
    if unit == "week" or span > 60:
        months = (last.year - first.year) * 12 + last.month - first.month + 1
        step = max(1, math.ceil(months / 10))
        d = first.replace(day=1)
        if d < first:
            d = _bin_end(d, "month")
        while d <= last:
            out.append((d, d.strftime("%b")))
            m = d.month - 1 + step
            d = date(d.year + m // 12, m % 12 + 1, 1)
    else:
        step = max(1, math.ceil((span + 1) / 10))
        out = [(first + timedelta(days=i), "") for i in range(0, span + 1, step)]
        out = [(d, f"{d.day} {d:%b}") for d, _ in out]
    seen_year = None
    labelled = []
    for d, label in out:
        if d.year != seen_year:
            seen_year = d.year
            labelled.append((d, f"{label} {d.year}".strip()))
        else:
            labelled.append((d, label))
    return labelled


def time_chart(
    title: str, rows: Sequence[tuple[str, str, int]], *, colours: dict[str, str] | None = None, note: str = "",
    width: int = 900, height: int = 240, empty: str = "no dated data yet",
) -> str:
    """Stacked columns on a time axis (days, weeks or months, by the span): a gap in time is a gap
    on the axis; ticks carry the year."""
    if not rows:
        return f'<figure><figcaption>{esc(title)}</figcaption><p class="empty">{esc(empty)}</p>{note}</figure>'
    days = [date.fromisoformat(d) for d, _, _ in rows]
    unit = _bin((max(days) - min(days)).days)
    keys = sorted({k for _, k, _ in rows})
    colour = colours or {k: PALETTE[i % len(PALETTE)] for i, k in enumerate(keys)}
    cells: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for d, k, n in rows:
        cells[_bin_start(date.fromisoformat(d), unit)][k] += n
    first, last_start = min(cells), max(cells)
    last = _bin_end(last_start, unit)
    left, right, top, bottom = 44, 12, 10, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    span = max((last - first).days, 1)

    def x(d: date) -> float:
        return left + plot_w * (d - first).days / span

    vmax = max(sum(c.values()) for c in cells.values()) or 1
    parts = [f'<svg role="img" aria-label="{esc(title)}" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
             f'xmlns="http://www.w3.org/2000/svg" class="chart">']
    for frac in (0.5, 1.0):
        y = top + plot_h * (1 - frac)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" class="grid"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="value">{fmt(round(vmax * frac))}</text>')
    parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" class="axis"/>')
    for start in sorted(cells):
        x0, x1 = x(start), x(_bin_end(start, unit))
        w = max(1.5, (x1 - x0) * 0.85)
        y = float(top + plot_h)
        label = start.isoformat() if unit == "day" else f"{unit} of {start.isoformat()}"
        for k in keys:
            n = cells[start].get(k, 0)
            if not n:
                continue
            h = plot_h * n / vmax
            y -= h
            parts.append(f'<rect x="{x0:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{colour[k]}">'
                         f"<title>{esc(k)} {esc(label)}: {n}</title></rect>")
    for tick, label in _ticks(first, last - timedelta(days=1), unit):
        tx = x(tick)
        parts.append(f'<line x1="{tx:.1f}" y1="{top + plot_h}" x2="{tx:.1f}" y2="{top + plot_h + 4}" class="axis"/>'
                     f'<text x="{tx:.1f}" y="{top + plot_h + 17}" text-anchor="middle" class="tick">{esc(label)}</text>')
    parts.append("</svg>")
    legend = " ".join(f'<span class="key"><i style="background:{colour[k]}"></i>{esc(k)}</span>' for k in keys)
    per = {"day": "per day", "week": "per week (weeks start on Monday)", "month": "per month"}[unit]
    cap = f"{esc(title)} {per}, {first.isoformat()} to {(last - timedelta(days=1)).isoformat()}"
    return f'<figure><figcaption>{cap}</figcaption>{"".join(parts)}<div class="legend">{legend}</div>{note}</figure>'


# -- bars that fit their labels --------------------------------------------------------------------

def bar_list(title: str, rows: Sequence[tuple[str, int]], *, colour: str, note: str = "") -> str:
    """Horizontal bars as an HTML table: the label column is as wide as the longest label."""
    if not rows:
        return f'<figure><figcaption>{esc(title)}</figcaption><p class="empty">no data yet</p></figure>'
    vmax = max(v for _, v in rows) or 1
    body = "".join(
        f'<tr><th>{text(label)}</th><td class="barcell"><div class="bar" style="width:{BAR_SHARE * v / vmax:.1f}%;background:{colour}" '
        f'title="{esc(label)}: {v}"></div><span class="num">{fmt(v)}</span></td></tr>'
        for label, v in rows
    )
    return f'<figure><figcaption>{esc(title)}</figcaption><table class="bars">{body}</table>{note}</figure>'


def small_multiples(ev: EventData) -> str:
    """People per governorate, one column per kind of count, each column on its own scale."""
    if not ev.by_governorate:
        return '<figure><figcaption>People per governorate</figcaption><p class="empty">no events yet</p></figure>'
    best: dict[tuple[str, str], int] = {(g, k): b for g, k, _, b in ev.by_governorate}
    events: dict[tuple[str, str], int] = {(g, k): n for g, k, n, _ in ev.by_governorate}
    govs = sorted({g for g, _, _, _ in ev.by_governorate}, key=lambda g: (g == "unknown", -ev.events_by_governorate.get(g, 0), g))
    kinds = [k for k in COUNT_KINDS if any(kk == k for _, kk, _, _ in ev.by_governorate)]
    vmax = {k: max((best.get((g, k), 0) for g in govs), default=0) or 1 for k in kinds}
    ar = {g.admin1: g.name_ar for g in syria_map().governorates}
    head = "".join(f'<th><i style="background:{KIND_COLOURS[k]}"></i>{esc(k)}</th>' for k in kinds)
    rows = []
    for g in govs:
        name = f'{esc(g)} {text(ar[g])}' if g in ar else esc(g)
        cells = []
        for k in kinds:
            v = best.get((g, k), 0)
            n = events.get((g, k), 0)
            bar = (f'<div class="bar" style="width:{BAR_SHARE * v / vmax[k]:.1f}%;background:{KIND_COLOURS[k]}" '
                   f'title="{esc(g)} {k}: {v} in {n} events"></div>') if v else ""
            cells.append(f'<td class="barcell">{bar}<span class="num">{fmt(v) if v else ""}</span></td>')
        rows.append(f"<tr><th>{name}</th>{''.join(cells)}</tr>")
    return (
        '<figure><figcaption>People per governorate: the best estimate of each event, summed '
        '(each column on its own scale)</figcaption>'
        f'<table class="bars multiples"><thead><tr><th></th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></figure>'
    )


def people_totals(ev: EventData) -> str:
    """One box per kind of count: people (sum of the events' best estimates) and events."""
    people: dict[str, int] = defaultdict(int)
    events: dict[str, int] = defaultdict(int)
    for _, k, n, b in ev.by_governorate:
        people[k] += b
        events[k] += n
    boxes = "".join(
        f'<div><i style="background:{KIND_COLOURS[k]}"></i><b id="people-{k}">{fmt(people[k])}</b>{esc(k)} '
        f'<span class="range">in {fmt(events[k])} events</span></div>'
        for k in COUNT_KINDS if k in people
    )
    boxes = boxes or '<p class="empty">none</p>'
    return (f'<figure class="people"><figcaption>People in all events</figcaption><div class="kpis">{boxes}</div>'
            '<p class="note">Each event adds its best estimate once. Columns below: the same per governorate.</p></figure>')


# -- the map -----------------------------------------------------------------------------------------

def _ramp(n: int, vmax: int) -> str:
    if n <= 0:
        return MAP_RAMP[0]
    steps = len(MAP_RAMP) - 1
    return MAP_RAMP[1 + min(steps - 1, int(steps * math.log1p(n) / math.log1p(max(vmax, 1)) - 1e-9))]


# label positions moved off their neighbours' (pixels): the small southern governorates
LABEL_NUDGE = {"Daraa": (-12.0, 26.0), "As-Suwayda": (18.0, 6.0), "Quneitra": (2.0, -16.0)}
MAP_LEFT = 28  # room for the labels of the westernmost governorates


def map_svg(ev: EventData) -> str:
    m = syria_map()
    counts = ev.events_by_governorate
    vmax = max((counts.get(g.admin1, 0) for g in m.governorates), default=0)
    pad = 96  # room for the legend on the right
    width, height = MAP_LEFT + m.width + pad, m.height + 16
    parts = [f'<svg role="img" aria-label="Events per governorate" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg" class="map">'
             f'<g transform="translate({MAP_LEFT},0)">']
    for g in m.governorates:
        n = counts.get(g.admin1, 0)
        parts.append(f'<path d="{g.path}" fill="{_ramp(n, vmax)}" class="gov" id="gov-{g.iso}">'
                     f"<title>{esc(g.admin1)} ({esc(g.name_ar)}): {count(n, 'event')}</title></path>")
    for lat, lon, killed, place in sorted(ev.points, key=lambda p: -p[2])[:MAP_DOTS]:
        if not killed or not m.inside(lat, lon):
            continue
        x, y = m.xy(lat, lon)
        r = min(18.0, 2.5 + 1.6 * math.sqrt(killed))
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" class="dot"><title>{esc(place)}: {killed} killed</title></circle>')
    for g in m.governorates:
        if g.admin1 == "Damascus":
            continue  # inside Rif Dimashq: named in the legend
        dx, dy = LABEL_NUDGE.get(g.admin1, (0.0, 0.0))
        lx, ly = g.label[0] + dx, g.label[1] + dy
        parts.append(f'<text x="{lx:.1f}" y="{ly - 2:.1f}" text-anchor="middle" class="glabel">{esc(g.admin1)}</text>'
                     f'<text x="{lx:.1f}" y="{ly + 11:.1f}" text-anchor="middle" class="glabel-ar" direction="rtl" '
                     f'unicode-bidi="embed" xml:lang="ar" lang="ar">{esc(g.name_ar)}</text>')
    parts.append("</g>")
    # legend: events per governorate, then the dots
    lx = MAP_LEFT + m.width + 8
    parts.append(f'<text x="{lx}" y="18" class="legend-title">events</text>')
    bounds = sorted({0, *(round(math.expm1(math.log1p(max(vmax, 1)) * i / 5)) for i in range(1, 6))})
    for i, b in enumerate(bounds[:6]):
        y = 26 + i * 18
        parts.append(f'<rect x="{lx}" y="{y}" width="14" height="12" fill="{_ramp(b, vmax)}" class="gov"/>'
                     f'<text x="{lx + 20}" y="{y + 10}" class="tick">{"none" if b == 0 else f"≥ {b}"}</text>')
    y0 = 26 + 6 * 18 + 18
    parts.append(f'<text x="{lx}" y="{y0}" class="legend-title">killed</text>')
    for i, k in enumerate((1, 10, 50)):
        r = min(18.0, 2.5 + 1.6 * math.sqrt(k))
        cy = y0 + 16 + i * 30
        parts.append(f'<circle cx="{lx + 10}" cy="{cy}" r="{r:.1f}" class="dot"/><text x="{lx + 32}" y="{cy + 4}" class="tick">{k}</text>')
    dam = counts.get("Damascus", 0)
    parts.append(f'<text x="{lx}" y="{y0 + 110}" class="tick">Damascus: {dam}</text>')
    parts.append("</svg>")
    return "".join(parts)


# -- the largest events ------------------------------------------------------------------------------

def _count_cell(e: EventRow, kind: str) -> str:
    c = e.counts.get(kind)
    if c is None:
        return ""
    low, high, best = c
    spread = "" if low == high else f' <span class="range">({fmt(low)}–{fmt(high) if high is not None else "?"})</span>'
    return f"{fmt(best)}{spread}"


def largest_events(ev: EventData) -> str:
    if not ev.largest:
        return '<p class="empty">no events yet</p>'
    rows = []
    for e in ev.largest:
        place = " ".join(p for p in (text(e.place_ar) if e.place_ar else "", esc(e.place) if e.place else "") if p) or "-"
        precision = "" if e.date_precision == "day" else f' <span class="range">({esc(e.date_precision)})</span>'
        when = esc(e.event_date or "undated") + precision
        who = " → ".join(esc(a) for a in (e.perpetrator, e.target) if a) or ""
        links = " ".join(f'<a href="{esc(url)}" title="{esc(title or url)}">{esc(src)}</a>' for src, url, title in e.links[:8])
        more = f" +{len(e.links) - 8}" if len(e.links) > 8 else ""
        rows.append(
            f"<tr><td>{when}</td><td>{place}</td><td>{esc(e.admin1 or 'unknown')}</td><td>{esc(e.kind)}</td>"
            f'<td class="n">{_count_cell(e, "killed")}</td><td class="n">{_count_cell(e, "injured")}</td>'
            f'<td class="n">{_count_cell(e, "kidnapped") or _count_cell(e, "arrested") or _count_cell(e, "detained")}</td>'
            f'<td>{who}</td><td class="n">{e.reports} / {e.outlets}</td><td class="links">{links}{more}</td></tr>'
        )
    head = "".join(f"<th>{h}</th>" for h in ("date", "place", "governorate", "kind", "killed", "injured",
                                             "kidnapped / arrested / detained", "perpetrator → target", "articles / outlets",
                                             "reports"))
    return f'<table class="events"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def table(columns: list[str], rows: list[tuple[object, ...]]) -> str:
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{text('' if v is None else v)}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


CSS = """
body{font-family:system-ui,"Noto Sans","Noto Sans Arabic","DejaVu Sans",sans-serif;margin:2em auto;color:#222;max-width:1180px;
padding:0 1em}
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}
h3{font-size:1.05em;margin-top:1.5em}
.totals{display:flex;gap:1em;flex-wrap:wrap;margin:1em 0}.totals div{background:#f3f5f8;padding:.5em .9em;border-radius:6px}
.totals b{display:block;font-size:1.35em}
figure{margin:1em 0}figcaption{font-weight:600;margin-bottom:.4em}
.row{display:flex;gap:2em;flex-wrap:wrap;align-items:flex-start}.row>figure{flex:1 1 380px;min-width:0}
.row>figure.mapfig{flex:0 0 auto}
.kpis div{background:#f3f5f8;padding:.5em .9em;border-radius:6px;margin-bottom:.5em}.kpis b{font-size:1.35em;margin-right:.3em}
.kpis i{display:inline-block;width:10px;height:10px;margin-right:6px}
svg .value,svg .tick{font-size:11px;fill:#555}svg .grid{stroke:#eee}svg .axis{stroke:#999}
svg .gov{stroke:#fff;stroke-width:1}svg .dot{fill:#1b1b3a;fill-opacity:.6;stroke:#fff;stroke-width:1}
svg .glabel{font-size:11px;fill:#333;font-weight:600;paint-order:stroke;stroke:#fff;stroke-width:3px}
svg .glabel-ar{font-size:11px;fill:#444;paint-order:stroke;stroke:#fff;stroke-width:3px}
svg .legend-title{font-size:11px;font-weight:600;fill:#333}
.legend{font-size:12px}.key{margin-right:1em}.key i,.multiples th i{display:inline-block;width:10px;height:10px;margin-right:4px}
table{border-collapse:collapse;font-size:13px;margin:.5em 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
table.bars{width:100%}table.bars td,table.bars th{border:none;padding:2px 6px}table.bars th{font-weight:normal;white-space:nowrap;width:1%}
table.bars .barcell{position:relative;min-width:90px;white-space:nowrap}
.bar{height:14px;display:inline-block;vertical-align:middle;min-width:1px}
.num{font-size:12px;color:#444;margin-left:4px;vertical-align:middle}
table.multiples thead th{font-weight:600}
table.events td.n{text-align:right;white-space:nowrap}.range{color:#777;font-size:11px}.links a{margin-right:.4em}
.ar{font-family:"Noto Sans Arabic","Noto Naskh Arabic","DejaVu Sans",sans-serif;unicode-bidi:isolate}
.note{color:#555;font-size:13px;max-width:900px}.empty{color:#888;font-style:italic}.failed{color:#b2182b;font-weight:600}
"""


def _events_section(ev: EventData | None) -> str:
    if ev is None:
        return '<p class="empty">no events yet</p>'
    t = ev.totals
    per_day = time_chart("Events", ev.per_day, colours=KIND_COLOURS, empty="no dated events yet",
                         note=f'<p class="note">Not on this axis: {count(t["undated"], "event")} without a date (no report '
                              "gives one).</p>" if t["undated"] else "")
    return f"""
<p class="note">An event is one incident (an air strike, a bombing, an arrest campaign) counted once however many articles
report it: {count(t["events"], "event")} from {count(t["reports"], "report")}. Counts are each event's best estimate (the latest
credible report; docs/events.md). <b>Detained</b> (held in custody, as the article says) and <b>arrested</b> are kept apart.
Not events, and not counted here: {count(t["stocks"], "figure")} of people held in prisons or camps and
{count(t["cumulative"], "total")} over months or years (they stay in the table <code>figures</code>).
{count(t["unplaced"], "event is", "events are")} placed only by their governorate and not a dot on the map.</p>
<div class="row">
<figure class="mapfig"><figcaption>Events per governorate; dots: the {MAP_DOTS} deadliest events where<br>their place is known</figcaption>
{map_svg(ev)}</figure>
{people_totals(ev)}
</div>
{small_multiples(ev)}
{per_day}
<h3>Largest events</h3>
{largest_events(ev)}"""


def render_html(data: ReportData, *, title: str = "news-etl report", generated: datetime | None = None) -> str:
    when = (generated or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    t = data.totals
    ev_total = data.events.totals["events"] if data.events else 0
    totals = "".join(
        f'<div><b id="total-{k}">{v}</b>{esc(k)}</div>'
        for k, v in (("articles", t["articles"]), ("sources", t["sources"]), ("events", ev_total), ("mentions", t["mentions"]),
                     ("figures", t["figures"]), ("rejects", t["rejects"]), ("runs", t["runs"]))
    )
    actors = [(c, n) for _, c, n in data.top_actors]
    places = [(f"{c} ({a})" if a else c, n) for c, a, n in data.top_places]
    undated = (f'<p class="note">Not on this axis: {count(data.undated_articles, "article")} without a publication date '
               "(<code>articles.published_at</code> is NULL, <code>date_note</code> says why).</p>"
               ) if data.undated_articles else ""
    failed = [x for x in data.data_tests if x[1] != "passed"]
    tests = (
        f'<p>{len(data.data_tests) - len(failed)} of {len(data.data_tests)} data tests passed after the last run.</p>'
        + ("".join(f'<p class="failed">{esc(n)} ({k} rows): {esc(m)}</p>' for n, _, k, m in failed))
    ) if data.data_tests else '<p class="empty">no data tests recorded yet</p>'
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title><style>{CSS}</style></head>
<body>
<h1>{esc(title)}</h1>
<p>Generated {when} from the published warehouse. Articles dated {esc(data.first_day or '-')} to {esc(data.last_day or '-')}.</p>
<div class="totals">{totals}</div>
<h2>Events</h2>
{_events_section(data.events)}
<h2>Articles</h2>
{time_chart("Articles per source", [(d, s, n) for s, d, n in data.per_source_day], note=undated, empty="no dated articles yet")}
<h2>Actors and places</h2>
<div class="row">
{bar_list("Top actors (people and organisations, by articles)", actors, colour="#6a3d9a")}
{bar_list("Top places (by articles)", places, colour="#33a02c")}
</div>
<h2>Data tests</h2>
{tests}
<h2>Last runs</h2>
{table(["run_id", "flow", "status", "started_at", "inputs", "articles_new", "rejects"], [tuple(r.values()) for r in data.runs])}
<p class="note">Map: boundaries of the governorates from geoBoundaries (Runfola et al. 2020, www.geoboundaries.org), from UN
OCHA's COD-AB; for orientation only.</p>
</body></html>
"""


def write_report(paths: LakePaths, out: Path | None = None, *, days: int | None = None, top: int = 15) -> Path:
    """Render the report from the published warehouse and write it atomically; returns the path."""
    data = report_data(paths, days=days, top=top)
    target = out or paths.reports_dir / "report.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(render_html(data), encoding="utf-8")
    tmp.replace(target)
    return target
