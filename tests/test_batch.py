"""render.py batch: many examples on a Dask cluster, the local default and a real scheduler with workers.

Every address is 127.0.0.1 (or in-process); every process a test starts is stopped by its id."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline import assemble, batch, settings
import render

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
DASK = str(Path(PY).with_name("dask"))
LOOK = "draft-dark-silent"
TWO = "source,target,seed\nthe storm brings the game,he brings the storm,1\nyou win or you die,i drink and i know things,\n"
FAILS = "nothing but failure"   # the sentence of the row that the failing-task test makes fail


def invoke(*args):
    return CliRunner().invoke(render.cli, [str(a) for a in args], catch_exceptions=False)


def example_json_of(tmp_path: Path, *args) -> bytes:
    """What `render.py example` writes for these options, in its own process."""
    out = tmp_path / f"ref-{abs(hash(args))}.json"
    subprocess.run([PY, "render.py", "example", *args, "-o", str(out)], cwd=ROOT, check=True, capture_output=True)
    return out.read_bytes()


# ---------------------------------------------------------------- bad files: one line, nothing rendered

@pytest.mark.parametrize("name, text, words", [
    ("missing.csv", None, "Cannot read the batch file"),
    ("empty.csv", "", "is empty"),
    ("header-only.csv", "source,target\n", "lists no examples"),
    ("unknown.csv", "source,colour\nthe storm,red\n", "line 1: unknown column 'colour'"),
    ("long.csv", "source,target\nthe storm,he brings\n" + "a b c d e f g h i j k l m,you die\n",
     "line 3: The source sentence has 13 tokens"),
    ("bad-type.csv", "source,seed\nthe storm,three\n", "line 2: Option 'seed' must be a whole number"),
    ("empty.toml", "\n", "is empty"),
    ("unknown.toml", '[[example]]\nsource = "the storm"\n\n[[example]]\nsource = "x"\ncolour = 1\n',
     "line 4: unknown key 'colour'"),
    ("sentences.txt", "source\nthe storm\n", "neither .csv nor .toml"),
])
def test_bad_batch_file(tmp_path, name, text, words):
    path = tmp_path / name
    if text is not None:
        path.write_text(text)
    out = tmp_path / "out"
    res = invoke("batch", path, "2", "-q", "draft", "--no-voice", "--out", out)
    assert res.exit_code != 0 and words in res.output and "Traceback" not in res.output
    assert len(res.output.strip().splitlines()) == 1, res.output
    assert not out.exists()   # checked before anything renders


def test_toml_and_csv_read_the_same_examples(tmp_path):
    (tmp_path / "lines.txt").write_text("the storm brings the game\nhe brings the storm\n")
    (tmp_path / "b.csv").write_text('source,target,d_model,n_heads,trained,corpus_file,student\n'
                                    '"the storm brings the game",he brings the storm,4,2,false,lines.txt,Ana\n'
                                    'you win or you die,i drink and i know things,,,,,Ben\n')
    (tmp_path / "b.toml").write_text('# two examples\n[[example]]\nsource = "the storm brings the game"\n'
                                     'target = "he brings the storm"\nd_model = 4\nn_heads = 2\ntrained = false\n'
                                     'corpus_file = "lines.txt"\nstudent = "Ana"\n\n[[example]]\n'
                                     'source = "you win or you die"\ntarget = "i drink and i know things"\nstudent = "Ben"\n')
    csv_rows, csv_bad = batch.load_examples(tmp_path / "b.csv")
    toml_rows, toml_bad = batch.load_examples(tmp_path / "b.toml")
    assert csv_bad == toml_bad == []
    assert [r.line for r in csv_rows] == [2, 3] and [r.line for r in toml_rows] == [2, 11]
    assert [r.labels for r in csv_rows] == [r.labels for r in toml_rows] == [{"student": "Ana"}, {"student": "Ben"}]
    assert [r.example_json for r in csv_rows] == [r.example_json for r in toml_rows]
    first = csv_rows[0].example.config
    assert (first.d_model, first.trained, first.corpus) == (4, False, ("the storm brings the game", "he brings the storm"))
    assert csv_rows[1].example.config.d_model == 6   # an empty option cell keeps the default (`example -h`)
    assert csv_rows[0].folder.startswith("the-storm-brings-the-game-")


# ---------------------------------------------------------------- bad rows: every one named, or skipped

GOOD = "the storm brings the game,he brings the storm"


def md_tables(text: str) -> list[list[list[str]]]:
    """The tables of a Markdown text as a GFM renderer (markdown-it-py) reads them: rows of cell texts."""
    from markdown_it import MarkdownIt
    tables, row = [], None
    for tok in MarkdownIt("commonmark").enable("table").parse(text):
        if tok.type == "table_open":
            tables.append([])
        elif tok.type == "tr_open":
            row = []
        elif tok.type == "tr_close":
            tables[-1].append(row)
        elif tok.type == "inline" and row is not None and tables and tok.map is not None:
            row.append(tok.content)
    return tables


@pytest.mark.parametrize("name, text, line, words", [
    # the row: a blank source beside a student's target
    ("blank-source.csv", f"source,target\n{GOOD}\n,she forgot her sentence\n", 3, "The source cell is blank"),
    ("blank-target.csv", "source,target,seed\nthe storm brings the game,   ,1\n", 2, "The target cell is blank"),
    ("short-row.csv", f"source,target\n{GOOD}\n\nthe storm brings the game\n", 4, "The target cell is blank"),
    ("blank.toml", '[[example]]\nsource = "the storm"\ntarget = "he brings"\n\n[[example]]\nsource = " "\n'
     'target = "he brings"\n', 5, "The source cell is blank"),
])
def test_a_blank_sentence_cell_fails_and_names_its_row(tmp_path, name, text, line, words):
    path = tmp_path / name
    path.write_text(text)
    out = tmp_path / "out"
    res = invoke("batch", path, "2", "-q", "draft", "--no-voice", "--out", out)
    assert res.exit_code != 0 and f"{path} line {line}: {words}" in res.output, res.output
    assert "Traceback" not in res.output and len(res.output.strip().splitlines()) == 1, res.output
    assert not out.exists()


def test_every_bad_row_is_named_at_once(tmp_path):
    path = tmp_path / "class.csv"
    path.write_text("student,source,target,seed\n"
                    f"Ana,{GOOD},1\n"                                   # 2
                    "Ben,,she forgot her sentence,\n"                   # 3: blank source
                    "Cleo,you win or you die,i drink and i know things,\n"
                    "Dev,a b c d e f g h i j k l m,you die,\n"          # 5: 13 tokens (found when built)
                    "\n"
                    "Eve,you win or you die,,three\n")                  # 7: blank target and a bad seed
    out = tmp_path / "out"
    res = invoke("batch", path, "2", "-q", "draft", "--no-voice", "--out", out)
    assert res.exit_code != 0 and "Traceback" not in res.output and not out.exists()
    lines = res.output.strip().splitlines()
    assert lines[0] == f"Error: {path} has 3 bad rows; nothing was rendered:", res.output
    assert lines[1:] == [
        "  line 3 (Ben): The source cell is blank: write the sentence to translate, or delete the row.",
        "  line 5 (Dev): The source sentence has 13 tokens; shorten it to at most 12 so it fits on screen.",
        "  line 7 (Eve): The target cell is blank: write the target sentence (its translation), or delete the "
        "row. Option 'seed' must be a whole number, not 'three'.",
        "Fix them, or pass --skip-bad to render the 2 good rows."], res.output


def test_unknown_columns_are_all_named_with_a_guess(tmp_path):
    path = tmp_path / "typos.csv"
    path.write_text("name,sentense,target,colour,seeds\nAna,the storm,he brings,red,1\n")
    res = invoke("batch", path, "2", "--out", tmp_path / "out")
    lines = res.output.strip().splitlines()
    assert res.exit_code != 0 and lines[0] == f"Error: {path} line 1: the header has 3 problems:", res.output
    assert lines[1].startswith("  unknown column 'sentense' (did you mean 'source'?): use example options (")
    assert lines[2].startswith("  unknown column 'colour': use example options (")
    assert lines[3].startswith("  unknown column 'seeds' (did you mean 'seed'?)") and len(lines) == 4


def test_labels_and_skip_bad(tmp_path, monkeypatch):
    """--skip-bad renders the good rows only (the stand-in worker logs what it renders) and lists the bad ones
    on screen, in index.md and in batch.json; the label column goes into both reports, each row its own
    label even when two rows are the same example."""
    _, rendered = stand_in_worker(monkeypatch, tmp_path)
    path = tmp_path / "class.csv"
    path.write_text(f"Name,source,target\nAna,{GOOD}\nBen,,she forgot her sentence\nCleo,{GOOD}\n"
                    "Dev,you win or you die,\nFinn,you win or you die,i drink and i know things\n")
    out = tmp_path / "out"
    with in_process_cluster() as cluster:
        res = invoke("batch", path, "2", "-q", "draft", "--no-voice", "--out", out, "--skip-bad",
                     "--scheduler", cluster.scheduler_address)
    assert res.exit_code == 0, res.output
    assert sorted(rendered.read_text().splitlines()) == ["the storm brings the game", "you win or you die"]
    said = " ".join(res.output.split())   # the console wraps long lines
    assert "Skipped 2 rows" in said and "line 3 (Ben): The source cell is blank" in said
    assert "line 5 (Dev): The target cell is blank" in said

    report = json.loads((out / "batch.json").read_text())
    assert [(r["line"], r["labels"], r["status"]) for r in report["examples"]] == [
        (2, {"Name": "Ana"}, "done"), (4, {"Name": "Cleo"}, "done"), (6, {"Name": "Finn"}, "done")]
    assert [(b["line"], b["labels"], b["source"], b["target"]) for b in report["skipped"]] == [
        (3, {"Name": "Ben"}, "", "she forgot her sentence"), (5, {"Name": "Dev"}, "you win or you die", "")]
    assert "The source cell is blank" in report["skipped"][0]["error"]

    examples, skipped = md_tables((out / "index.md").read_text())
    assert examples[0][:3] == ["#", "Name", "sentence"] and skipped[0] == ["line", "Name", "sentence", "problem"]
    assert [row[1:3] for row in examples[1:]] == [["Ana", "the storm brings the game → he brings the storm"],
                                                  ["Cleo", "the storm brings the game → he brings the storm"],
                                                  ["Finn", "you win or you die → i drink and i know things"]]
    assert [row[:3] for row in skipped[1:]] == [["3", "Ben", "— → she forgot her sentence"],
                                               ["5", "Dev", "you win or you die → —"]]


def test_skip_bad_with_no_good_row_fails(tmp_path):
    path = tmp_path / "b.csv"
    path.write_text("source,target\n,he brings\nthe storm,\n")
    res = invoke("batch", path, "2", "--skip-bad", "--out", tmp_path / "out")
    assert res.exit_code != 0 and f"Every row of {path} is bad; nothing to render:" in res.output
    assert "line 2:" in res.output and "line 3:" in res.output and not (tmp_path / "out").exists()


# ---------------------------------------------------------------- the default: a local cluster

@pytest.mark.slow
def test_local_batch_of_two_examples(tmp_path):
    """The default engine (a LocalCluster started in this process, one worker process per core): both
    good examples complete, and each example.json is byte-identical to what `render.py example` writes;
    --skip-bad leaves out the row with a blank source; the name column is in both reports."""
    first, second = TWO.splitlines()[1:]
    (tmp_path / "b.csv").write_text(f"name,{TWO.splitlines()[0]}\nAna,{first}\nBen,,she forgot,\nCleo,{second}\n")
    out = tmp_path / "out"
    res = invoke("batch", tmp_path / "b.csv", "2", "-q", "draft", "--no-voice", "--out", out, "--skip-bad")
    assert res.exit_code == 0, res.output
    data = json.loads((out / "batch.json").read_text())
    report = data["examples"]
    assert [(r["line"], r["labels"], r["status"]) for r in report] == [(2, {"name": "Ana"}, "done"),
                                                                       (4, {"name": "Cleo"}, "done")]
    assert [(b["line"], b["labels"]) for b in data["skipped"]] == [(3, {"name": "Ben"})]
    assert sorted(d.name for d in out.iterdir() if d.is_dir()) == sorted(r["folder"].split("/")[0] for r in report)
    refs = [example_json_of(tmp_path, "-s", "the storm brings the game", "-t", "he brings the storm", "--seed", "1"),
            example_json_of(tmp_path, "-s", "you win or you die", "-t", "i drink and i know things")]
    for r, ref in zip(report, refs):
        folder = out / r["folder"]
        assert folder.parent.parent == out and folder.name == LOOK and r["look"] == LOOK
        assert (folder / "example.json").read_bytes() == ref
        assert (folder / "course.mp4").stat().st_size > 0 and (folder / "course.srt").exists()
        assert (folder / "manifest.json").exists() and (folder / ".ch02-embedding.key").exists()
        assert r["duration"] > 10 and r["render_seconds"] > 0 and r["course"] == f"{r['folder']}/course.mp4"
    index = (out / "index.md").read_text()
    assert f"({report[0]['course']})" in index
    examples, skipped = md_tables(index)
    assert [row[1:3] for row in examples[1:]] == [["Ana", "the storm brings the game → he brings the storm"],
                                                  ["Cleo", "you win or you die → i drink and i know things"]]
    assert [row[:2] for row in skipped[1:]] == [["3", "Ben"]]


def stand_in_worker(monkeypatch, tmp_path: Path) -> tuple[Path, Path]:
    """The orchestration without Manim: a stand-in for the chapter worker (the task of an example whose
    sentence is FAILS always fails, appending 'x' to `attempts`; any other returns a made-up chapter and
    appends its source sentence to `rendered`) and for the assembly. Returns (attempts, rendered)."""
    attempts, rendered = tmp_path / "attempts", tmp_path / "rendered"
    make_chapter = ("import json, pathlib, sys; m = pathlib.Path(sys.argv[1]); m.mkdir(parents=True); "
                    "(m / 'ch02-embedding.mp4').write_bytes(b'video'); "
                    "(m / 'ch02-embedding.steps.json').write_text(json.dumps({'steps': []})); "
                    "print(json.dumps({'video': str(m / 'ch02-embedding.mp4'), 'duration': 3.0}))")

    def stand_in(slug, example_path, settings, media_dir, next_chapter=None):
        text = Path(example_path).read_text(encoding="utf-8")
        if FAILS in text:
            return [sys.executable, "-c", "import sys; open(sys.argv[1], 'a').write('x'); sys.exit('on purpose')",
                    str(attempts)]
        with open(rendered, "a", encoding="utf-8") as fh:
            fh.write(json.loads(text)["config"]["source"] + "\n")
        return [sys.executable, "-c", make_chapter, str(media_dir)]

    def fake_assemble(ex, chapters, folder, settings):
        steps = json.loads((folder / "ch02-embedding.steps.json").read_text())
        (folder / "course.json").write_text(json.dumps(
            {"chapters": [{"duration": 3.0, "render_seconds": steps["render_seconds"]}]}))
        (folder / "course.mp4").write_bytes((folder / "ch02-embedding.mp4").read_bytes())
        return folder / "course.mp4"

    monkeypatch.setattr(batch, "worker_command", stand_in)
    monkeypatch.setattr(settings, "code_version", lambda: "fixed")   # others may edit scenes/ meanwhile
    monkeypatch.setattr(assemble, "assemble_course", fake_assemble)
    return attempts, rendered


def in_process_cluster():
    from distributed import LocalCluster
    return LocalCluster(n_workers=2, threads_per_worker=1, processes=False, host="127.0.0.1", protocol="tcp",
                        dashboard_address=None, scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})


def test_a_task_that_fails_twice_marks_only_its_example_failed(tmp_path, monkeypatch):
    """The orchestration without Manim: an in-process cluster and the stand-in worker (one row's task always
    fails, the other's returns a made-up chapter)."""
    attempts, _ = stand_in_worker(monkeypatch, tmp_path)
    (tmp_path / "b.csv").write_text(f"source,target\nthe storm brings the game,he brings the storm\n{FAILS},you die\n")
    out = tmp_path / "out"
    with in_process_cluster() as cluster:
        args = ["batch", tmp_path / "b.csv", "2", "-q", "draft", "--no-voice", "--out", out,
                "--scheduler", cluster.scheduler_address]
        res = invoke(*args)
        assert res.exit_code == 1 and "1 of 2 examples failed (lines 3)" in res.output, res.output
        assert attempts.read_text() == "xx"   # retried once, then given up
        report = json.loads((out / "batch.json").read_text())["examples"]
        assert [r["status"] for r in report] == ["done", "failed"]
        assert "on purpose" in report[1]["error"] and report[1]["course"] is None and report[1]["duration"] is None
        done = out / report[0]["folder"]
        assert (done / "ch02-embedding.mp4").read_bytes() == b"video" and (done / ".ch02-embedding.key").exists()
        assert report[0]["duration"] == 3.0 and "| failed: ch02-embedding: " in (out / "index.md").read_text()
        # the rerun sends only the failed row's chapter again
        res = invoke(*args)
        assert res.exit_code == 1 and attempts.read_text() == "xxxx"
        assert [r["status"] for r in json.loads((out / "batch.json").read_text())["examples"]] == \
            ["up to date", "failed"]


# ---------------------------------------------------------------- a real scheduler, a worker killed mid-task

def _children(pid: int) -> list[int]:
    kids = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids += [int(k) for k in (task / "children").read_text().split()]
        except OSError:
            pass
    return kids


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="watches processes through /proc")
def test_scheduler_batch_survives_a_killed_worker(tmp_path):
    from distributed import Client
    procs = []
    # the checkout on the path, as an installed project has it (an editable install made before
    # pipeline/ existed does not map it)
    env = dict(os.environ, DASK_DISTRIBUTED__LOGGING__DISTRIBUTED="error",
               PYTHONPATH=os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))

    def start(*args, log):
        procs.append(subprocess.Popen(args, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                                      stderr=open(tmp_path / log, "w")))
        return procs[-1]

    try:
        sched_file = tmp_path / "scheduler.json"
        start(DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
              "--dashboard-address", "127.0.0.1:0",   # its HTTP routes: local, any free port
              "--scheduler-file", str(sched_file), log="scheduler.log")
        deadline = time.time() + 60
        while not sched_file.exists() and time.time() < deadline:
            time.sleep(0.2)
        address = json.loads(sched_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        workers = [start(DASK, "worker", address, "--host", "127.0.0.1", "--no-dashboard", "--no-nanny",
                         "--nthreads", "1", "--name", f"w{i}", log=f"worker{i}.log") for i in range(2)]
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)

        (tmp_path / "b.csv").write_text(TWO)
        out = tmp_path / "out"
        run = subprocess.Popen([PY, "render.py", "batch", str(tmp_path / "b.csv"), "2", "-q", "draft", "--no-voice",
                                "--scheduler", address, "--out", str(out)],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        procs.append(run)
        # kill the first worker seen rendering (its chapter process is running), and check its render dies too
        victim = render_pid = None
        deadline = time.time() + 120
        while victim is None and time.time() < deadline and run.poll() is None:
            for w in workers:
                renders = [k for k in _children(w.pid) if "pipeline.worker --chapter" in _cmdline(k)]
                if renders:
                    victim, render_pid = w, renders[0]
                    break
            time.sleep(0.2)
        assert victim is not None, "no worker started a render"
        victim.kill()
        victim.wait()
        for _ in range(50):
            if not _alive(render_pid):
                break
            time.sleep(0.1)
        assert not _alive(render_pid), "the killed worker's render kept running"

        output, _ = run.communicate(timeout=300)
        assert run.returncode == 0, output
        report = json.loads((out / "batch.json").read_text())["examples"]
        assert [r["status"] for r in report] == ["done", "done"]
        for r in report:
            assert (out / r["folder"] / "course.mp4").stat().st_size > 0
            assert (out / r["folder"] / ".ch02-embedding.key").exists()
        # the survivor's next task removed the temporary folder the killed worker left behind
        assert not list(Path(tempfile.gettempdir()).glob(f"ta-batch-{victim.pid}-*"))
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in reversed(procs):
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
