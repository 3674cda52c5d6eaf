import pytest
import torch

from s2s_lab import GRU, GRUCell, LSTMCell
from s2s_lab.cells import lstm_step
from s2s_lab.gate_variants import (
    GRUPaper,
    GRUPaperCell,
    GRUWithCellStateCell,
    gru_step_paper,
    lstm_gates_shared_weight,
    lstm_step_circular_output,
)


def test_paper_gru_by_hand():
    torch.manual_seed(0)
    cell = GRUPaperCell(3, 4)
    x, h = torch.randn(2, 3), torch.randn(2, 4)
    W_ir, W_iz, W_in = cell.weight_ih.chunk(3)
    W_hr, W_hz, W_hn = cell.weight_hh.chunk(3)
    b_ir, b_iz, b_in = cell.bias_ih.chunk(3)
    b_hr, b_hz, b_hn = cell.bias_hh.chunk(3)
    r = torch.sigmoid(x @ W_ir.T + b_ir + h @ W_hr.T + b_hr)
    z = torch.sigmoid(x @ W_iz.T + b_iz + h @ W_hz.T + b_hz)
    n = torch.tanh(x @ W_in.T + b_in + (r * h) @ W_hn.T + b_hn)
    torch.testing.assert_close(cell(x, h), (1 - z) * n + z * h)


def test_paper_and_pytorch_gru_share_parameters_but_differ():
    torch.manual_seed(0)
    ours, paper = GRUCell(3, 4), GRUPaperCell(3, 4)
    paper.load_state_dict(ours.state_dict())
    x, h = torch.randn(2, 3), torch.randn(2, 4)
    assert not torch.allclose(ours(x, h), paper(x, h), atol=1e-3)
    with torch.no_grad():  # with b_hn = 0 and r = 1 (huge reset bias) both reduce to the same formula
        for c in (ours, paper):
            c.bias_hh[8:] = 0.0
            c.bias_ih[:4] = 50.0
    torch.testing.assert_close(ours(x, h), paper(x, h))


def test_paper_gru_layer_matches_its_cell_and_has_gradients():
    torch.manual_seed(0)
    layer, cell = GRUPaper(3, 4), GRUPaperCell(3, 4)
    cell.load_state_dict({k.removesuffix("_l0"): v for k, v in layer.state_dict().items()})
    x = torch.randn(6, 2, 3)
    out, h_n = layer(x)
    torch.testing.assert_close(out, cell.trace(x)["h"])
    plain = GRU(3, 4)
    plain.load_state_dict(layer.state_dict())
    assert not torch.allclose(plain(x)[0], out, atol=1e-3)
    out.sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in layer.parameters())
    h, parts = gru_step_paper(torch.randn(2, 12), torch.randn(2, 4), layer.weight_hh_l0, None)
    assert h.shape == (2, 4) and set(parts) == {"r", "z", "n", "h"}


def test_shared_weight_gates_need_equal_sizes_and_confuse_input_with_memory():
    torch.manual_seed(0)
    W, b = torch.randn(16, 4), torch.randn(16)
    a, m = torch.randn(1, 4), torch.randn(1, 4)
    gates_am, gates_ma = lstm_gates_shared_weight(a, m, W, b), lstm_gates_shared_weight(m, a, W, b)
    for name in "ifgo":  # swapping what is read and what is remembered changes nothing
        torch.testing.assert_close(gates_am[name], gates_ma[name])
    cell = LSTMCell(4, 4)  # the real LSTM tells them apart
    _, parts_am = cell.step_with_parts(a, (m, torch.zeros(1, 4)))
    _, parts_ma = cell.step_with_parts(m, (a, torch.zeros(1, 4)))
    assert not torch.allclose(parts_am["i"], parts_ma["i"], atol=1e-3)
    with pytest.raises(ValueError, match="needs I = H"):
        lstm_gates_shared_weight(torch.randn(1, 3), torch.randn(1, 4), torch.randn(16, 3))


def test_circular_output_gate_is_the_lstm_after_one_iteration_only():
    torch.manual_seed(0)
    cell = LSTMCell(3, 4)
    x, h, c = torch.randn(2, 3), torch.randn(2, 4), torch.randn(2, 4)
    gi = x @ cell.weight_ih.T + cell.bias_ih
    h_ref, c_ref, _ = lstm_step(gi, h, c, cell.weight_hh, cell.bias_hh)
    h1, c1, _ = lstm_step_circular_output(gi, h, c, cell.weight_hh, cell.bias_hh, iterations=1)
    torch.testing.assert_close(h1, h_ref)
    torch.testing.assert_close(c1, c_ref)
    h20, c20, parts = lstm_step_circular_output(gi, h, c, cell.weight_hh, cell.bias_hh, iterations=20)
    torch.testing.assert_close(c20, c_ref)  # the cell state does not depend on o_t
    assert not torch.allclose(h20, h_ref, atol=1e-3)
    w_ho, b_ho = cell.weight_hh[12:], cell.bias_hh[12:]
    o_fixed = torch.sigmoid(gi[:, 12:] + h20 @ w_ho.T + b_ho)  # h20 solves the circular equation
    torch.testing.assert_close(h20, o_fixed * torch.tanh(c20), atol=1e-4, rtol=0)
    with pytest.raises(ValueError, match="iterations"):
        lstm_step_circular_output(gi, h, c, cell.weight_hh, cell.bias_hh, iterations=0)


def test_a_gru_with_a_cell_state_is_an_lstm_sized_model_that_computes_something_else():
    torch.manual_seed(0)
    reference = torch.nn.GRU(5, 8)
    pasted = GRUWithCellStateCell(5, 8)
    assert sum(p.numel() for p in pasted.parameters()) == 4 * 8 * (5 + 8 + 2)
    assert sum(p.numel() for p in reference.parameters()) == 3 * 8 * (5 + 8 + 2)
    with pytest.raises(RuntimeError, match="size mismatch"):
        pasted.load_state_dict({k.removesuffix("_l0"): v for k, v in reference.state_dict().items()})
    x = torch.randn(6, 2, 5)
    with torch.no_grad():
        h_ref, _ = reference(x)
        tr = GRUWithCellStateCell.from_gru(reference).trace(x)
    assert set(tr) == {"r", "u", "n", "c", "o", "h"} and torch.all(tr["o"] > 0.9999)
    # From h_0 = c_0 = 0 the first cell state is the GRU's first state, (1 - z_1) n_1; then it differs.
    torch.testing.assert_close(tr["c"][0], h_ref[0])
    torch.testing.assert_close(tr["h"][0], torch.tanh(h_ref[0]) * tr["o"][0])
    assert (tr["h"] - h_ref).abs().max() > 0.05
