"""s2s-lab: sequence-to-sequence learning from the formulas up.

The math lives in plain modules (:mod:`s2s_lab.cells`, :mod:`s2s_lab.layers`, ...) that import neither
matplotlib nor ipywidgets; the live demos live in :mod:`s2s_lab.widgets` and depend on the math.
"""

from .cells import GRUCell, LSTMCell, RNNCell
from .layers import GRU, LSTM, RNN, Trace
from .utils import seed_everything

__all__ = ["RNNCell", "LSTMCell", "GRUCell", "RNN", "LSTM", "GRU", "Trace", "seed_everything"]
__version__ = "0.1.0"

# Notebooks 02 (LSTM) and 03 (GRU): the memory task, a classifier to train on it, formula variants.
from .gate_variants import GRUPaper, GRUPaperCell  # noqa: E402
from .memory_tasks import remember_marked  # noqa: E402
from .sequence_classifier import SequenceClassifier, train_classifier  # noqa: E402

__all__ += ["GRUPaper", "GRUPaperCell", "remember_marked", "SequenceClassifier", "train_classifier"]
