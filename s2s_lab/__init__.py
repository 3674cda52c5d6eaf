"""s2s-lab: sequence-to-sequence learning from the formulas up.

The math lives in plain modules (:mod:`s2s_lab.cells`, :mod:`s2s_lab.layers`, ...) that import neither
matplotlib nor ipywidgets; the live demos live in :mod:`s2s_lab.widgets` and depend on the math.
"""

from .cells import GRUCell, LSTMCell, RNNCell
from .layers import GRU, LSTM, RNN, Trace
from .utils import seed_everything

__all__ = ["RNNCell", "LSTMCell", "GRUCell", "RNN", "LSTM", "GRU", "Trace", "seed_everything"]
__version__ = "0.1.0"

# Attention (issue 5)
from .attention import (  # noqa: E402
    AdditiveAttention,
    LuongAttention,
    MultiHeadAttention,
    make_attention,
    masked_softmax,
    scaled_dot_product,
)

__all__ += ["AdditiveAttention", "LuongAttention", "MultiHeadAttention", "make_attention", "masked_softmax",
            "scaled_dot_product"]  # fmt: skip
