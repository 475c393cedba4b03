"""mathcore: the worked example's numbers. numpy only; never imports manim.

    from mathcore import Config, build_example
    ex = build_example(Config(source="the storm brings the game"))
    ex.value("encoder.0.self_attn.head1.weights")
"""
from .config import Config, ConfigError, DEFAULT_CORPUS, MAX_TOKENS
from .example import Example, Step, build_example, prepare

__all__ = ["Config", "ConfigError", "DEFAULT_CORPUS", "MAX_TOKENS", "Example", "Step", "build_example", "prepare"]
