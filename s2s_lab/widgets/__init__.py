"""Live demos for the notebooks (ipywidgets + matplotlib/ipympl). They depend on the math modules of
:mod:`s2s_lab`; the math never imports from here."""

from .base import FigureView, LiveDemo, play_controls, show, source, static_figure, uses_ipympl
from .equations import rnn_equation, vec
from .gradients import GradientFlowDemo, gradient_norms_figure
from .stepper import StepThrough

__all__ = [
    "FigureView",
    "LiveDemo",
    "play_controls",
    "uses_ipympl",
    "show",
    "source",
    "static_figure",
    "StepThrough",
    "rnn_equation",
    "vec",
    "GradientFlowDemo",
    "gradient_norms_figure",
]

# Encoder-decoder and attention demos (notebooks 04-05)
from .seq2seq import (  # noqa: E402
    AttentionExplorer,
    DecodeStepper,
    LossCurve,
    alignment_figure,
    encoder_decoder_diagram,
    length_curve_figure,
)

__all__ += [
    "LossCurve",
    "DecodeStepper",
    "AttentionExplorer",
    "alignment_figure",
    "encoder_decoder_diagram",
    "length_curve_figure",
]

# Notebooks 02 (LSTM) and 03 (GRU).
from .equations import gru_equation, lstm_equation  # noqa: E402
from .gated import OptimizerDemo, comparison_figure, delay_figure, state_gradient_figure  # noqa: E402

__all__ += [
    "lstm_equation",
    "gru_equation",
    "OptimizerDemo",
    "comparison_figure",
    "delay_figure",
    "state_gradient_figure",
]
