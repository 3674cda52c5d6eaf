import torch
from _notebook_solutions import code_cells_calling, solution_namespace

from s2s_lab.exercises import check_rnn_forward, check_rnn_step


def right(x, h, W_ih, W_hh, b_ih, b_hh):
    return torch.tanh(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh)


def test_accepts_a_right_answer(capsys):
    assert check_rnn_step(right) is True
    assert "✓ Correct" in capsys.readouterr().out


def test_names_the_mistake(capsys):
    cases = {
        "biases b_ih and b_hh are missing": lambda x, h, W_ih, W_hh, b_ih, b_hh: torch.tanh(x @ W_ih.T + h @ W_hh.T),
        "b_hh is missing": lambda x, h, W_ih, W_hh, b_ih, b_hh: torch.tanh(x @ W_ih.T + b_ih + h @ W_hh.T),
        "apply tanh": lambda x, h, W_ih, W_hh, b_ih, b_hh: x @ W_ih.T + b_ih + h @ W_hh.T + b_hh,
        "W_hh is used untransposed": lambda x, h, W_ih, W_hh, b_ih, b_hh: torch.tanh(
            x @ W_ih.T + b_ih + h @ W_hh + b_hh
        ),
        "Compare each term": lambda x, h, W_ih, W_hh, b_ih, b_hh: torch.sigmoid(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh),
        "still the stub": lambda x, h, W_ih, W_hh, b_ih, b_hh: None,
    }
    for hint, fn in cases.items():
        assert check_rnn_step(fn) is False
        out = capsys.readouterr().out
        assert "✗ Not yet" in out and hint in out, out


def test_exceptions_and_shapes_become_sentences(capsys):
    assert check_rnn_step(lambda *args: args[0] @ args[2]) is False  # (B, I) @ (H, I): shape error inside
    assert "raised RuntimeError" in capsys.readouterr().out
    assert check_rnn_step(lambda *args: "h") is False
    assert "should be a torch.Tensor" in capsys.readouterr().out
    assert check_rnn_step(lambda x, h, *rest: h[0]) is False
    assert "should have shape (3, 4)" in capsys.readouterr().out


# ---------------------------------------------------------------------------------------------
# The step unrolled over time
# ---------------------------------------------------------------------------------------------
def forward_right(xs, h0, *w):
    h, hs = h0, []
    for x in xs:
        h = right(x, h, *w)
        hs.append(h)
    return torch.stack(hs), h


def test_forward_accepts_a_right_answer(capsys):
    assert check_rnn_forward(forward_right) is True
    assert "✓ Correct: hs and the last state match" in capsys.readouterr().out


def test_forward_names_each_classic_mistake(capsys):
    cases = {
        "only the last state": lambda xs, h0, *w: forward_right(xs, h0, *w)[1],
        "hs holds only the last state": lambda xs, h0, *w: (forward_right(xs, h0, *w)[1],) * 2,
        "not fed back": lambda xs, h0, *w: (torch.stack([right(x, h0, *w) for x in xs]), right(xs[-1], h0, *w)),
        "wrong dimension": lambda xs, h0, *w: (
            torch.stack(list(forward_right(xs, h0, *w)[0]), dim=1),
            forward_right(xs, h0, *w)[1],
        ),
        "torch.cat": lambda xs, h0, *w: (torch.cat(list(forward_right(xs, h0, *w)[0])), forward_right(xs, h0, *w)[1]),
        "starts with h0": lambda xs, h0, *w: (
            torch.cat([h0[None], forward_right(xs, h0, *w)[0]]),
            forward_right(xs, h0, *w)[1],
        ),
        "return two things": lambda xs, h0, *w: forward_right(xs, h0, *w)[0],
        "the last state h (hs is right)": lambda xs, h0, *w: (forward_right(xs, h0, *w)[0], h0),
        "still the stub": lambda xs, h0, *w: (None, None),
        "raised TypeError": lambda xs, h0, *w: (torch.stack([None]), h0),
    }
    for hint, fn in cases.items():
        assert check_rnn_forward(fn) is False
        out = capsys.readouterr().out
        assert out.startswith("✗ Not yet") and hint in out and out.count("\n") == 1, (hint, out)


def test_notebook_stubs_fail_and_folded_solutions_pass(capsys):
    """The cells as shipped print '✗ Not yet'; the solutions folded in the notebook pass; no other cell
    calls the checks (so none prints the answer)."""
    namespace = {"torch": torch, "check_rnn_step": check_rnn_step, "check_rnn_forward": check_rnn_forward}
    for check in ("check_rnn_step", "check_rnn_forward"):
        (cell,) = code_cells_calling("01_rnn.ipynb", check)
        exec(cell, namespace)
        assert capsys.readouterr().out.startswith("✗ Not yet")
    solved = solution_namespace("01_rnn.ipynb")
    assert check_rnn_step(solved["rnn_step"]) is True
    assert check_rnn_forward(solved["rnn_forward"]) is True
    assert capsys.readouterr().out.count("✓ Correct") == 2
