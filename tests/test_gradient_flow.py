import pytest
import torch

import s2s_lab
from s2s_lab.gradient_flow import jacobian_norms, rnn_with_spectral_radius


def test_spectral_radius_is_set():
    rnn = rnn_with_spectral_radius(3, 16, 0.7, seed=1)
    radius = torch.linalg.eigvals(rnn.weight_hh_l0.detach().double()).abs().max().item()
    assert radius == pytest.approx(0.7, rel=1e-5)


def test_jacobian_norms_match_explicit_product():
    """For a tiny RNN, compare with the chain-rule product diag(1 - h_k^2) W_hh built by hand."""
    torch.manual_seed(0)
    rnn = s2s_lab.RNN(2, 3)
    x = torch.randn(6, 2)
    norms = jacobian_norms(rnn, x)
    h = rnn.trace(x)["h"].detach()  # (T, H)
    w = rnn.weight_hh_l0.detach()
    jac = torch.eye(3)
    expected = [1.0]
    for k in range(5, 0, -1):  # d h_T / d h_k, going back from T = 6 (index 5)
        jac = jac @ torch.diag(1 - h[k] ** 2) @ w
        expected.append(torch.linalg.matrix_norm(jac, ord=2).item())
    torch.testing.assert_close(norms, torch.tensor(expected[::-1]), rtol=1e-4, atol=1e-7)


def test_vanishing_and_exploding():
    x = 0.1 * torch.randn(40, 4, generator=torch.Generator().manual_seed(0))
    assert jacobian_norms(rnn_with_spectral_radius(4, 16, 0.5), x)[0] < 1e-8
    assert jacobian_norms(rnn_with_spectral_radius(4, 16, 2.5, "relu"), x)[0] > 1e3


def test_rejects_what_it_cannot_do():
    with pytest.raises(ValueError, match="one-layer"):
        jacobian_norms(s2s_lab.RNN(2, 3, num_layers=2), torch.randn(4, 2))
    with pytest.raises(ValueError, match=r"\(T, I\)"):
        jacobian_norms(s2s_lab.RNN(2, 3), torch.randn(4, 1, 2))
    with pytest.raises(ValueError, match="positive"):
        rnn_with_spectral_radius(2, 3, 0.0)
