import pytest
import torch
import torch.nn.functional as F

from s2s_lab import LSTM, RNN
from s2s_lab.cells import lstm_step
from s2s_lab.gradient_flow import cell_state_path_norms, state_gradient_norms


def test_matches_a_hand_made_graph():
    torch.manual_seed(0)
    rnn = RNN(3, 4)
    x = torch.randn(6, 2, 3)
    tr = rnn.trace(x)
    loss = tr.output[-1].pow(2).sum()
    norms = state_gradient_norms(loss, tr, "h")
    assert norms.shape == (6,)
    # the last step's gradient is d(sum h_T^2)/dh_T = 2 h_T
    torch.testing.assert_close(norms[-1], (2 * tr.output[-1]).norm())
    # the one before is W_hh^T diag(1 - h_T^2) 2 h_T
    g = (2 * tr.output[-1] * (1 - tr.output[-1] ** 2)) @ rnn.weight_hh_l0
    torch.testing.assert_close(norms[-2], g.norm())


def test_cell_state_carries_gradient_further_with_open_forget_gate():
    torch.manual_seed(0)
    lstm, rnn = LSTM(5, 8), RNN(5, 8)
    with torch.no_grad():
        lstm.bias_ih_l0[8:16] = 4.0  # forget gate ~ sigmoid(4) = 0.98
    x = torch.randn(40, 4, 5)
    head = torch.nn.Linear(8, 3)
    y = torch.tensor([0, 1, 2, 0])
    norms = {}
    for name, layer, state in (("lstm", lstm, "c"), ("rnn", rnn, "h")):
        tr = layer.trace(x)
        norms[name] = state_gradient_norms(F.cross_entropy(head(tr.output[-1]), y), tr, state)
    ratio = lambda n: (n[0] / n[-1]).item()  # noqa: E731
    assert ratio(norms["lstm"]) > 1e-2 > 1e-4 > ratio(norms["rnn"])


def test_bad_arguments():
    tr = RNN(3, 4).trace(torch.randn(5, 2, 3))
    with pytest.raises(ValueError, match="scalar"):
        state_gradient_norms(tr.output, tr)
    with pytest.raises(ValueError, match="'c'"):
        state_gradient_norms(tr.output.sum(), tr, "c")


def test_cell_state_path_is_the_gradient_when_h_cannot_carry_it_back():
    """With h_{t-1} detached where it enters the gates, c_t reaches the loss only through c_{t+1}: then
    autograd's dL/dc_t is exactly the carousel (prod f_k) * dL/dc_T that cell_state_path_norms computes."""
    torch.manual_seed(0)
    lstm, head = LSTM(3, 4), torch.nn.Linear(4, 2)
    x, y = torch.randn(7, 5, 3), torch.tensor([0, 1, 1, 0, 1])
    tr = lstm.trace(x)
    loss = F.cross_entropy(head(tr.output[-1]), y)
    carousel = cell_state_path_norms(loss, tr)
    h = c = torch.zeros(5, 4)
    cs, gi = [], x @ lstm.weight_ih_l0.T + lstm.bias_ih_l0  # (T, B, 4H)
    for t in range(7):
        h, c, _ = lstm_step(gi[t], h.detach(), c, lstm.weight_hh_l0, lstm.bias_hh_l0)
        cs.append(c)
    detached_loss = F.cross_entropy(head(h), y)
    by_autograd = torch.stack([g.norm() for g in torch.autograd.grad(detached_loss, cs)])
    torch.testing.assert_close(carousel, by_autograd)
    assert not torch.allclose(carousel, state_gradient_norms(loss, tr, "c"))  # the full one differs
    with pytest.raises(ValueError, match="LSTM"):
        cell_state_path_norms(loss, RNN(3, 4).trace(x))
