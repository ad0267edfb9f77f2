"""report.pdf: the rendered report.html laid out for A4 paper by WeasyPrint.

This module owns the print layout. The PDF is made from the very HTML page written beside
it (same sections, numbers and inline SVG charts), plus a print stylesheet added after the
page's own CSS:

- A4 pages; the first page is the cover (title, period, contents with page numbers); every
  section starts on a new page; headings stay with what follows; figures, table rows and
  small tables are not split across pages (a table longer than a page is split between rows,
  and its header row repeats);
- the footer carries "第 N 页 / 共 M 页" (or "Page N of M") and the report title. Margin boxes
  do not inherit the body's font, so ``font-family`` is set on ``html`` AND in ``@page``;
- fonts: the installed Noto Sans CJK (Debian fonts-noto-cjk), embedded as subsets;
- charts: the PNG of each chart (``charts/<name>.png``, 150 dpi, rasterised from its SVG by
  documents.py just before) replaces its inline SVG. WeasyPrint draws SVG node by node in Python: the charts
  of one report are ~8,000 nodes (glyphs are paths, see charts.py), which took half of the
  PDF's time (a weekly report: 10.2 s with vector charts, 4.5 s with PNGs). At 150 dpi a
  full-width chart prints at ~210 dpi on A4. A chart without its PNG stays a vector drawing;
- offline: the URL fetcher only accepts ``data:`` URLs, so nothing is ever fetched.

Output is deterministic (no date in the metadata), like every other file of the report.
"""

from __future__ import annotations

import base64
import logging
import re
from pathlib import Path

FONT_STACK = ('"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei", '
              '"DejaVu Sans", sans-serif')

# Page-label words (the footer is the only text the PDF adds to the HTML page).
PAGE_LABEL = {
    "zh": '"第 " counter(page) " 页 / 共 " counter(pages) " 页"',
    "en": '"Page " counter(page) " of " counter(pages)',
}

# The contents list is one plain column in print: `columns: auto` (not `columns: 1`, which still
# makes a multi-column box that WeasyPrint lays out and balances again on every pass: 12-15 % of a
# report's PDF time, measured on the demo's month).
PRINT_CSS = """
@page {
  size: A4;
  margin: 16mm 14mm 18mm 14mm;
  font-family: %(fonts)s;
  @bottom-right { content: %(page_label)s; font-family: %(fonts)s; font-size: 8pt; color: #59636e; }
  @bottom-left { content: string(report-title); font-family: %(fonts)s; font-size: 8pt; color: #59636e;
                 width: 70%%; }
}
@page :first { @bottom-left { content: none; } }
html { font-family: %(fonts)s; font-size: 9.5pt; line-height: 1.45; }
body { max-width: none; margin: 0; padding: 0; }
h1 { font-size: 20pt; margin: 0 0 4pt; string-set: report-title content(); }
h2 { font-size: 15pt; margin: 0 0 8pt; break-after: avoid; }
h3 { font-size: 10.5pt; margin: 12pt 0 5pt; break-after: avoid; }
header { break-after: page; }
nav { display: block; }
nav h2 { font-size: 12pt; margin: 18pt 0 6pt; }
nav ol { columns: auto; padding-left: 1.6em; }
nav li { margin: 3pt 0; }
nav a { color: #1f2328; }
nav a::after { content: leader(". ") target-counter(attr(href), page); color: #59636e; }
main > section { break-before: page; break-inside: auto; }
.kpis { display: block; margin: 4pt 0 8pt; }
.kpi { display: inline-block; box-sizing: border-box; width: 23.5%%; margin: 0 1%% 6pt 0; vertical-align: top;
       padding: 5pt 7pt; border-radius: 4pt; break-inside: avoid; }
.kpi .label { font-size: 7.5pt; }
.kpi .value { font-size: 14pt; }
.kpi .cmp { font-size: 7pt; }
.narrative, .findings { break-inside: avoid; }
figure { break-inside: avoid; margin: 8pt 0 10pt; }
figure svg, figure img.chart-png { width: 100%%; height: auto; max-width: 100%%; }
figcaption { font-size: 8pt; }
table { font-size: 8pt; margin: 4pt 0 10pt; }
table:not(.long) { break-inside: avoid; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
th, td { padding: 3pt 5pt; }
th.num { white-space: normal; }
td.text { overflow-wrap: break-word; }
th, td.text { min-width: 2.6em; }
.empty { break-before: avoid; }
"""

# Tables with more rows than this may be split between rows instead of moving as a whole.
LONG_TABLE_ROWS = 25


def print_css(language: str) -> str:
    return PRINT_CSS % {"fonts": FONT_STACK, "page_label": PAGE_LABEL.get(language, PAGE_LABEL["en"])}


def _mark_long_tables(html: str) -> str:
    """Add class="long" to tables with many rows, so only those may break inside."""
    out, pos = [], 0
    while True:
        start = html.find("<table>", pos)
        if start < 0:
            out.append(html[pos:])
            return "".join(out)
        end = html.find("</table>", start)
        rows = html.count("<tr>", start, end if end >= 0 else len(html))
        out.append(html[pos:start])
        out.append('<table class="long">' if rows > LONG_TABLE_ROWS else "<table>")
        pos = start + len("<table>")


_INLINE_CHART = re.compile(r'(<figure class="chart" id="chart-([a-z0-9_]+)">\s*)<svg\b.*?</svg>', re.S)


def _raster_charts(html: str, chart_dir: Path | None) -> str:
    """Each chart's inline SVG -> an ``<img>`` of its PNG (a ``data:`` URL) when
    ``chart_dir/<name>.png`` exists."""
    if chart_dir is None or not chart_dir.is_dir():
        return html

    def swap(m: re.Match) -> str:
        png = chart_dir / f"{m.group(2)}.png"
        if not png.is_file():
            return m.group(0)
        data = base64.b64encode(png.read_bytes()).decode("ascii")
        return f'{m.group(1)}<img class="chart-png" alt="" src="data:image/png;base64,{data}">'

    return _INLINE_CHART.sub(swap, html)


def print_html(html: str, language: str, chart_dir: Path | None = None) -> str:
    """The page with the print stylesheet appended as an author style (the ``stylesheets``
    argument of WeasyPrint is the user origin, which loses to the page's own rules), and its
    charts as PNGs from ``chart_dir`` where there are."""
    html = _raster_charts(_mark_long_tables(html), chart_dir)
    style = f'<style media="print">{print_css(language)}</style>\n'
    head_end = html.find("</head>")
    return html[:head_end] + style + html[head_end:] if head_end >= 0 else style + html


def write_pdf(html_path: Path, language: str = "zh", pdf_path: Path | None = None) -> dict[str, Path]:
    """Render ``html_path`` (report.html) to ``report.pdf`` beside it; return {"pdf": path}."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    html_path = Path(html_path)
    pdf_path = Path(pdf_path) if pdf_path else html_path.with_name("report.pdf")
    fetcher = URLFetcher(allowed_protocols={"data"}, timeout=1)   # never the network, never a file
    # WeasyPrint logs every CSS property it ignores (e.g. the page's screen-only grid); keep quiet
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    document = HTML(string=print_html(html_path.read_text(encoding="utf-8"), language, html_path.parent / "charts"),
                    base_url=str(html_path.parent), url_fetcher=fetcher, media_type="print")
    tmp = pdf_path.with_name(pdf_path.name + ".tmp")
    document.write_pdf(tmp)
    tmp.replace(pdf_path)
    return {"pdf": pdf_path}
