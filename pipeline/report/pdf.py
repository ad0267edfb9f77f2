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
  documents.py) replaces its inline SVG. WeasyPrint draws SVG node by node in Python: the charts
  of one report are ~8,000 nodes (glyphs are paths, see charts.py), which took half of the
  PDF's time (a weekly report: 10.2 s with vector charts, 4.5 s with PNGs). At 150 dpi a
  full-width chart prints at ~210 dpi on A4. The page is laid out with a blank placeholder of
  each PNG's size and the PNG drawn in its place, so the layout need not wait for the charts
  to be rasterised (:func:`write_pdf`). A chart's PNG is 8-bit RGB, and its data goes into
  the PDF as it is (:func:`png_stream`). A chart without its PNG stays a vector drawing;
- offline: the URL fetcher only accepts ``data:`` URLs, so nothing is ever fetched.

Output is deterministic (no date in the metadata), like every other file of the report.
"""

from __future__ import annotations

import base64
import logging
import math
import re
import struct
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

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


_CHART_FIGURE = r'<figure class="chart" id="chart-([a-z0-9_]+)">'
_CHART_ID = re.compile(_CHART_FIGURE)
_INLINE_CHART = re.compile(rf'({_CHART_FIGURE}\s*)<svg\b.*?</svg>', re.S)


def _img_charts(html: str, sources: dict[str, str]) -> str:
    """Each chart's inline SVG -> an ``<img>`` of ``sources[name]`` (a ``data:`` URL), for the
    charts named there; the others stay vector drawings."""
    def swap(m: re.Match) -> str:
        src = sources.get(m.group(2))
        return m.group(0) if src is None else f'{m.group(1)}<img class="chart-png" alt="" src="{src}">'

    return _INLINE_CHART.sub(swap, html)


def print_html(html: str, language: str, charts: dict[str, str] | None = None) -> str:
    """The page with the print stylesheet appended as an author style (the ``stylesheets``
    argument of WeasyPrint is the user origin, which loses to the page's own rules), and the
    charts of ``charts`` (name -> image URL) as images."""
    html = _img_charts(_mark_long_tables(html), charts or {})
    style = f'<style media="print">{print_css(language)}</style>\n'
    head_end = html.find("</head>")
    return html[:head_end] + style + html[head_end:] if head_end >= 0 else style + html


# --- the charts' PNGs, given to WeasyPrint after the layout -------------------------------------
# WeasyPrint needs an image's size and pixel format to lay the page out, and its pixels only to
# draw it. Each chart is laid out as a placeholder PNG of its PNG's size and format, and the PNG
# itself replaces it before the drawing, so the PDF can be laid out while the charts are
# rasterised (batch.py: ~1.4 s of a weekly report's charts beside the ~2.5 s layout).

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_SVG_SIZE = re.compile(r'<svg\b[^>]*?\swidth="([0-9.]+)pt"[^>]*?\sheight="([0-9.]+)pt"', re.S)

PngHeader = tuple[int, int, int, int]           # width, height, bit depth, colour type


def png_header(data: bytes) -> PngHeader | None:
    """A PNG's size and pixel format (its IHDR chunk); None if ``data`` is not a PNG."""
    if len(data) < 26 or not data.startswith(_PNG_SIGNATURE) or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return width, height, data[24], data[25]


def _read_png_header(png: Path) -> PngHeader | None:
    with png.open("rb") as f:
        return png_header(f.read(32))


def _f32(value: float) -> float:
    return struct.unpack("<f", struct.pack("<f", value))[0]


def rasterised_header(svg: Path, dpi: int) -> PngHeader | None:
    """The header of the PNG documents.py makes of chart ``svg`` at ``dpi``: 8-bit RGB, the
    size of resvg's drawing: the SVG's size in pt at ``dpi`` computed as resvg does, in 32-bit
    floats (a height of 333.36 pt at 150 dpi is 694.49994 px there, 694.5 in 64 bits), rounded
    half up. None if the SVG gives no size in pt."""
    m = _SVG_SIZE.search(svg.read_text(encoding="utf-8")[:4000])
    if m is None:
        return None
    width, height = (math.floor(_f32(_f32(_f32(float(v)) * dpi) / 72) + 0.5) for v in m.groups())
    return width, height, 8, 2


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def placeholder_png(name: str, header: PngHeader) -> bytes:
    """A blank PNG with ``header``'s size and format, naming chart ``name`` (WeasyPrint caches
    images by URL: two charts of one size must not share an entry)."""
    width, height, depth, colour = header
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    rows = bytes((1 + (width * channels * depth + 7) // 8) * height)
    return (_PNG_SIGNATURE + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0))
            + _chunk(b"tEXt", b"chart\0" + name.encode("ascii")) + _chunk(b"IDAT", zlib.compress(rows, 1))
            + _chunk(b"IEND", b""))


def _data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def chart_headers(html: str, chart_dir: Path, coming: bool, dpi: int) -> dict[str, PngHeader]:
    """name -> PNG header of each chart of the page printed as a PNG: those with a PNG in
    ``chart_dir``, or, while their PNGs are being made (``coming``), those with an SVG there."""
    headers = {}
    for name in dict.fromkeys(_CHART_ID.findall(html)):
        svg, png = chart_dir / f"{name}.svg", chart_dir / f"{name}.png"
        if coming:
            header = rasterised_header(svg, dpi) if svg.is_file() else None
        else:
            header = _read_png_header(png) if png.is_file() else None
        if header is not None and header[3] in (0, 2, 4, 6):
            headers[name] = header
    return headers


def _swap_in_pngs(cache: dict, placeholders: dict[str, str], headers: dict[str, PngHeader],
                  chart_dir: Path) -> bool:
    """Give each placeholder image of WeasyPrint's ``cache`` its chart's PNG; False (nothing
    changed) if a PNG is missing or not of its placeholder's size and format."""
    from weasyprint.images import RasterImage

    swaps = []
    for name, url in placeholders.items():
        png = chart_dir / f"{name}.png"
        data = png.read_bytes() if png.is_file() else b""
        image = cache.get(url)
        if png_header(data) != headers[name] or not isinstance(image, RasterImage):
            return False
        swaps.append((image, data))
    for image, data in swaps:
        image.image_data = image.cache_image_data(data)
    return True


def png_stream(image) -> bytes | None:
    """The image data of a PNG file opened by Pillow (``image``, not loaded yet) as a PDF embeds
    it: its IDAT chunks joined (one zlib stream of PNG-filtered rows, which the PDF's
    FlateDecode with PNG predictors reads as they are). None unless the PNG is 8-bit RGB or
    grey, not interlaced and without a transparent colour: only those rows are what a PDF
    image of that colour space holds.

    WeasyPrint (70.0) gets this stream by decoding the file and encoding it again with Pillow's
    defaults; for a PNG Pillow wrote with its defaults (documents.as_rgb) those are these very
    bytes (tests/test_outputs.py)."""
    fp = getattr(image, "fp", None)
    tile = getattr(image, "tile", None)
    if (image.format != "PNG" or image.mode not in ("RGB", "L") or image.info.get("interlace")
            or "transparency" in image.info or not tile or tile[0][3] != image.mode
            or not hasattr(fp, "getvalue")):
        return None
    data = fp.getvalue()
    chunks, pos = [], len(_PNG_SIGNATURE)          # then chunks: length, type, data, CRC
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IDAT":
            chunks.append(data[pos + 8:pos + 8 + length])
        elif kind == b"IEND":
            return b"".join(chunks) or None
        pos += 12 + length
    return None                                    # truncated: let WeasyPrint read it (and say so)


@contextmanager
def _png_streams_as_they_are() -> Iterator[None]:
    """While writing a PDF, WeasyPrint takes an 8-bit RGB or grey PNG's data as it is
    (:func:`png_stream`) instead of decoding and encoding it again; any other image as before.
    A WeasyPrint without the function this replaces is left alone (it would only be slower)."""
    from weasyprint.images import RasterImage

    original = RasterImage.__dict__.get("_get_png_data")
    if not isinstance(original, staticmethod):
        yield
        return

    def png_data(pillow_image):
        stream = png_stream(pillow_image)
        return stream if stream is not None else original.__func__(pillow_image)

    RasterImage._get_png_data = staticmethod(png_data)
    try:
        yield
    finally:
        RasterImage._get_png_data = original


def write_pdf(html_path: Path, language: str = "zh", pdf_path: Path | None = None,
              pngs_coming: Callable[[], None] | None = None) -> dict[str, Path]:
    """Render ``html_path`` (report.html) to ``report.pdf`` beside it; return {"pdf": path}.

    The charts are laid out as placeholders of their PNGs' sizes and drawn from charts/*.png
    (module notes). ``pngs_coming``: the PNGs are being rasterised meanwhile; it returns once
    they are written (or raises), and is called after the layout. A PNG not of the size its SVG
    gave (or missing then) has the page laid out again with the PNGs as they are."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    from pipeline.report.documents import PNG_DPI

    html_path = Path(html_path)
    pdf_path = Path(pdf_path) if pdf_path else html_path.with_name("report.pdf")
    chart_dir = html_path.parent / "charts"
    page = html_path.read_text(encoding="utf-8")
    fetcher = URLFetcher(allowed_protocols={"data"}, timeout=1)   # never the network, never a file
    # WeasyPrint logs every CSS property it ignores (e.g. the page's screen-only grid); keep quiet
    logging.getLogger("weasyprint").setLevel(logging.ERROR)

    def lay_out(charts: dict[str, str], cache: dict):
        return HTML(string=print_html(page, language, charts), base_url=str(html_path.parent),
                    url_fetcher=fetcher, media_type="print").render(cache=cache)

    headers = chart_headers(page, chart_dir, pngs_coming is not None, PNG_DPI)
    placeholders = {name: _data_url(placeholder_png(name, header)) for name, header in headers.items()}
    cache: dict = {}
    document = lay_out(placeholders, cache)
    if pngs_coming is not None:
        pngs_coming()
    if not _swap_in_pngs(cache, placeholders, headers, chart_dir):
        log.warning("%s: a chart's PNG is not of the size its SVG gives; laying the PDF out again", html_path)
        pngs = {name: _data_url((chart_dir / f"{name}.png").read_bytes())
                for name in chart_headers(page, chart_dir, False, PNG_DPI)}
        document = lay_out(pngs, {})
    tmp = pdf_path.with_name(pdf_path.name + ".tmp")
    with _png_streams_as_they_are():
        document.write_pdf(tmp)
    tmp.replace(pdf_path)
    return {"pdf": pdf_path}
