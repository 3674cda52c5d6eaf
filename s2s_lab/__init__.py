"""s2s-lab: sequence-to-sequence learning from the formulas up.

The math lives in plain modules (:mod:`s2s_lab.cells`, :mod:`s2s_lab.layers`, :mod:`s2s_lab.attention`,
...) that import neither matplotlib nor ipywidgets; the live demos live in :mod:`s2s_lab.widgets` and
depend on the math.
"""

# Recurrent cells and layers (notebooks 01-03)
from .cells import GRUCell, LSTMCell, RNNCell
from .layers import GRU, LSTM, RNN, Trace
from .utils import seed_everything

# The memory task, a classifier to train on it, formula variants (notebooks 02-03)
from .gate_variants import GRUPaper, GRUPaperCell
from .memory_tasks import remember_marked
from .sequence_classifier import SequenceClassifier, train_classifier

# Encoder-decoder: data, tasks, models, training (notebooks 04-05)
from .data import BOS, EOS, PAD, UNK, Batch, PairDataset, Vocab, collate, make_loader, tokenise
from .tasks import DATE_FORMATS, Task, make_task
from .seq2seq import Decoded, Decoder, Encoder, Seq2Seq, decode_text
from .training import (History, evaluate, exact_match, fit, load_checkpoint, masked_cross_entropy,
                       save_checkpoint, token_accuracy)

# Attention and the Transformer (notebooks 05-06)
from .attention import (AdditiveAttention, LuongAttention, MultiHeadAttention, make_attention, masked_softmax,
                        scaled_dot_product)
from .transformer import (LayerNorm, PositionalEncoding, Seq2SeqTransformer, TransformerDecoderLayer,
                          TransformerEncoderLayer, causal_mask, padding_mask, sinusoidal_encoding)

__all__ = [
    "RNNCell", "LSTMCell", "GRUCell", "RNN", "LSTM", "GRU", "Trace", "seed_everything",
    "GRUPaper", "GRUPaperCell", "remember_marked", "SequenceClassifier", "train_classifier",
    "PAD", "BOS", "EOS", "UNK", "Vocab", "tokenise", "Batch", "collate", "PairDataset", "make_loader",
    "Task", "make_task", "DATE_FORMATS",
    "Encoder", "Decoder", "Seq2Seq", "Decoded", "decode_text",
    "History", "fit", "evaluate", "exact_match", "token_accuracy", "masked_cross_entropy", "save_checkpoint",
    "load_checkpoint",
    "AdditiveAttention", "LuongAttention", "MultiHeadAttention", "make_attention", "masked_softmax",
    "scaled_dot_product",
    "LayerNorm", "PositionalEncoding", "Seq2SeqTransformer", "TransformerEncoderLayer", "TransformerDecoderLayer",
    "causal_mask", "padding_mask", "sinusoidal_encoding",
]  # fmt: skip
__version__ = "0.1.0"
