"""report.pdf and report.pptx of a rendered period, made from the files render.py wrote.

A report folder holds report.html, charts/<name>.svg and sections.json (the report's sections
as data: formatted KPIs, narrative, tables and chart names; see render.py). This module turns
them into the two documents a community team hands on, with no warehouse connection:

- charts/<name>.png: each chart's SVG rasterised by resvg at 150 dpi on white, stored as 8-bit
  RGB (:func:`as_rgb`). The SVGs draw every glyph as a path (charts.py), so no font is
  involved and the PNG is the SVG's drawing (what matplotlib's own PNG was, to anti-aliasing:
  measured on the demo's charts);
- report.pdf: :func:`pipeline.report.pdf.write_pdf` from report.html (the PNGs replace the
  inline SVGs there: WeasyPrint draws SVG node by node, see pdf.py);
- report.pptx: :func:`pipeline.report.pptx.write_pptx` from sections.json and the PNGs.

Why not in render.py: the PNGs, the PDF layout and the deck were ~55 % of a report's time, and
a backfill of past periods rarely needs them. The ``report/<grain>_report_documents`` asset
makes them for the periods asked for (``community-report run --documents latest|all|none``).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

PNG_DPI = 150             # a full-width chart prints at ~210 dpi on A4
# The canvas under a chart: the paper's white. A chart draws its own background, but a PNG's
# last row and column are partly outside the drawing (its size in pixels is rounded up) and
# would be partly transparent.
PNG_BACKGROUND = "#ffffff"
SECTIONS_FILE = "sections.json"


def chart_names(folder: Path) -> list[str]:
    """The charts of a rendered report: the stems of its charts/*.svg, sorted."""
    return sorted(svg.stem for svg in (Path(folder) / "charts").glob("*.svg"))


def rasterise_charts(folder: Path) -> dict[str, bytes]:
    """charts/<name>.png for every charts/<name>.svg; returns name -> PNG bytes. Also removes
    the PNGs of charts no longer drawn (:func:`remove_stale_pngs`)."""
    import resvg_py

    chart_dir = Path(folder) / "charts"
    pngs: dict[str, bytes] = {}
    for name in chart_names(folder):
        svg = chart_dir / f"{name}.svg"
        try:
            png = resvg_py.svg_to_bytes(svg_path=str(svg), skip_system_fonts=True, dpi=float(PNG_DPI),
                                        background=PNG_BACKGROUND)
        except ValueError as exc:      # resvg's error for a broken SVG
            raise ValueError(f"{svg}: cannot rasterise the chart ({exc})") from exc
        png = as_rgb(png)
        svg.with_suffix(".png").write_bytes(png)
        pngs[name] = png
    remove_stale_pngs(folder)
    return pngs


def as_rgb(png: bytes) -> bytes:
    """``png`` (resvg's output: 8-bit RGBA, every pixel opaque on its white background) as an
    8-bit RGB PNG, encoded with Pillow's defaults.

    Why: a PDF holds an image as a zlib stream of PNG-filtered rows, plus, for RGBA, a separate
    alpha mask. An RGB PNG's data is that stream, which the PDF takes as it is (pdf.py); of an
    RGBA PNG, WeasyPrint makes both by decoding the file and encoding it twice, ~0.4 s of a
    weekly report's PDF (its 15 charts) on the report's longest path. Here it costs ~0.02 s per
    chart, in the worker that rasterises while the PDF is laid out. Pillow's defaults are what
    WeasyPrint encodes with: the PDF's bytes do not depend on which of the two made the stream."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        out = io.BytesIO()
        image.convert("RGB").save(out, format="PNG")
    return out.getvalue()


def remove_stale_pngs(folder: Path) -> None:
    """Remove charts/<name>.png of charts no longer drawn (no charts/<name>.svg)."""
    drawn = set(chart_names(folder))
    for stale in (Path(folder) / "charts").glob("*.png"):
        if stale.stem not in drawn:
            stale.unlink()


def _deck(folder: Path) -> dict:
    """sections.json of a rendered report ``folder``; a folder without report.html or
    sections.json is an error naming it."""
    folder = Path(folder)
    missing = [name for name in ("report.html", SECTIONS_FILE) if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{folder}: no {' or '.join(missing)} to make report.pdf and report.pptx from: "
                                "materialize the report asset of this period first")
    return json.loads((folder / SECTIONS_FILE).read_text(encoding="utf-8"))


def write_pdf_document(folder: Path, language: str | None = None,
                       pngs_coming: Callable[[], None] | None = None) -> dict[str, Path]:
    """report.pdf of a rendered report whose charts are rasterised (charts/*.png), or being
    rasterised (``pngs_coming``: see :func:`pipeline.report.pdf.write_pdf`)."""
    from pipeline.report.pdf import write_pdf

    language = language or _deck(folder)["language"]
    return write_pdf(Path(folder) / "report.html", language=language, pngs_coming=pngs_coming)


def write_pptx_document(folder: Path, language: str | None = None, pngs: dict[str, bytes] | None = None,
                        deck: dict | None = None) -> dict[str, Path]:
    """report.pptx of a rendered report, with its charts' PNGs (``pngs``, else read from
    charts/*.png) and its sections.json (``deck``, else read)."""
    from pipeline.report.pptx import write_pptx
    from pipeline.report.render import sections_from_document

    folder = Path(folder)
    deck = deck if deck is not None else _deck(folder)
    if pngs is None:
        pngs = {name: (folder / "charts" / f"{name}.png").read_bytes() for name in chart_names(folder)}
    return write_pptx(folder / "report.pptx", sections_from_document(deck), title=deck["title"],
                      subtitle=deck["period_line"], note=deck["note"], language=language or deck["language"],
                      last_day=date.fromisoformat(deck["last_day"]), pngs=pngs)


def write_documents(folder: Path, language: str | None = None) -> dict[str, Path]:
    """Write report.pdf, report.pptx and charts/*.png into a rendered report ``folder``, one
    after the other; return their paths (keys ``pdf``, ``pptx``). A folder without report.html
    or sections.json is an error naming it. (A run's shared workers make the same files in
    parts side by side: batch.SharedWorkers.)"""
    deck = _deck(folder)
    language = language or deck["language"]
    pngs = rasterise_charts(folder)
    paths = write_pdf_document(folder, language)
    paths.update(write_pptx_document(folder, language, pngs, deck))
    return paths


def remove_documents(folder: Path) -> None:
    """Remove the documents of an earlier render: they would no longer match the page."""
    folder = Path(folder)
    for name in ("report.pdf", "report.pptx"):
        (folder / name).unlink(missing_ok=True)
    for png in (folder / "charts").glob("*.png"):
        png.unlink()
