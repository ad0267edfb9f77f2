"""What the charts' SVG renderer learns about text, kept for every chart a process draws.

Why: text is most of a chart's cost (tick labels, legends, axis labels; every glyph is written as
a path, see charts.py), and matplotlib keeps what it measures only for one renderer, i.e. one
chart, or not at all: for each text of each chart it looked the font files up again (through the
whole ``font.sans-serif`` list), read the font's height tables again, measured the string again
and shaped it into glyphs again. A backfill's 65 reports draw ~1,000 charts whose texts are
mostly the same strings ("0", "200", "11-16", weekday and legend names). Measured on the year's
warehouse: four weekly reports' charts 5.2 -> 3.3 s, whole reports 9.8 -> 7.8 s (monthly
13.5 -> 11.0 s), every file of the reports byte-identical.

What is kept, per process and per set of font-family settings (``rcParams["font.*"]``, which
decide the font files):

- the font files matching a :class:`~matplotlib.font_manager.FontProperties`;
- a font's line metrics at a size (what ``Text`` reads from the font's OS/2 or hhea table,
  through the renderer hook ``_get_font_height_metrics`` that matplotlib's PDF/PS renderers use);
- a string's width, height and descent;
- a string's glyph layout (which glyph where) and each glyph's outline, shared by every string.

All of them are pure functions of their keys (the glyphs are laid out at ``TextToPath``'s fixed
size and scaled when drawn), so the drawing is the same; tests/test_report_render.py checks that
charts drawn after others equal the same charts drawn with no shared state. The string caches are
emptied when they pass ``MAX_STRINGS`` entries (member-written labels are unbounded in theory).
Math text (``text.parse_math`` is off for the charts) is not cached.

Relies on matplotlib internals (``RendererSVG._text2path``, ``TextToPath._get_font``,
``fontManager._find_fonts_by_props``, the ``_get_font_height_metrics`` hook): matplotlib is pinned
(requirements.lock), and that test fails if an upgrade changes what they compute.
"""

from __future__ import annotations

import matplotlib as mpl
from matplotlib.font_manager import FontProperties, fontManager, get_font
from matplotlib.textpath import TextToPath

MAX_STRINGS = 20_000
_FAMILY_SETTINGS = ("font.family", "font.sans-serif", "font.serif", "font.cursive", "font.fantasy",
                    "font.monospace")
_HEIGHT_TABLES = (("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
                  ("hhea", "lineGap", "ascent", "descent"))


class _Shared:
    """One set of caches: the state of one family setting. Keys holding a ``FontProperties``
    hold a copy of it (the object is mutable; it hashes and compares by its values)."""

    def __init__(self) -> None:
        self.font_files: dict[FontProperties, list] = {}
        self.heights: dict[tuple[FontProperties, float], tuple] = {}
        self.sizes: dict[tuple[str, FontProperties], tuple[float, float, float]] = {}
        self.layouts: dict[tuple, tuple[object, list[tuple]]] = {}
        self.outlines: dict[str, tuple] = {}         # glyph id -> (vertices, codes)
        self.hits = 0

    def files(self, prop: FontProperties) -> list:
        found = self.font_files.get(prop)
        if found is None:
            found = self.font_files[prop.copy()] = fontManager._find_fonts_by_props(prop)
        return found


_BY_SETTING: dict[tuple, _Shared] = {}


def shared() -> _Shared:
    """The caches for the current font-family settings."""
    setting = tuple(str(mpl.rcParams[name]) for name in _FAMILY_SETTINGS)
    found = _BY_SETTING.get(setting)
    if found is None:
        found = _BY_SETTING[setting] = _Shared()
    return found


class SharedTextToPath(TextToPath):
    """``TextToPath`` answering from the shared caches: same results, computed once per process."""

    def __init__(self, caches: _Shared) -> None:
        super().__init__()
        self._shared = caches

    def _get_font(self, prop):
        font = get_font(self._shared.files(prop))
        font.set_size(self.FONT_SCALE, self.DPI)
        return font

    def get_text_width_height_descent(self, s, prop, ismath):
        if ismath:
            return super().get_text_width_height_descent(s, prop, ismath)
        shared_ = self._shared
        found = shared_.sizes.get((s, prop))
        if found is None:
            if len(shared_.sizes) >= MAX_STRINGS:
                shared_.sizes.clear()
            found = shared_.sizes[(s, prop.copy())] = super().get_text_width_height_descent(s, prop, ismath)
        else:
            shared_.hits += 1
        return found

    def get_glyphs_with_font(self, font, s, glyph_map=None, return_new_glyphs_only=False, *,
                             features=None, language=None):
        shared_ = self._shared
        key = (id(font), s, features, language)
        found = shared_.layouts.get(key)
        if found is None or found[0] is not font:     # the font object is kept: its id stays its own
            if len(shared_.layouts) >= MAX_STRINGS:
                shared_.layouts.clear()
                shared_.outlines.clear()
            placed, outlines, _rects = super().get_glyphs_with_font(
                font, s, features=features, language=language)
            shared_.outlines.update(outlines)
            found = shared_.layouts[key] = (font, placed)
        else:
            shared_.hits += 1
        placed = found[1]
        # as TextToPath: the outlines of the glyphs not in glyph_map, in order of first use
        glyph_map = {} if glyph_map is None else glyph_map
        new = {} if return_new_glyphs_only else glyph_map
        for glyph_id, *_position in placed:
            if glyph_id not in glyph_map and glyph_id not in new:
                new[glyph_id] = shared_.outlines[glyph_id]
        return list(placed), new, []


def _height_metrics(caches: _Shared, dpi: float):
    """The renderer hook ``Text`` asks for a font's ascent, descent and line gap (at the figure's
    dpi): the computation of ``Text._get_layout`` when the renderer has no hook, once per font."""

    def _get_font_height_metrics(prop):
        key = (prop, dpi)
        found = caches.heights.get(key)
        if found is None:
            found = (None, None, None)
            font = get_font(caches.files(prop))
            for table_name, gap, ascent, descent in _HEIGHT_TABLES:
                table = font.get_sfnt_table(table_name)
                if table is None:
                    continue
                # the very expression of Text._get_layout, so the floats are the same to the last bit
                scale = 1 / font.get_sfnt_table("head")["unitsPerEm"] * prop.get_size_in_points() * dpi / 72
                found = (table[ascent] * scale, -table[descent] * scale, table[gap] * scale)
                break
            caches.heights[(prop.copy(), dpi)] = found
        return found

    return _get_font_height_metrics


def share_text_work(svg_renderer, dpi: float) -> None:
    """Make ``svg_renderer`` (a ``RendererSVG`` drawing a figure at ``dpi``) use the shared caches."""
    caches = shared()
    svg_renderer._text2path = SharedTextToPath(caches)
    svg_renderer._get_font_height_metrics = _height_metrics(caches, dpi)
