"""Config from files: corpus files (one line of text each), TOML config files, and the rows of a batch file,
with the one rule for corpus_file (a path relative to the file that names it, read as a corpus).
Every problem is a ConfigError whose message is one sentence."""
from __future__ import annotations

import tomllib
from pathlib import Path

from .config import Config, ConfigError


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


def resolve_corpus_file(data: dict, base: Path, who: str) -> dict:
    """Replace data's corpus_file (if any) by the corpus it names, in place: a relative path is relative to
    base (the folder of the file that names it). who starts the message when data also sets corpus."""
    if "corpus_file" not in data:
        return data
    if "corpus" in data:
        raise ConfigError(f"{who} sets both corpus and corpus_file: keep one.")
    corpus_path = data.pop("corpus_file")
    if not isinstance(corpus_path, str):
        raise ConfigError(f"Option 'corpus_file' must be text, not {corpus_path!r}.")
    corpus_path = Path(corpus_path)
    data["corpus"] = read_corpus(corpus_path if corpus_path.is_absolute() else Path(base) / corpus_path)
    return data


def read_config_file(path: str | Path) -> dict:
    """Example options from a TOML file: the keys are Config's fields, plus corpus_file."""
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as e:
        raise ConfigError(f"Cannot read the config file {path}: {e.strerror}.") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"The config file {path} is not valid TOML: {e}.") from None
    return resolve_corpus_file(data, Path(path).parent, f"The config file {path}")


def make_config(config_file: str | Path | None = None, corpus_file: str | Path | None = None,
                fields: dict | None = None) -> Config:
    """Defaults, then the TOML file, then the corpus file, then the given fields (Config's names)."""
    data = read_config_file(config_file) if config_file else {}
    if corpus_file:
        data["corpus"] = read_corpus(corpus_file)
    data.update(fields or {})
    return Config.from_dict(data)
