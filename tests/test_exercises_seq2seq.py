"""Self-checks of notebooks 04 and 05: right answers pass, typical mistakes get their hint, errors are caught."""

import torch
import torch.nn.functional as F

from s2s_lab.exercises.seq2seq import check_additive_attention, check_masked_cross_entropy


def test_masked_cross_entropy_check(capsys):
    def right(logits, targets, mask):
        nll = F.cross_entropy(logits.transpose(1, 2), targets, reduction="none")
        return (nll * mask).sum() / mask.sum()

    def unmasked(logits, targets, mask):
        return F.cross_entropy(logits.transpose(1, 2), targets)

    def per_sequence(logits, targets, mask):
        nll = F.cross_entropy(logits.transpose(1, 2), targets, reduction="none") * mask
        return (nll.sum(1) / mask.sum(1)).mean()

    assert check_masked_cross_entropy(right)
    assert "Correct" in capsys.readouterr().out
    assert not check_masked_cross_entropy(unmasked)
    assert "padding" in capsys.readouterr().out
    assert not check_masked_cross_entropy(per_sequence)
    assert "short sequences weigh more" in capsys.readouterr().out
    assert not check_masked_cross_entropy(lambda *a: 1 / 0)
    assert "ZeroDivisionError" in capsys.readouterr().out


def test_additive_attention_check(capsys):
    def right(s, H, W_q, W_k, v, mask):
        e = torch.tanh((s @ W_q.T).unsqueeze(1) + H @ W_k.T) @ v
        alpha = e.masked_fill(~mask, float("-inf")).softmax(-1)
        return (alpha.unsqueeze(-1) * H).sum(1), alpha

    def no_mask(s, H, W_q, W_k, v, mask):
        alpha = (torch.tanh((s @ W_q.T).unsqueeze(1) + H @ W_k.T) @ v).softmax(-1)
        return (alpha.unsqueeze(-1) * H).sum(1), alpha

    assert check_additive_attention(right)
    assert capsys.readouterr().out.count("Correct") == 2
    assert not check_additive_attention(no_mask)
    assert "-inf" in capsys.readouterr().out
    assert not check_additive_attention(lambda *a: torch.zeros(3))
    assert "pair (c, alpha)" in capsys.readouterr().out
