#!/usr/bin/env python3
"""transformer-anim: from a sentence to videos of the math inside a transformer.

No math and no drawing here: this builds the Example (mathcore), saves it, and orchestrates.
"""
from __future__ import annotations

import functools
import sys
import tomllib
from pathlib import Path

import click
import numpy as np

from mathcore import Config, ConfigError, build_example
from mathcore.config import TOKENIZERS

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

# command-line option -> Config field
_OPTION_FIELDS = {
    "sentence": "source", "target": "target", "d_model": "d_model", "heads": "n_heads", "d_ff": "d_ff",
    "encoder_layers": "n_encoder_layers", "decoder_layers": "n_decoder_layers", "seed": "seed",
    "tokenizer": "tokenizer", "tied": "tied_output", "scale_embedding": "scale_embedding",
    "decimals": "decimals", "max_new_tokens": "max_new_tokens",
}


def read_corpus(path: str | Path) -> tuple[str, ...]:
    """The lines of a corpus file; an unreadable or empty file is a ConfigError."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        reason = getattr(e, "strerror", None) or "it is not UTF-8 text"
        raise ConfigError(f"Cannot read the corpus file {path}: {reason}.") from None
    lines = tuple(line.strip() for line in text.splitlines() if line.strip())
    if not lines:
        raise ConfigError(f"The corpus file {path} is empty: give at least one line of text.")
    return lines


def read_config_file(path: str | Path) -> dict:
    """Example options from a TOML file: the keys are Config's fields, plus corpus_file."""
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as e:
        raise ConfigError(f"Cannot read the config file {path}: {e.strerror}.") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"The config file {path} is not valid TOML: {e}.") from None
    if "corpus_file" in data:
        if "corpus" in data:
            raise ConfigError(f"The config file {path} sets both corpus and corpus_file: keep one.")
        corpus_path = Path(str(data.pop("corpus_file")))
        if not corpus_path.is_absolute():
            corpus_path = Path(path).parent / corpus_path
        data["corpus"] = read_corpus(corpus_path)
    return data


def make_config(config_file: str | None, corpus_file: str | None, **options) -> Config:
    """Defaults, then the TOML file, then the command-line options that were given."""
    data = read_config_file(config_file) if config_file else {}
    if corpus_file:
        data["corpus"] = read_corpus(corpus_file)
    for opt, fld in _OPTION_FIELDS.items():
        if options.get(opt) is not None:
            data[fld] = options[opt]
    return Config.from_dict(data)


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


@click.group(context_settings=CONTEXT)
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
        "             (untrained random weights: the predictions are arbitrary)",
    ]
    return "\n".join(lines)


def main():
    try:
        cli(prog_name="render.py")
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
