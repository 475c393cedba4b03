"""mathcore.scale against published figures and hand calculations (never against its own output)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mathcore.scale import (
    BYTES_PER_PARAM,
    PRESETS,
    ModelSpec,
    activation_bytes_per_layer,
    attention_params,
    chinchilla_tokens,
    ffn_params,
    forward_flops_per_token,
    inference_memory,
    inference_memory_by_precision,
    kv_cache,
    matmul_flops,
    n_params,
    param_counts,
    pf_days,
    stage_shapes,
    toy_spec,
    training_compute,
    training_days,
    training_memory,
)

GPT3 = PRESETS["gpt3-175b"]
GPT3_TOKENS = 300e9  # Brown et al. 2020, table 2.2


# ---------------------------------------------------------------------------------------------- parameters


def test_gpt3_parameter_count_matches_the_paper():
    counts = param_counts(GPT3)
    assert counts.total == pytest.approx(175e9, rel=0.01)      # "175B"
    assert counts.total == pytest.approx(174_600e6, rel=1e-3)  # Brown et al. appendix D, table D.1: 174,600 M
    # CONTENT section 4: 12·d² per layer × 96 = 173.95 B (biases and LayerNorms add ~0.01 %)
    assert counts.attention + counts.ffn == pytest.approx(173.95e9, rel=1e-4)
    assert counts.embeddings == pytest.approx(617.6e6, rel=1e-3)  # 50257 × 12288
    assert counts.positions == pytest.approx(25.2e6, rel=2e-3)    # 2048 × 12288
    assert counts.output == 0                                     # unembedding is W_Eᵀ


def test_gpt3_layer_is_twelve_d_squared():
    d = 12288
    assert attention_params(GPT3) == pytest.approx(4 * d * d, rel=1e-3)  # W_Q W_K W_V W_O
    assert ffn_params(GPT3) == pytest.approx(8 * d * d, rel=1e-3)        # d→4d→d
    assert attention_params(GPT3) + ffn_params(GPT3) == pytest.approx(1.81e9, abs=0.005e9)  # "1.81 B per layer"


def test_gpt2_small_parameter_count():
    # 124,439,808 is the count of the released checkpoint (Hugging Face `gpt2`; nanoGPT prints 124.44M
    # including positions). By hand: wte 50257·768 + wpe 1024·768 + 12 × 7,087,872 per layer + ln_f 1536.
    assert n_params(PRESETS["gpt2-small"]) == 124_439_808
    assert n_params(PRESETS["gpt2-small"]) == pytest.approx(124e6, rel=0.01)


def test_llama3_8b_parameter_count_and_grouped_query_attention():
    spec = PRESETS["llama3-8b"]
    # Meta's model card: 8.03 B; the checkpoint holds 8,030,261,248 parameters.
    assert n_params(spec) == 8_030_261_248
    # GQA by hand: W_Q, W_O 4096×4096; W_K, W_V 4096×(8·128) each.
    assert attention_params(spec) == 2 * 4096 * 4096 + 2 * 4096 * 1024
    assert ffn_params(spec) == 3 * 4096 * 14336  # SwiGLU: gate, up, down
    assert param_counts(spec).output == 128256 * 4096  # untied


def test_transformer_base_is_about_65m():
    # Vaswani et al. table 3 reports 65 × 10^6 for the base model. The paper does not give the exact vocabulary
    # or bias layout, so a hand count of the described architecture (63.0 M) is within a few per cent, not exact.
    assert n_params(PRESETS["transformer-base"]) == pytest.approx(65e6, rel=0.05)


def test_toy_parameter_count_by_hand():
    # W_E 25·6 = 150 (shared, output tied)
    # encoder layer: attention 4·6·6 = 144, FFN 6·12 + 12 + 12·6 + 6 = 162, 2 LayerNorms × (6 + 6) = 24 → 330
    # decoder layer: 2 attentions 288, FFN 162, 3 LayerNorms 36 → 486
    counts = param_counts(PRESETS["toy"])
    assert counts.as_dict() == {"embeddings": 150, "positions": 0, "attention": 432, "ffn": 324,
                                "norms": 60, "output": 0, "total": 966}
    assert n_params(toy_spec(tied=False)) == 966 + 6 * 25  # a separate 6 × 25 output matrix


def test_toy_parameter_count_equals_the_worked_example():
    pytest.importorskip("mathcore.example")  # being written concurrently
    from mathcore import Config, build_example

    ex = build_example(Config())
    assert n_params(PRESETS["toy"]) == sum(np.asarray(w).size for w in ex.weights.values())


@pytest.mark.parametrize("sizes", [
    {"tied_output": False},
    {"d_model": 8, "n_heads": 4, "d_ff": 32, "n_encoder_layers": 2, "n_decoder_layers": 3},
    {"d_model": 6, "n_heads": 3, "n_encoder_layers": 2, "tied_output": False},
])
def test_toy_spec_matches_other_example_configurations(sizes):
    pytest.importorskip("mathcore.example")
    from mathcore import Config, build_example

    cfg = Config(**sizes)
    ex = build_example(cfg)
    spec = toy_spec(d_model=cfg.d_model, n_heads=cfg.n_heads, d_ff=cfg.d_ff, vocab_size=len(ex.vocab),
                    n_encoder_layers=cfg.n_encoder_layers, n_decoder_layers=cfg.n_decoder_layers, tied=cfg.tied_output)
    assert n_params(spec) == sum(np.asarray(w).size for w in ex.weights.values())


@settings(max_examples=50, deadline=None)
@given(
    heads_and_dh=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    d_ff=st.integers(1, 32),
    vocab=st.integers(2, 60),
    n_enc=st.integers(1, 3),
    n_dec=st.integers(1, 3),
)
def test_toy_spec_counts_follow_the_hand_formulas(heads_and_dh, d_ff, vocab, n_enc, n_dec):
    h, dh = heads_and_dh
    d = h * dh
    tied = toy_spec(d_model=d, n_heads=h, d_ff=d_ff, vocab_size=vocab, n_encoder_layers=n_enc, n_decoder_layers=n_dec)
    untied = toy_spec(d_model=d, n_heads=h, d_ff=d_ff, vocab_size=vocab, n_encoder_layers=n_enc,
                      n_decoder_layers=n_dec, tied=False)
    attn = 4 * d * d                          # no attention biases
    ffn = d * d_ff + d_ff + d_ff * d + d      # both FFN linears have biases
    enc_layer = attn + ffn + 2 * 2 * d        # 2 LayerNorms (γ, β)
    dec_layer = 2 * attn + ffn + 3 * 2 * d    # masked self + cross, 3 LayerNorms
    assert n_params(tied) == vocab * d + n_enc * enc_layer + n_dec * dec_layer
    assert n_params(untied) - n_params(tied) == d * vocab


def test_spec_validation():
    with pytest.raises(ValueError, match="divide"):
        toy_spec(d_model=6, n_heads=4)
    with pytest.raises(ValueError, match="position"):
        ModelSpec(name="x", n_layers=1, d_model=4, n_heads=1, d_head=4, d_ff=8, vocab_size=5, n_ctx=4, position="alibi")
    with pytest.raises(ValueError, match="n_kv_heads"):
        ModelSpec(name="x", n_layers=1, d_model=4, n_heads=4, d_head=1, d_ff=8, vocab_size=5, n_ctx=4, n_kv_heads=3)
    assert PRESETS["gpt3-175b"].n_kv_heads == 96  # None means plain multi-head attention


# ---------------------------------------------------------------------------------------------- shapes


def test_gpt3_shapes_match_content():
    shapes = dict(stage_shapes(GPT3))
    assert shapes["one-hot"] == (2048, 50257)
    assert shapes["W_E"] == (50257, 12288)
    assert shapes["E = onehot·W_E"] == (2048, 12288)
    assert shapes["Q (one head)"] == shapes["K (one head)"] == shapes["V (one head)"] == (2048, 128)
    assert shapes["scores Q·Kᵀ/√d_k (one head)"] == (2048, 2048)
    assert shapes["concat heads"] == (2048, 12288)
    assert shapes["FFN hidden x·W_1"] == (2048, 49152)
    assert shapes["logits"] == (2048, 50257)


def test_toy_shapes_cross_attention_is_target_by_source():
    shapes = dict(stage_shapes(PRESETS["toy"], n=5, n_src=6))
    assert shapes["encoder one-hot"] == (6, 25)
    assert shapes["cross-attention: scores Q·Kᵀ/√d_k (one head)"] == (5, 6)  # decoder queries, encoder keys
    assert shapes["decoder masked self-attention: scores Q·Kᵀ/√d_k (one head)"] == (5, 5)
    assert shapes["logits"] == (5, 25)  # per position, never flattened
    names = [name for name, _ in stage_shapes(PRESETS["toy"])]
    assert len(names) == len(set(names))


# ---------------------------------------------------------------------------------------------- FLOPs


def test_matmul_flops_by_hand():
    # (2×3)(3×4): 8 outputs, each 3 multiplies and 3 adds (a multiply-add per term) = 48
    assert matmul_flops(2, 3, 4) == 48
    assert matmul_flops(1, 1, 1) == 2
    # GPT-3 logits (2048 × 12288)(12288 × 50257)
    assert matmul_flops(2048, 12288, 50257) == 2 * 2048 * 12288 * 50257


def test_attention_term_is_about_1_4_percent_for_gpt3():
    f = forward_flops_per_token(GPT3)
    assert f.attention == 2 * 96 * 2048 * 12288
    assert f.attention_fraction == pytest.approx(0.014, abs=0.001)
    # by hand: (2·L·n_ctx·d) / (2·12·L·d²) = n_ctx / (12·d) = 2048 / 147456
    assert f.attention / f.without_attention == pytest.approx(2048 / (12 * 12288), rel=1e-3)
    assert f.without_attention == pytest.approx(2 * 175e9, rel=0.01)  # "forward ≈ 2P"
    # doubling the context doubles the per-token attention term (n² over the whole sequence)
    assert forward_flops_per_token(GPT3, n_ctx=4096).attention == 2 * f.attention


def test_gpt3_training_compute():
    c = training_compute(n_params(GPT3), GPT3_TOKENS)
    assert c.total == pytest.approx(3.14e23, rel=0.01)  # Brown et al. table D.1
    assert c.pf_days == pytest.approx(3640, rel=0.01)   # 3.64E+03 PF-days, same table
    assert c.forward == pytest.approx(c.total / 3) and c.backward == pytest.approx(2 * c.total / 3)
    assert pf_days(8.64e19) == pytest.approx(1.0)


def test_gpt3_training_days_on_1024_gpus():
    # by hand: 3.14e23 / (1024 · 150e12 · 86400) = 23.66 days
    c = training_compute(n_params(GPT3), GPT3_TOKENS)
    assert round(training_days(c.total, 1024, 150e12)) == 24


def test_chinchilla():
    # Hoffmann et al. 2022: Chinchilla, 70 B parameters, trained on 1.4 T tokens
    assert chinchilla_tokens(70e9) == pytest.approx(1.4e12)


# ---------------------------------------------------------------------------------------------- memory


def test_gpt3_inference_memory():
    m = inference_memory(n_params(GPT3), "fp16")
    assert m.weights == pytest.approx(350e9, rel=0.01)
    assert m.overhead == pytest.approx(0.2 * m.weights)
    table = inference_memory_by_precision(175e9)
    assert [table[p].weights for p in ("fp32", "fp16", "bf16", "int8", "int4")] == [700e9, 350e9, 350e9, 175e9, 87.5e9]
    assert set(table) == set(BYTES_PER_PARAM)
    with pytest.raises(ValueError, match="precision"):
        inference_memory(1e9, "fp8")


def test_gpt3_kv_cache():
    cache = kv_cache(GPT3, precision="fp16")
    assert cache.per_token == 4.5 * 2**20           # 2 · 2 B · 96 layers · 12288 = 4.5 MiB
    assert cache.total == pytest.approx(9.66e9, rel=1e-3)  # full 2048-token context
    assert kv_cache(GPT3, n_tokens=2048, batch=4).total == 4 * cache.total


def test_llama3_kv_cache_is_smaller_by_the_group_factor():
    # 2 · 2 B · 32 layers · 8 KV heads · 128 = 131072 B = 128 KiB per token in bf16 (vs 512 KiB without GQA)
    assert kv_cache(PRESETS["llama3-8b"], precision="bf16").per_token == 128 * 1024


def test_gpt3_training_memory_with_adam():
    m = training_memory(GPT3, seq_len=2048, batch=1)
    assert m.model_states == pytest.approx(2.8e12, rel=0.01)  # 16 B × 175 B
    assert (m.weights, m.gradients, m.optimizer) == pytest.approx((2 * 174.6e9, 2 * 174.6e9, 12 * 174.6e9), rel=1e-3)
    # Korthikanti et al., s = 2048, b = 1, h = 12288, a = 96:
    # s·b·h = 25,165,824; 5·a·s/h = 80; per layer 25,165,824 · 114 = 2,868,903,936 B
    assert activation_bytes_per_layer(2048, 1, 12288, 96) == 2_868_903_936
    assert activation_bytes_per_layer(2048, 1, 12288, 96, "selective") == 25_165_824 * 34
    assert activation_bytes_per_layer(2048, 1, 12288, 96, "full") == 25_165_824 * 2
    assert m.activations == 96 * 2_868_903_936
    assert training_memory(GPT3, 2048, 1, "full").activations == 96 * 2 * 25_165_824
