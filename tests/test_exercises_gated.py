import pytest
import torch
from _notebook_solutions import code_cells_calling, solution_namespace

from s2s_lab.exercises.gated import (
    check_gru_keep,
    check_gru_step,
    check_lstm_step,
    check_memory_gates,
    check_num_parameters,
    num_recurrent_parameters,
)


def lstm_right(x, h, c, W_ih, W_hh, b_ih, b_hh):
    i, f, g, o = (x @ W_ih.T + b_ih + h @ W_hh.T + b_hh).chunk(4, dim=1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c


def lstm_no_tanh(x, h, c, W_ih, W_hh, b_ih, b_hh):
    i, f, g, o = (x @ W_ih.T + b_ih + h @ W_hh.T + b_hh).chunk(4, dim=1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * c, c


def lstm_order_ifog(x, h, c, W_ih, W_hh, b_ih, b_hh):
    i, f, o, g = (x @ W_ih.T + b_ih + h @ W_hh.T + b_hh).chunk(4, dim=1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c


def gru_right(x, h, W_ih, W_hh, b_ih, b_hh):
    i_r, i_z, i_n = (x @ W_ih.T + b_ih).chunk(3, dim=1)
    h_r, h_z, h_n = (h @ W_hh.T + b_hh).chunk(3, dim=1)
    r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
    return (1 - z) * torch.tanh(i_n + r * h_n) + z * h


def gru_paper(x, h, W_ih, W_hh, b_ih, b_hh):
    H = h.shape[1]
    i_r, i_z, i_n = (x @ W_ih.T + b_ih).chunk(3, dim=1)
    h_r, h_z, _ = (h @ W_hh.T + b_hh).chunk(3, dim=1)
    r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
    n = torch.tanh(i_n + (r * h) @ W_hh[2 * H :].T + b_hh[2 * H :])
    return (1 - z) * n + z * h


def gru_swapped(x, h, W_ih, W_hh, b_ih, b_hh):
    i_r, i_z, i_n = (x @ W_ih.T + b_ih).chunk(3, dim=1)
    h_r, h_z, h_n = (h @ W_hh.T + b_hh).chunk(3, dim=1)
    r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
    return z * torch.tanh(i_n + r * h_n) + (1 - z) * h


def verdict_of(capsys, ok, check, *args):
    assert check(*args) is ok
    out = capsys.readouterr().out
    assert ("Correct: " if ok else "Not yet: ") in out.splitlines()[0], out
    return out


def test_lstm_step_check(capsys):
    assert "matches" in verdict_of(capsys, True, check_lstm_step, lstm_right)
    assert "missing the tanh" in verdict_of(capsys, False, check_lstm_step, lstm_no_tanh)
    assert "i, f, g, o" in verdict_of(capsys, False, check_lstm_step, lstm_order_ifog)
    assert "raised RuntimeError" in verdict_of(capsys, False, check_lstm_step, lambda x, h, c, *w: x @ w[1])
    assert "return 2 tensors" in verdict_of(capsys, False, check_lstm_step, lambda x, h, c, *w: h)
    assert "shape (3, 4)" in verdict_of(capsys, False, check_lstm_step, lambda x, h, c, *w: (h[0], c))
    assert "expected a function" in verdict_of(capsys, False, check_lstm_step, 42)


def test_gru_step_check(capsys):
    assert "matches" in verdict_of(capsys, True, check_gru_step, gru_right)
    assert "paper's GRU" in verdict_of(capsys, False, check_gru_step, gru_paper)
    assert "swapped" in verdict_of(capsys, False, check_gru_step, gru_swapped)
    assert "h_t differs" in verdict_of(capsys, False, check_gru_step, lambda x, h, *w: torch.tanh(h))
    assert "torch.Tensor" in verdict_of(capsys, False, check_gru_step, lambda *a: [1.0])


def test_concept_checks(capsys):
    verdict_of(capsys, True, check_memory_gates, "f", " I ")
    assert "other way round" in verdict_of(capsys, False, check_memory_gates, "i", "f")
    assert "output gate" in verdict_of(capsys, False, check_memory_gates, "o", "i")
    verdict_of(capsys, True, check_gru_keep, 1)
    verdict_of(capsys, False, check_gru_keep, 0)
    assert "expected a number" in verdict_of(capsys, False, check_gru_keep, "one")


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_parameter_count_matches_torch(capsys, kind):
    layer = getattr(torch.nn, kind)(5, 7)
    right = sum(p.numel() for p in layer.parameters())
    assert num_recurrent_parameters(kind, 5, 7) == right
    verdict_of(capsys, True, check_num_parameters, kind, 5, 7, right)
    no_bias = sum(p.numel() for n, p in layer.named_parameters() if "weight" in n)
    assert "biases" in verdict_of(capsys, False, check_num_parameters, kind, 5, 7, no_bias)
    assert "whole number" in verdict_of(capsys, False, check_num_parameters, kind, 5, 7, "lots")


def lstm_mistake(which):
    def step(x, h, c, W_ih, W_hh, b_ih, b_hh):
        i, f, g, o = (x @ W_ih.T + b_ih + h @ W_hh.T + b_hh).chunk(4, dim=1)
        si, sf, tg, so = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
        if which == "sigmoid g":
            tg = torch.sigmoid(g)
        if which == "no input gate":
            si = torch.ones_like(si)
        if which == "i and f swapped":
            si, sf = sf, si
        c = sf * c + si * tg
        return so * torch.tanh(c), c

    return step


def test_lstm_step_names_every_mistake(capsys):
    cases = {
        "needs tanh, not sigmoid": lstm_mistake("sigmoid g"),
        "forgets the input gate": lstm_mistake("no input gate"),
        "input and forget gate are swapped": lstm_mistake("i and f swapped"),
        "missing the tanh": lstm_no_tanh,
        "i, f, g, o (you seem to use i, f, o, g)": lstm_order_ifog,
        "my_lstm_step_stub returns None: it is still the stub": my_lstm_step_stub,
        "your function returns None": lambda *args: None,
    }
    for words, fn in cases.items():
        assert words in verdict_of(capsys, False, check_lstm_step, fn), words


def my_lstm_step_stub(x, h, c, W_ih, W_hh, b_ih, b_hh):
    return None, None


def test_gru_step_stub(capsys):
    def my_gru_step(x, h, W_ih, W_hh, b_ih, b_hh):
        return None

    assert "my_gru_step returns None: it is still the stub" in verdict_of(capsys, False, check_gru_step, my_gru_step)


def test_notebook_02_stubs_fail_and_folded_solutions_pass(capsys):
    """As shipped the exercise cells print '✗ Not yet'; the folded solutions pass; no other cell calls the checks."""
    namespace = {"torch": torch, "check_lstm_step": check_lstm_step, "check_memory_gates": check_memory_gates}
    for check in ("check_lstm_step", "check_memory_gates"):
        (cell,) = code_cells_calling("02_lstm.ipynb", check)
        exec(cell, namespace)
        assert capsys.readouterr().out.startswith("✗ Not yet")
    solved = solution_namespace("02_lstm.ipynb")
    assert check_lstm_step(solved["my_lstm_step"]) is True
    assert check_memory_gates(solved["keep"], solved["block"]) is True
    assert capsys.readouterr().out.count("✓ Correct") == 2


def test_notebook_03_stubs_fail_and_folded_solutions_pass(capsys):
    """As shipped the exercise cells print '✗ Not yet'; the folded solutions pass; no other cell calls the checks."""
    namespace = {"torch": torch}
    for check in ("check_gru_step", "check_gru_keep", "check_num_parameters"):
        (cell,) = code_cells_calling("03_gru.ipynb", check)
        exec(cell, namespace)
        assert capsys.readouterr().out.startswith("✗ Not yet")
    solved = solution_namespace("03_gru.ipynb")
    assert check_gru_step(solved["my_gru_step"]) is True
    assert check_gru_keep(solved["z"]) is True
    assert check_num_parameters("GRU", input_size=solved["I"], hidden_size=solved["H"], answer=solved["answer"])
    assert capsys.readouterr().out.count("✓ Correct") == 3
