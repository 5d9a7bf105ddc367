"""`news-etl report`: a self-contained HTML report (inline SVG charts, no script, no CDN).

Charts: articles per source per day, top actors, top places, killed/arrested per governorate;
plus the sources' freshness (those that need attention first) and the last runs. The numbers come from
warehouse/report_queries.py (read-only, no Prefect).
"""

from __future__ import annotations

import html
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

from warehouse.paths import LakePaths
from warehouse.report_queries import ReportData, report_data

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
FIGURE_COLOURS = {"killed": "#b2182b", "arrested": "#2166ac"}


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def hbar_chart(title: str, rows: list[tuple[str, int]], *, colour: str = "#1f77b4", width: int = 640) -> str:
    """Horizontal bars, one per (label, value); labels may be Arabic (drawn right-to-left)."""
    if not rows:
        return f'<figure><figcaption>{esc(title)}</figcaption><p class="empty">no data yet</p></figure>'
    bar_h, gap, label_w, top = 20, 6, 220, 8
    height = top + len(rows) * (bar_h + gap)
    vmax = max(v for _, v in rows) or 1
    span = width - label_w - 60
    parts = [f'<svg role="img" aria-label="{esc(title)}" width="{width}" height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">']
    for i, (label, value) in enumerate(rows):
        y = top + i * (bar_h + gap)
        w = max(1, round(span * value / vmax))
        parts.append(
            f'<text x="{label_w - 8}" y="{y + bar_h * 0.75:.0f}" text-anchor="end" class="label">{esc(label)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar_h}" fill="{colour}"><title>{esc(label)}: {value}</title></rect>'
            f'<text x="{label_w + w + 6}" y="{y + bar_h * 0.75:.0f}" class="value">{value}</text>'
        )
    parts.append("</svg>")
    return f'<figure><figcaption>{esc(title)}</figcaption>{"".join(parts)}</figure>'


def per_day_chart(rows: list[tuple[str, str, int]], *, width: int = 900, height: int = 280) -> str:
    """Stacked columns: one column per day, one colour per source."""
    title = "Articles per source per day"
    if not rows:
        return f'<figure><figcaption>{title}</figcaption><p class="empty">no dated articles yet</p></figure>'
    days = sorted({d for _, d, _ in rows})
    sources = sorted({s for s, _, _ in rows})
    colour = {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(sources)}
    cell: dict[str, dict[str, int]] = defaultdict(dict)
    for s, d, n in rows:
        cell[d][s] = n
    day_totals = {d: sum(cell[d].values()) for d in days}
    vmax = max(day_totals.values()) or 1
    left, bottom, top = 40, 40, 10
    plot_h = height - bottom - top
    step = (width - left - 10) / len(days)
    bar_w = max(2.0, min(40.0, step * 0.8))
    parts = [f'<svg role="img" aria-label="{title}" width="{width}" height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">']
    parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 5}" y2="{top + plot_h}" stroke="#999"/>')
    parts.append(f'<text x="{left - 6}" y="{top + 10}" text-anchor="end" class="value">{vmax}</text>')
    parts.append(f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" class="value">0</text>')
    label_every = max(1, len(days) // 12)
    for i, d in enumerate(days):
        x = left + i * step + (step - bar_w) / 2
        y: float = top + plot_h
        for s in sources:
            n = cell[d].get(s, 0)
            if not n:
                continue
            h = plot_h * n / vmax
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{colour[s]}">'
                f"<title>{esc(s)} {d}: {n}</title></rect>"
            )
        if i % label_every == 0:
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 16}" text-anchor="middle" class="value">{d[5:]}</text>')
    parts.append("</svg>")
    legend = " ".join(f'<span class="key"><i style="background:{colour[s]}"></i>{esc(s)}</span>' for s in sources)
    return f'<figure><figcaption>{title} ({days[0]} to {days[-1]})</figcaption>{"".join(parts)}<div class="legend">{legend}</div></figure>'


def figures_chart(rows: list[tuple[str, str, int, int]], *, width: int = 640) -> str:
    title = "Killed and arrested per governorate"
    if not rows:
        return f'<figure><figcaption>{title}</figcaption><p class="empty">no figures yet</p></figure>'
    govs = sorted({g for g, _, _, _ in rows}, key=lambda g: -sum(t for gg, _, t, _ in rows if gg == g))
    value = {(g, k): t for g, k, t, _ in rows}
    bar_h, gap, label_w, top = 14, 10, 160, 8
    group_h = 2 * bar_h + gap
    height = top + len(govs) * group_h
    vmax = max(t for _, _, t, _ in rows) or 1
    span = width - label_w - 60
    parts = [f'<svg role="img" aria-label="{title}" width="{width}" height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">']
    for i, g in enumerate(govs):
        y0 = top + i * group_h
        parts.append(f'<text x="{label_w - 8}" y="{y0 + bar_h + 4}" text-anchor="end" class="label">{esc(g)}</text>')
        for j, kind in enumerate(("killed", "arrested")):
            v = value.get((g, kind), 0)
            if not v:
                continue
            y = y0 + j * bar_h
            w = round(span * v / vmax)
            parts.append(
                f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar_h - 2}" fill="{FIGURE_COLOURS[kind]}">'
                f"<title>{esc(g)} {kind}: {v}</title></rect>"
                f'<text x="{label_w + w + 6}" y="{y + bar_h - 4}" class="value">{v}</text>'
            )
    parts.append("</svg>")
    legend = " ".join(f'<span class="key"><i style="background:{c}"></i>{k}</span>' for k, c in FIGURE_COLOURS.items())
    return f'<figure><figcaption>{title}</figcaption>{"".join(parts)}<div class="legend">{legend}</div></figure>'


def table(columns: list[str], rows: list[tuple[object, ...]]) -> str:
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{esc('' if v is None else v)}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


CSS = """
body{font-family:system-ui,"Noto Sans Arabic","DejaVu Sans",sans-serif;margin:2em;color:#222;max-width:1000px}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ddd}
.totals{display:flex;gap:1.5em;flex-wrap:wrap}.totals div{background:#f3f5f8;padding:.6em 1em;border-radius:6px}
.totals b{display:block;font-size:1.4em}
figure{margin:1em 0}figcaption{font-weight:600;margin-bottom:.4em}
svg .label{font-size:13px;fill:#222}svg .value{font-size:11px;fill:#555}
.legend{font-size:12px}.key{margin-right:1em}.key i{display:inline-block;width:10px;height:10px;margin-right:4px}
table{border-collapse:collapse;font-size:13px;margin:.5em 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}
.empty{color:#888;font-style:italic}
tr.attention td{background:#fdecea}
"""


def sources_table(sources: list[dict[str, object]]) -> str:
    """Every source seen in the lake, those that need attention (silent, low) first and marked."""
    if not sources:
        return '<p class="empty">no sources yet</p>'
    columns = ["source", "status", "why", "articles", "last published", "last ingested", "last fetch answered",
               "last night", "median", "recent nights (newest first)"]

    def when(value: object) -> str:
        return value.strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else ("" if value is None else str(value))

    rows = []
    for s in sources:
        cells = (s["source_id"], s["status"], s["reason"] or "", s["articles"], when(s["last_published_at"]),
                 when(s["last_ingested_at"]), when(s["last_fetch_ok_at"]), when(s["last_night"]),
                 "" if s["median_articles"] is None else s["median_articles"],
                 " ".join(str(n) for n in s["recent_articles"] or []))  # type: ignore[attr-defined]  # a list from the view
        marked = ' class="attention"' if s["status"] in ("silent", "low") else ""
        rows.append(f"<tr{marked}>" + "".join(f"<td>{esc(c)}</td>" for c in cells) + "</tr>")
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    flagged = sum(1 for s in sources if s["status"] in ("silent", "low"))
    note = f'<p id="sources-attention">{flagged} source(s) need attention.</p>'
    return f"{note}<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def render_html(data: ReportData, *, title: str = "news-etl report", generated: datetime | None = None) -> str:
    when = (generated or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    t = data.totals
    totals = "".join(
        f'<div><b id="total-{k}">{v}</b>{esc(k)}</div>'
        for k, v in (("articles", t["articles"]), ("sources", t["sources"]), ("mentions", t["mentions"]),
                     ("figures", t["figures"]), ("rejects", t["rejects"]), ("runs", t["runs"]))
    )
    actors = [(c, n) for _, c, n in data.top_actors]
    places = [(f"{c} ({a})" if a else c, n) for c, a, n in data.top_places]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title><style>{CSS}</style></head>
<body>
<h1>{esc(title)}</h1>
<p>Generated {when} from the published warehouse. Articles dated {esc(data.first_day or '-')} to {esc(data.last_day or '-')}.</p>
<div class="totals">{totals}</div>
<h2>Sources</h2>
{sources_table(data.sources)}
<p class="note">silent: no new article in a source's last nights; low: fewer than a share of its own median
(rules: table <code>freshness_rules</code>, view <code>source_freshness</code>).</p>
<h2>Articles</h2>
{per_day_chart(data.per_source_day)}
<h2>Actors and places</h2>
{hbar_chart("Top actors (people and organisations, by articles)", actors, colour="#6a3d9a")}
{hbar_chart("Top places (by articles)", places, colour="#33a02c")}
<h2>Figures</h2>
{figures_chart(data.figures_by_governorate)}
{table(["governorate", "kind", "total (low count)", "articles"], [tuple(r) for r in data.figures_by_governorate])}
<p class="note">Governorate: a place in the same sentence as the figure, else the article's most-mentioned
governorate. Totals add the low end of each reported range; the same event reported by several
articles is counted once per article.</p>
<h2>Last runs</h2>
{table(["run_id", "flow", "status", "started_at", "inputs", "articles_new", "rejects"],
       [tuple(r.values()) for r in data.runs])}
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
