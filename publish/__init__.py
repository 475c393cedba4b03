"""Publishing a run folder: what a reader opens rather than what a renderer writes.

page: index.html, the course as one self-contained web page (chapters, steps, captions, every number,
a presenter mode), built from the files a `render.py video` run leaves in its folder.
"""
from .page import VIDEO_EXTS, PageError, page_data, rebuild, write_page

__all__ = ["VIDEO_EXTS", "PageError", "page_data", "rebuild", "write_page"]
