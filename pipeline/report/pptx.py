"""report.pptx: the report as a 16:9 slide deck, one slide per section, made with python-pptx.

This module owns the deck. It is built from the same structured sections as report.html
(:class:`pipeline.report.render.Section`: title, formatted KPIs, narrative, chart and table
blocks), never by parsing HTML, so a section added to ``build_sections`` gets its slide
without a change here.

- Slide 1: title, period, provenance note. Then one slide per section, in report order:
  the heading; the key numbers (up to 8 KPI boxes, value, change and previous value) in a
  left column; ONE visual: the section's first chart (charts/<name>.png, rasterised from the
  chart's SVG, see documents.py), else its first table, else its KPI table (the
  summary), else a one-row table saying there is no data; the narrative below a chart when
  there is room, and always in the speaker notes.
- Nothing overflows: every box is sized from an estimate of the rendered text (CJK glyphs
  1 em wide, Latin ~0.6 em, with a margin), font sizes step down to fit, long cells are cut
  with "…", and table rows that do not fit are left out with a last row saying how many
  (the whole table is in report.pdf / report.html). Text boxes wrap (``word_wrap``).
- CJK: every run gets ``<a:latin>``, ``<a:ea>`` and ``<a:cs>`` typefaces (python-pptx only
  sets ``<a:latin>``) and ``lang="zh-CN"`` when it holds Chinese or the report is Chinese.
- Deterministic: fixed document dates (the period's last day) and zip entry timestamps.
"""

from __future__ import annotations

import io
import math
import unicodedata
import zipfile
from datetime import date, datetime, time
from pathlib import Path

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.util import Emu, Inches, Pt

FONT = "Noto Sans CJK SC"
SLIDE_W, SLIDE_H = Emu(12192000), Emu(6858000)        # 13.333 x 7.5 in: 16:9 (PowerPoint's "Widescreen")
MARGIN = 0.45                                          # inches, all around
TITLE_TOP, TITLE_H = 0.3, 0.8
BODY_TOP, BODY_BOTTOM = 1.25, 6.95                     # the footer sits below BODY_BOTTOM
KPI_COL_W, GAP = 3.3, 0.3
MAX_KPIS = 8
LINE = 1.25                                            # line height / font size
SAFETY = 1.12                                          # wrap estimate margin
CELL_MARGIN_X, CELL_MARGIN_Y = 0.08, 0.04              # inches, set on every cell
MAX_CELL_CHARS = 90

COLORS = {"good": RGBColor(0x2E, 0x7D, 0x32), "bad": RGBColor(0xC6, 0x28, 0x28),
          "flat": RGBColor(0x59, 0x63, 0x6E), "na": RGBColor(0x59, 0x63, 0x6E),
          "muted": RGBColor(0x59, 0x63, 0x6E), "text": RGBColor(0x1F, 0x23, 0x28),
          "accent": RGBColor(0x15, 0x65, 0xC0)}

WORDS = {   # the only words the deck adds to the report's own (section titles, labels, cells)
    "zh": {"more_rows": "另有 {n} 行，完整表格见 report.pdf / report.html", "previous": "上期",
           "previous_header": "上期", "no_data": "本期没有可用数据。", "metric": "指标", "value": "本期",
           "change": "环比"},
    "en": {"more_rows": "{n} more rows: the full table is in report.pdf / report.html", "previous": "previous",
           "previous_header": "Previous", "no_data": "No data for this period.", "metric": "Metric",
           "value": "This period", "change": "Change"},
}
TEXT_KINDS = {"text", "date", "bool"}      # left-aligned, as in the HTML template; every other kind is a number


# ---------------------------------------------------------------- text measuring (estimates)

def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def has_cjk(text: str) -> bool:
    return any(_is_wide(ch) for ch in str(text))


def text_width(text: str, pt: float) -> float:
    """Estimated width in inches of ``text`` on one line at ``pt`` points."""
    em = sum(1.0 if _is_wide(ch) else 0.6 for ch in str(text))
    return em * pt / 72


def line_count(text: str, pt: float, width_in: float) -> int:
    """Estimated number of lines ``text`` takes when wrapped in a box ``width_in`` wide."""
    if width_in <= 0:
        return 10 ** 6
    return sum(max(1, math.ceil(text_width(part, pt) * SAFETY / width_in)) for part in str(text).split("\n"))


def text_height(text: str, pt: float, width_in: float) -> float:
    return line_count(text, pt, width_in) * pt * LINE / 72


def fit_size(texts: list[str], width_in: float, height_in: float, max_pt: float, min_pt: float,
             spacing_pt: float = 0) -> float | None:
    """Largest font size (in 1 pt steps) at which all ``texts`` (one paragraph each) fit."""
    pt = max_pt
    while pt >= min_pt:
        total = sum(text_height(t, pt, width_in) for t in texts) + spacing_pt * len(texts) / 72
        if total <= height_in:
            return pt
        pt -= 1
    return None


def _clip(text: str, limit: int = MAX_CELL_CHARS) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------- runs and boxes

def set_font(run, pt: float, *, bold: bool = False, color: RGBColor | None = None, zh: bool = True) -> None:
    """Size, weight, colour and the CJK-capable typeface for latin, East-Asian and complex script."""
    font = run.font
    font.size = Pt(pt)
    font.bold = bold
    font.name = FONT                                       # <a:latin>
    if color is not None:
        font.color.rgb = color
    rPr = run._r.get_or_add_rPr()
    rPr.set("lang", "zh-CN" if zh or has_cjk(run.text) else "en-US")
    rPr.set("altLang", "en-US")
    for tag in ("a:ea", "a:cs"):                           # python-pptx has no API for these
        el = rPr.find(qn(tag))
        if el is None:
            el = rPr.makeelement(qn(tag), {})
            rPr.append(el)
        el.set("typeface", FONT)


def _frame(tf, margins: float = 0.05) -> None:
    tf.word_wrap = True
    tf.auto_size = MSO_AUTO_SIZE.NONE
    tf.margin_left = tf.margin_right = Inches(margins)
    tf.margin_top = tf.margin_bottom = Inches(margins)


def add_paragraphs(tf, items: list[list[tuple[str, dict]]], zh: bool, align=None, space_after: float = 0) -> None:
    """``items``: one list of (text, font kwargs) runs per paragraph."""
    for i, runs in enumerate(items):
        p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        if align is not None:
            p.alignment = align
        if space_after:
            p.space_after = Pt(space_after)
        for text, kw in runs:
            run = p.add_run()
            run.text = text
            set_font(run, zh=zh, **kw)


def textbox(slide, left, top, width, height, items, zh: bool, align=None, anchor=MSO_ANCHOR.TOP,
            space_after: float = 0):
    box = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
    tf = box.text_frame
    _frame(tf)
    tf.vertical_anchor = anchor
    add_paragraphs(tf, items, zh, align, space_after)
    return box


def set_title(slide, text: str, zh: bool, left: float, top: float, width: float, height: float,
              max_pt: float, min_pt: float = 14) -> None:
    shape = slide.shapes.title
    shape.left, shape.top, shape.width, shape.height = Inches(left), Inches(top), Inches(width), Inches(height)
    tf = shape.text_frame
    _frame(tf)
    tf.vertical_anchor = MSO_ANCHOR.MIDDLE
    pt = fit_size([text], width - 0.1, height - 0.1, max_pt, min_pt) or min_pt
    text = text if fit_size([text], width - 0.1, height - 0.1, pt, pt) else _clip(text, 60)
    tf.paragraphs[0].alignment = PP_ALIGN.LEFT
    run = tf.paragraphs[0].add_run()
    run.text = text
    set_font(run, pt, bold=True, color=COLORS["text"], zh=zh)


# ---------------------------------------------------------------- visuals

def _picture(slide, png: bytes, left: float, top: float, width: float, height: float) -> float:
    """The chart scaled to fit the box (aspect kept), top-aligned and centred; returns its height."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as im:
        w_px, h_px = im.size
    scale = min(width / w_px, height / h_px)
    w, h = w_px * scale, h_px * scale
    slide.shapes.add_picture(io.BytesIO(png), Inches(left + (width - w) / 2), Inches(top), Inches(w), Inches(h))
    return h


def _column_widths(natural: list[float], total: float) -> list[float]:
    """Natural widths scaled up to ``total``, or water-filled down to it (narrow columns keep theirs)."""
    if sum(natural) <= total:
        return [n * total / sum(natural) for n in natural]
    widths = [0.0] * len(natural)
    remaining, open_cols = total, list(range(len(natural)))
    while open_cols:
        share = remaining / len(open_cols)
        narrow = [i for i in open_cols if natural[i] <= share]
        if not narrow:
            for i in open_cols:
                widths[i] = share
            break
        for i in narrow:
            widths[i] = natural[i]
            remaining -= natural[i]
        open_cols = [i for i in open_cols if i not in narrow]
    return widths


def _layout_table(headers: list[str], rows: list[list[str]], width: float, height: float, pt: float,
                  words: dict) -> dict:
    """Column widths, row heights and how many rows fit at ``pt`` points."""
    pad = 2 * CELL_MARGIN_X + 0.04
    natural = []
    for j in range(len(headers)):
        longest = max(text_width(c, pt) for c in [headers[j]] + [r[j] for r in rows])
        natural.append(min(longest, width * 0.45) + pad)
    widths = _column_widths(natural, width)

    def row_h(cells) -> float:
        lines = max(line_count(c, pt, w - pad) for c, w in zip(cells, widths))
        return lines * pt * LINE / 72 + 2 * CELL_MARGIN_Y + 0.02

    header_h = row_h(headers)
    heights = [row_h(r) for r in rows]
    shown, used = 0, header_h
    while shown < len(rows) and used + heights[shown] <= height:
        used += heights[shown]
        shown += 1
    note, note_h = "", 0.0
    if shown < len(rows):
        while True:   # the "n more rows" line must fit too
            note = words["more_rows"].format(n=len(rows) - shown)
            note_h = text_height(note, pt, width - pad) + 2 * CELL_MARGIN_Y + 0.02
            if used + note_h <= height or shown == 0:
                break
            shown -= 1
            used -= heights[shown]
    return {"pt": pt, "widths": widths, "header_h": header_h, "heights": heights[:shown], "shown": shown,
            "note": note, "note_h": note_h, "total_h": used + note_h}


def _table(slide, headers: list[str], kinds: list[str], rows: list[list[str]], left: float, top: float,
           width: float, height: float, words: dict, zh: bool) -> float:
    """A table that fits the box: the font steps down (by column count, then by 1 pt up to 3 pt)
    until every row fits; rows that still do not fit are left out and a last row says how many.
    Returns the table's estimated height."""
    ncols = len(headers)
    start = 12 if ncols <= 4 else 11 if ncols <= 6 else 10 if ncols <= 8 else 9
    rows = [[_clip(c) for c in r] for r in rows]
    headers = [_clip(h, 40) for h in headers]
    for pt in range(start, max(8, start - 3) - 1, -1):
        lay = _layout_table(headers, rows, width, height, pt, words)
        if lay["shown"] == len(rows):
            break
    pt, shown = lay["pt"], lay["shown"]
    n_rows = 1 + shown + (1 if lay["note"] else 0)
    shape = slide.shapes.add_table(n_rows, ncols, Inches(left), Inches(top), Inches(width), Inches(lay["total_h"]))
    table = shape.table
    for j, w in enumerate(lay["widths"]):
        table.columns[j].width = Inches(w)
    table.rows[0].height = Inches(lay["header_h"])
    for i, h in enumerate(lay["heights"], start=1):
        table.rows[i].height = Inches(h)
    body = [(headers, True)] + [(r, False) for r in rows[:shown]]
    for i, (cells, is_header) in enumerate(body):
        for j, text in enumerate(cells):
            _cell(table.cell(i, j), text, pt, bold=is_header, zh=zh,
                  align=PP_ALIGN.LEFT if kinds[j] in TEXT_KINDS else PP_ALIGN.RIGHT,
                  color=None if is_header else COLORS["text"])
    if lay["note"]:
        last = n_rows - 1
        table.rows[last].height = Inches(lay["note_h"])
        first = table.cell(last, 0)
        if ncols > 1:
            first.merge(table.cell(last, ncols - 1))
        _cell(first, lay["note"], pt, zh=zh, align=PP_ALIGN.LEFT, color=COLORS["muted"], italic=True)
    return lay["total_h"]


def _cell(cell, text: str, pt: float, *, zh: bool, align, bold: bool = False, color=None, italic=False) -> None:
    cell.margin_left = cell.margin_right = Inches(CELL_MARGIN_X)
    cell.margin_top = cell.margin_bottom = Inches(CELL_MARGIN_Y)
    cell.vertical_anchor = MSO_ANCHOR.MIDDLE
    tf = cell.text_frame
    tf.word_wrap = True
    p = tf.paragraphs[0]
    p.alignment = align
    run = p.add_run()
    run.text = text
    set_font(run, pt, bold=bold, color=color, zh=zh)
    if italic:
        run.font.italic = True


# ---------------------------------------------------------------- slides

def _kpi_column(slide, kpis, left: float, top: float, width: float, height: float, words: dict, zh: bool) -> None:
    n = len(kpis)
    box_h = min(0.9, (height - 0.08 * (n - 1)) / n)
    label_pt = 10 if box_h >= 0.62 else 9
    value_pt = 18 if box_h >= 0.62 else 15
    for i, k in enumerate(kpis):
        y = top + i * (box_h + 0.08)
        box = slide.shapes.add_shape(1, Inches(left), Inches(y), Inches(width), Inches(box_h))   # rectangle
        box.fill.solid()
        box.fill.fore_color.rgb = RGBColor(0xF6, 0xF8, 0xFA)
        box.line.color.rgb = RGBColor(0xD0, 0xD7, 0xDE)
        box.shadow.inherit = False
        tf = box.text_frame
        _frame(tf, 0.06)
        tf.vertical_anchor = MSO_ANCHOR.MIDDLE
        cmp = "\u2002" + _clip(f"{k.change} · {words['previous']} {k.previous}", 40)   # en space
        add_paragraphs(tf, [
            [(_clip(k.label, 40), {"pt": label_pt, "color": COLORS["muted"]})],
            [(_clip(k.value, 20), {"pt": value_pt, "bold": True, "color": COLORS["text"]}),
             (cmp, {"pt": label_pt - 1, "color": COLORS.get(k.trend, COLORS["muted"])})],
        ], zh)
        for p in tf.paragraphs:
            p.alignment = PP_ALIGN.LEFT


def _footer(slide, left_text: str, right_text: str, zh: bool) -> None:
    y = BODY_BOTTOM + 0.12
    textbox(slide, MARGIN, y, 10.0, 0.3, [[(_clip(left_text, 110), {"pt": 9, "color": COLORS["muted"]})]], zh)
    textbox(slide, SLIDE_W.inches - MARGIN - 1.5, y, 1.5, 0.3, [[(right_text, {"pt": 9, "color": COLORS["muted"]})]],
            zh, align=PP_ALIGN.RIGHT)


def _notes(slide, lines: list[str], zh: bool) -> None:
    if not lines:
        return
    tf = slide.notes_slide.notes_text_frame
    add_paragraphs(tf, [[(line, {"pt": 12})] for line in lines], zh)


def _visual(section, pngs: dict[str, bytes]):
    """(kind, payload): the section's first chart with a PNG, else its first table, else None."""
    chart = next((b for b in section.blocks if b.kind == "chart" and pngs.get(b.chart.name)), None)
    if chart is not None:
        return "chart", chart
    table = next((b for b in section.blocks if b.kind == "table" and b.table is not None and b.table.rows), None)
    if table is not None:
        return "table", table
    return None, None


def section_slide(prs, section, words: dict, zh: bool, footer: str, number: int, total: int,
                  pngs: dict[str, bytes]) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[5])          # Title Only
    content_w = SLIDE_W.inches - 2 * MARGIN
    set_title(slide, section.title, zh, MARGIN, TITLE_TOP, content_w, TITLE_H, 28)
    bar = slide.shapes.add_shape(1, Inches(MARGIN), Inches(TITLE_TOP + TITLE_H + 0.02), Inches(content_w), Inches(0.04))
    bar.fill.solid()
    bar.fill.fore_color.rgb = COLORS["accent"]
    bar.line.fill.background()
    bar.shadow.inherit = False
    body_h = BODY_BOTTOM - BODY_TOP
    kind, block = _visual(section, pngs)
    kpis = section.kpis[:MAX_KPIS]
    narrative = [str(s) for s in section.narrative]
    notes = list(narrative)
    if len(section.kpis) > MAX_KPIS:
        notes += [f"{k.label}: {k.value} ({k.change}; {words['previous']} {k.previous})"
                  for k in section.kpis[MAX_KPIS:]]

    left_col = None
    if kind is None and kpis:
        # the KPI table is the visual (the summary); the findings go into the left column
        kind = "kpi_table"
        if narrative:
            left_col = "text"
    elif kpis:
        left_col = "kpis"

    if left_col:
        vis_left, vis_w = MARGIN + KPI_COL_W + GAP, content_w - KPI_COL_W - GAP
    else:
        vis_left, vis_w = MARGIN, content_w

    if left_col == "kpis":
        _kpi_column(slide, kpis, MARGIN, BODY_TOP, KPI_COL_W, body_h, words, zh)
    elif left_col == "text":
        bullets = [f"• {s}" for s in narrative]
        pt = fit_size(bullets, KPI_COL_W - 0.1, body_h - 0.1, 14, 9, spacing_pt=6)
        if pt is None:
            pt, bullets = 9, [b for b, _ in zip(bullets, range(3))]
            while bullets and fit_size(bullets, KPI_COL_W - 0.1, body_h - 0.1, 9, 9, 6) is None:
                bullets.pop()
        textbox(slide, MARGIN, BODY_TOP, KPI_COL_W, body_h, [[(b, {"pt": pt, "color": COLORS["text"]})]
                                                          for b in bullets], zh, space_after=6)

    if kind == "chart":
        chart_h = _picture(slide, pngs[block.chart.name], vis_left, BODY_TOP, vis_w, body_h - 0.4)
        caption_top = BODY_TOP + chart_h + 0.05
        textbox(slide, vis_left, caption_top, vis_w, 0.32,
                [[(_clip(block.title, 80), {"pt": 10, "color": COLORS["muted"]})]], zh, align=PP_ALIGN.CENTER)
        room = BODY_BOTTOM - (caption_top + 0.4)
        if narrative and room > 0.4:
            pt = fit_size(narrative, vis_w - 0.1, room - 0.1, 13, 10, spacing_pt=4)
            if pt:
                textbox(slide, vis_left, caption_top + 0.4, vis_w, room,
                        [[(s, {"pt": pt, "color": COLORS["text"]})] for s in narrative], zh, space_after=4)
    elif kind == "table":
        title_h = 0.4
        textbox(slide, vis_left, BODY_TOP, vis_w, title_h,
                [[(_clip(block.title, 80), {"pt": 13, "bold": True, "color": COLORS["muted"]})]], zh)
        _table(slide, block.table.headers, block.table.kinds, block.table.rows, vis_left, BODY_TOP + title_h,
               vis_w, body_h - title_h, words, zh)
    elif kind == "kpi_table":
        rows = [[k.label, k.value, k.previous, k.change] for k in kpis]
        _table(slide, [words["metric"], words["value"], words["previous_header"], words["change"]],
               ["text", "num", "num", "change"], rows, vis_left, BODY_TOP, vis_w, body_h, words, zh)
    else:
        # nothing to show: a one-row table says so (each slide carries a table or a chart)
        empty = next((b for b in section.blocks if b.kind == "empty"), None)
        lines = ([empty.note] if empty is not None and empty.note else []) + narrative or [words["no_data"]]
        title = empty.title if empty is not None else section.title
        _table(slide, [title], ["text"], [[s] for s in lines], vis_left, BODY_TOP, vis_w, body_h, words, zh)
    _notes(slide, notes, zh)
    _footer(slide, footer, f"{number} / {total}", zh)


def title_slide(prs, title: str, subtitle: str, note: str, zh: bool) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[0])          # Title Slide
    content_w = SLIDE_W.inches - 2 * MARGIN - 1.0
    set_title(slide, title, zh, MARGIN + 0.5, 2.0, content_w, 1.6, 40, 20)
    sub = slide.placeholders[1]
    sub.left, sub.top, sub.width, sub.height = (Inches(MARGIN + 0.5), Inches(3.8), Inches(content_w), Inches(1.6))
    tf = sub.text_frame
    _frame(tf)
    items = [subtitle] + ([note] if note else [])
    pt = fit_size(items, content_w - 0.1, 1.5, 20, 10, spacing_pt=6) or 10
    add_paragraphs(tf, [[(_clip(subtitle, 160), {"pt": pt, "color": COLORS["text"]})]]
                   + ([[(_clip(note, 200), {"pt": max(pt - 4, 9), "color": COLORS["muted"]})]] if note else []),
                   zh, align=PP_ALIGN.LEFT, space_after=6)


def _deterministic_zip(data: bytes) -> bytes:
    """The same package with fixed entry timestamps (python-pptx stamps the current time)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            zout.writestr(entry, zin.read(info.filename))
    return out.getvalue()


def write_pptx(pptx_path: Path, sections: list, *, title: str, subtitle: str, note: str = "",
               language: str = "zh", last_day: date | None = None,
               pngs: dict[str, bytes] | None = None) -> dict[str, Path]:
    """Write the deck for the built ``sections`` (render.build_sections, or read back from
    sections.json) to ``pptx_path``; ``pngs``: chart name -> PNG (charts/<name>.png); the
    document dates are ``last_day`` (the period's last day)."""
    pngs = pngs or {}
    pptx_path = Path(pptx_path)
    zh = language == "zh"
    words = WORDS.get(language, WORDS["en"])
    prs = Presentation()
    prs.slide_width, prs.slide_height = SLIDE_W, SLIDE_H
    title_slide(prs, title, subtitle, note, zh)
    footer = f"{title} · {subtitle}"
    for i, section in enumerate(sections, start=1):
        section_slide(prs, section, words, zh, footer, i + 1, len(sections) + 1, pngs)
    props = prs.core_properties
    stamp = datetime.combine(last_day, time()) if last_day is not None else datetime(2000, 1, 1)
    props.title, props.subject = title, subtitle
    props.author = props.last_modified_by = "community-report"
    props.created = props.modified = stamp
    props.revision = 1
    props.language = "zh-CN" if zh else "en-US"
    buf = io.BytesIO()
    prs.save(buf)
    tmp = pptx_path.with_name(pptx_path.name + ".tmp")
    tmp.write_bytes(_deterministic_zip(buf.getvalue()))
    tmp.replace(pptx_path)
    return {"pptx": pptx_path}

