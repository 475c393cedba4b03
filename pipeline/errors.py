"""The pipeline's own errors. Each message is one sentence naming the problem and the fix; the command line
(render.py) prints it as one line and exits 1."""


class RenderError(Exception):
    """A render that cannot go on: a chapter failed, a folder cannot be written or locked, a bad batch."""


class DiskFullError(RenderError):
    """The disk filled up while a chapter was being written; finished chapters are kept."""
