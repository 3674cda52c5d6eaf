"""s2s_lab.experiments.compare: the comparison of notebook 06."""

import math

import pytest
import torch

from s2s_lab import PairDataset, Seq2Seq, Seq2SeqTransformer, make_loader, make_task
from s2s_lab.data import Vocab
from s2s_lab.experiments.compare import (
    MEASURED,
    READ_TEXT,
    RNN,
    TRANSFORMER,
    Run,
    UpdateClock,
    date_models,
    decoding_speed,
    format_table,
    mean_largest_weight,
    reading_of,
    sequential_ops,
    summary_row,
    train_one,
    updates_to_reach,
)
from s2s_lab.tasks import DATE_SOURCE_CHARS, DATE_TARGET_CHARS
from s2s_lab.training import History, count_parameters, evaluate


def _setup():
    t = make_task("reversal", 20, 0, 10, seed=0, min_len=3, max_len=5, alphabet="abcd")
    test = make_loader(PairDataset(t.test, t.src_vocab, t.tgt_vocab), 5)
    rnn = Seq2Seq(len(t.src_vocab), len(t.tgt_vocab), emb_size=8, hidden_size=8, attention="dot")
    tf = Seq2SeqTransformer(
        len(t.src_vocab),
        len(t.tgt_vocab),
        d_model=8,
        nhead=2,
        num_encoder_layers=2,
        num_decoder_layers=1,
        dim_feedforward=16,
        max_len=10,
    )
    return test, rnn, tf


def test_counts_and_sequential_ops():
    _, rnn, tf = _setup()
    assert count_parameters(rnn) == sum(p.numel() for p in rnn.parameters())
    tf.src_embed.weight.requires_grad_(False)
    assert count_parameters(tf) == sum(p.numel() for p in tf.parameters()) - tf.src_embed.weight.numel()
    assert sequential_ops(rnn, 20, 11) == 31 and sequential_ops(tf, 20, 11) == 3


def test_updates_to_reach_is_the_first_check_at_the_level():
    h = History(evals=[{"update": 25, "exact_match": 0.5}, {"update": 50, "exact_match": 0.9}, {"update": 75}])
    assert updates_to_reach(h, 0.9) == 50 and updates_to_reach(h, 0.95) == math.inf
    assert updates_to_reach(History(), 0.1) == math.inf


def test_update_clock_counts_updates_but_not_validation_checks():
    clock, h = UpdateClock(), History()
    for step in range(1, 5):
        h.updates.append(step)
        clock(h)  # after an update
        if step == 2:
            h.evals.append({"update": step})
            clock(h)  # after a validation check
    # the first update (it starts the optimiser) and the check are left out: updates 2, 3 and 4 count
    assert clock.updates == 3 and clock.seconds >= 0 and clock.ms_per_update >= 0


def test_summary_row_and_table():
    test, rnn, tf = _setup()
    clock = UpdateClock()
    clock.seconds, clock.updates = 2.0, 4
    hist = History(updates=[1, 2, 3, 4], losses=[1.0] * 4, evals=[{"update": 2, "exact_match": 0.95}])
    row = summary_row("tf", Run(tf, 0.003, hist, clock), test, 6, 5, 6)
    scores = evaluate(tf, test)
    assert row["parameters"] == count_parameters(tf) and row["updates"] == 4 and row["ms / update"] == 500.0
    assert row["test exact match"] == scores["exact_match"] and row["sequential ops"] == 3
    assert row["updates to 90% (val.)"] == 2 and row["learning rate"] == 0.003
    rnn.train()
    assert row["decode seq/s"] > 0 and decoding_speed(rnn, test, 6) > 0
    assert rnn.training  # decoding_speed restores the mode
    table = format_table([row, dict(row, model="a longer name")]).splitlines()
    assert table[0].split() == ["tf", "a", "longer", "name"] and len({len(line) for line in table}) == 1
    assert [line.split()[0] for line in table[1:3]] == ["parameters", "sequential"]
    assert "learning rate" in table[3] and table[3].endswith("0.003")
    for column in MEASURED:  # trained numbers and timings carry the mark ≈, fixed ones do not
        (line,) = [line for line in table if line.startswith(column)]
        assert line.count("≈") == 2
    assert "≈" not in "".join(table[:5])


def test_train_one_trains_both_models_with_validation_checks():
    t = make_task("reversal", 64, 16, 0, seed=0, min_len=3, max_len=5, alphabet="abcd")
    models = date_models(t, seed=0)
    assert set(models) == {RNN, TRANSFORMER}
    run = train_one(models[TRANSFORMER], t, lr=3e-3, epochs=1, eval_every=1)
    assert len(run.history.updates) == 1 and run.history.evals[0]["update"] == 1 and run.lr == 3e-3
    assert "exact_match" in run.history.evals[0]


def test_reading_of_and_sharpness():
    src_vocab, tgt_vocab = Vocab(DATE_SOURCE_CHARS), Vocab(DATE_TARGET_CHARS)
    torch.manual_seed(0)
    model = Seq2SeqTransformer(len(src_vocab), len(tgt_vocab), d_model=16, nhead=2, dim_feedforward=16, max_len=32)
    with torch.no_grad():  # queries and keys all zero in layer 1: every score 0, uniform weights 1/S
        model.encoder_layers[1].self_attn.in_proj_weight[:32].zero_()
        model.encoder_layers[1].self_attn.in_proj_bias[:32].zero_()
    assert mean_largest_weight(model, src_vocab, READ_TEXT, layer=1) == pytest.approx(1 / len(READ_TEXT))
    assert mean_largest_weight(model, src_vocab, READ_TEXT, layer=0) > 1 / len(READ_TEXT)
    assert model.training  # left as it was
    reading = reading_of(model, src_vocab, tgt_vocab)
    assert set(reading) == {
        "output right",
        "year rows on '2021'",
        "month's last digit on 'March'",
        "day's last digit on '3rd'",
        "layer-1 sharpness",
    }
    assert reading["output right"] == 0.0 and reading["year rows on '2021'"] in (0, 1, 2, 3, 4)
    assert reading["layer-1 sharpness"] == pytest.approx(1 / len(READ_TEXT))
