"""Dropout in the RNN encoder-decoder (for real translation): off by default and in evaluation mode, and
checkpoints saved before it existed still load."""

import pytest
import torch

from s2s_lab.seq2seq import Seq2Seq


def _batch():
    g = torch.Generator().manual_seed(0)
    src = torch.randint(4, 9, (3, 5), generator=g)
    mask = torch.ones_like(src, dtype=torch.bool)
    mask[1, 3:] = False
    return src.masked_fill(~mask, 0), mask, torch.randint(1, 7, (3, 4), generator=g)


def _pair(p):
    torch.manual_seed(0)
    plain = Seq2Seq(9, 7, 8, 12, bidirectional=True, attention="additive")
    torch.manual_seed(0)
    dropped = Seq2Seq(9, 7, 8, 12, bidirectional=True, attention="additive", dropout=p)
    return plain, dropped


def test_dropout_zero_changes_nothing_and_draws_no_random_numbers():
    plain, zero = _pair(0.0)
    src, mask, tgt_in = _batch()
    before = torch.get_rng_state()
    out = zero.train()(src, src_mask=mask, tgt_in=tgt_in)
    assert torch.equal(torch.get_rng_state(), before)  # the notebooks' seeded numbers stay as they were
    assert torch.equal(out, plain.train()(src, mask, tgt_in))
    assert zero.config["dropout"] == 0.0


def test_dropout_acts_in_training_mode_only():
    plain, dropped = _pair(0.5)
    src, mask, tgt_in = _batch()
    assert not torch.equal(dropped.train()(src, mask, tgt_in), plain(src, mask, tgt_in))
    torch.testing.assert_close(dropped.eval()(src, mask, tgt_in), plain.eval()(src, mask, tgt_in), atol=0, rtol=0)
    tokens, _ = dropped.greedy_decode(src, mask, 6)
    assert torch.equal(tokens, plain.greedy_decode(src, mask, 6)[0])


def test_a_checkpoint_saved_before_dropout_existed_still_loads():
    from s2s_lab.experiments import load_trained

    model, task = load_trained("reversal_attention")
    assert model.config["dropout"] == 0.0 and task.name == "reversal"


@pytest.mark.parametrize("p", [1.0, -0.1, "0.1", True])
def test_bad_dropout_is_refused(p):
    with pytest.raises(ValueError, match=r"dropout as a probability in \[0, 1\)"):
        Seq2Seq(9, 7, 8, 12, dropout=p)
