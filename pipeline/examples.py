"""The example a run draws: built from its Config (mathcore) and checked that every word it shows can be
drawn, so a render fails at once with one sentence instead of in a chapter process."""
from __future__ import annotations

from mathcore import Config, ConfigError, Example, build_example


def check_drawable(ex: Example) -> None:
    """ConfigError (one sentence naming the text, the character and the font) if a chapter could not draw a
    word or a corpus line of this example."""
    from scenes.components.text import UndrawableTextError, uncovered_char
    from scenes.theme import DARK
    for s in [*ex.config.corpus, *ex.vocab, ex.config.source, ex.config.target]:
        bad = uncovered_char(s)
        if bad is not None:
            raise ConfigError(str(UndrawableTextError(s, DARK.font, bad)))


def build(cfg: Config, drawn: bool = True) -> Example:
    """The example; with drawn, also checked that every word it shows has glyphs in an installed font."""
    ex = build_example(cfg)
    if drawn:
        check_drawable(ex)
    return ex
