"""Self-check exercises, one module per notebook, on one harness (:mod:`.harness`).

The learner writes a piece of a formula; a ``check_...`` function runs it on random inputs, compares it
with the package's reference (itself checked against PyTorch) and prints a verdict that names the
mistake it recognises. A check never raises because of the learner's code and returns ``True`` when the
answer is right.
"""

from .decoding import check_beam_step, check_length_normalisation, check_temperature_sampling
from .gated import check_gru_keep, check_gru_step, check_lstm_step, check_memory_gates, check_num_parameters
from .harness import compare, run_learner_code, verdict
from .rnn import check_rnn_forward, check_rnn_step
from .seq2seq import check_additive_attention, check_attention_decoder_step, check_masked_cross_entropy
from .transformer import (
    check_causal_mask,
    check_positional_encoding,
    check_scaled_dot_product,
    check_split_merge_heads,
)

__all__ = [
    "verdict",
    "run_learner_code",
    "compare",
    "check_rnn_step",
    "check_rnn_forward",
    "check_lstm_step",
    "check_gru_step",
    "check_memory_gates",
    "check_gru_keep",
    "check_num_parameters",
    "check_masked_cross_entropy",
    "check_additive_attention",
    "check_attention_decoder_step",
    "check_scaled_dot_product",
    "check_positional_encoding",
    "check_causal_mask",
    "check_split_merge_heads",
    "check_beam_step",
    "check_length_normalisation",
    "check_temperature_sampling",
]
