import torch

from s2s_lab.exercises import check_rnn_step


def right(x, h, W_ih, W_hh, b_ih, b_hh):
    return torch.tanh(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh)


def test_accepts_a_right_answer(capsys):
    assert check_rnn_step(right) is True
    assert "✓ Correct" in capsys.readouterr().out


def test_names_the_mistake(capsys):
    cases = {
        "b_hh is missing": lambda x, h, W_ih, W_hh, b_ih, b_hh: torch.tanh(x @ W_ih.T + b_ih + h @ W_hh.T),
        "apply tanh": lambda x, h, W_ih, W_hh, b_ih, b_hh: x @ W_ih.T + b_ih + h @ W_hh.T + b_hh,
        "W_hh is used untransposed": lambda x, h, W_ih, W_hh, b_ih, b_hh: torch.tanh(
            x @ W_ih.T + b_ih + h @ W_hh + b_hh
        ),
        "Compare each term": lambda x, h, W_ih, W_hh, b_ih, b_hh: torch.sigmoid(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh),
    }
    for hint, fn in cases.items():
        assert check_rnn_step(fn) is False
        out = capsys.readouterr().out
        assert "✗ Not yet" in out and hint in out, out


def test_exceptions_and_shapes_become_sentences(capsys):
    assert check_rnn_step(lambda *args: args[0] @ args[2]) is False  # (B, I) @ (H, I): shape error inside
    assert "raised RuntimeError" in capsys.readouterr().out
    assert check_rnn_step(lambda *args: None) is False
    assert "should be a torch.Tensor" in capsys.readouterr().out
    assert check_rnn_step(lambda x, h, *rest: h[0]) is False
    assert "should have shape (3, 4)" in capsys.readouterr().out
