"""The shape of mathcore, checked without hard-coding any output (issue 13).

- model.generate is the generation the example records: called on the example's own weights it gives the
  recorded generate.{t}.* steps and `generated` tokens exactly, for trained, untrained and length-limited runs;
  model.forward likewise gives the recorded teacher-forced pass.
- Generation behaves as greedy decoding must (each input is <start> + the tokens so far, each choice is the
  most probable word but never <start>, it stops at <end> or the limit) and agrees with the teacher-forced
  pass wherever the prefixes agree (the causal mask makes them the same computation).
- Code structure: no function in mathcore/ longer than 60 lines; mathcore imports only numpy and the standard
  library (never manim, scenes or the CLI); intermediates are frozen dataclasses; every recorded narration
  comes from narration.py; the numeric functions of layers.py and model.py state their shapes on the def line;
  the names other modules import stay importable where they were.
"""
import ast
import dataclasses
import inspect
import sys
from pathlib import Path

import numpy as np
import pytest

import mathcore
from mathcore import Config, build_example, layers, model, narration, record, train
from mathcore.tokenizer import END, START

MATHCORE = Path(mathcore.__file__).parent
MAX_FUNCTION_LINES = 60

CONFIGS = {
    "default": Config(),
    "untrained": Config(trained=False),             # arbitrary words, stops at the limit
    "limit3": Config(max_new_tokens=3),             # stops at the limit before <end>
    "not-reproduced": Config(train_steps=5),        # training too short: generation differs from the target
    "d2-untied": Config(d_model=2, n_heads=1, d_ff=4, tied_output=False, trained=False),  # ties are common at d = 2
}


@pytest.fixture(scope="module", params=list(CONFIGS), ids=list(CONFIGS))
def ex(request):
    return build_example(CONFIGS[request.param])


def _limit(ex) -> int:
    return model.generation_limit(ex.config, len(ex.tokens["target_labels"]) - 1)


def _generate(ex, limit=None) -> model.Generation:
    return model.generate(ex.value("source.ids"), ex.config, ex.weights, _limit(ex) if limit is None else limit)


# ---------------------------------------------------------------- generation and the forward pass

def test_generate_reproduces_the_recorded_generation(ex):
    gen = _generate(ex)
    assert isinstance(gen, model.Generation) and dataclasses.is_dataclass(gen)
    assert tuple(ex.vocab[i] for i in gen.tokens) == ex.tokens["generated"]
    recorded = sorted({int(s.id.split(".")[1]) for s in ex.steps_under("generate")})
    assert recorded == list(range(len(gen.steps)))
    for t, g in enumerate(gen.steps):
        p = f"generate.{t}"
        assert np.array_equal(ex.value(f"{p}.input"), g.ids)
        assert np.array_equal(ex.value(f"{p}.logits"), g.logits)
        assert np.array_equal(ex.value(f"{p}.probs"), g.probs)
        assert int(ex.value(f"{p}.token")) == g.token
        assert ex.step(f"{p}.input").rows == tuple(ex.vocab[i] for i in g.ids)


def test_generate_is_greedy_decoding(ex):
    gen = _generate(ex)
    start, end = ex.vocab.index(START), ex.vocab.index(END)
    fed = [start]
    for g in gen.steps:
        assert g.ids.tolist() == fed                      # <start> + every token chosen so far
        assert g.token != start
        others = np.delete(g.probs, start)
        assert g.probs[g.token] >= others.max() - model.TIE_TOLERANCE
        assert np.allclose(g.probs, layers.softmax(g.logits), rtol=0, atol=1e-15)
        fed.append(g.token)
    tokens = list(gen.tokens)
    assert end not in tokens[:-1]                           # it stops at the first <end> ...
    assert tokens[-1:] == [end] or len(tokens) == _limit(ex)  # ... or at the limit


def test_generation_agrees_with_the_teacher_forced_pass(ex):
    """Under the causal mask, position t of the parallel pass sees exactly what generation step t sees."""
    gen = _generate(ex)
    target_ids = ex.value("target.ids").tolist()
    probs = ex.value("output.probs")
    for t, g in enumerate(gen.steps):
        if g.ids.tolist() != target_ids[:t + 1]:
            break
        assert np.allclose(g.probs, probs[t], rtol=0, atol=1e-12)


def test_generate_respects_any_limit(ex):
    assert _generate(ex, limit=0).steps == ()
    one = _generate(ex, limit=1)
    assert len(one.steps) == 1 and one.tokens == _generate(ex).tokens[:1]


def test_training_judges_success_by_the_same_generation(ex):
    assert train.generate(ex.config, ex.weights, ex.value("source.ids"), _limit(ex)) == list(_generate(ex).tokens)
    if ex.training is not None:
        labels = [ex.vocab.index(w) for w in ex.tokens["target_labels"]][:_limit(ex)]
        assert ex.training.reproduced == (list(_generate(ex).tokens) == labels)


def test_forward_reproduces_the_recorded_pass(ex):
    fwd = model.forward(ex.value("source.ids"), ex.value("target.ids"), ex.config, ex.weights)
    assert np.array_equal(fwd.memory, ex.value("encoder.output"))
    assert np.array_equal(fwd.output, ex.value("decoder.output"))
    assert np.array_equal(fwd.logits, ex.value("output.logits"))
    assert np.array_equal(fwd.probs, ex.value("output.probs"))
    assert np.array_equal(fwd.predicted, ex.value("output.predicted"))
    assert tuple(ex.vocab[i] for i in fwd.predicted) == ex.tokens["predicted"]


# ---------------------------------------------------------------- code structure

def _modules():
    return sorted(MATHCORE.glob("*.py"))


def _functions(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def test_no_function_in_mathcore_is_long():
    long = [f"{p.name}:{f.lineno} {f.name} ({f.end_lineno - f.lineno + 1} lines)"
            for p in _modules() for f in _functions(p) if f.end_lineno - f.lineno + 1 > MAX_FUNCTION_LINES]
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines: {long}"


def test_build_example_only_orchestrates():
    """It calls the training, the forward pass, generation and the recorder; the arithmetic lives elsewhere."""
    src = inspect.getsource(mathcore.example.build_example)
    for call in ("train.train(", "model.forward(", "model.generate(", "record."):
        assert call in src
    body = ast.parse(src)
    assert not any(isinstance(n, (ast.For, ast.While)) for n in ast.walk(body)), "no loops: they belong elsewhere"
    assert "np." not in src


def test_mathcore_imports_only_numpy_and_the_standard_library():
    # py3langid: numpy-only language identification with its model inside the wheel, imported by
    # language.py alone, which picks the corpus that builds an example's vocabulary
    allowed = set(sys.stdlib_module_names) | {"numpy"}
    exceptions = {("language.py", "py3langid")}
    bad = []
    for p in _modules():
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            else:
                continue
            bad += [f"{p.name}:{node.lineno} {n}" for n in names
                    if n.split(".")[0] not in allowed and (p.name, n.split(".")[0]) not in exceptions]
    assert not bad, f"mathcore must import only numpy and the standard library (never manim or scenes; py3langid in language.py): {bad}"


def test_intermediates_are_frozen_dataclasses():
    import importlib
    thawed = []
    for p in _modules():
        module = importlib.import_module(f"mathcore.{p.stem}")
        for name, obj in vars(module).items():
            if (inspect.isclass(obj) and obj.__module__ == module.__name__ and dataclasses.is_dataclass(obj)
                    and not obj.__dataclass_params__.frozen):
                thawed.append(f"{p.stem}.{name}")
    assert not thawed, f"dataclasses that are not frozen: {thawed}"
    for cls in (model.Forward, model.Generation, model.GenerationStep, train.FirstUpdate, record.Step):
        assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen


def test_every_narration_comes_from_the_narration_module():
    """Each step(...) in record.py words its narration (6th argument) only through narration.py (`say.*`)."""
    tree = ast.parse((MATHCORE / "record.py").read_text(encoding="utf-8"))
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "step"]
    assert len(calls) > 30
    for call in calls:
        text = call.args[5]
        inner = list(ast.walk(text))
        assert any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                   and getattr(n.func.value, "id", None) == "say" for n in inner), ast.unparse(text)
        assert not any(isinstance(n, ast.Constant) and isinstance(n.value, str) for n in inner), ast.unparse(text)


def test_narration_functions_return_plain_sentences(ex):
    assert all(s.narration and s.narration == s.narration.strip() for s in ex.steps)
    assert all("<" not in s.narration.replace("<start>", "").replace("<end>", "") for s in ex.steps)
    public = [f for n, f in vars(narration).items() if inspect.isfunction(f) and not n.startswith("_")]
    assert len(public) > 40


NUMERIC = {
    layers: ("embed", "positional_encoding", "frequencies", "softmax", "causal_mask", "attention_head",
             "multi_head_attention", "add_and_norm", "feed_forward", "output_layer"),
    model: ("output_matrix", "prepare_inputs", "encoder_layer", "decoder_layer", "encode", "decode",
            "greedy_choice", "forward", "generate"),
    train: ("first_update",),
}


@pytest.mark.parametrize("module", list(NUMERIC), ids=lambda m: m.__name__)
def test_numeric_functions_state_their_shapes_on_the_def_line(module):
    src = Path(module.__file__).read_text(encoding="utf-8").splitlines()
    funcs = {f.name: f for f in _functions(Path(module.__file__))}
    missing = []
    for name in NUMERIC[module]:
        f = funcs[name]
        signature = src[f.lineno - 1:f.body[0].lineno - 1]   # the def line(s), up to the body or docstring
        if not any("#" in line and "(" in line.split("#", 1)[1] for line in signature):
            missing.append(name)
    assert not missing, f"no shape comment on the def line: {missing}"


def test_public_names_stay_importable_where_they_were():
    from mathcore import Example, Step, prepare  # noqa: F401
    from mathcore.example import TIE_TOLERANCE, Example as E2, Step as S2, build_example as b2, greedy_choice, prepare as p2
    assert S2 is Step is record.Step and E2 is Example and p2 is prepare and b2 is build_example
    assert greedy_choice is model.greedy_choice and TIE_TOLERANCE == model.TIE_TOLERANCE
    from mathcore.train import (AdamState, adam_init, adam_step, learning_rate_at, loss_and_grads,  # noqa: F401
                                round_weights, softmax_backward, train as train_fn, training_pairs)
