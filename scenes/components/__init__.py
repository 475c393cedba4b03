"""Reusable Mobjects and choreography, in Manim's own idiom."""
from .matrix import Cell, NumericMatrix, format_number, shown_indices, shown_subset

from .text import flat_text

__all__ = ["flat_text", "Cell", "NumericMatrix", "format_number", "shown_indices", "shown_subset"]
