"""pipeline: from the command line's options to a run folder full of files.

The flow, in the order a run takes it:
- settings.py: the quality table and RenderSettings (one look: quality, theme, format, voice);
- examples.py: the example a run draws, checked to be drawable;
- runfolder.py: where a run lives, cache keys, which chapters are finished, how a chapter lands;
- local.py: the chapters of one run on this machine, one process each (worker.py: `python -m pipeline.worker`);
- batch.py: many examples on a Dask cluster, landing through the same run folder code;
- stills.py: key-moment stills and the post; bench.py: the render-speed benchmark;
- assemble.py: the chapters joined into the course, with captions, descriptions, thumbnails and manifest;
- runctl.py: the processes a command starts, signals, and one render per run folder at a time;
- errors.py: RenderError and DiskFullError, which the command line turns into one-line messages.

Imports go one way: render.py -> pipeline -> (scenes, narration, publish) -> mathcore. Nothing here
imports click or render.py.
"""
