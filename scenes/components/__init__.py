"""Reusable Mobjects and choreography, in Manim's own idiom."""
from .matrix import Cell, NumericMatrix, first_readable, format_number, shown_indices, shown_subset

from .text import flat_text
from .choreography import (ProbabilityBars, Region, content_region, hide, layout_product, reveal,  # noqa: F401
                           show_matrix_product, show_row_softmax)
from .tokens import TokenChip, TokenGrid, TokenRow  # noqa: F401
from .waves import PositionalWave, PositionalWaveGrid, PositionalWavePanel  # noqa: F401

__all__ = ["flat_text", "Cell", "NumericMatrix", "first_readable", "format_number", "shown_indices", "shown_subset"]
