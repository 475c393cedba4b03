"""mathcore/train.py without torch: finite differences, Adam, the schedule, the trained default example,
rounding, the training record in the JSON, and the command-line options.

The gradients are also checked against torch autograd in tests/test_train_torch.py. The default example's
training time is measured by scripts/bench_train.py (not asserted here: timings depend on the machine).
"""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from click.testing import CliRunner

import render
from mathcore import Config, Example, build_example, model
from mathcore.example import prepare
from mathcore.layers import softmax
from mathcore.train import (AdamState, adam_init, adam_step, learning_rate_at, loss_and_grads, round_weights,
                            softmax_backward, train, training_pairs)


@pytest.fixture(scope="module")
def ex():
    return build_example(Config())


def _setup(cfg):
    vocab, _, _ = prepare(cfg)
    return vocab, model.init_weights(cfg, len(vocab)), training_pairs(cfg, vocab)[0]


# ---------------------------------------------------------------- finite differences

FD_CONFIGS = {
    "default": Config(),
    "untied, unscaled, two layers": Config(tied_output=False, scale_embedding=False, n_encoder_layers=2,
                                           n_decoder_layers=2, seed=4),
    "d_model 8, 4 heads, char": Config(d_model=8, n_heads=4, d_ff=16, tokenizer="char", source="storm",
                                       target="winter", seed=9),
    "one token each": Config(source="storm", target="die", d_model=4, n_heads=1, seed=2),
}


@pytest.mark.parametrize("jitter", [0.0, 0.2], ids=["initial weights", "jittered weights"])
@pytest.mark.parametrize("cfg", FD_CONFIGS.values(), ids=FD_CONFIGS.keys())
def test_gradient_matches_finite_differences(cfg, jitter):
    """Central differences on 3 entries of every weight: (L(w + h) - L(w - h)) / 2h, h = 1e-5."""
    vocab, weights, (src, tgt, lab) = _setup(cfg)
    rng = np.random.default_rng(0)
    if jitter:  # gamma and beta away from 1 and 0 as well
        weights = {k: w + rng.normal(0, jitter, w.shape) for k, w in weights.items()}
    loss, grads = loss_and_grads(cfg, weights, src, tgt, lab)
    assert set(grads) == set(weights) and all(grads[k].shape == weights[k].shape for k in weights)
    h = 1e-5
    for name, w in weights.items():
        for _ in range(3):
            idx = tuple(int(rng.integers(0, n)) for n in w.shape)
            plus, minus = dict(weights), dict(weights)
            plus[name], minus[name] = w.copy(), w.copy()
            plus[name][idx] += h
            minus[name][idx] -= h
            fd = (loss_and_grads(cfg, plus, src, tgt, lab)[0] - loss_and_grads(cfg, minus, src, tgt, lab)[0]) / (2 * h)
            assert abs(fd - grads[name][idx]) <= 1e-7 + 1e-5 * abs(fd), (name, idx, fd, grads[name][idx])


def test_loss_is_the_mean_cross_entropy_of_the_recorded_probabilities(ex):
    probs = ex.value("output.probs")
    labels = [ex.vocab.index(t) for t in ex.tokens["target_labels"]]
    expected = -np.mean(np.log(probs[np.arange(len(labels)), labels]))
    assert ex.training.final_loss == pytest.approx(expected, abs=1e-12)
    cfg = Config()
    vocab, weights, (src, tgt, lab) = _setup(cfg)
    assert loss_and_grads(cfg, weights, src, tgt, lab)[0] == pytest.approx(math.log(len(vocab)), abs=0.5)


def test_masked_cells_get_exactly_zero_gradient():
    scores = np.array([[0.3, -np.inf, -np.inf], [0.1, 0.7, -np.inf], [0.2, -0.4, 0.9]])
    p = softmax(scores)
    ds = softmax_backward(p, np.arange(9.0).reshape(3, 3))
    assert np.all(ds[np.isneginf(scores)] == 0.0)
    np.testing.assert_allclose(ds.sum(axis=1), 0.0, atol=1e-12)   # softmax is shift-invariant


# ---------------------------------------------------------------- Adam and the schedule

def test_first_adam_step_moves_each_weight_by_the_learning_rate_against_its_gradient():
    w = {"a": np.array([1.0, -2.0, 0.5]), "b": np.array([[3.0]])}
    g = {"a": np.array([0.3, -4.0, 0.0]), "b": np.array([[1e-3]])}
    new, state = adam_step(w, g, adam_init(w), lr=0.1)
    # m_hat = g, v_hat = g^2 after one step, so the update is lr * g / (|g| + eps) = lr * sign(g)
    np.testing.assert_allclose(new["a"], [0.9, -1.9, 0.5], atol=1e-9)
    np.testing.assert_allclose(new["b"], [[2.9]], atol=1e-6)
    assert isinstance(state, AdamState) and state.t == 1
    assert w["a"].tolist() == [1.0, -2.0, 0.5]  # inputs unchanged
    np.testing.assert_allclose(state.m["a"], 0.1 * g["a"])
    np.testing.assert_allclose(state.v["a"], 0.02 * g["a"] ** 2)


def test_second_adam_step_by_hand():
    w, g1, g2, lr = {"x": np.array([0.0])}, {"x": np.array([1.0])}, {"x": np.array([-2.0])}, 0.01
    w1, s1 = adam_step(w, g1, adam_init(w), lr)
    w2, s2 = adam_step(w1, g2, s1, lr)
    m = 0.9 * 0.1 * 1.0 + 0.1 * -2.0
    v = 0.98 * 0.02 * 1.0 + 0.02 * 4.0
    step = lr * (m / (1 - 0.9 ** 2)) / (math.sqrt(v / (1 - 0.98 ** 2)) + 1e-9)
    first = lr * 1.0 / (1.0 + 1e-9)
    assert w2["x"][0] == pytest.approx(-first - step, abs=1e-15)


def test_warmup_schedule():
    lr = [learning_rate_at(s, 0.03, warmup=10) for s in range(40)]
    assert lr[0] == pytest.approx(0.003) and lr[4] == pytest.approx(0.015)
    assert max(lr) == pytest.approx(0.03) and int(np.argmax(lr)) == 9          # peak at the end of the warm-up
    assert lr[39] == pytest.approx(0.03 * math.sqrt(10 / 40))                 # then 1 / sqrt(step)
    assert all(a < b for a, b in zip(lr[:9], lr[1:10])) and all(a > b for a, b in zip(lr[9:], lr[10:]))


# ---------------------------------------------------------------- the trained default example

def test_default_trained_generates_the_target_exactly(ex):
    run = ex.training
    assert run.reproduced and run.decimals == 2 and 0 < run.steps < Config().train_steps
    assert ex.tokens["generated"] == ex.tokens["target_labels"] == ("you", "win", "or", "you", "die", "<end>")
    assert ex.tokens["predicted"] == ex.tokens["target_labels"]


def test_loss_decreases_overall(ex):
    losses = ex.training.losses
    assert len(losses) == ex.training.steps + 1 and len(ex.training.learning_rates) == ex.training.steps
    q = max(len(losses) // 4, 1)
    assert losses[-1] < 0.5 * losses[0]
    assert losses[-q:].mean() < losses[:q].mean()
    assert ex.training.final_loss < 0.5 * losses[0]


def test_recorded_forward_pass_uses_exactly_the_rounded_weights(ex):
    run = ex.training
    for name, w in ex.weights.items():
        assert np.array_equal(w, np.round(w, run.decimals)), name
    # recompute from the Example's weights: every recorded number comes from exactly them
    cfg = ex.config
    src = ex.value("source.ids")
    tgt = ex.value("target.ids")
    _, enc = model.encode(src, cfg, ex.weights)
    assert np.array_equal(enc[-1].norm2.out, ex.value("encoder.output"))
    _, _, logits, probs = model.decode(tgt, enc[-1].norm2.out, cfg, ex.weights)
    assert np.array_equal(logits, ex.value("output.logits")) and np.array_equal(probs, ex.value("output.probs"))
    # the last checkpoint is the final weights; every checkpoint's prediction comes from its rounded weights
    last = run.checkpoints[-1]
    assert last.step == run.steps and all(np.array_equal(last.weights[k], ex.weights[k]) for k in ex.weights)
    assert np.array_equal(last.predicted, ex.value("output.predicted"))
    assert run.checkpoints[0].step == 0
    init = build_example(Config(trained=False))
    for k in init.weights:
        assert np.array_equal(run.checkpoints[0].weights[k], init.weights[k]), k
    assert np.array_equal(run.checkpoints[0].predicted, init.value("output.predicted"))
    assert [c.step for c in run.checkpoints] == sorted({c.step for c in run.checkpoints})
    # each checkpoint's loss is the cross-entropy of its own rounded weights: −log of the true words' probability
    labels = ex.value("target.ids")[1:].tolist() + [ex.vocab.index("<end>")]
    assert last.loss == run.final_loss
    p = ex.value("output.probs")[np.arange(len(labels)), labels]
    assert abs(last.loss - float(-np.log(p).mean())) < 1e-12
    assert abs(run.checkpoints[0].loss - float(ex.value("train.0.loss"))) < 1e-12


def test_rounding_that_breaks_the_prediction_keeps_more_decimals():
    # at the 30-step limit the raw weights reproduce the target but the weights rounded to 1 decimal do not
    cfg = Config(decimals=1, seed=2, train_steps=30)
    ex = build_example(cfg)
    run = ex.training
    assert run.steps == 30 and run.reproduced and run.decimals == 2
    assert ex.tokens["generated"] == ex.tokens["target_labels"]
    assert all(np.array_equal(w, np.round(w, 2)) for w in ex.weights.values())
    assert not all(np.array_equal(w, np.round(w, 1)) for w in ex.weights.values())
    assert "kept at 2 decimals" in render.summary(ex)


def test_step_limit_without_success_is_reported():
    ex = build_example(Config(train_steps=3))
    assert ex.training.steps == 3 and not ex.training.reproduced
    assert "reproduces the target: no" in render.summary(ex)


def test_training_is_deterministic_and_starts_from_the_seed():
    cfg = Config(seed=3, source="the storm brings the game")
    vocab, weights, _ = _setup(cfg)
    a, b = train(cfg, weights, vocab), train(cfg, weights, vocab)
    assert np.array_equal(a.losses, b.losses) and a.steps == b.steps
    assert all(np.array_equal(a.weights[k], b.weights[k]) for k in a.weights)
    assert all(np.array_equal(a.grads[k], loss_and_grads(cfg, weights, *training_pairs(cfg, vocab)[0])[1][k])
               for k in weights)


def test_train_options_override_the_config():
    cfg = Config()
    vocab, weights, _ = _setup(cfg)
    run = train(cfg, weights, vocab, steps=4, learning_rate=0.001, warmup=2)
    assert run.steps == 4 and run.warmup == 2
    np.testing.assert_allclose(run.learning_rates, [learning_rate_at(s, 0.001, 2) for s in range(4)])


def test_train_on_corpus_adds_copy_pairs_and_still_reproduces_the_target():
    cfg = Config(train_on_corpus=True)
    vocab, _, _ = prepare(cfg)
    pairs = training_pairs(cfg, vocab)
    assert len(pairs) == 4
    for src, tgt, lab in pairs[1:]:
        assert np.array_equal(src, tgt[1:]) and np.array_equal(tgt[1:], lab[:-1])  # each line copied to itself
    ex = build_example(cfg)
    assert ex.training.pairs == 4 and ex.training.reproduced
    assert ex.tokens["generated"] == ex.tokens["target_labels"]
    assert "3 corpus lines" in ex.step("output.predicted").narration


def test_round_weights_has_no_negative_zero():
    r = round_weights({"w": np.array([-0.001, 0.004, -0.006])}, 2)["w"]
    assert r.tolist() == [0.0, 0.0, -0.01] and not np.signbit(r[0])


# ---------------------------------------------------------------- JSON

def test_training_section_round_trips_exactly(ex, tmp_path):
    path = ex.save(tmp_path / "ex.json")
    data = json.loads(path.read_text())
    t = data["training"]
    assert t["steps"] == ex.training.steps and t["reproduces_target"] is True and t["decimals"] == 2
    assert len(t["loss"]) == t["steps"] + 1 and len(t["learning_rate"]) == t["steps"]
    assert set(t["grads"]) == set(ex.weights) and t["checkpoints"][0]["step"] == 0
    back = Example.load(path)
    assert back.to_json() == ex.to_json()
    assert np.array_equal(back.training.losses, ex.training.losses)
    for k in ex.weights:
        assert np.array_equal(back.training.grads[k], ex.training.grads[k])
        assert np.array_equal(back.training.weights[k], ex.weights[k])
    assert [c.predicted.tolist() for c in back.training.checkpoints] == [
        c.predicted.tolist() for c in ex.training.checkpoints]
    assert build_example(Config()).to_json() == ex.to_json()  # byte-identical across runs


def test_untrained_example_has_null_training():
    ex = build_example(Config(trained=False))
    assert json.loads(ex.to_json())["training"] is None
    assert Example.from_json(ex.to_json()).training is None


# ---------------------------------------------------------------- command line

def test_cli_training_options(tmp_path):
    runner = CliRunner()
    out = tmp_path / "ex.json"
    res = runner.invoke(render.cli, ["example", "--out", str(out)], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert "reproduces the target: yes" in res.output and "untrained" not in res.output
    res = runner.invoke(render.cli, ["example", "--untrained", "--out", str(out)], catch_exceptions=False)
    assert res.exit_code == 0 and "untrained random weights" in res.output
    assert json.loads(out.read_text())["config"]["trained"] is False
    res = runner.invoke(render.cli, ["example", "--train-steps", "7", "--learning-rate", "0.01", "--out", str(out)],
                        catch_exceptions=False)
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text())
    assert data["config"]["train_steps"] == 7 and data["config"]["learning_rate"] == 0.01
    assert data["training"]["steps"] == 7 and "Training     7 steps" in res.output
    for bad, words in ((["--train-steps", "0"], "train_steps must be"),
                       (["--learning-rate", "-1"], "learning_rate must be a positive number")):
        res = runner.invoke(render.cli, ["example", *bad, "--out", str(tmp_path / "bad.json")])
        assert res.exit_code != 0 and words in res.output and "Traceback" not in res.output
