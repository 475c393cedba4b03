"""Publishing a run folder: what a reader opens rather than what a renderer writes.

- page.py: index.html, the course as one self-contained web page (chapters, steps, captions, every
  number, a presenter mode), built from the files a `render.py video` run leaves in its folder;
- description.py: chapters.txt, description.txt and narration.md, for YouTube and for recording a voice;
- data.py: the example's numbers as Markdown, LaTeX, CSV and JSON tables (`render.py data`);
- post.py: post.md, the course as an article with its stills; thumbnail.py: 1280x720 thumbnails;
- manifest.py: manifest.json; text.py: the title, sentences as typed, times, Markdown-safe text.

Formatting only: every number comes from the Example (mathcore), every time from the chapters' timelines.
Never imports the pipeline or render.py.
"""
from .page import VIDEO_EXTS, PageError, page_data, rebuild, write_page

__all__ = ["VIDEO_EXTS", "PageError", "page_data", "rebuild", "write_page"]
