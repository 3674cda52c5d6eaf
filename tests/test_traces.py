"""Traces record every quantity of the formulas, consistently with the outputs."""

import pytest
import torch

import s2s_lab
from s2s_lab.cells import TRACE_NAMES


@pytest.mark.parametrize("cls", [s2s_lab.RNNCell, s2s_lab.LSTMCell, s2s_lab.GRUCell])
@pytest.mark.parametrize("batched", [True, False])
def test_cell_trace_names_shapes_and_values(cls, batched):
    cell = cls(3, 4)
    x = torch.randn(6, 2, 3) if batched else torch.randn(6, 3)
    trace = cell.trace(x)
    assert tuple(trace) == TRACE_NAMES[cell.kind]
    for name, values in trace.items():
        assert values.shape == x.shape[:-1] + (4,), name
    # Re-running the cell step by step gives the traced h (and c).
    state = None
    for t in range(6):
        state = cell(x[t], state)
        h = state[0] if isinstance(state, tuple) else state
        torch.testing.assert_close(trace["h"][t], h)
        if cell.kind == "LSTM":
            torch.testing.assert_close(trace["c"][t], state[1])


def test_lstm_trace_satisfies_the_equations():
    cell = s2s_lab.LSTMCell(2, 3)
    tr = cell.trace(torch.randn(5, 4, 2))
    c_prev = torch.zeros(4, 3)
    for t in range(5):
        torch.testing.assert_close(tr["c"][t], tr["f"][t] * c_prev + tr["i"][t] * tr["g"][t])
        torch.testing.assert_close(tr["h"][t], tr["o"][t] * torch.tanh(tr["c"][t]))
        c_prev = tr["c"][t]
    for gate in "ifo":
        assert ((tr[gate] > 0) & (tr[gate] < 1)).all()


def test_gru_trace_satisfies_the_interpolation():
    cell = s2s_lab.GRUCell(2, 3)
    tr = cell.trace(torch.randn(5, 2))
    h_prev = torch.zeros(3)
    for t in range(5):
        torch.testing.assert_close(tr["h"][t], (1 - tr["z"][t]) * tr["n"][t] + tr["z"][t] * h_prev)
        h_prev = tr["h"][t]


def test_rnn_trace_h_is_tanh_of_a():
    tr = s2s_lab.RNNCell(2, 3).trace(torch.randn(4, 2))
    torch.testing.assert_close(tr["h"], torch.tanh(tr["a"]))


@pytest.mark.parametrize("cls", [s2s_lab.RNN, s2s_lab.LSTM, s2s_lab.GRU])
@pytest.mark.parametrize("batch_first", [False, True])
def test_layer_trace_matches_forward(cls, batch_first):
    model = cls(3, 4, num_layers=2, bidirectional=True, batch_first=batch_first)
    x = torch.randn(2, 5, 3) if batch_first else torch.randn(5, 2, 3)
    trace = model.trace(x)
    out, state = model(x)
    torch.testing.assert_close(trace.output, out)
    assert len(trace.steps) == 4 and all(len(s) == 5 for s in trace.steps)
    top_fwd, top_bwd = trace.at(1, 0)["h"], trace.at(1, 1)["h"]  # (T, B, H), input order
    time_first = out if not batch_first else out.transpose(0, 1)
    torch.testing.assert_close(torch.cat([top_fwd, top_bwd], dim=-1), time_first)
    torch.testing.assert_close(trace["h"], trace.at(0, 0)["h"])
    assert set(trace.at(0, 1)) == set(TRACE_NAMES[model.kind])
