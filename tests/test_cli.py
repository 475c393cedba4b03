"""render.py: help, the example command, and one clear line for every kind of bad input."""
import json

import pytest
from click.testing import CliRunner

import render


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(render.cli, list(args), catch_exceptions=False)
    return invoke


@pytest.mark.parametrize("args", [["-h"], ["--help"], ["example", "-h"]])
def test_help(run, args):
    res = run(*args)
    assert res.exit_code == 0 and "Usage:" in res.output and "Examples:" in res.output


def test_example_writes_json_and_prints_summary(run, tmp_path):
    out = tmp_path / "ex.json"
    res = run("example", "--sentence", "the storm brings the game", "--out", str(out))
    assert res.exit_code == 0, res.output
    assert "the · storm · brings · the · game" in res.output and "Generated" in res.output
    data = json.loads(out.read_text())
    assert data["tokens"]["source"] == ["the", "storm", "brings", "the", "game"]
    assert [f.name for f in tmp_path.iterdir()] == ["ex.json"]  # no temporary files left behind


def test_toml_config_and_precedence(run, tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("winter is coming\nthe night is dark\n")
    cfg = tmp_path / "ex.toml"
    cfg.write_text('source = "winter is coming"\ntarget = "the night is dark"\nd_model = 8\nn_heads = 4\n'
                   'corpus_file = "corpus.txt"\nseed = 5\n')
    out = tmp_path / "ex.json"
    res = run("example", "--config", str(cfg), "--seed", "7", "--out", str(out))
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text())
    assert data["config"]["d_model"] == 8 and data["config"]["n_heads"] == 4
    assert data["config"]["seed"] == 7                 # the command line wins over the file
    assert data["config"]["corpus"] == ["winter is coming", "the night is dark"]


@pytest.mark.parametrize("args, words", [
    (["--sentence", ""], "source sentence is empty"),
    (["--sentence", "?!…"], "only punctuation"),
    (["--sentence", "a b c d e f g h i j k l m"], "at most 12"),
    (["--heads", "4"], "do not divide"),
    (["--d-model", "12", "--heads", "3"], "between 2 and 8"),
    (["--d-ff", "-1"], "positive"),
    (["--corpus", "/nonexistent/corpus.txt"], "Cannot read the corpus file"),
    (["--config", "/nonexistent/ex.toml"], "Cannot read the config file"),
])
def test_bad_input_one_clear_line(run, tmp_path, args, words):
    out = tmp_path / "ex.json"
    res = run("example", *args, "--out", str(out))
    assert res.exit_code != 0
    lines = [l for l in res.output.splitlines() if l.strip()]
    assert len(lines) == 1 and words in lines[0] and "Traceback" not in res.output
    assert not out.exists() and not list(tmp_path.iterdir())


def test_bad_toml(run, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("d_modle = 6\n")
    res = run("example", "--config", str(bad), "--out", str(tmp_path / "x.json"))
    assert res.exit_code != 0 and "Unknown option 'd_modle'" in res.output
    bad.write_text("d_model = = 6\n")
    res = run("example", "--config", str(bad), "--out", str(tmp_path / "x.json"))
    assert res.exit_code != 0 and "not valid TOML" in res.output


def test_empty_corpus_file(run, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n  \n")
    res = run("example", "--corpus", str(empty), "--out", str(tmp_path / "x.json"))
    assert res.exit_code != 0 and "is empty" in res.output


def test_unwritable_output(run, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    res = run("example", "--out", str(blocker / "ex.json"))
    assert res.exit_code != 0 and "Cannot write" in res.output and "Traceback" not in res.output
