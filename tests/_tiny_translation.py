"""A Transformer and an RNN small enough to train on English → French for a few seconds in a test."""

from dataclasses import replace

from s2s_lab.experiments.translation import TRANSFORMER

TINY_MODEL = dict(
    d_model=32, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=64, max_len=40, norm_first=True
)
# max_len 40 (the positional encoding) is the longest input the tiny Transformer reads.
TINY = replace(
    TRANSFORMER,
    model=TINY_MODEL,
    n_train=64,
    batch_size=16,
    eval_every=10,
    n_valid=8,
    warmup=10,
    lr=3e-3,
    max_len=30,
    minutes=0.04,
    threads=1,
)
TINY_RNN = replace(
    TINY, kind="rnn", model=dict(emb_size=16, hidden_size=16, cell="gru", bidirectional=True, attention="additive")
)
