import pytest
import torch
import torch.nn.functional as F

from s2s_lab import LSTM, RNN
from s2s_lab.gradient_flow import state_gradient_norms


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
