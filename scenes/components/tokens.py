"""Token chips: a word (or character) in a rounded box, its id under it, in rows and grids that fit the frame.

In Manim's own idiom: data and style in the constructor, accessors (get_chip(i), get_box(), get_label(),
get_id_label()) and methods that return self so calls chain. Words are drawn with Text (through a flat,
cheap-to-copy copy of it, shaped by text.make_text), never LaTeX or Pango markup, so any script renders: Latin,
accents, Cyrillic, CJK, Arabic and Hebrew (letters right to left within the word), Devanagari, Thai.

    row = TokenRow(["<start>", "you", "win"], theme, ids=[0, 24, 23], max_width=8)
    row.get_chip(1).highlight(theme.highlight)

TokenRow keeps one line while the words stay at least min_font_size after shrinking, else wraps into
balanced lines. TokenGrid lays a whole vocabulary out in a table (row-major, so ids read left to right) and,
when even the smallest readable size cannot hold every entry, shows the entries it must keep (for example
the ids a sentence uses) and elides the rest with ⋯.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Iterable, Sequence

import numpy as np
from manim import DOWN, RIGHT, UP, RoundedRectangle, VGroup, VMobject

from ..theme import Theme
from mathcore.elide import choose
from .text import UndrawableTextError, _mark_size, ellipsize, flat_copy, flat_text, label_max_width, make_text

SPECIAL_TOKENS = ("<start>", "<end>")
STRUT = "|"   # a glyph from ascender to descender: words are centred on it, so their baselines line up


@lru_cache(maxsize=4096)
def _word_prototype(s: str, font: str, font_size: float) -> tuple[VMobject, float]:
    """The glyphs of s as one flat path, and how far their centre sits above the line's middle.

    Shaped by make_text (the one place text meets Pango) after a strut, which is taken out again: its glyph
    is the one shaped like a lone strut (the first, also before a right-to-left word, whose line make_text
    keeps left-to-right). A non-blank s without glyphs raises UndrawableTextError."""
    if not s.strip():
        return flat_copy(make_text(s, font=font, font_size=font_size), s), 0.0
    t = make_text(STRUT + s, font=font, font_size=font_size)
    ref = _strut_size(font, font_size)

    def mismatch(i):
        return abs(t.submobjects[i].width - ref[0]) + abs(t.submobjects[i].height - ref[1])
    k = 0 if mismatch(0) < 1e-3 else min(range(len(t.submobjects)), key=mismatch)
    strut, glyphs = t.submobjects[k], t.submobjects[:k] + t.submobjects[k + 1:]
    parts = [m.points for g in glyphs for m in g.family_members_with_points()]
    if not parts:
        raise UndrawableTextError(s, font)
    flat = VMobject(stroke_width=0)
    flat.set_points(np.concatenate(parts))
    flat.drawn_text, flat.glyph_count = s, len(glyphs)
    _mark_size(flat, font_size)
    offset = float(flat.get_center()[1] - strut.get_center()[1])
    return flat, offset


def word_text(s: str, font: str, font_size: float, color: str, max_width: float | None = None
              ) -> tuple[VMobject, float]:
    """A flat copy of Text(s) and its vertical offset from the line's middle (for baseline alignment).
    max_width: cut s with an ellipsis when it is wider (fit_label's rule); the full word stays in full_text."""
    shown = s if max_width is None else ellipsize(s, font, float(font_size), float(max_width))
    proto, offset = _word_prototype(shown, font, float(font_size))
    mob = proto.copy()
    mob.set_fill(color, opacity=1.0).set_stroke(width=0)
    mob.full_text = s
    return mob, offset


def line_offset(s: str, font: str, font_size: float) -> float:
    """How far the centre of s's glyphs sits above the middle of its line (ascender to descender): a label
    centred at a row's middle plus this offset puts its baseline where every other label's is."""
    return _word_prototype(s, font, float(font_size))[1] if s.strip() else 0.0


def bottom_above_baseline(s: str, font: str, font_size: float) -> float:
    """How far the bottom of s's glyphs sits above the line's baseline: about 0 for "when", negative for a
    word with a descender ("you", "play"). Labels placed by their bottom edge use it to share a baseline. The
    baseline is taken as the bottom of a Latin "x" (a flat-bottomed letter) shaped the same way."""
    if not s.strip():
        return 0.0
    word, offset = _word_prototype(s, font, float(font_size))
    x, x_offset = _word_prototype("x", font, float(font_size))
    return (offset - word.height / 2) - (x_offset - x.height / 2)


@lru_cache(maxsize=64)
def _strut_size(font: str, font_size: float) -> tuple[float, float]:
    t = make_text(STRUT, font=font, font_size=font_size)
    return t.width, t.height


def _strut_height(font: str, font_size: float) -> float:
    return _strut_size(font, float(font_size))[1]


class TokenChip(VGroup):
    """A token in a rounded box, its id (if given) under it.

    color tints the box (stroke and a light fill); by default <start>/<end> get the dim colour and other
    tokens the embedding colour. All chips of one font size have the same height, and their words share a
    baseline, whatever the script. max_width (None: none) caps the box's natural width where a whole word
    cannot fit: a longer word is cut with an ellipsis (ellipsize), and .token and the label's full_text
    keep it whole.
    """

    def __init__(self, token: str, theme: Theme, token_id: int | None = None, color: str | None = None, *,
                 font_size: float = 24, id_font_size: float | None = None, text_color: str | None = None,
                 id_color: str | None = None, fill_opacity: float = 0.16, min_width: float = 0.0,
                 width: float | None = None, pad_x: float | None = None, id_buff: float = 0.08,
                 max_width: float | None = None, **kwargs):
        super().__init__(**kwargs)
        self.token = str(token)
        self.token_id = None if token_id is None else int(token_id)
        self.theme = theme
        self.font_size = float(font_size)
        self.id_font_size = float(id_font_size or font_size * 0.85)
        special = self.token in SPECIAL_TOKENS
        self.accent = color or (theme.dim if special else theme.embedding)   # not .color: that recolours the word
        strut_h = _strut_height(theme.font, self.font_size)
        pad = pad_x if pad_x is not None else 0.45 * strut_h
        room = None if max_width is None else max(max_width - 2 * pad, 0.0)
        label, offset = word_text(self.token, theme.font, self.font_size, text_color or theme.text, max_width=room)
        box_w = width if width is not None else max(label.width + 2 * pad, min_width, strut_h * 1.2)
        box_h = strut_h * 1.55
        box = RoundedRectangle(corner_radius=min(0.1, box_h * 0.25), width=box_w, height=box_h,
                               stroke_color=self.accent, stroke_width=2)
        box.set_fill(self.accent, opacity=fill_opacity)
        label.move_to(box.get_center() + UP * offset)
        self.box, self.label = box, label
        self.add(box, label)
        self.id_label: VMobject | None = None
        if self.token_id is not None:
            idl = flat_text(str(self.token_id), theme.mono, self.id_font_size, id_color or theme.dim)
            idl.next_to(box, DOWN, buff=id_buff)
            self.id_label = idl
            self.add(idl)

    # ------------------------------------------------------------ accessors
    def get_box(self) -> RoundedRectangle:
        return self.box

    def get_label(self) -> VMobject:
        return self.label

    def get_id_label(self) -> VMobject | None:
        return self.id_label

    def get_word(self) -> VGroup:
        """The box and the word, without the id."""
        return VGroup(self.box, self.label)

    # ------------------------------------------------------------ styling (returns self)
    def set_accent(self, color: str, fill_opacity: float | None = None) -> "TokenChip":
        self.accent = color
        self.box.set_stroke(color)
        self.box.set_fill(color, opacity=self.box.get_fill_opacity() if fill_opacity is None else fill_opacity)
        return self

    def highlight(self, color: str | None = None) -> "TokenChip":
        """A stronger fill in color (default: the theme's highlight), for the chip being talked about."""
        return self.set_accent(color or self.theme.highlight, fill_opacity=0.35)

    def faded(self, opacity: float = 0.3) -> "TokenChip":
        """Fade the chip to opacity; its box's tint fades with it (scaled, not raised to opacity). (Not
        "dim": Mobject sets an attribute of that name, which hid a method so named.)"""
        fill = self.box.get_fill_opacity()
        self.set_opacity(opacity)
        self.box.set_fill(opacity=fill * opacity)
        return self


def balanced_lines(widths: Sequence[float], k: int, buff: float) -> list[list[int]]:
    """Split items (in order) into at most k contiguous lines, minimizing the widest line."""
    n = len(widths)
    if k >= n:
        return [[i] for i in range(n)]

    def fits(limit: float) -> list[list[int]] | None:
        lines, cur, w = [], [], 0.0
        for i, x in enumerate(widths):
            add = x if not cur else x + buff
            if cur and w + add > limit + 1e-9:
                lines.append(cur)
                cur, w = [], 0.0
                add = x
            cur.append(i)
            w += add
        lines.append(cur)
        return lines if len(lines) <= k else None

    lo, hi = max(widths), sum(widths) + buff * (n - 1)
    for _ in range(40):
        mid = (lo + hi) / 2
        if fits(mid):
            hi = mid
        else:
            lo = mid
    return fits(hi)


class TokenRow(VGroup):
    """Chips for a sequence of tokens, in one line when they fit, else in balanced lines; never wider than
    max_width nor taller than max_height (it shrinks last, and as little as it can).

    ids: one id per token (drawn under each chip), or None. colors: one accent colour for all chips or one
    per chip. min_widths: a minimum box width per chip, so two rows can share their slots (an input row over
    its labels). After construction, self.scale_factor says how much it shrank and self.min_font_size_shown the
    smallest font size on screen.

    elide (None: never): when the words cannot reach min_font_size in max_lines lines, the widest chips are
    cut to one width, their words with an ellipsis, as little as needed for that, but no word narrower than
    elide (its room, in units; label_max_width(font_size) is a label's); chip.token keeps the whole word.
    self.elided says whether any word was cut.
    """

    def __init__(self, tokens: Sequence[str], theme: Theme, ids: Sequence[int] | None = None, *,
                 max_width: float = 13.0, max_height: float | None = None, font_size: float = 24,
                 id_font_size: float | None = None, min_font_size: float = 20, buff: float = 0.12,
                 line_buff: float = 0.22, max_lines: int | None = None, colors: str | Sequence[str] | None = None,
                 min_widths: Sequence[float] | None = None, chip_kwargs: dict | None = None, elide: float | None = None,
                 **kwargs):
        super().__init__(**kwargs)
        tokens = [str(t) for t in tokens]
        if ids is not None and len(ids) != len(tokens):
            raise ValueError(f"TokenRow got {len(tokens)} tokens but {len(ids)} ids: give one id per token.")
        self.tokens = tokens
        self.ids = None if ids is None else [int(i) for i in ids]
        self.theme = theme
        per_chip = [colors] * len(tokens) if colors is None or isinstance(colors, str) else list(colors)
        self.chips = VGroup(*(
            TokenChip(t, theme, None if ids is None else ids[i], per_chip[i], font_size=font_size,
                      id_font_size=id_font_size, min_width=0.0 if min_widths is None else min_widths[i],
                      **(chip_kwargs or {}))
            for i, t in enumerate(tokens)))
        self.add(self.chips)
        self.lines: list[list[int]] = [list(range(len(tokens)))]
        self.scale_factor = 1.0
        self.elided = False
        smallest = min((min(c.font_size, c.id_font_size if c.id_label else c.font_size) for c in self.chips),
                       default=font_size)
        if not tokens:
            self.min_font_size_shown = smallest
            return
        widths = [c.width for c in self.chips]
        chip_h = max(c.height for c in self.chips)
        max_height = max_height or float("inf")
        limit_lines = min(max_lines or len(tokens), len(tokens))
        s, lines = self._best_lines(widths, chip_h, limit_lines, smallest, min_font_size, buff, line_buff,
                                    max_width, max_height)
        if elide is not None and smallest * s < min_font_size:
            wide = TokenChip("m" * 12, theme, font_size=font_size, **(chip_kwargs or {}))
            floor = wide.box.width - wide.label.width + elide   # the narrowest word room, boxed
            cap = max(widths)
            while smallest * s < min_font_size and cap > floor:
                cap = max(cap * 0.92, floor)
                for i, c in enumerate(self.chips):
                    if c.width > cap:
                        self.chips.submobjects[i] = TokenChip(
                            tokens[i], theme, None if ids is None else ids[i], per_chip[i], font_size=font_size,
                            id_font_size=id_font_size, min_width=0.0 if min_widths is None else min_widths[i],
                            **{**(chip_kwargs or {}), "max_width": cap})
                        self.elided = True
                widths = [c.width for c in self.chips]
                s, lines = self._best_lines(widths, chip_h, limit_lines, smallest, min_font_size, buff, line_buff,
                                            max_width, max_height)
        self.lines = lines
        rows = VGroup()
        for ln in lines:
            rows.add(VGroup(*(self.chips[i] for i in ln)).arrange(RIGHT, buff=buff, aligned_edge=UP))
        rows.arrange(DOWN, buff=line_buff)
        if s < 1.0:
            self.scale(s)
        self.scale_factor = s
        self.min_font_size_shown = smallest * s

    @staticmethod
    def _best_lines(widths, chip_h, limit_lines, smallest, min_font_size, buff, line_buff, max_width, max_height):
        """(scale, lines): the fewest balanced lines (up to limit_lines) whose words reach min_font_size,
        else the lines that shrink least."""
        best = None
        for k in range(1, limit_lines + 1):
            lines = balanced_lines(widths, k, buff)
            if len(lines) < k and k > 1:
                continue
            w = max(sum(widths[i] for i in ln) + buff * (len(ln) - 1) for ln in lines)
            h = len(lines) * chip_h + (len(lines) - 1) * line_buff
            s = min(1.0, max_width / w, max_height / h)
            if best is None or s > best[0] + 1e-6:
                best = (s, lines)
            if smallest * s >= min_font_size:
                best = (s, lines)
                break
        return best

    # ------------------------------------------------------------ accessors
    def __len__(self):
        return len(self.chips)

    def get_chip(self, i: int) -> TokenChip:
        return self.chips[i]

    def get_chips(self) -> VGroup:
        return self.chips

    def get_words(self) -> VGroup:
        """Every chip's box and word, without the ids."""
        return VGroup(*(c.get_word() for c in self.chips))

    def get_id_labels(self) -> VGroup:
        return VGroup(*(c.id_label for c in self.chips if c.id_label is not None))

    # ------------------------------------------------------------ styling (returns self)
    def highlight(self, i: int, color: str | None = None) -> "TokenRow":
        self.chips[i].highlight(color)
        return self

    def set_accent(self, color: str) -> "TokenRow":
        for c in self.chips:
            c.set_accent(color)
        return self


class TokenGrid(VGroup):
    """A vocabulary as a table of chips with ids, row-major (ids read left to right, top to bottom).

    It picks the column count that gives the largest size inside max_width x max_height; chips in a column
    share their width, so the table reads as columns. When not every entry fits with its smallest text at
    min_font_size (default: the theme's size_readable), it keeps the entries in keep (and <start>/<end>) and
    as many of the first others as fit, and puts a ⋯ cell in each gap. get_chip(i) takes the data index (the
    token's id). When every entry must stay and still does not fit, long words are cut to a label's room.
    """

    def __init__(self, tokens: Sequence[str], theme: Theme, ids: Sequence[int] | None = None, *,
                 max_width: float = 13.0, max_height: float = 6.0, font_size: float = 26,
                 min_font_size: float | None = None, id_font_size: float | None = None, keep: Iterable[int] = (),
                 buff: float = 0.1, row_buff: float = 0.1, colors: dict[int, str] | None = None, **kwargs):
        super().__init__(**kwargs)
        self.tokens = [str(t) for t in tokens]
        n = len(self.tokens)
        self.ids = list(range(n)) if ids is None else [int(i) for i in ids]
        self.theme = theme
        min_font_size = theme.size_readable if min_font_size is None else min_font_size
        self._style = dict(colors=colors or {}, font_size=font_size, id_fs=id_font_size or font_size * 0.9)
        smallest = min(font_size, self._style["id_fs"])
        self._cap = None
        self._measure(buff)
        keep_set = {i for i in keep if 0 <= i < n} | {i for i, t in enumerate(self.tokens) if t in SPECIAL_TOKENS}

        def fit(shown):
            widths = [self._natural[i].width if i is not None else self._ell_w for i in shown if i not in self._apart]
            return self._best_columns(widths, max_width, max_height, buff, row_buff, bool(self._apart), self._lead_w)

        shown, s, n_cols = self._elide(fit, keep_set, smallest, min_font_size)
        if smallest * s < min_font_size:   # still too small (every entry must stay): long words cut to a label's room
            self._cap = chip_max_width(theme, font_size, label_max_width(font_size))
            self._measure(buff)
            shown, s, n_cols = self._elide(fit, keep_set, smallest, min_font_size)
        self.shown = shown
        self._table(n_cols, buff, row_buff)
        self.move_to([0, 0, 0])
        if s < 1.0:
            self.scale(s)
        self.scale_factor = s
        self.n_cols = n_cols
        self.min_font_size_shown = smallest * s

    # ------------------------------------------------------------ sub-builders
    def _make(self, i: int, width: float | None = None) -> TokenChip:
        st = self._style
        return TokenChip(self.tokens[i], self.theme, self.ids[i], st["colors"].get(i), font_size=st["font_size"],
                         id_font_size=st["id_fs"], width=width, id_buff=0.05, max_width=self._cap)

    def _measure(self, buff: float) -> "TokenGrid":
        """Every chip at its natural width, the row height, the ⋯ cell's width; whether the leading
        <start>/<end> get a line of their own (much wider than the words, single characters say, they would
        widen the table's first columns)."""
        n = len(self.tokens)
        natural = self._natural = {i: self._make(i) for i in range(n)}
        probe = next(iter(natural.values()))
        self._cell_h, self._box_h = probe.height, probe.box.height
        self._ell_w = flat_text("⋯", self.theme.font, self._style["font_size"], self.theme.dim).width + 0.2
        lead = [i for i in range(min(n, len(SPECIAL_TOKENS))) if self.tokens[i] in SPECIAL_TOKENS]
        rest_w = sorted(natural[i].width for i in range(n) if i not in lead)
        self.specials_apart = bool(lead and rest_w and
                                   max(natural[i].width for i in lead) > 1.5 * rest_w[len(rest_w) // 2])
        self._apart = lead if self.specials_apart else []
        self._lead_w = sum(natural[i].width for i in self._apart) + buff * max(len(self._apart) - 1, 0)
        return self

    def _elide(self, fit, keep_set: set[int], smallest: float, min_font_size: float):
        """All entries when they fit at min_font_size, else the most that still do. -> (shown, scale, columns)."""
        n = len(self.tokens)
        shown: list[int | None] = list(range(n))
        s, n_cols = fit(shown)
        if smallest * s >= min_font_size or n <= 1:
            return shown, s, n_cols
        lo, hi, best = len(keep_set), n, None
        while lo <= hi:
            mid = (lo + hi) // 2
            cand = self._choose(n, keep_set, mid)
            cs, cc = fit(cand)
            if smallest * cs >= min_font_size:
                best, lo = (cand, cs, cc), mid + 1
            else:
                hi = mid - 1
        if best is None:
            cand = self._choose(n, keep_set, len(keep_set))
            best = (cand, *fit(cand))
        return best

    def _table(self, n_cols: int, buff: float, row_buff: float) -> "TokenGrid":
        """The table: the specials' own line, then the shown entries row-major, equal widths per column."""
        natural, apart, theme = self._natural, self._apart, self.theme
        self.chip_map: dict[int, TokenChip] = {}
        self.ellipses = VGroup()
        cells = []
        pitch = self._cell_h + row_buff
        x = 0.0
        for i in apart:   # the special tokens' own line
            chip = self._make(i).move_to([x + natural[i].width / 2, -self._cell_h / 2, 0])
            x += natural[i].width + buff
            self.chip_map[i] = chip
            cells.append(chip)
        table = [i for i in self.shown if i not in apart]
        widths = [natural[i].width if i is not None else self._ell_w for i in table]
        col_w = self._col_widths(widths, n_cols)
        xs = np.cumsum([0.0] + [w + buff for w in col_w[:-1]])
        for k, i in enumerate(table):
            r, c = divmod(k, n_cols)
            x, top = xs[c] + col_w[c] / 2, -(r + bool(apart)) * pitch
            if i is None:
                dots = flat_text("⋯", theme.font, self._style["font_size"], theme.dim)
                dots.move_to([x, top - self._box_h / 2, 0])
                self.ellipses.add(dots)
                cells.append(dots)
            else:
                chip = self._make(i, width=col_w[c]).move_to([x, top - self._cell_h / 2, 0])
                self.chip_map[i] = chip
                cells.append(chip)
        self.chips = VGroup(*(self.chip_map[i] for i in self.shown if i is not None))
        self.add(*cells)
        return self

    @staticmethod
    def _choose(n: int, keep: set[int], count: int) -> list[int | None]:
        """keep plus the first others, count entries in all, in order, with None for each gap."""
        return choose(n, count, keep)

    @staticmethod
    def _col_widths(widths: Sequence[float], n_cols: int) -> list[float]:
        out = [0.0] * n_cols
        for k, w in enumerate(widths):
            out[k % n_cols] = max(out[k % n_cols], w)
        return out

    def _best_columns(self, widths, max_width, max_height, buff, row_buff, extra_row=False,
                      min_w=0.0) -> tuple[float, int]:
        """The column count with the largest scale; among (near) ties, the shape closest to the box's."""
        if not widths:
            return min(1.0, max_width / max(min_w, 1e-9), max_height / self._cell_h), 1
        options = []
        for n_cols in range(1, len(widths) + 1):
            n_rows = -(-len(widths) // n_cols) + extra_row
            w = max(sum(self._col_widths(widths, n_cols)) + buff * (n_cols - 1), min_w)
            h = n_rows * self._cell_h + row_buff * (n_rows - 1)
            s = min(1.0, max_width / w, max_height / h)
            options.append((s, n_cols, abs(np.log((w / h) / (max_width / max_height)))))
        top = max(o[0] for o in options)
        s, n_cols, _ = min((o for o in options if o[0] >= top * 0.98), key=lambda o: o[2])
        return s, n_cols

    # ------------------------------------------------------------ accessors (data indices)
    def __len__(self):
        return len(self.tokens)

    def has_chip(self, i: int) -> bool:
        return i in self.chip_map

    def get_chip(self, i: int) -> TokenChip:
        try:
            return self.chip_map[i]
        except KeyError:
            raise IndexError(f"vocabulary entry {i} is elided or out of range") from None

    def shown_indices(self) -> list[int]:
        return [i for i in self.shown if i is not None]

    # ------------------------------------------------------------ styling (returns self)
    def highlight(self, i: int, color: str | None = None) -> "TokenGrid":
        self.get_chip(i).highlight(color)
        return self


def chip_widths(tokens: Sequence[str], theme: Theme, font_size: float = 24, max_width: float | None = None
                ) -> list[float]:
    """The natural box width of each token's chip (capped by max_width, TokenChip's): take the max of two lists
    to line two rows up slot by slot."""
    return [TokenChip(t, theme, font_size=font_size, max_width=max_width).box.width for t in tokens]


def chip_max_width(theme: Theme, font_size: float, room: float) -> float:
    """The max_width of a TokenChip (at font_size, default padding) whose word may be room wide: give it
    text.label_max_width(font_size) to cut long words in chips as labels are cut."""
    return room + 2 * 0.45 * _strut_height(theme.font, float(font_size))   # TokenChip's default padding
