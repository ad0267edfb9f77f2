"""report.pdf and report.pptx, read back as files: real WeasyPrint / python-pptx output, checked with
poppler-utils (pdftoppm, pdffonts, pdftotext, pdfinfo, pdfimages) and python-pptx.

The reports are rendered by ``render_report`` on the hand-filled warehouse of
test_report_render.py. What the report contains is taken from the report.html written beside
them (its <section> headings and chart figures), so the checks follow new sections.
"""

from __future__ import annotations

import html as htmllib
import io
import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import replace

import pytest
from PIL import Image, ImageStat
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.oxml.ns import qn
from pptx.util import Emu

from pipeline import warehouse
from pipeline.config import load_config
from pipeline.report.pptx import FONT, has_cjk
from pipeline.report.render import render_report
from tests.test_report_render import CHECKS, COMMUNITY, EMPTY_WEEK, MONTH, WEEK, fill


CASES = {"week_zh": (WEEK, "zh"), "month_en": (MONTH, "en"), "empty_zh": (EMPTY_WEEK, "zh")}


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """name -> (folder, section headings, section slugs with a chart) for each rendered case."""
    db = tmp_path_factory.mktemp("outputs_wh") / "warehouse.duckdb"
    conn = warehouse.connect(db)
    fill(conn)
    root = tmp_path_factory.mktemp("outputs_project")
    (root / "community.yaml").write_text(
        "community:\n"
        f"  name: \"{COMMUNITY}\"\n"
        "  founded: 2024-03-01\n"
        "  audience: 独立开发者与技术爱好者\n"
        "  timezone: Asia/Shanghai\n"
        "  language: zh\n"
        "sources:\n"
        "  - {name: forum, platform: canonical, path: data/landing/forum}\n", encoding="utf-8")
    config = load_config(root / "community.yaml")
    out = {}
    try:
        for name, (period, lang) in CASES.items():
            folder = tmp_path_factory.mktemp(name)
            paths = render_report(conn, replace(config, language=lang), period, folder, check_results=CHECKS)
            assert paths["pdf"] == folder / "report.pdf" and paths["pptx"] == folder / "report.pptx"
            out[name] = (folder, *sections_of(paths["html"].read_text("utf-8")))
    finally:
        conn.close()
    return out


def sections_of(page: str) -> tuple[list[str], set[str]]:
    """The report's section headings in order, and the slugs of sections that hold a chart."""
    parts = re.split(r'<section id="', page)[1:]
    headings, with_chart = [], set()
    for part in parts:
        slug = part.split('"', 1)[0]
        headings.append(htmllib.unescape(re.search(r"<h2>(.*?)</h2>", part, re.S).group(1)))
        if '<figure class="chart"' in part.split("</section>", 1)[0]:
            with_chart.add(slug)
    return headings, with_chart


def run(*cmd) -> str:
    # no skip: make system-deps installs poppler-utils, so a missing tool is a failed set-up
    assert shutil.which(cmd[0]), f"{cmd[0]} not found: install poppler-utils (make system-deps)"
    return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=120).stdout


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


# ----------------------------------------------------------------------------- PDF

@pytest.mark.parametrize("name", list(CASES))
def test_pdf_is_a4_and_every_page_has_content(reports, name, tmp_path):
    folder = reports[name][0]
    info = run("pdfinfo", str(folder / "report.pdf"))
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info), info
    # the cover, then one page at least per section
    assert pages >= 1 + len(reports[name][1])
    run("pdftoppm", "-png", "-r", "30", "-gray", str(folder / "report.pdf"), str(tmp_path / "page"))
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == pages
    for image in images:
        with Image.open(image) as im:
            body = im.crop((0, 0, im.width, int(im.height * 0.92)))     # above the footer band
            stat = ImageStat.Stat(body)
            dark = sum(body.histogram()[:200])
        # a blank body has stddev 0; the sparsest real page (a heading and one sentence) has ~7
        assert stat.stddev[0] > 4, f"{image.name} looks blank (stddev {stat.stddev[0]:.1f})"
        assert dark > 250, f"{image.name} has almost nothing on it ({dark} dark pixels)"


@pytest.mark.parametrize("name", list(CASES))
def test_pdf_embeds_noto_sans_cjk(reports, name):
    fonts = run("pdffonts", str(reports[name][0] / "report.pdf")).splitlines()[2:]
    cjk = [line for line in fonts if "Noto-Sans-CJK" in line or "NotoSansCJK" in line]
    assert cjk, fonts
    # columns: name type encoding emb sub uni ...: every font is embedded
    for line in fonts:
        assert re.search(r"\s(yes)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+\s*$", line), f"not embedded: {line}"


@pytest.mark.parametrize("name", list(CASES))
def test_pdf_text_has_headings_and_page_numbers(reports, name):
    folder, headings, _ = reports[name]
    lang = CASES[name][1]
    text = run("pdftotext", "-layout", str(folder / "report.pdf"), "-")
    pages = text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")
    flat = squash(text)
    for heading in headings:
        assert squash(heading) in flat, heading
    total = len(pages)
    for n, page in enumerate(pages, start=1):
        label = f"第{n}页/共{total}页" if lang == "zh" else f"Page{n}of{total}"
        assert label in squash(page), (n, page[-300:])
    # every section starts on a new page, with its heading at the top of that page
    tops = [squash(p)[:200] for p in pages]
    for heading in headings:
        assert any(t.startswith(squash(heading)) for t in tops), heading


def test_pdf_charts_are_print_resolution_images(reports, tmp_path):
    folder, headings, with_chart = reports["week_zh"]
    assert {"growth", "activity", "content"} <= with_chart
    # each chart is its PNG (charts/<name>.png beside the page), embedded once, printed at >= 150 ppi
    pngs = sorted((folder / "charts").glob("*.png"))
    assert {p.stem for p in pngs} == {p.stem for p in (folder / "charts").glob("*.svg")}
    listing = [line.split() for line in run("pdfimages", "-list", str(folder / "report.pdf")).splitlines()[2:]]
    assert len([row for row in listing if row[2] == "image"]) == len(pngs)
    assert all(int(row[12]) >= 150 for row in listing if row[2] == "image"), listing
    # ... and they are really drawn: the members chart's green bars (#2e7d32) cover a large area
    # of the growth section's page
    text = run("pdftotext", str(folder / "report.pdf"), "-").split("\f")
    page = next(i for i, p in enumerate(text, start=1) if squash(p).startswith("用户增长与留存"))
    run("pdftoppm", "-png", "-r", "60", "-f", str(page), "-l", str(page), str(folder / "report.pdf"),
        str(tmp_path / "growth"))
    (image,) = tmp_path.glob("growth*.png")
    with Image.open(image) as im:
        pixels = im.convert("RGB").getdata()
        green = sum(1 for r, g, b in pixels if abs(r - 0x2E) < 25 and abs(g - 0x7D) < 25 and abs(b - 0x32) < 25)
    assert green > 400, green


def test_chart_pngs_are_rgb_with_the_pixels_resvg_draws(reports):
    """The charts' PNGs are 8-bit RGB with the pixels of resvg's drawing on white (every pixel
    of which is opaque)."""
    import resvg_py

    from pipeline.report.documents import PNG_BACKGROUND, PNG_DPI

    folder = reports["week_zh"][0]
    pngs = sorted((folder / "charts").glob("*.png"))
    assert len(pngs) >= 5
    for png in pngs:
        with Image.open(png) as im:
            assert im.mode == "RGB", png.name
    svg = folder / "charts" / "members.svg"
    drawn = resvg_py.svg_to_bytes(svg_path=str(svg), skip_system_fonts=True, dpi=float(PNG_DPI),
                                  background=PNG_BACKGROUND)
    with Image.open(io.BytesIO(drawn)) as rgba, Image.open(svg.with_suffix(".png")) as rgb:
        assert rgba.mode == "RGBA" and rgba.getchannel("A").getextrema() == (255, 255)
        assert rgb.size == rgba.size and list(rgb.getdata()) == list(rgba.convert("RGB").getdata())


def _png(mode: str, **save) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (37, 11), (30, 120, 50) if mode in ("RGB", "RGBA") else 7).save(buffer, format="PNG", **save)
    return buffer.getvalue()


def _interlaced(png: bytes) -> bytes:
    """``png`` marked as interlaced (Adam7) in its header (Pillow writes no interlaced PNG)."""
    import struct
    import zlib

    ihdr = bytearray(png[12:29])                  # type + 13 bytes of data
    ihdr[-1] = 1
    return png[:12] + bytes(ihdr) + struct.pack(">I", zlib.crc32(bytes(ihdr))) + png[33:]


def test_png_stream_is_what_weasyprint_would_embed():
    """An 8-bit RGB or grey PNG's data as it is: the very bytes WeasyPrint's own decoding and
    encoding gives for a PNG Pillow wrote with its defaults. Any other PNG is left to WeasyPrint."""
    from weasyprint.images import RasterImage

    from pipeline.report.pdf import png_stream

    for mode in ("RGB", "L"):
        data = _png(mode)
        assert png_stream(Image.open(io.BytesIO(data))) == RasterImage._get_png_data(Image.open(io.BytesIO(data)))
    for data in (_png("RGBA"), _png("P"), _png("I;16"), _png("RGB", transparency=(30, 120, 50)),
                 _interlaced(_png("RGB")), _png("RGB")[:60]):   # alpha, palette, 16-bit, tRNS, interlaced, truncated
        assert png_stream(Image.open(io.BytesIO(data))) is None


def test_pdf_takes_the_charts_data_as_it_is_and_the_same_bytes_come_out(reports, tmp_path, monkeypatch):
    """Writing the week's PDF again takes every chart's PNG data as it is, and gives the same file
    as WeasyPrint decoding and encoding them itself; WeasyPrint is left as it was."""
    import contextlib

    from weasyprint.images import RasterImage

    from pipeline.report import pdf

    folder = reports["week_zh"][0]
    original = RasterImage.__dict__["_get_png_data"]
    taken = []
    real_stream = pdf.png_stream
    monkeypatch.setattr(pdf, "png_stream", lambda image: taken.append(real_stream(image)) or taken[-1])
    pdf.write_pdf(folder / "report.html", "zh", tmp_path / "passed.pdf")
    assert len(taken) == len(list((folder / "charts").glob("*.png"))) and None not in taken
    assert RasterImage.__dict__["_get_png_data"] is original
    monkeypatch.setattr(pdf, "_png_streams_as_they_are", contextlib.nullcontext)
    pdf.write_pdf(folder / "report.html", "zh", tmp_path / "encoded.pdf")
    assert (tmp_path / "passed.pdf").read_bytes() == (tmp_path / "encoded.pdf").read_bytes()
    assert (tmp_path / "passed.pdf").read_bytes() == (folder / "report.pdf").read_bytes()


_NETWORK_EVENTS = {"socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "urllib.Request"}
_watch: list[list] = []


def _audit(event, args):
    # a data: URL (the charts' PNGs) goes through urllib.request without touching the network
    if event == "urllib.Request" and str(args[0]).startswith("data:"):
        return
    if _watch and event in _NETWORK_EVENTS:
        _watch[-1].append((event, args))


sys.addaudithook(_audit)   # audit hooks cannot be removed: it only records while a test watches


def test_pdf_fetches_nothing(reports, tmp_path):
    """No network attempt while writing a PDF, even for a page that names external URLs."""
    from pipeline.report.pdf import write_pdf

    page = (reports["week_zh"][0] / "report.html").read_text("utf-8")
    assert "http://" not in page and "https://" not in page
    hostile = tmp_path / "report.html"
    hostile.write_text('<html lang="zh-CN"><head><link rel="stylesheet" href="https://example.com/a.css">'
                       '<style>@import url("http://example.com/b.css");</style></head><body><h1>标题</h1>'
                       '<img src="https://example.com/x.png"><img src="file:///etc/hostname"></body></html>',
                       encoding="utf-8")
    _watch.append([])
    try:
        write_pdf(hostile, "zh")
        write_pdf(reports["week_zh"][0] / "report.html", "zh", tmp_path / "again.pdf")
    finally:
        attempts = _watch.pop()
    assert attempts == []
    assert (tmp_path / "report.pdf").stat().st_size > 1000
    assert (tmp_path / "again.pdf").read_bytes() == (reports["week_zh"][0] / "report.pdf").read_bytes()


# ------------------------------------------- the PDF laid out while its charts are rasterised

def _without_documents(folder, tmp_path):
    """A copy of a rendered report as the report stage leaves it: no PNG, PDF or PPTX yet."""
    copy = tmp_path / "report"
    shutil.copytree(folder, copy)
    for made in [copy / "report.pdf", copy / "report.pptx", *(copy / "charts").glob("*.png")]:
        made.unlink()
    return copy


def _side_by_side(copy, token):
    """batch.py's two document tasks on two threads, the PDF's started first (it waits)."""
    from concurrent.futures import ThreadPoolExecutor

    from pipeline.report.batch import _pdf_while_rasterised, _rasterise_and_mark

    with ThreadPoolExecutor(2) as pool:
        pdf = pool.submit(_pdf_while_rasterised, copy, "zh", token)
        raster = pool.submit(_rasterise_and_mark, copy, token)
        return pdf, raster, [pdf.exception(timeout=120), raster.exception(timeout=120)]


def test_a_pdf_laid_out_while_its_charts_are_rasterised_is_the_same_pdf(reports, tmp_path):
    """The PDF started before any PNG exists, laid out with placeholders of the sizes its SVGs
    give, then drawn with the PNGs: the very file the report's documents got one after the other
    (charts first), and no marker is left behind."""
    folder = reports["week_zh"][0]
    copy = _without_documents(folder, tmp_path)
    pdf, _, errors = _side_by_side(copy, "t1")
    assert errors == [None, None]
    assert pdf.result() == {"pdf": copy / "report.pdf"}
    assert (copy / "report.pdf").read_bytes() == (folder / "report.pdf").read_bytes()
    assert sorted(p.name for p in (copy / "charts").iterdir()) == sorted(p.name for p in (folder / "charts").iterdir())


def test_the_placeholders_have_the_size_resvg_gives_each_chart(reports):
    """rasterised_header (resvg's 32-bit arithmetic) against the PNGs resvg wrote, every chart."""
    from pipeline.report.documents import PNG_DPI
    from pipeline.report.pdf import placeholder_png, png_header, rasterised_header

    pngs = [png for name in CASES for png in (reports[name][0] / "charts").glob("*.png")]
    assert len(pngs) >= 10
    for png in pngs:
        header = png_header(png.read_bytes())
        assert rasterised_header(png.with_suffix(".svg"), PNG_DPI) == header, png
        with Image.open(io.BytesIO(placeholder_png(png.stem, header))) as im:
            im.load()
            assert (im.size, im.mode) == (header[:2], "RGB")
    # two charts of one size are two images for WeasyPrint's cache (it keys them by URL)
    assert placeholder_png("a", (10, 5, 8, 2)) != placeholder_png("b", (10, 5, 8, 2))


def test_a_png_of_another_size_than_its_placeholder_has_the_pdf_laid_out_again(reports, tmp_path, monkeypatch,
                                                                               caplog):
    from pipeline.report import pdf as pdf_module

    folder = reports["week_zh"][0]
    copy = _without_documents(folder, tmp_path)
    monkeypatch.setattr(pdf_module, "rasterised_header", lambda svg, dpi: (300, 100, 8, 2))
    with caplog.at_level("WARNING", logger="pipeline.report.pdf"):
        _, _, errors = _side_by_side(copy, "t2")
    assert errors == [None, None]
    assert "laying the PDF out again" in caplog.text
    # the same pages as the report's own PDF, drawn from the same PNGs
    for made in (copy, folder):
        run("pdftoppm", "-png", "-r", "40", str(made / "report.pdf"), str(tmp_path / f"{made.name}-page"))
    ours, theirs = (sorted(tmp_path.glob(f"{made.name}-page-*.png")) for made in (copy, folder))
    assert len(ours) == len(theirs) > 5
    assert [p.read_bytes() for p in ours] == [p.read_bytes() for p in theirs]
    assert run("pdftotext", str(copy / "report.pdf"), "-") == run("pdftotext", str(folder / "report.pdf"), "-")


def test_a_pdf_waiting_for_charts_that_cannot_be_rasterised_stops_with_the_reason(reports, tmp_path):
    copy = _without_documents(reports["week_zh"][0], tmp_path)
    broken = sorted((copy / "charts").glob("*.svg"))[0]
    broken.write_text("<svg", encoding="utf-8")
    pdf, raster, errors = _side_by_side(copy, "t3")
    assert isinstance(errors[1], ValueError) and f"{broken}: cannot rasterise the chart" in str(errors[1])
    assert isinstance(errors[0], RuntimeError)
    assert f"{copy}: its charts could not be rasterised, so no PDF" in str(errors[0])
    assert not (copy / "report.pdf").exists()
    assert [p.name for p in (copy / "charts").glob(".raster*")] == []


# ----------------------------------------------------------------------------- PPTX

def _runs(shape):
    frames = []
    if shape.has_text_frame:
        frames.append(shape.text_frame)
    if getattr(shape, "has_table", False) and shape.has_table:
        frames += [cell.text_frame for row in shape.table.rows for cell in row.cells]
    for tf in frames:
        for p in tf.paragraphs:
            yield from p.runs


@pytest.mark.parametrize("name", list(CASES))
def test_pptx_one_slide_per_section(reports, name):
    folder, headings, with_chart = reports[name]
    prs = Presentation(str(folder / "report.pptx"))
    assert (prs.slide_width, prs.slide_height) == (Emu(12192000), Emu(6858000))   # 13.333 x 7.5 in
    assert abs(prs.slide_width / prs.slide_height - 16 / 9) < 1e-3
    slides = list(prs.slides)
    assert len(slides) == len(headings) + 1
    assert "社群运营" in slides[0].shapes.title.text or "community report" in slides[0].shapes.title.text
    slugs = re.findall(r'<section id="([^"]+)"', (folder / "report.html").read_text("utf-8"))
    for slide, heading, slug in zip(slides[1:], headings, slugs):
        assert slide.shapes.title is not None and slide.shapes.title.text == heading
        kinds = {s.shape_type for s in slide.shapes}
        assert MSO_SHAPE_TYPE.TABLE in kinds or MSO_SHAPE_TYPE.PICTURE in kinds, heading
        if slug in with_chart:
            (picture,) = [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
            assert picture.image.content_type == "image/png"
            assert picture.image.size[0] >= 1000            # 150 dpi rendering of a 10-inch chart


@pytest.mark.parametrize("name", list(CASES))
def test_pptx_cjk_fonts_and_wrapping(reports, name):
    prs = Presentation(str(reports[name][0] / "report.pptx"))
    cjk_runs = 0
    for slide in prs.slides:
        notes = [slide.notes_slide.notes_text_frame] if slide.has_notes_slide else []
        for shape in slide.shapes:
            if shape.has_text_frame and shape.text_frame.text.strip():
                assert shape.text_frame.word_wrap is True, shape.name
            for run in _runs(shape):
                if not has_cjk(run.text):
                    continue
                cjk_runs += 1
                rPr = run._r.find(qn("a:rPr"))
                assert rPr is not None and rPr.get("lang") == "zh-CN", run.text
                ea = rPr.find(qn("a:ea"))
                assert ea is not None and ea.get("typeface") == FONT, run.text
                assert rPr.find(qn("a:latin")).get("typeface") == FONT
        for tf in notes:
            for p in tf.paragraphs:
                for run in p.runs:
                    if has_cjk(run.text):
                        assert run._r.find(qn("a:rPr")).find(qn("a:ea")).get("typeface") == FONT
    assert cjk_runs > (20 if CASES[name][1] == "zh" else 0)     # the English deck: community and member names


def _estimated_lines(text: str, pt: float, width_emu: int) -> int:
    """A second, independent estimate: CJK 1 em, anything else 0.5 em, per explicit line."""
    width_pt = width_emu / 12700
    lines = 0
    for part in text.split("\n"):
        em = sum(1.0 if has_cjk(ch) else 0.5 for ch in part)
        lines += max(1, -(-int(em * pt) // max(1, int(width_pt))))
    return lines


@pytest.mark.parametrize("name", list(CASES))
def test_pptx_nothing_overflows(reports, name):
    prs = Presentation(str(reports[name][0] / "report.pptx"))
    W, H = prs.slide_width, prs.slide_height
    for number, slide in enumerate(prs.slides, start=1):
        for shape in slide.shapes:
            where = f"slide {number} {shape.name}"
            assert shape.left >= 0 and shape.top >= 0, where
            assert shape.left + shape.width <= W and shape.top + shape.height <= H, where
            if shape.has_text_frame and shape.text_frame.text.strip():
                tf = shape.text_frame
                inner_w = shape.width - (tf.margin_left or 0) - (tf.margin_right or 0)
                need = sum(_estimated_lines(p.text, max(r.font.size.pt for r in p.runs), inner_w)
                           * max(r.font.size.pt for r in p.runs) * 1.2 * 12700
                           for p in tf.paragraphs if p.runs)
                assert need <= shape.height, f"{where}: text needs {need / 914400:.2f} in, box {shape.height.inches:.2f} in"
            if shape.has_table:
                table = shape.table
                assert sum(r.height for r in table.rows) <= H - shape.top, where
                assert sum(c.width for c in table.columns) <= W - shape.left, where
                for r, row in enumerate(table.rows):
                    for c, cell in enumerate(row.cells):
                        if cell.is_spanned or not cell.text_frame.text:
                            continue
                        width = cell.span_width if cell.is_merge_origin else 1
                        cell_w = sum(table.columns[c + i].width for i in range(width)) - cell.margin_left - cell.margin_right
                        pt = max(run.font.size.pt for p in cell.text_frame.paragraphs for run in p.runs)
                        need = _estimated_lines(cell.text_frame.text, pt, cell_w) * pt * 1.2 * 12700
                        assert need <= row.height, f"{where} cell ({r},{c}) {cell.text_frame.text[:40]!r}"


def test_pptx_is_deterministic_and_dated_by_period(reports, tmp_path):
    """The deck carries the period's last day, not the time it was written (reruns are byte-equal;
    test_report_render.test_rendering_is_deterministic compares every file)."""
    prs = Presentation(str(reports["week_zh"][0] / "report.pptx"))
    assert prs.core_properties.modified.date() == WEEK.last_day
    assert prs.core_properties.title.endswith("社群运营周报")
    with zipfile.ZipFile(reports["week_zh"][0] / "report.pptx") as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_pptx_long_table_is_cut_with_a_note(reports):
    """The glossary does not fit one slide: rows are left out and the last row says how many."""
    folder, headings, _ = reports["month_en"]
    prs = Presentation(str(folder / "report.pptx"))
    slide = next(s for s in prs.slides if s.shapes.title.text == "Glossary")
    (table,) = [s.table for s in slide.shapes if s.has_table]
    last = table.cell(len(table.rows) - 1, 0).text_frame.text
    assert re.fullmatch(r"\d+ more rows: the full table is in report\.pdf / report\.html", last), last
