"""mathcore.display: the on-screen arithmetic of one entry / one softmax row agrees with the record."""
import math

import numpy as np
import pytest

from mathcore import Config, build_example
from mathcore.display import product_terms, softmax_terms


@pytest.fixture(scope="module")
def ex():
    return build_example(Config())


def test_product_terms_by_hand():
    terms, partial = product_terms(np.array([1.0, -2.0, 0.5]), np.array([3.0, 0.25, -4.0]))
    np.testing.assert_allclose(terms, [3.0, -0.5, -2.0])
    np.testing.assert_allclose(partial, [3.0, 2.5, 0.5])


def test_product_terms_rejects_mismatched_lengths():
    with pytest.raises(ValueError):
        product_terms(np.ones(3), np.ones(4))


def test_product_terms_end_at_the_recorded_entry(ex):
    x = ex.value("source.input")
    wq = ex.head_weight("encoder.0.self_attn.W_Q", 1)
    q = ex.value("encoder.0.self_attn.head1.q")
    for i in range(q.shape[0]):
        for j in range(q.shape[1]):
            _, partial = product_terms(x[i], wq[:, j])
            assert partial[-1] == pytest.approx(q[i, j], abs=1e-12)


def test_softmax_terms_by_hand():
    exps, total = softmax_terms(np.array([0.0, math.log(3.0)]))
    np.testing.assert_allclose(exps, [1.0, 3.0])
    assert total == pytest.approx(4.0)


def test_softmax_terms_masked_cells_are_exact_zeros():
    exps, total = softmax_terms(np.array([0.2, -math.inf, -math.inf]))
    assert exps[1] == 0.0 and exps[2] == 0.0
    assert total == pytest.approx(math.exp(0.2))


def test_softmax_terms_divide_to_the_recorded_weights(ex):
    scaled = ex.value("encoder.0.self_attn.head1.scaled")
    weights = ex.value("encoder.0.self_attn.head1.weights")
    for i in range(scaled.shape[0]):
        exps, total = softmax_terms(scaled[i])
        np.testing.assert_allclose(exps / total, weights[i], atol=1e-12)


def test_softmax_terms_with_the_decoder_mask(ex):
    masked = ex.value("decoder.0.self_attn.head1.masked")
    weights = ex.value("decoder.0.self_attn.head1.weights")
    for i in range(masked.shape[0]):
        exps, total = softmax_terms(masked[i])
        np.testing.assert_allclose(exps / total, weights[i], atol=1e-12)
        assert np.all(exps[i + 1:] == 0.0)
