"""s2s-lab: sequence-to-sequence learning from the formulas up.

A map of the package (the README's contributor section has the same, with the rules that keep it so):

- **Math**, one module per concept, importing torch and the small shared modules below, never the
  trainer, matplotlib or ipywidgets: :mod:`.cells`, :mod:`.layers`, :mod:`.gate_variants`,
  :mod:`.gradient_flow`, :mod:`.sequence_classifier`, :mod:`.seq2seq`, :mod:`.attention`,
  :mod:`.transformer`, :mod:`.decoding`; the tasks and their data: :mod:`.encoding`, :mod:`.memory_tasks`,
  :mod:`.data`, :mod:`.tasks`.
- **Shared by the models**: :mod:`._checks` (input checks), :mod:`.interface` (what every seq2seq model
  offers, text decoding) and :mod:`.checkpoints` (save, load, the shipped files).
- **Training**: :mod:`.training` (one :func:`fit` for classifiers and seq2seq models, one
  :class:`History`, the metrics) and :mod:`.reproducibility` (seeds, machine-dependent numbers, claims).
- **On top**: :mod:`.experiments` (the notebooks' recipes and sweeps), :mod:`.exercises` (self-checks),
  :mod:`.widgets` (live demos; the only part that imports matplotlib and ipywidgets).
"""

# Recurrent cells and layers (notebooks 01-03)
# Attention and the Transformer (notebooks 05-06)
from .attention import (
    AdditiveAttention,
    LuongAttention,
    MultiHeadAttention,
    make_attention,
    masked_softmax,
    merge_heads,
    scaled_dot_product,
    split_heads,
)
from .cells import GRUCell, LSTMCell, RNNCell
from .checkpoints import load_checkpoint, save_checkpoint

# Encoder-decoder: data, tasks, models (notebooks 04-05)
from .data import BOS, EOS, PAD, UNK, Batch, PairDataset, Vocab, collate, make_loader, tokenise

# Decoding: greedy, beam search, sampling (notebook 07)
from .decoding import (
    BeamResult,
    Hypothesis,
    beam_search,
    distinct_n,
    force_prefix,
    greedy,
    length_penalty,
    sample,
    sampling_distribution,
)

# The memory task and a classifier to train on it, formula variants (notebooks 02-03)
from .gate_variants import GRUPaper, GRUPaperCell
from .interface import Decoded, Seq2SeqModel, decode_text
from .layers import GRU, LSTM, RNN, Trace
from .memory_tasks import remember_marked
from .reproducibility import claim, measured, seed_everything
from .seq2seq import Decoder, Encoder, Seq2Seq
from .sequence_classifier import SequenceClassifier
from .tasks import DATE_FORMATS, Task, make_task

# Training and checkpoints (every model)
from .training import (
    History,
    batch_loss,
    count_parameters,
    evaluate,
    exact_match,
    fit,
    masked_cross_entropy,
    token_accuracy,
)
from .transformer import (
    LayerNorm,
    PositionalEncoding,
    Seq2SeqTransformer,
    TransformerDecoderLayer,
    TransformerEncoderLayer,
    causal_mask,
    sinusoidal_encoding,
    token_mask,
)

__all__ = [
    "RNNCell",
    "LSTMCell",
    "GRUCell",
    "RNN",
    "LSTM",
    "GRU",
    "Trace",
    "seed_everything",
    "measured",
    "claim",
    "GRUPaper",
    "GRUPaperCell",
    "remember_marked",
    "SequenceClassifier",
    "PAD",
    "BOS",
    "EOS",
    "UNK",
    "Vocab",
    "tokenise",
    "Batch",
    "collate",
    "PairDataset",
    "make_loader",
    "Task",
    "make_task",
    "DATE_FORMATS",
    "Encoder",
    "Decoder",
    "Seq2Seq",
    "Seq2SeqModel",
    "Decoded",
    "decode_text",
    "AdditiveAttention",
    "LuongAttention",
    "MultiHeadAttention",
    "split_heads",
    "merge_heads",
    "make_attention",
    "masked_softmax",
    "scaled_dot_product",
    "LayerNorm",
    "PositionalEncoding",
    "Seq2SeqTransformer",
    "TransformerEncoderLayer",
    "TransformerDecoderLayer",
    "causal_mask",
    "token_mask",
    "sinusoidal_encoding",
    "History",
    "fit",
    "batch_loss",
    "evaluate",
    "exact_match",
    "token_accuracy",
    "masked_cross_entropy",
    "count_parameters",
    "save_checkpoint",
    "load_checkpoint",
    "Hypothesis",
    "BeamResult",
    "greedy",
    "beam_search",
    "force_prefix",
    "distinct_n",
    "length_penalty",
    "sample",
    "sampling_distribution",
]
__version__ = "0.1.0"
