"""mathcore: hand-checked values, properties of the recorded steps, tokenizer, validation, JSON."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from mathcore import Config, ConfigError, Example, build_example
from mathcore.layers import add_and_norm, causal_mask, positional_encoding, softmax
from mathcore.tokenizer import build_vocab, tokenize


@pytest.fixture(scope="module")
def ex():
    return build_example(Config())


# ---------------------------------------------------------------- hand-checked values (docs/teaching-notes.md §2)

def test_positional_rows_match_reference():
    pe = positional_encoding(3, 6)
    np.testing.assert_allclose(pe[0], [0, 1, 0, 1, 0, 1], atol=1e-12)
    np.testing.assert_allclose(pe[1], [0.8415, 0.5403, 0.0464, 0.9989, 0.0022, 1.0000], atol=5e-5)
    np.testing.assert_allclose(pe[2], [0.9093, -0.4161, 0.0927, 0.9957, 0.0043, 1.0000], atol=5e-5)


def test_positional_does_not_use_column_index_in_exponent():
    # the common bug gives 0.8415, 0.9989, 0.0022, ... for pos 1 (docs/teaching-notes.md §2)
    assert abs(positional_encoding(2, 6)[1, 1] - 0.9989) > 0.4


def test_softmax_of_small_row():
    # e^1, e^2, e^3 over their sum 30.19287...: 0.0900306, 0.2447285, 0.6652410
    np.testing.assert_allclose(softmax(np.array([1.0, 2.0, 3.0])), [0.0900306, 0.2447285, 0.6652410], atol=1e-7)
    # masked cells: exp(-inf) = 0 exactly, the rest renormalize
    assert softmax(np.array([0.0, 0.0, -np.inf])).tolist() == [0.5, 0.5, 0.0]


def test_layer_norm_of_one_row():
    # [1, 2, 3, 4]: mean 2.5, population variance 1.25, divide by sqrt(1.25 + 1e-5)
    an = add_and_norm(np.array([[1.0, 2.0, 3.0, 4.0]]), np.zeros((1, 4)), np.ones(4), np.zeros(4))
    assert an.mean[0] == 2.5 and an.var[0] == 1.25
    s = math.sqrt(1.25001)
    np.testing.assert_allclose(an.out[0], [-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s], atol=1e-12)
    np.testing.assert_allclose(an.out[0], [-1.3416355, -0.4472118, 0.4472118, 1.3416355], atol=1e-7)


def test_causal_mask_hides_the_future():
    assert causal_mask(3).tolist() == [[False, True, True], [False, False, True], [False, False, False]]


# ---------------------------------------------------------------- the default worked example (docs/teaching-notes.md §1)

def test_default_vocabulary_and_tokens(ex):
    assert len(ex.vocab) == 25 and ex.vocab[:2] == ("<start>", "<end>")
    assert "won't" in ex.vocab
    assert ex.tokens["source"] == ("when", "you", "play", "game", "of", "thrones")
    assert ex.tokens["target_input"] == ("<start>", "you", "win", "or", "you", "die")
    assert ex.tokens["target_labels"] == ("you", "win", "or", "you", "die", "<end>")


def test_default_shapes(ex):
    assert ex.step("source.onehot").shape == (6, 25)
    assert ex.step("source.input").shape == (6, 6)
    assert ex.step("encoder.0.self_attn.head1.q").shape == (6, 3)
    assert ex.step("encoder.0.self_attn.head2.weights").shape == (6, 6)
    assert ex.step("decoder.0.cross_attn.head1.weights").shape == (6, 6)
    assert ex.step("encoder.0.ffn.hidden").shape == (6, 12)
    assert ex.step("output.probs").shape == (6, 25)


def test_weights_are_rounded_zero_mean_and_not_all_positive():
    ex = build_example(Config(trained=False))  # the initialization itself
    assert ex.training is None
    for name, w in ex.weights.items():
        assert np.array_equal(w, np.round(w, 2)), name
    W = ex.weights["encoder.0.self_attn.W_Q"]
    assert (W < 0).any() and (W > 0).any()
    a = math.sqrt(6 / 12)
    assert np.abs(W).max() <= a + 0.005
    assert np.all(ex.weights["encoder.0.norm1.gamma"] == 1) and np.all(ex.weights["encoder.0.norm1.beta"] == 0)


def test_trained_weights_are_rounded_and_differ_from_the_initial_ones(ex):
    run = ex.training
    assert run is not None and run.reproduced and run.decimals == 2
    init = build_example(Config(trained=False)).weights
    for name, w in ex.weights.items():
        assert np.array_equal(w, np.round(w, run.decimals)), name
        assert w is run.weights[name]
    assert any(not np.array_equal(ex.weights[k], init[k]) for k in init)
    assert not np.all(ex.weights["decoder.0.norm3.gamma"] == 1)  # training moved gamma off 1


def test_prediction_narration_is_honest(ex):
    # trained: says so, with the number of steps, and does not claim understanding
    text = ex.step("output.predicted").narration
    assert f"trained on this one sentence pair for {ex.training.steps} steps" in text
    assert "does not understand language" in text and "arbitrary" not in text
    last_token = [s for s in ex.steps if s.id.endswith(".token")][-1]
    assert "exactly the target" in last_token.narration
    assert "training has changed them" in ex.step("decoder.0.norm3.out").narration
    untrained = build_example(Config(trained=False))
    assert "random and untrained, so the guesses are arbitrary" in untrained.step("output.predicted").narration
    assert "until training changes them" in untrained.step("decoder.0.norm3.out").narration
    # trained but not reproduced (too few steps): says that too
    short = build_example(Config(train_steps=2))
    assert not short.training.reproduced and "still do not reproduce" in short.step("output.predicted").narration


def test_embedding_picks_rows_and_is_scaled(ex):
    ids = ex.value("source.ids")
    np.testing.assert_array_equal(ex.value("source.embedding"), ex.weights["embedding.W_E"][ids])
    np.testing.assert_allclose(ex.value("source.embedding_scaled"), ex.weights["embedding.W_E"][ids] * math.sqrt(6))
    np.testing.assert_allclose(ex.value("source.input"), ex.value("source.embedding_scaled") + ex.value("source.positional"))


def test_cross_attention_queries_come_from_the_decoder(ex):
    dec = ex.value("decoder.0.norm1.out")
    enc = ex.value("encoder.output")
    np.testing.assert_allclose(ex.value("decoder.0.cross_attn.head1.q"), dec @ ex.head_weight("decoder.0.cross_attn.W_Q", 1))
    np.testing.assert_allclose(ex.value("decoder.0.cross_attn.head2.k"), enc @ ex.head_weight("decoder.0.cross_attn.W_K", 2))


def test_every_step_input_exists(ex):
    known = set(ex.weights)
    for s in ex.steps:
        for i in s.inputs:
            assert i in known, f"{s.id} names unknown input {i}"
        known.add(s.id)


def test_step_labels_fit_shapes(ex):
    for s in ex.steps:
        if s.rows is not None:
            assert len(s.rows) == s.shape[0], s.id
        if s.cols is not None:
            assert len(s.cols) == s.shape[-1], s.id
        assert s.narration and s.title and s.formula, s.id


def test_generation_first_step_equals_teacher_forced_first_row(ex):
    np.testing.assert_allclose(ex.value("generate.0.probs"), ex.value("output.probs")[0], atol=1e-12)
    assert ex.tokens["generated"][0] == ex.tokens["predicted"][0]


# ---------------------------------------------------------------- properties, over many configurations

configs = st.builds(
    lambda d, hi, seed, n, m, tok, trained: Config(
        d_model=d, n_heads=[h for h in range(1, d + 1) if d % h == 0][hi % len([h for h in range(1, d + 1) if d % h == 0])],
        seed=seed, source=" ".join(["game", "you", "storm", "the", "of", "win"] * 2)[: n * 5],
        target=" ".join(["you", "die", "or"] * 4)[: m * 4], tokenizer=tok,
        trained=trained, train_steps=40),  # a short run: the properties hold for any weights
    st.integers(2, 8), st.integers(0, 7), st.integers(0, 50), st.integers(1, 12), st.integers(1, 12),
    st.sampled_from(["word", "char"]), st.booleans())


@settings(max_examples=25, deadline=None)
@given(configs)
def test_properties(cfg):
    try:
        ex = build_example(cfg)
    except ConfigError:
        return  # char mode can exceed 12 tokens: rejected cleanly, which test_validation covers
    for s in ex.steps:
        if s.id.endswith(".weights"):
            np.testing.assert_allclose(s.value.sum(axis=1), 1.0, atol=1e-12)
            assert (s.value >= 0).all()
        if s.id.endswith(".masked"):
            hidden = causal_mask(s.shape[0])
            assert np.all(s.value[hidden] == -np.inf)
            weights = ex.value(s.id.replace(".masked", ".weights"))
            assert np.all(weights[hidden] == 0.0)  # exactly zero, not just small
        if s.id.endswith(".normalized"):
            np.testing.assert_allclose(s.value.mean(axis=1), 0.0, atol=1e-10)
            # variance 1, up to the eps inside the square root: exactly var / (var + eps)
            var = ex.value(s.id.replace(".normalized", ".var"))
            np.testing.assert_allclose(s.value.var(axis=1), var / (var + 1e-5), atol=1e-10)
        if s.id in ("output.probs",) or (s.id.startswith("generate.") and s.id.endswith(".probs")):
            np.testing.assert_allclose(s.value.sum(axis=-1), 1.0, atol=1e-12)


def test_same_config_same_json_bytes():
    cfg = Config(source="the storm brings the game", seed=3)
    assert build_example(cfg).to_json() == build_example(cfg).to_json()


def test_json_round_trip_is_exact(ex, tmp_path):
    path = ex.save(tmp_path / "example.json")
    back = Example.load(path)
    assert back.to_json() == ex.to_json()
    assert back.config == ex.config and back.vocab == ex.vocab and back.tokens == ex.tokens
    for a, b in zip(ex.steps, back.steps):
        assert a.id == b.id and a.value.dtype == b.value.dtype and np.array_equal(a.value, b.value)
    masked = back.value("decoder.0.self_attn.head1.masked")
    assert masked[0, 1] == -np.inf
    assert "Infinity" not in path.read_text() and "NaN" not in path.read_text()


def test_different_seed_different_numbers():
    a, b = build_example(Config(seed=0)), build_example(Config(seed=1))
    assert not np.array_equal(a.value("source.embedding"), b.value("source.embedding"))


def test_untied_output_has_its_own_matrix():
    ex = build_example(Config(tied_output=False))
    assert ex.weights["output.W_out"].shape == (6, 25)
    np.testing.assert_allclose(ex.value("output.logits"), ex.value("decoder.output") @ ex.weights["output.W_out"])


# ---------------------------------------------------------------- tokenizer

def test_tokenizer_word_mode():
    assert tokenize("The true enemy won't wait out the storm, He brings the storm.") == [
        "the", "true", "enemy", "won't", "wait", "out", "the", "storm", "he", "brings", "the", "storm"]
    assert tokenize("won’t 'quoted' café Ünïcödé Привет мир") == ["won't", "quoted", "café", "ünïcödé", "привет", "мир"]
    assert tokenize("नमस्ते दुनिया") == ["नमस्ते", "दुनिया"]   # combining vowel signs stay inside words
    assert tokenize("...!?") == []


def test_tokenizer_char_mode():
    assert tokenize("凛冬将至。", "char") == ["凛", "冬", "将", "至"]


def test_default_corpus_has_23_words():
    assert len(build_vocab(Config().corpus)) == 25


# ---------------------------------------------------------------- validation: one clear sentence each

@pytest.mark.parametrize("kwargs, words", [
    (dict(source=""), "source sentence is empty"),
    (dict(source="?!"), "only punctuation"),
    (dict(target="   "), "target sentence is empty"),
    (dict(source="a " * 13), "at most 12"),
    (dict(target="you " * 13), "at most 12"),
    (dict(n_heads=4), "do not divide"),
    (dict(d_model=9, n_heads=3), "between 2 and 8"),
    (dict(d_model=1, n_heads=1), "between 2 and 8"),
    (dict(d_ff=0), "positive"),
    (dict(n_heads=-2), "positive"),
    (dict(n_encoder_layers=0), "positive"),
    (dict(corpus=("", "  ")), "corpus is empty"),
    (dict(corpus=("...",)), "no words"),
    (dict(tokenizer="bpe"), "Unknown tokenizer"),
    (dict(train_steps=0), "train_steps must be"),
    (dict(train_steps=-5, trained=False), "train_steps must be"),
    (dict(learning_rate=0.0), "learning_rate must be a positive number"),
    (dict(learning_rate=-0.1), "learning_rate must be a positive number"),
    (dict(learning_rate=float("nan")), "learning_rate must be a positive number"),
])
def test_validation(kwargs, words):
    with pytest.raises(ConfigError) as err:
        build_example(Config(**kwargs))
    msg = str(err.value)
    assert words in msg and msg.endswith(".") and "\n" not in msg


def test_config_from_dict_rejects_unknown_and_wrong_types():
    with pytest.raises(ConfigError, match="Unknown option 'd_modle'"):
        Config.from_dict({"d_modle": 6})
    with pytest.raises(ConfigError, match="whole number"):
        Config.from_dict({"d_model": "six"})
    with pytest.raises(ConfigError, match="true or false"):
        Config.from_dict({"tied_output": 1})
    assert Config.from_dict({"corpus": ["a b", "c"]}).corpus == ("a b", "c")
    # learning_rate is the one float option: ints are accepted as floats, text and booleans are not
    assert Config.from_dict({"learning_rate": 1}).learning_rate == 1.0
    assert isinstance(Config.from_dict({"learning_rate": 1}).learning_rate, float)
    assert Config.from_dict({"learning_rate": 0.01, "trained": False, "train_steps": 50}) == Config(
        learning_rate=0.01, trained=False, train_steps=50)
    for bad in ("fast", True):
        with pytest.raises(ConfigError, match="must be a number"):
            Config.from_dict({"learning_rate": bad})
