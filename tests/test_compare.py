"""s2s_lab.compare: the comparison table of notebook 06."""

from s2s_lab import PairDataset, Seq2Seq, Seq2SeqTransformer, make_loader, make_task
from s2s_lab.experiments import decoding_speed, format_table, sequential_steps, summary_row
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


def test_counts_and_sequential_steps():
    _, rnn, tf = _setup()
    assert count_parameters(rnn) == sum(p.numel() for p in rnn.parameters())
    tf.src_embed.weight.requires_grad_(False)
    assert count_parameters(tf) == sum(p.numel() for p in tf.parameters()) - tf.src_embed.weight.numel()
    assert sequential_steps(rnn, 20, 11) == 31 and sequential_steps(tf, 20, 11) == 3


def test_summary_row_and_table():
    test, rnn, tf = _setup()
    hist = History(updates=[1, 2, 3, 4], losses=[1.0] * 4, seconds=2.0)
    row = summary_row("tf", tf, hist, test, 6, 5, 6)
    scores = evaluate(tf, test)
    assert row["parameters"] == count_parameters(tf) and row["updates"] == 4 and row["ms / update"] == 500.0
    assert row["exact match"] == round(scores["exact_match"], 3) and row["sequential steps"] == 3
    rnn.train()
    assert row["decode seq/s"] > 0 and decoding_speed(rnn, test, 6) > 0
    assert rnn.training  # decoding_speed restores the mode
    table = format_table([row, dict(row, model="a longer name")]).splitlines()
    assert table[0].startswith("model") and len({len(line) for line in table}) == 1
    assert table[3].startswith("a longer name")
