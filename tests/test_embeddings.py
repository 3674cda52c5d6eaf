"""Embeddings (s2s_lab.embeddings): one-hot times the table = a lookup = torch.nn.Embedding, in values and
gradients; the principal axes; the token classifier; the digit-sum task."""

import pytest
import torch
import torch.nn.functional as F

from s2s_lab.digit_sums import above_mean, decode_digits, digit_sums
from s2s_lab.embeddings import (
    TokenClassifier,
    embedding_lookup,
    one_hot_embedding,
    principal_axes,
    principal_components,
)


def test_one_hot_product_lookup_and_nn_embedding_agree_in_values_and_gradients():
    reference = torch.nn.Embedding(11, 5)
    W = reference.weight.detach().clone().requires_grad_(True)
    W2 = W.detach().clone().requires_grad_(True)
    ids = torch.tensor([[3, 1, 3, 7], [0, 3, 10, 1]])  # (B, T)
    upstream = torch.randn(2, 4, 5)  # dL/de
    outs = one_hot_embedding(ids, W), embedding_lookup(ids, W2), reference(ids)
    for out in outs[1:]:
        assert torch.equal(outs[0], out)
    for out in outs:
        (out * upstream).sum().backward()
    for grad in (W2.grad, reference.weight.grad):
        torch.testing.assert_close(W.grad, grad, atol=1e-6, rtol=0)
    # only the rows used get a gradient, each the sum over its uses
    assert W.grad.abs().sum(1).nonzero().flatten().tolist() == [0, 1, 3, 7, 10]
    torch.testing.assert_close(W.grad[3], upstream[0, 0] + upstream[0, 2] + upstream[1, 1])


def test_embedding_functions_refuse_bad_input():
    W = torch.randn(4, 2)
    with pytest.raises(ValueError, match=r"token ids in 0\.\.3"):
        one_hot_embedding(torch.tensor([4]), W)
    with pytest.raises(ValueError, match="long tensor"):
        embedding_lookup(torch.tensor([1.0]), W)
    with pytest.raises(ValueError, match=r"shape \(V, E\)"):
        one_hot_embedding(torch.tensor([1]), torch.randn(4))
    with pytest.raises(ValueError, match="k <= min"):
        principal_components(W, 3)


def test_principal_axes_match_the_covariance_eigenvectors():
    g = torch.Generator().manual_seed(0)
    W = torch.randn(12, 5, generator=g, dtype=torch.float64) * torch.tensor([5.0, 3, 1, 0.5, 0.1], dtype=torch.float64)
    mean, axes, explained = principal_axes(W, 2)
    centred = W - W.mean(0)
    values, vectors = torch.linalg.eigh(centred.T @ centred)  # ascending
    for j in range(2):
        assert abs(float(axes[j] @ vectors[:, -1 - j])) == pytest.approx(1.0, abs=1e-9)
    torch.testing.assert_close(explained, values.flip(0)[:2] / values.sum())
    coords, _ = principal_components(W, 2)
    torch.testing.assert_close(coords, centred @ axes.T)
    assert (coords[-1] >= 0).all()  # the last row is on the positive side
    assert (principal_components(-W, 2)[0][-1] >= 0).all()


def test_token_classifier_shapes_start_and_bad_input():
    torch.manual_seed(0)
    model = TokenClassifier(10, 8, 16, 2, emb_std=0.1)
    assert model(torch.randint(0, 10, (5, 7))).shape == (5, 2)
    assert 0.05 < model.embed.weight.std().item() < 0.2
    with pytest.raises(ValueError, match=r"shape \(B, T\)"):
        model(torch.tensor([1, 2, 3]))
    with pytest.raises(ValueError, match=r"token ids in 0\.\.9"):
        model(torch.tensor([[1, 12]]))
    with pytest.raises(ValueError, match="emb_std > 0"):
        TokenClassifier(10, 8, 16, 2, emb_std=0)
    with pytest.raises(ValueError, match="emb_size must be a positive int"):
        TokenClassifier(10, 0, 16, 2)
    with pytest.raises(TypeError, match="vocab_size should be of type int"):
        TokenClassifier(10.0, 8, 16, 2)


def test_digit_sums_labels_and_determinism():
    data = digit_sums(200, 6, seed=3)
    x, y = data.tensors
    assert x.shape == (200, 6) and x.dtype == torch.long and 0 <= x.min() and x.max() <= 9
    assert torch.equal(y, (x.sum(1) > 27).long())
    assert torch.equal(digit_sums(200, 6, seed=3).tensors[0], x)
    assert 0.3 < y.float().mean() < 0.7
    assert above_mean(torch.tensor([[9, 0], [5, 5], [4, 4]])).tolist() == [0, 1, 0]
    assert decode_digits(x[0]) == "".join(str(int(v)) for v in x[0])
    with pytest.raises(ValueError, match="digits 0-9"):
        above_mean(torch.tensor([[1, 10]]))
    with pytest.raises(ValueError, match=r"shape \(T,\)"):
        decode_digits(x)
    with pytest.raises(ValueError, match="num_sequences must be a positive int"):
        digit_sums(0)


def test_one_hot_embedding_is_a_linear_layer_without_bias():
    W = torch.randn(6, 3)
    layer = torch.nn.Linear(6, 3, bias=False)
    layer.weight.data = W.T.clone()  # nn.Linear stores (out, in)
    ids = torch.tensor([5, 0, 2])
    torch.testing.assert_close(layer(F.one_hot(ids, 6).float()), one_hot_embedding(ids, W))
