"""mathcore.scale additions for chapters 11 and 12: facts as data, small derived figures, screen labels."""

import numpy as np
import pytest

from mathcore import Config, build_example
from mathcore.scale import (
    ADAM_BYTES_PER_PARAM,
    GPT3_TOKENIZATION_EXAMPLE,
    PRESETS,
    REFERENCE_CLUSTER,
    accelerators_to_hold,
    adam_bytes_per_param,
    compare_architectures,
    context_doublings,
    decoder_layer_params,
    format_bytes,
    format_count,
    format_duration,
    format_flops,
    format_number,
    format_percent,
    format_sci,
    n_params,
    param_counts,
    preset_spec,
    training_compute,
    training_days,
    training_memory,
    training_tokens,
)

GPT3 = PRESETS["gpt3-175b"]


def test_tokenization_example_is_content_section_4():
    ex = GPT3_TOKENIZATION_EXAMPLE
    assert "".join(ex.pieces) == ex.text == "Not all heroes wear capes"
    assert [p.strip() for p in ex.pieces] == ["Not", "all", "heroes", "wear", "cap", "es"]
    assert ex.ids == (3673, 477, 10281, 5806, 1451, 274)
    assert ex.vocab_size == GPT3.vocab_size == 50257
    assert all(0 <= i < ex.vocab_size for i in ex.ids)


def test_training_tokens():
    assert training_tokens(GPT3).tokens == 300e9 and training_tokens(GPT3).published
    assert training_tokens(PRESETS["llama3-8b"]).tokens == 15e12
    toy = training_tokens(PRESETS["toy"])
    assert not toy.published and toy.tokens == 20 * 966  # Chinchilla fallback, 20 tokens per parameter
    for spec in PRESETS.values():
        assert training_tokens(spec).tokens > 0


def test_reference_cluster_trains_gpt3_in_about_24_days():
    c = REFERENCE_CLUSTER
    flops = training_compute(n_params(GPT3), training_tokens(GPT3).tokens).total
    assert training_days(flops, c.n_accelerators, c.flops_per_accelerator) == pytest.approx(24, abs=0.5)


def test_adam_bytes_match_training_memory():
    assert adam_bytes_per_param() == 16.0
    m = training_memory(GPT3)
    p = n_params(GPT3)
    assert (m.weights / p, m.gradients / p, m.optimizer / p) == tuple(ADAM_BYTES_PER_PARAM.values())


def test_accelerators_to_hold():
    assert accelerators_to_hold(350e9, 80e9) == 5  # 4.375 -> 5
    assert accelerators_to_hold(160e9, 80e9) == 2
    assert accelerators_to_hold(10, 80e9) == 1


def test_decoder_layer_params():
    # GPT-3: 12·d² + 13·d biases and norms = 1.81 B; 96 of them are 173.95 B (docs/teaching-notes.md §4)
    d = GPT3.d_model
    assert decoder_layer_params(GPT3) == 12 * d * d + 13 * d
    assert 96 * decoder_layer_params(GPT3) == pytest.approx(173.95e9, rel=1e-4)
    # toy decoder layer by hand: 2 attentions 288 + FFN 162 + 3 LayerNorms 36 = 486
    assert decoder_layer_params(PRESETS["toy"]) == 486
    counts = param_counts(GPT3)
    assert counts.attention + counts.ffn + counts.norms - 2 * d == GPT3.n_layers * decoder_layer_params(GPT3)


def test_context_doublings():
    assert context_doublings(2048) == [512, 1024, 2048]
    assert context_doublings(12, 3) == [3, 6, 12]
    assert context_doublings(6) == [3, 6]
    assert context_doublings(1) == [1]
    assert context_doublings(8192, 4) == [1024, 2048, 4096, 8192]


def test_preset_spec_for_toy_matches_the_example():
    for cfg in (Config(), Config(d_model=8, n_heads=4, d_ff=16, tied_output=False)):
        ex = build_example(cfg)
        spec = preset_spec("toy", ex.config, len(ex.vocab))
        assert n_params(spec) == sum(np.asarray(w).size for w in ex.weights.values())
    assert preset_spec("gpt3-175b") is GPT3
    with pytest.raises(ValueError, match="Unknown model preset"):
        preset_spec("gpt5")


def test_compare_architectures_gpt3_against_the_original():
    rows = {r.aspect: r for r in compare_architectures(GPT3)}
    assert rows["stacks"].model == "decoder only" and rows["stacks"].changed
    assert rows["positions"].changed and "learned" in rows["positions"].model
    assert rows["activation"].model == "GELU" and rows["activation"].reference == "ReLU"
    assert "pre-norm" in rows["normalization"].model
    assert not rows["output layer"].changed  # both tie the output layer to W_E
    assert not rows["norm type"].changed
    llama = {r.aspect: r for r in compare_architectures(PRESETS["llama3-8b"])}
    assert llama["norm type"].changed and llama["keys and values"].changed and llama["output layer"].changed
    assert not any(r.changed for r in compare_architectures(PRESETS["transformer-base"]))


def test_labels():
    assert format_count(n_params(GPT3)) == "175 B"
    assert format_count(966) == "966"
    assert format_count(617_558_016) == "618 M"
    assert format_count(999.7e6) == "1 B"
    assert format_count(15e12) == "15 T"
    assert format_bytes(2 * n_params(GPT3)) == "349 GB"
    assert format_bytes(350e9) == "350 GB"
    assert format_bytes(4_718_592, binary=True) == "4.5 MiB"
    assert format_bytes(24) == "24 bytes"
    assert format_bytes(999.6) == "1 kB"
    assert format_flops(432) == "432 FLOPs"
    assert format_flops(3.14e23) == "3.14 × 10²³ FLOPs"
    assert format_sci(1.3e-12) == "1.3 × 10⁻¹²"
    assert format_number(3637.9) == "3,640"
    assert format_number(0.5) == "0.5"
    assert format_percent(0.01369) == "1.37 %"
    assert format_duration(23.67 * 86400) == "23.7 days"
    assert format_duration(86400) == "1 day"
    assert format_duration(1.2e-7) == "120 ns"
    assert format_duration(0.05) == "50 ms"
