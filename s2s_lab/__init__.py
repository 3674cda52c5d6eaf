"""s2s-lab: sequence-to-sequence learning from the formulas up.

The math lives in plain modules (:mod:`s2s_lab.cells`, :mod:`s2s_lab.layers`, ...) that import neither
matplotlib nor ipywidgets; the live demos live in :mod:`s2s_lab.widgets` and depend on the math.
"""

from .cells import GRUCell, LSTMCell, RNNCell
from .layers import GRU, LSTM, RNN, Trace
from .utils import seed_everything

__all__ = ["RNNCell", "LSTMCell", "GRUCell", "RNN", "LSTM", "GRU", "Trace", "seed_everything"]
__version__ = "0.1.0"

# Attention and Transformer (issue 5)
from .attention import (  # noqa: E402
    AdditiveAttention,
    LuongAttention,
    MultiHeadAttention,
    make_attention,
    masked_softmax,
    scaled_dot_product,
)
from .transformer import (  # noqa: E402
    LayerNorm,
    PositionalEncoding,
    Seq2SeqTransformer,
    TransformerDecoderLayer,
    TransformerEncoderLayer,
    causal_mask,
    padding_mask,
    sinusoidal_encoding,
)

__all__ += ["AdditiveAttention", "LuongAttention", "MultiHeadAttention", "make_attention", "masked_softmax",
            "scaled_dot_product", "LayerNorm", "PositionalEncoding", "Seq2SeqTransformer",
            "TransformerDecoderLayer", "TransformerEncoderLayer", "causal_mask", "padding_mask",
            "sinusoidal_encoding"]  # fmt: skip
