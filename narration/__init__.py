"""narration: what the course says and how it sounds.

- voice.py: the written narration's spoken form and its synthesis into cached, timed clips;
- audio.py: loudness, the true-peak limiter, encoding and reading sound;
- captions.py: readable caption cues from the narration (timed by the voice, or by reading speed), SRT and VTT.

Imports only mathcore (mathcore.files for atomic writes): never the pipeline, the scenes or manim.
"""
