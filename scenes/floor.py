"""Manim's floor for benchmarks: one dot moving for as long as a chapter lasts (TA_FLOOR_SECONDS)."""
import os

from manim import LEFT, RIGHT, Dot, Scene, linear


class FloorScene(Scene):
    def construct(self):
        seconds = float(os.environ.get("TA_FLOOR_SECONDS", "10"))
        dot = Dot().shift(LEFT * 5)
        self.play(dot.animate.shift(RIGHT * 10), run_time=seconds, rate_func=linear)
