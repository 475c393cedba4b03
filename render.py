#!/usr/bin/env python3
"""transformer-anim: from a sentence to videos of the math inside a transformer.

The command line, nothing else: options, messages and exit codes. The work is done below it, one way:
pipeline (run folders, chapter processes, batches, assembly) -> scenes, narration, publish -> mathcore.
Library code raises its own errors (LIBRARY_ERRORS); this module alone turns them into one-line messages.
Installed, it is also the `transformer-anim` command.
"""
from __future__ import annotations

import functools
import json
import os
import sys
import tempfile
from pathlib import Path

import click
import numpy as np

import pipeline.settings
from mathcore import Config, ConfigError, build_example, config_io
from mathcore.config import TOKENIZERS
from mathcore.files import FolderInUseError, write_atomic, write_folder_atomic
from narration.voice import VoiceError
from pipeline import examples, runctl, runfolder
from pipeline.errors import RenderError
from pipeline.settings import DRAFT, FORMATS, QUALITIES, RenderSettings
from publish.page import PageError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

# command-line option -> Config field
_OPTION_FIELDS = {
    "sentence": "source", "target": "target", "d_model": "d_model", "heads": "n_heads", "d_ff": "d_ff",
    "encoder_layers": "n_encoder_layers", "decoder_layers": "n_decoder_layers", "seed": "seed",
    "tokenizer": "tokenizer", "tied": "tied_output", "scale_embedding": "scale_embedding",
    "decimals": "decimals", "max_new_tokens": "max_new_tokens",
    "trained": "trained", "train_steps": "train_steps", "learning_rate": "learning_rate",
}


def make_config(config_file: str | None, corpus_file: str | None, **options) -> Config:
    """Defaults, then the TOML file, then the command-line options that were given."""
    fields = {fld: options[opt] for opt, fld in _OPTION_FIELDS.items() if options.get(opt) is not None}
    return config_io.make_config(config_file, corpus_file, fields)


# the errors library code raises for bad input or a render that cannot go on: each message is one sentence
LIBRARY_ERRORS = (ConfigError, RenderError, VoiceError, PageError, FolderInUseError)


class Commands(click.Group):
    """The command group: a library error in any command becomes click's one-line "Error: …" and exit 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except LIBRARY_ERRORS as e:
            raise click.ClickException(str(e)) from None


def example_options(f):
    """The options that describe the worked example; shared by every command that builds one."""
    opts = [
        click.option("--config", "config_file", type=click.Path(dir_okay=False),
                     help="TOML file with any of the options below (keys as in docs/example-format.md)."),
        click.option("-s", "--sentence", help="Encoder input sentence. [default: when you play game of thrones]"),
        click.option("-t", "--target", help="Decoder target sentence. [default: you win or you die]"),
        click.option("--corpus", "corpus_file", type=click.Path(dir_okay=False),
                     help="Text file whose lines build the vocabulary. [default: three lines of dialogue]"),
        click.option("--d-model", type=int, help="Width of every token row, 2 to 8. [default: 6]"),
        click.option("--heads", type=int, help="Attention heads; must divide d_model. [default: 2]"),
        click.option("--d-ff", type=int, help="Feed-forward width. [default: 12]"),
        click.option("--encoder-layers", type=int, help="Encoder layers. [default: 1]"),
        click.option("--decoder-layers", type=int, help="Decoder layers. [default: 1]"),
        click.option("--seed", type=int, help="Seed of the weights. [default: 0]"),
        click.option("--tokenizer", type=click.Choice(TOKENIZERS),
                     help="word, or char for scripts without spaces. [default: word]"),
        click.option("--tied/--untied", default=None, help="Output layer tied to the embedding. [default: tied]"),
        click.option("--scale-embedding/--no-scale-embedding", default=None,
                     help="Multiply embeddings by sqrt(d_model). [default: on]"),
        click.option("--decimals", type=int, help="Decimals of the weights and of numbers shown. [default: 2]"),
        click.option("--max-new-tokens", type=int, help="Greedy generation limit; 0 = target length + 1. [default: 0]"),
        click.option("--trained/--untrained", default=None,
                     help="Train the weights on the sentence pair first, so the predictions are right; "
                          "--untrained keeps the random initial weights. [default: trained]"),
        click.option("--train-steps", type=int,
                     help="Training step limit; training stops once the target is reproduced. [default: 600]"),
        click.option("--learning-rate", type=float, help="Adam's peak learning rate. [default: 0.03]"),
    ]
    for opt in reversed(opts):
        f = opt(f)

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        names = ["config_file", "corpus_file", *_OPTION_FIELDS]
        values = {k: kwargs.pop(k) for k in names}
        try:
            kwargs["cfg"] = make_config(**values)
        except ConfigError as e:
            raise click.ClickException(str(e)) from None
        return f(*args, **kwargs)

    return wrapper


@click.group(cls=Commands, context_settings=CONTEXT)
def cli():
    """Explainer videos of the math inside a transformer, with every number real.

    \b
    Examples:
      python render.py example
      python render.py example --sentence "the storm brings the game"
      python render.py example --config my-example.toml --out media/mine.json
    """


@cli.command(context_settings=CONTEXT)
@example_options
@click.option("-o", "--out", type=click.Path(dir_okay=False), default="media/example.json", show_default=True,
              help="Where to write the example's JSON.")
def example(cfg: Config, out: str):
    """Run the transformer on a sentence, print a summary and write every number to JSON.

    \b
    Examples:
      python render.py example
      python render.py example -s "the storm brings the game" -t "he brings the storm"
      python render.py example --d-model 8 --heads 4 --seed 3
      python render.py example --tokenizer char -s "凛冬将至" -t "我们会赢"
    """
    try:
        ex = build_example(cfg)
        path = ex.save(out)
    except ConfigError as e:
        raise click.ClickException(str(e)) from None
    except OSError as e:
        raise click.ClickException(f"Cannot write {out}: {e.strerror}; choose another --out.") from None
    click.echo(summary(ex))
    click.echo(f"\nWrote {len(ex.steps)} steps and {len(ex.weights)} weights to {path}")


from mathcore.scale import PRESETS as MODEL_PRESETS  # noqa: E402



def render_options(f=None, *, theme: str = "dark"):
    """The options of how to render; shared by video, stills, post and batch. theme: the default look
    (dark for videos; light for stills and post, which go on white pages). Use as @render_options or
    @render_options(theme="light")."""
    if f is None:
        return functools.partial(render_options, theme=theme)
    opts = [
        click.option("-q", "--quality", type=click.Choice(list(QUALITIES)), default=None,
                     help="Manim preset: l 480p15, m 720p30, h 1080p60, p 1440p60, k 2160p60; draft is tiny. "
                          "[default: l for videos; h for stills and post, which are looked at on sharp screens]"),
        click.option("--fps", type=click.IntRange(1, 120), help="Frames per second (overrides the preset)."),
        click.option("--theme", type=click.Choice(["dark", "light"]), default=theme, show_default=True,
                     help="dark (for video) or light (for blogs and print)."),
        click.option("--transparent", is_flag=True, help="Transparent background (video: mov or webm; stills: PNG alpha)."),
        click.option("--out", "out_dir", type=click.Path(file_okay=False),
                     help="Run folder. [default: media/runs/<sentence>-<hash>]"),
        click.option("-j", "--jobs", type=click.IntRange(1, 64), default=None,
                     help="Chapters rendered at once, one process each. [default: number of cores]"),
        click.option("-v", "--verbose", is_flag=True, help="Show Manim's own log."),
        click.option("--model", type=click.Choice(sorted(MODEL_PRESETS)), default="gpt3-175b", show_default=True,
                     help="The model that the scale chapters (11, 12) describe."),
        click.option("--check/--no-check", default=True, show_default=True,
                     help="Audit the layout of every frame while rendering, as `render.py check` does (nearly "
                          "free for videos, about 15 % more time for stills), and warn about overlapping, clipped, "
                          "too small or faint text."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def voice_options(f):
    """The narrating voice; shared by every command that renders video."""
    from narration import voice as voice_mod
    opts = [
        click.option("--voice", "voice_name", default="joe", show_default=True, metavar="NAME",
                     help=f"The offline voice that reads the narration: {', '.join(sorted(voice_mod.VOICES))}."),
        click.option("--no-voice", is_flag=True, help="A silent course; captions follow reading speed."),
        click.option("--voice-rate", type=float, default=1.0, show_default=True,
                     help="Speaking speed, 0.5 (slow) to 2 (fast)."),
    ]
    for opt in reversed(opts):
        f = opt(f)

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        name, silent, rate = kwargs.pop("voice_name"), kwargs.pop("no_voice"), kwargs.pop("voice_rate")
        if silent:
            kwargs["voice"] = None
        else:
            try:
                voice_mod.check_voice(name, rate)
            except voice_mod.VoiceError as e:
                raise click.ClickException(str(e)) from None
            kwargs["voice"] = name
        kwargs["voice_rate"] = rate
        return f(*args, **kwargs)

    return wrapper


def chapters_argument(f):
    return click.argument("chapters", nargs=-1)(f)


def _select_chapters(keys):
    import scenes
    if not keys:
        return scenes.available_chapters()
    out = []
    for k in keys:
        try:
            ch = scenes.get_chapter(k)
        except KeyError as e:
            raise click.ClickException(str(e.args[0])) from None
        if ch not in scenes.available_chapters():
            raise click.ClickException(f"Chapter {ch.number} ({ch.title}) is not written yet; "
                                       "see `render.py list`.")
        out.append(ch)
    return out


@cli.command("list", context_settings=CONTEXT)
@example_options
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Run folder to read durations from.")
def list_cmd(cfg: Config, out_dir: str | None):
    """List the chapters: number, name, title and, once rendered, duration.

    \b
    Examples:
      python render.py list
      python render.py list --sentence "the storm brings the game"
    """
    import scenes
    available = scenes.available_chapters()
    durations = {}
    try:
        ex = build_example(cfg)
        if out_dir:
            manifests = [Path(out_dir) / "course.json"]
        else:   # any look of this example: durations do not depend on resolution or theme
            manifests = sorted(runfolder.example_folder(ex).glob("*/course.json"), key=lambda p: p.stat().st_mtime)
        for mf in manifests:
            if mf.exists():
                durations.update({c["slug"]: c["duration"] for c in json.loads(mf.read_text())["chapters"]})
    except ConfigError as e:
        raise click.ClickException(str(e)) from None
    for ch in scenes.CHAPTERS:
        status = (f"{durations[ch.slug]:6.1f} s" if ch.slug in durations
                  else ("  ready " if ch in available else "  (not written yet)"))
        click.echo(f"{ch.number:>3}  {ch.slug:<24} {ch.title:<40} {status}")


@cli.command(context_settings=CONTEXT)
@chapters_argument
@example_options
@render_options
@voice_options
@click.option("-f", "--format", "fmt", type=click.Choice(FORMATS), default="mp4", show_default=True,
              help="Video container.")
@click.option("--preview", is_flag=True, help="Open the course video when done.")
@click.option("--force", is_flag=True, help="Re-render chapters even if an identical render exists.")
def video(cfg: Config, chapters, quality, fps, theme, transparent, out_dir, jobs, verbose, model, check, voice,
          voice_rate, fmt, preview, force):
    """Render chapters (all by default) and assemble the course.

    The run folder gets each chapter's video and captions, the joined course video, chapters.txt
    (YouTube timestamps), course.srt, example.json, narration.md and manifest.json. Re-running with the
    same inputs re-renders nothing.

    \b
    Examples:
      python render.py video                          # the whole default course, 480p15
      python render.py video 4 5 -q h                 # chapters 4 and 5 at 1080p60
      python render.py video -s "the storm brings the game" --theme light -q k
      python render.py video --format webm --transparent
    """
    from pipeline import local
    quality = quality or "l"
    if transparent and fmt == "mp4":
        raise click.ClickException("MP4 cannot be transparent: use --format mov or --format webm with --transparent.")
    chosen = _select_chapters(chapters)
    ex = _build(cfg)
    if fmt == "gif":
        voice = None   # a GIF has no sound
    settings = RenderSettings(quality=quality, fps=fps, theme=theme, transparent=transparent, fmt=fmt,
                                     verbose=verbose, code=pipeline.settings.code_version(), model=model, voice=voice,
                                     voice_rate=voice_rate, check=check)
    folder = runfolder.prepare(ex, out_dir, settings)
    with runctl.run_lock(folder, echo=click.echo):   # one render of a folder at a time; a second one waits
        result = local.render_course(ex, chosen, folder, settings, jobs=jobs or os.cpu_count() or 1, force=force, echo=click.echo)
    if check:
        _warn_layout(runfolder.layout_reports(folder, chosen))
    click.echo(f"\nCourse: {result} ({len(chosen)} chapter{'s' * (len(chosen) > 1)}) in {folder}")
    if preview:
        click.launch(str(result))


@cli.command(context_settings=CONTEXT)
@chapters_argument
@example_options
@render_options(theme="light")
@click.option("--at", "at", multiple=True, metavar="STEP-ID",
              help="Only these key moments (repeatable); default: every key moment of the chosen chapters. "
                   "--list shows the ids.")
@click.option("--list", "list_only", is_flag=True,
              help="Print the chosen chapters' key moments (id and heading) and render nothing.")
def stills(cfg: Config, chapters, quality, fps, theme, transparent, out_dir, jobs, verbose, model, check, at,
           list_only):
    """Export PNG stills of the chapters' key moments, without rendering videos.

    Files are named <chapter>-<step-id>.png in <run folder>/stills. The light theme is the default, for
    white pages; --theme dark gives stills that look like the video.

    \b
    Examples:
      python render.py stills 4 --list                # the key moments of chapter 4: id and heading
      python render.py stills                         # every key moment of every chapter
      python render.py stills 4 --at encoder.0.self_attn.head1.weights
      python render.py stills 2 --transparent --out media/blog
    """
    from pipeline import stills as stills_mod
    chosen = _select_chapters(chapters)
    ex = _build(cfg)
    settings = RenderSettings(quality=quality or "h", fps=fps, theme=theme, transparent=transparent,
                                     fmt="png", verbose=verbose, code=pipeline.settings.code_version(), model=model, voice=None,
                                     check=check and not list_only)
    if list_only:
        with tempfile.TemporaryDirectory(prefix="ta-moments-") as tmp:
            listed = stills_mod.list_key_moments(ex, chosen, Path(tmp), settings, jobs=jobs or os.cpu_count() or 1)
        for ch in chosen:
            click.echo(f"{ch.number} · {ch.title} ({ch.slug})")
            for moment, heading in listed[ch.slug]:
                click.echo(f"  {moment:<48} {heading}")
        return
    if at:
        stills_mod.check_moments(ex, chosen, set(at))
    folder = runfolder.prepare(ex, out_dir, settings)
    with runctl.run_lock(folder, echo=click.echo):
        paths, results = stills_mod.render_stills(ex, chosen, folder / "stills", settings, set(at) or None,
                                                  jobs=jobs or os.cpu_count() or 1)
    _warn_layout(stills_mod.layout_reports(results))
    if at and not paths:
        raise click.ClickException(f"No key moment named {', '.join(at)} in the chosen chapters for this example; "
                                   f"list them with `render.py stills {chosen[0].number} --list`.")
    click.echo(f"Wrote {len(paths)} still{'s' * (len(paths) != 1)} to {folder / 'stills'}")


@cli.command(context_settings=CONTEXT)
@chapters_argument
@example_options
@click.option("-q", "--quality", type=click.Choice(list(QUALITIES)), default="l", show_default=True,
              help="The quality whose pixels are measured (l 480p, h 1080p, …).")
@click.option("--theme", type=click.Choice(["dark", "light"]), default="dark", show_default=True)
@click.option("--model", type=click.Choice(sorted(MODEL_PRESETS)), default="gpt3-175b", show_default=True,
              help="The model that the scale chapters (11, 12) describe.")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=None,
              help="Chapters checked at once, one process each. [default: number of cores]")
@click.option("--json", "json_out", type=click.Path(dir_okay=False), help="Also write the report as JSON here.")
@click.option("--shorts", is_flag=True,
              help="Also check every short (render.py short) in its 9:16 frame, at 540x960 (1080x1920 with -q h).")
def check(cfg: Config, chapters, quality, theme, model, jobs, json_out, shorts):
    """Check every frame that matters for overlapping, clipped, too small or faint text, without rendering.

    Runs the chapters in dry-run mode and inspects the screen after every animation and at every key
    moment; prints one line per finding and exits 1 if there is any, 0 if there is none.

    \b
    Examples:
      python render.py check                                  # every chapter of the default course
      python render.py check 4 8 -s "the storm brings the game" --d-model 8 --heads 4
      python render.py check --theme light -q h --json layout.json
      python render.py check 4 --shorts -s "the storm brings the game"   # chapter 4 and every short
    """
    from scenes import audit
    from scenes.theme import get_theme
    chosen = _select_chapters(chapters)
    ex = _build(cfg)
    height = DRAFT["pixel_height"] if quality == "draft" else _pixel_height(quality)
    try:
        reports = audit.audit_chapters([ch.number for ch in chosen], ex, get_theme(theme), height, model,
                                       jobs=jobs or os.cpu_count() or 1)
        if shorts:
            from scenes.shorts import TOPICS
            size = quality if quality in ("l", "h", "k") else "l"
            reports += [audit.audit_short(t.name, ex, get_theme(theme), size) for t in TOPICS]
    except audit.AuditError as e:
        raise click.ClickException(str(e)) from None
    click.echo(audit.format_table(reports))
    if json_out:
        try:
            audit.write_json(json_out, audit.report_dict(reports, height, theme))
        except OSError as e:
            raise click.ClickException(f"Cannot write {json_out}: {e.strerror}; choose another --json.") from None
    sys.exit(1 if audit.findings_count(reports) else 0)


def _warn_layout(reports: list):
    """Print the layout audit's warning for a render (to stderr), if it found anything."""
    from scenes import audit
    text = audit.warning_text(reports)
    if text:
        click.echo("\n" + text, err=True)


def _pixel_height(quality: str) -> int:
    from manim.constants import QUALITIES as MANIM_QUALITIES
    return int(MANIM_QUALITIES[QUALITIES[quality]]["pixel_height"])


@cli.command(context_settings=CONTEXT)
@example_options
@click.option("--format", "fmt", type=click.Choice(["json", "md", "tex", "csv"]), default="md", show_default=True)
@click.option("-o", "--out", type=click.Path(),
              help="File (json, md, tex) or folder (csv). [default: stdout; csv: the example's run folder, "
                   "media/runs/<sentence>-<hash>/data]")
def data(cfg: Config, fmt, out):
    """Export the example's numbers: every matrix as a table with its title, shape and formula.

    \b
    Examples:
      python render.py data > numbers.md
      python render.py data --format tex -o tables.tex
      python render.py data --format csv                  # one CSV per step, full precision
      python render.py data --format csv -o media/csv     # ... into a folder of your own

    A CSV folder holds one example's tables only: it is replaced as a whole on the next run.
    """
    from publish import data as tables
    ex = _build(cfg, drawn=False)
    try:
        if fmt == "csv":
            folder = Path(out) if out else runfolder.example_folder(ex) / "data"
            write_folder_atomic(folder, tables.data_csv_files(ex))
            click.echo(f"Wrote {len(ex.steps)} CSV files to {folder}")
            return
        text = {"json": tables.data_json, "md": tables.data_markdown, "tex": tables.data_tex}[fmt](ex)
        if out:
            write_atomic(Path(out), text)
            click.echo(f"Wrote {out}")
        else:
            click.echo(text, nl=False)
    except OSError as e:
        raise click.ClickException(f"Cannot write {out}: {e.strerror}; choose another --out.") from None


@cli.command(context_settings=CONTEXT)
@chapters_argument
@example_options
@render_options(theme="light")
def post(cfg: Config, chapters, quality, fps, theme, transparent, out_dir, jobs, verbose, model, check):
    """Write a Markdown article: a section per chapter with its narration, stills and tables.

    \b
    Examples:
      python render.py post --theme light            # media/runs/<run>/post.md with stills/
      python render.py post 2 3 4 -s "the storm brings the game"
    """
    from pipeline import stills as stills_mod
    chosen = _select_chapters(chapters)
    ex = _build(cfg)
    settings = RenderSettings(quality=quality or "h", fps=fps, theme=theme, transparent=transparent,
                                     fmt="png", verbose=verbose, code=pipeline.settings.code_version(), model=model, voice=None,
                                     check=check)
    folder = runfolder.prepare(ex, out_dir, settings)
    with runctl.run_lock(folder, echo=click.echo):
        path, results = stills_mod.write_post(ex, chosen, folder, settings, jobs=jobs or os.cpu_count() or 1)
    _warn_layout(stills_mod.layout_reports(results))
    click.echo(f"Wrote {path}")


@cli.command(context_settings=CONTEXT)
@click.argument("chapters", nargs=-1)
@click.option("--qualities", default="l,h", show_default=True, help="Comma-separated presets to measure.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="media/bench", show_default=True)
def bench(chapters, qualities, out_dir):
    """Measure render speed: per chapter, frames per second and the ratio to Manim's floor.

    Renders a fixed set of chapters (default: 2 and the first two others available) at 480p15 and
    1080p60, each beside a trivial one-dot scene of the same length and quality; then the whole set
    with --jobs 1 and --jobs 2.

    \b
    Examples:
      python render.py bench
      python render.py bench 2 4 --qualities l
    """
    qs = [q.strip() for q in qualities.split(",") if q.strip()]
    bad = [q for q in qs if q not in QUALITIES]
    if bad:
        raise click.ClickException(f"Unknown quality '{bad[0]}': use {', '.join(QUALITIES)}.")
    chosen = _select_chapters(chapters) if chapters else _select_chapters(())[:3]
    ex = _build(Config())
    folder = runfolder.prepare(ex, out_dir)
    from pipeline import bench as benchmark
    with runctl.run_lock(folder, echo=click.echo):
        benchmark.bench(ex, chosen, folder, qs, echo=click.echo)


def _batch_help(f):
    """The shared render options' help, where batch's defaults differ from video's."""
    helps = {
        "quality": "Manim preset: l 480p15, m 720p30, h 1080p60, p 1440p60, k 2160p60; draft is tiny. [default: l]",
        "out_dir": "The batch folder: index.md, batch.json and a folder per example. "
                   "[default: media/batches/<FILE's name without extension>, e.g. media/batches/sentences]",
        "jobs": "Worker processes of the local cluster, each rendering one chapter at a time. "
                "[default: number of cores, at most one per chapter to render]",
        "transparent": "Transparent background (with --format mov or webm).",
    }
    for param in f.__click_params__:
        param.help = helps.get(param.name, param.help)
    return f


@cli.command("page", context_settings=CONTEXT)
@click.argument("run_folder", required=False, type=click.Path(file_okay=False))
def page_cmd(run_folder):
    """Write a run folder's index.html again (the course as a web page), without rendering anything.

    RUN FOLDER is the folder of a `video` run [default: the newest under media/runs]. The page plays the
    chapter videos beside it, with captions, the steps, every number of every step and a presenter mode;
    open it from disk or upload the folder to any static host. See docs/course-page.md.

    \b
    Examples:
      python render.py page media/runs/when-you-play-game-of-thrones-1a2b3c4d/480p15-dark
      python render.py page                           # the newest run
    """
    import publish
    if run_folder is None:
        runs = sorted(Path("media/runs").glob("*/*/course.json"), key=lambda p: p.stat().st_mtime)
        if not runs:
            raise click.ClickException("There is no run under media/runs: render one with `render.py video`, "
                                       "or name a run folder.")
        run_folder = runs[-1].parent
    path = publish.rebuild(Path(run_folder))
    click.echo(f"Wrote {path}; open it in a browser (it works from disk) or upload the folder.")


@cli.command("batch", context_settings=CONTEXT)
@_batch_help
@click.argument("file", type=click.Path(dir_okay=False))
@chapters_argument
@render_options
@voice_options
@click.option("-f", "--format", "fmt", type=click.Choice(FORMATS), default="mp4", show_default=True,
              help="Video container.")
@click.option("--scheduler", metavar="tcp://HOST:PORT",
              help="A running Dask scheduler to send the renders to. [default: a local cluster, one worker per core]")
@click.option("--skip-bad", is_flag=True,
              help="Render the good rows and list the bad ones (at the end, in index.md and in batch.json). "
                   "[default: a bad row stops the batch before anything renders, naming every bad row]")
def batch_cmd(file, chapters, quality, fps, theme, transparent, out_dir, jobs, verbose, model, check, voice,
              voice_rate, fmt, scheduler, skip_bad):
    """Render a course for every example in FILE, on a Dask cluster (a local one by default).

    FILE is a CSV whose header names example options (source, target, seed, d_model, n_heads, tokenizer,
    corpus_file, … as in a --config file), one example per row; or a TOML file of [[example]] tables with
    the same keys. An empty cell keeps the option's default, but a blank source or target is an error; an
    option left out of the header keeps its default in every row. Label columns (id, name, student, class,
    group, label, note, notes) change nothing and are carried into the reports; any other column is an error.
    Every row is checked before anything renders, and every bad row is named with its line.

    Every chapter of every example is one task; each example's course lands in DIR/<sentence>-<hash>/<look>/,
    with DIR/index.md and DIR/batch.json listing them all (DIR: --out, else media/batches/<FILE's name
    without extension>). Finished chapters are never rendered again. --jobs sizes the local cluster; with
    --scheduler, the cluster's own workers run the tasks.

    \b
    Examples:
      python render.py batch sentences.csv                   # every chapter of every row, 480p15, dark
      python render.py batch sentences.csv 2 4 -q h --theme light --out media/batches/blog
      python render.py batch class.csv 2 --skip-bad          # render the good rows, list the bad ones
      python render.py batch sentences.toml --scheduler tcp://10.0.0.5:8786
    """
    from pipeline import batch
    if transparent and fmt == "mp4":
        raise click.ClickException("MP4 cannot be transparent: use --format mov or --format webm with --transparent.")
    if scheduler and jobs:
        raise click.ClickException("--jobs sizes the local cluster: leave it out with --scheduler and start as "
                                   "many `dask worker` processes as you want renders at once.")
    chosen = _select_chapters(chapters)
    # every row is built and checked (a word no font draws is a bad row) before anything renders
    rows, bad = batch.load_examples(file, skip_bad=skip_bad)
    settings = RenderSettings(quality=quality or "l", fps=fps, theme=theme, transparent=transparent, fmt=fmt,
                              verbose=verbose, code=pipeline.settings.code_version(), model=model,
                              voice=None if fmt == "gif" else voice, voice_rate=voice_rate, check=check)
    results = batch.run(rows, chosen, [settings], Path(out_dir or Path("media") / "batches" / Path(file).stem),
                        source_name=Path(file).name, scheduler=scheduler, workers=jobs, skipped=bad)
    dirty = [r for r in results if r.get("layout_findings")]
    if dirty:
        click.echo(f"\nWarning: the layout audit found overlapping, clipped, too small or faint text in "
                   f"{len(dirty)} example{'s' * (len(dirty) != 1)} (line{'s' * (len(dirty) != 1)} "
                   f"{', '.join(str(r['line']) for r in dirty)}; index.md counts them). `render.py check` with a "
                   "row's options lists its problems; docs/layout-audit.md says how to read them.", err=True)
    failed = [r for r in results if r["status"] == "failed"]
    if failed:
        raise click.ClickException(f"{len(failed)} of {len(results)} examples failed (lines "
                                   f"{', '.join(str(r['line']) for r in failed)}); the others are complete. "
                                   "Rerun the same command to retry only what is missing.")


@cli.command(context_settings=CONTEXT)
@click.option("--topic", required=True, metavar="TOPIC",
              help="attention, positional, mask, next-word, or all (one short each).")
@example_options
@click.option("-q", "--quality", type=click.Choice(["h", "l", "k"]), default="h", show_default=True,
              help="h 1080x1920, l 540x960 (draft), k 2160x3840; all at 30 fps.")
@click.option("--theme", type=click.Choice(["dark", "light"]), default="dark", show_default=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="Folder for the files. [default: media/runs/<sentence>-<hash>/short-<size>-<theme>]")
@click.option("-v", "--verbose", is_flag=True, help="Show Manim's own log.")
@voice_options
def short(cfg: Config, topic, quality, theme, out_dir, verbose, voice, voice_rate):
    """Render a vertical short (9:16, 15-60 s, narrated, captions burned in) about one idea of the example.

    Writes short-<topic>.mp4, .srt, .vtt and a 1080x1920 .cover.png into the run folder. See docs/shorts.md.

    \b
    Examples:
      python render.py short --topic attention -s "the storm brings the game"
      python render.py short --topic all -q l          # every topic, draft size
      python render.py short --topic mask --no-voice   # silent, captions at reading speed
    """
    from pipeline import shorts
    from scenes.shorts import UnknownTopicError, select_topics
    try:
        topics = select_topics(topic)
    except UnknownTopicError as e:
        raise click.ClickException(str(e)) from None
    ex = _build(cfg)
    settings = shorts.ShortSettings(quality=quality, theme=theme, voice=voice, voice_rate=voice_rate, verbose=verbose)
    folder = runfolder.prepare(ex, out_dir, settings)
    with runctl.run_lock(folder, echo=click.echo):
        for t in topics:
            out = shorts.render_short(ex, t.name, folder, settings)
            click.echo(f"Short: {out['video']} ({out['duration']:.1f} s, rendered in {out['render_seconds']:.0f} s)")


def _build(cfg: Config, drawn: bool = True):
    """The example; with drawn, also checked that every word it shows can be drawn (pipeline.examples)."""
    return examples.build(cfg, drawn)


def summary(ex) -> str:
    """A few readable lines: tokens, shapes, predictions, generation."""
    c = ex.config
    n_params = sum(int(np.asarray(w).size) for w in ex.weights.values())
    lines = [
        f"Vocabulary   {len(ex.vocab)} tokens ({c.tokenizer} tokenizer)",
        f"Source       {' · '.join(ex.tokens['source'])}   ({len(ex.tokens['source'])} tokens)",
        f"Target in    {' · '.join(ex.tokens['target_input'])}",
        f"Target out   {' · '.join(ex.tokens['target_labels'])}",
        f"Model        d_model {c.d_model}, {c.n_heads} heads of d_k {c.d_k}, d_ff {c.d_ff}, "
        f"{c.n_encoder_layers} encoder + {c.n_decoder_layers} decoder layer(s), seed {c.seed}, {n_params} weights",
        "Shapes       " + ", ".join(f"{sid} {'×'.join(map(str, ex.step(sid).shape))}" for sid in (
            "source.input", "encoder.0.self_attn.head1.weights", "encoder.output", "output.logits")),
        f"Predicted    {' · '.join(ex.tokens['predicted'])}",
        f"Generated    {' · '.join(ex.tokens['generated'])}",
        _training_line(ex),
    ]
    return "\n".join(lines)


def _training_line(ex) -> str:
    """The truth about the weights: random and untrained, or trained for how long and with what result."""
    run = ex.training
    if run is None:
        return "             (untrained random weights: the predictions are arbitrary)"
    kept = f", weights kept at {run.decimals} decimals" if run.decimals != ex.config.decimals else ""
    return (f"Training     {run.steps} steps of Adam on {run.pairs} pair{'s' * (run.pairs > 1)}, "
            f"loss {run.losses[0]:.3f} -> {run.final_loss:.3f}{kept}; reproduces the target: "
            f"{'yes' if run.reproduced else 'no'}")


def main():
    runctl.install_signal_handlers()
    try:
        cli(prog_name="transformer-anim" if Path(sys.argv[0]).name == "transformer-anim" else "render.py")
    except runctl.Stopped as stop:   # Ctrl-C or SIGTERM: stop every worker, say how far it got
        runctl.stop(first=stop.signum)
        click.echo(runctl.stopped_line(), err=True)
        sys.exit(stop.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except OSError as e:   # a full disk or a folder we may not write: one sentence, not a traceback
        line = runctl.os_error_line(e)
        if line is None:
            raise
        runctl.stop()
        click.echo(f"Error: {line}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
