r"""Backpropagation through time by hand: the vanilla-RNN and LSTM steps with a backward written from the chain rule.

Autograd records every operation of :func:`s2s_lab.cells.rnn_step` and :func:`s2s_lab.cells.lstm_step` and
differentiates them for us. Here the same steps are ``torch.autograd.Function`` s whose ``backward`` is the
derivation written out, one line per equation, so it can be read next to the formulas and checked with
``torch.autograd.gradcheck``. Chaining the step backwards over time is backpropagation through time
(Werbos, 1990, *Backpropagation Through Time: What It Does and How to Do It*). The LSTM is Hochreiter &
Schmidhuber's (1997, *Long Short-Term Memory*), who trained it with a truncated gradient; the full gradient
written out here is the one of Graves & Schmidhuber (2005, *Framewise Phoneme Classification with Bidirectional
LSTM and Other Neural Network Architectures*) and Graves (2012, *Supervised Sequence Labelling with Recurrent
Neural Networks*, section 4.6; drop its peephole terms, which PyTorch's LSTM does not have).

- :class:`RNNStepFunction`, :class:`LSTMStepFunction`: one time step, forward and backward.
  :func:`rnn_step_manual`, :func:`lstm_step_manual` apply them with the signature and results of
  :func:`~s2s_lab.cells.rnn_step`, :func:`~s2s_lab.cells.lstm_step`; autograd chains their backwards over time.
- :func:`rnn_bptt`: a one-layer vanilla RNN over a whole sequence, forward and then backward through time as
  one plain loop (no autograd at all), returning every :math:`\delta h_t` and :math:`\delta a_t` along the way.
- :class:`LSTMSequenceFunction` (:func:`lstm_sequence_manual`): a whole sequence, with the loop over time
  written out in the backward too. This is the fast one: autograd sees one node instead of about a dozen per
  step, and :math:`\delta W_{hh}` is one matrix product over all steps instead of one per step. The layer
  :class:`s2s_lab.LSTM` uses it when its attribute ``manual_backward`` is ``True`` (except in ``trace``).

Notation, the same in the equations and in the code: :math:`\delta v = \partial L / \partial v` is the gradient of
the loss :math:`L` with respect to :math:`v`, written ``dv`` in the code (``dh`` is :math:`\delta h_t`, ``dh_prev``
is :math:`\delta h_{t-1}`); :math:`\odot` is the elementwise product, and sums over the batch are implied where a
parameter's gradient collects the contributions of all examples.

All inputs are batched: ``gi`` of shape ``(B, k*H)``, states of shape ``(B, H)`` (``(T, B, k*H)`` for the
sequence function).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from ._checks import check_float, check_state, shape_str

__all__ = [
    "RNNStepFunction",
    "LSTMStepFunction",
    "LSTMSequenceFunction",
    "rnn_step_manual",
    "lstm_step_manual",
    "lstm_sequence_manual",
    "rnn_bptt",
]


class RNNStepFunction(torch.autograd.Function):
    r"""One vanilla-RNN step (Elman, 1990) with its backward written by hand.

    Forward, as :func:`~s2s_lab.cells.rnn_step` (:math:`\phi` is :math:`\tanh` or ReLU):

    .. math::
        a_t = gi_t + W_{hh} h_{t-1} + b_{hh}, \qquad h_t = \phi(a_t),
        \qquad gi_t = W_{ih} x_t + b_{ih}.

    Backward: given :math:`\delta h_t` (from the loss at step :math:`t` and from step :math:`t+1`, summed by
    autograd) and :math:`\delta a_t^{\text{out}}` (if :math:`a_t` itself is used; usually zero), the chain rule
    gives

    .. math::
        \begin{aligned}
        \delta a_t &= \delta a_t^{\text{out}} + \delta h_t \odot \phi'(a_t), \qquad
            \tanh'(a_t) = 1 - h_t^2, \quad \operatorname{ReLU}'(a_t) = [a_t > 0] \\
        \delta gi_t &= \delta a_t \\
        \delta h_{t-1} &= \delta a_t \, W_{hh} \\
        \delta W_{hh} &= \delta a_t^\top h_{t-1} \\
        \delta b_{hh} &= \textstyle\sum_{\text{batch}} \delta a_t
        \end{aligned}

    (row vectors: ``h`` is ``(B, H)``, so :math:`W_{hh} h_{t-1}` is ``h_prev @ weight_hh.T``). :math:`\delta W_{hh}`
    and :math:`\delta b_{hh}` are this step's share: every step uses the same :math:`W_{hh}, b_{hh}`, and autograd
    adds the shares of all steps.

    Inputs: ``gi, h_prev, weight_hh, bias_hh, nonlinearity``
        - **gi** ``(B, H)``: :math:`gi_t = W_{ih} x_t + b_{ih}`.
        - **h_prev** ``(B, H)``: :math:`h_{t-1}`.
        - **weight_hh** ``(H, H)``: :math:`W_{hh}`; **bias_hh** ``(H,)`` or ``None``: :math:`b_{hh}`.
        - **nonlinearity**: ``"tanh"`` or ``"relu"``.

    Outputs: ``h, a``, each ``(B, H)``: :math:`h_t` and :math:`a_t`.

    The backward uses only inputs and outputs of the forward, so autograd can differentiate it: second
    derivatives are right too (``gradgradcheck``).
    """

    @staticmethod
    def forward(ctx, gi, h_prev, weight_hh, bias_hh, nonlinearity):
        a = gi + F.linear(h_prev, weight_hh, bias_hh)  # (B, H)
        h = torch.tanh(a) if nonlinearity == "tanh" else torch.relu(a)  # (B, H)
        ctx.save_for_backward(h_prev, weight_hh, a, h)
        ctx.nonlinearity, ctx.has_bias = nonlinearity, bias_hh is not None
        return h, a

    @staticmethod
    def backward(ctx, dh, da_out):
        h_prev, weight_hh, a, h = ctx.saved_tensors
        dphi = 1 - h * h if ctx.nonlinearity == "tanh" else (a > 0).to(a.dtype)  # (B, H) phi'(a_t)
        da = da_out + dh * dphi  # (B, H) delta a_t
        dgi = da  # (B, H) delta gi_t
        dh_prev = da @ weight_hh  # (B, H) delta h_{t-1}
        dW_hh = da.t() @ h_prev  # (H, H) delta W_hh
        db_hh = da.sum(0) if ctx.has_bias else None  # (H,) delta b_hh
        return dgi, dh_prev, dW_hh, db_hh, None


class LSTMStepFunction(torch.autograd.Function):
    r"""One LSTM step (Hochreiter & Schmidhuber, 1997; forget gate: Gers et al., 2000) with its backward written
    by hand (Graves, 2012, section 4.6).

    Forward, as :func:`~s2s_lab.cells.lstm_step`, gate order i, f, g, o, with :math:`gi_t = W_{ih} x_t + b_{ih}`:

    .. math::
        \begin{aligned}
        z_t &= gi_t + W_{hh} h_{t-1} + b_{hh} = (z^i_t \,|\, z^f_t \,|\, z^g_t \,|\, z^o_t) \\
        i_t &= \sigma(z^i_t), \quad f_t = \sigma(z^f_t), \quad g_t = \tanh(z^g_t), \quad o_t = \sigma(z^o_t) \\
        c_t &= f_t \odot c_{t-1} + i_t \odot g_t \\
        h_t &= o_t \odot \tanh(c_t)
        \end{aligned}

    Backward: given :math:`\delta h_t` and :math:`\delta c_t^{\text{out}}`, what reaches :math:`h_t` and
    :math:`c_t` from the loss and from step :math:`t+1` (autograd sums them; from step :math:`t+1`,
    :math:`\delta c_t^{\text{out}} = \delta c_{t+1} \odot f_{t+1}`, the line for :math:`\delta c_{t-1}` below one
    step later), and :math:`\delta i_t^{\text{out}}, \ldots, \delta o_t^{\text{out}}` if the gates themselves are
    used (usually zero):

    .. math::
        \begin{aligned}
        \delta c_t &= \delta c_t^{\text{out}} + \delta h_t \odot o_t \odot (1 - \tanh^2 c_t) \\
        \delta o_t &= \delta o_t^{\text{out}} + \delta h_t \odot \tanh c_t, \qquad
        \delta i_t = \delta i_t^{\text{out}} + \delta c_t \odot g_t \\
        \delta g_t &= \delta g_t^{\text{out}} + \delta c_t \odot i_t, \qquad
        \delta f_t = \delta f_t^{\text{out}} + \delta c_t \odot c_{t-1} \\
        \delta c_{t-1} &= \delta c_t \odot f_t \\
        \delta z_t &= (\delta i_t \odot i_t (1 - i_t) \,|\, \delta f_t \odot f_t (1 - f_t) \,|\,
            \delta g_t \odot (1 - g_t^2) \,|\, \delta o_t \odot o_t (1 - o_t))
            \quad (\sigma' = \sigma (1 - \sigma),\ \tanh' = 1 - \tanh^2) \\
        \delta gi_t &= \delta z_t, \qquad \delta h_{t-1} = \delta z_t \, W_{hh}, \qquad
        \delta W_{hh} = \delta z_t^\top h_{t-1}, \qquad \delta b_{hh} = \textstyle\sum_{\text{batch}} \delta z_t
        \end{aligned}

    (:math:`\delta W_{hh}, \delta b_{hh}`: this step's share; autograd adds the shares of all steps.)
    The gates are returned as one tensor ``ifgo`` = :math:`(i_t | f_t | g_t | o_t)`, and
    :math:`\delta i_t^{\text{out}}, \ldots` arrive as one tensor ``difgo_out`` of the same shape.

    Inputs: ``gi, h_prev, c_prev, weight_hh, bias_hh``
        - **gi** ``(B, 4H)``: :math:`gi_t`.
        - **h_prev**, **c_prev** ``(B, H)``: :math:`h_{t-1}, c_{t-1}`.
        - **weight_hh** ``(4H, H)``: :math:`W_{hh}`; **bias_hh** ``(4H,)`` or ``None``: :math:`b_{hh}`.

    Outputs: ``h, c, ifgo``: :math:`h_t, c_t` ``(B, H)`` and the gates ``(B, 4H)``.

    The backward uses only inputs and outputs of the forward (it recomputes :math:`\tanh c_t` rather than keep it),
    so autograd can differentiate the backward itself: second derivatives are right too (``gradgradcheck``).
    """

    @staticmethod
    def forward(ctx, gi, h_prev, c_prev, weight_hh, bias_hh):
        z = gi + F.linear(h_prev, weight_hh, bias_hh)  # (B, 4H), gate order i, f, g, o
        zi, zf, zg, zo = z.chunk(4, dim=-1)
        ifgo = torch.cat([torch.sigmoid(zi), torch.sigmoid(zf), torch.tanh(zg), torch.sigmoid(zo)], dim=-1)  # (B, 4H)
        i, f, g, o = ifgo.chunk(4, dim=-1)  # each (B, H)
        c = f * c_prev + i * g  # (B, H)
        tanh_c = torch.tanh(c)  # (B, H)
        h = o * tanh_c  # (B, H)
        ctx.save_for_backward(h_prev, c_prev, weight_hh, ifgo, c)  # inputs and outputs only: see the docstring
        ctx.has_bias = bias_hh is not None
        return h, c, ifgo

    @staticmethod
    def backward(ctx, dh, dc_out, difgo_out):
        h_prev, c_prev, weight_hh, ifgo, c = ctx.saved_tensors
        i, f, g, o = ifgo.chunk(4, dim=-1)  # each (B, H)
        tanh_c = torch.tanh(c)  # (B, H)
        dc = dc_out + dh * o * (1 - tanh_c * tanh_c)  # (B, H) delta c_t
        do = dh * tanh_c  # (B, H) delta o_t
        di = dc * g  # (B, H) delta i_t
        dg = dc * i  # (B, H) delta g_t
        df = dc * c_prev  # (B, H) delta f_t
        dc_prev = dc * f  # (B, H) delta c_{t-1}
        difgo = torch.cat([di, df, dg, do], dim=-1) + difgo_out  # (B, 4H) delta (i_t | f_t | g_t | o_t)
        dz = difgo * torch.cat([i * (1 - i), f * (1 - f), 1 - g * g, o * (1 - o)], dim=-1)  # (B, 4H) delta z_t
        dgi = dz  # (B, 4H) delta gi_t
        dh_prev = dz @ weight_hh  # (B, H) delta h_{t-1}
        dW_hh = dz.t() @ h_prev  # (4H, H) delta W_hh
        db_hh = dz.sum(0) if ctx.has_bias else None  # (4H,) delta b_hh
        return dgi, dh_prev, dc_prev, dW_hh, db_hh


class LSTMSequenceFunction(torch.autograd.Function):
    r"""A one-layer, one-direction LSTM over a whole sequence, with backpropagation through time written out.

    Forward: the equations of :class:`LSTMStepFunction` for :math:`t = 1, \ldots, T`, keeping the gates,
    :math:`c_t`, :math:`\tanh c_t` and :math:`h_t` of every step. Backward: the same chain rule for
    :math:`t = T, \ldots, 1`, carrying :math:`\delta h` and :math:`\delta c` from step :math:`t+1` to step
    :math:`t` by hand (:math:`\delta h_t^{\text{out}}` is the gradient reaching :math:`h_t` from the layer's
    output, ``dhs[t]``):

    .. math::
        \begin{aligned}
        \delta h_t &= \delta h_t^{\text{out}} + \delta z_{t+1} W_{hh} \\
        \delta c_t &= \delta c_{t+1} \odot f_{t+1} + \delta h_t \odot o_t \odot (1 - \tanh^2 c_t) \\
        \delta z^i_t &= \delta c_t \odot g_t \odot i_t (1 - i_t), \qquad
        \delta z^f_t = \delta c_t \odot c_{t-1} \odot f_t (1 - f_t) \\
        \delta z^g_t &= \delta c_t \odot i_t \odot (1 - g_t^2), \qquad
        \delta z^o_t = \delta h_t \odot \tanh c_t \odot o_t (1 - o_t) \\
        \delta gi_t &= \delta z_t, \qquad
        \delta W_{hh} = \textstyle\sum_t \delta z_t^\top h_{t-1}, \qquad
        \delta b_{hh} = \textstyle\sum_t \sum_{\text{batch}} \delta z_t
        \end{aligned}

    starting from :math:`\delta z_{T+1} = 0` and :math:`\delta c_{T+1} \odot f_{T+1} = \delta c_T^{\text{out}}`
    (the gradient reaching the final cell state), and ending with :math:`\delta h_0 = \delta z_1 W_{hh}`,
    :math:`\delta c_0 = \delta c_1 \odot f_1`. These are the lines of :class:`LSTMStepFunction` with the gate
    derivatives multiplied in. The factors that depend on the forward values alone (``dc_per_dh`` =
    :math:`o_t \odot (1 - \tanh^2 c_t)`, ``dzo_per_dh`` = :math:`\tanh c_t \odot o_t (1 - o_t)`, ``dzifg_per_dc`` =
    :math:`(g_t \odot i_t (1 - i_t) \,|\, c_{t-1} \odot f_t (1 - f_t) \,|\, i_t \odot (1 - g_t^2))`) are computed
    for all steps at once before the loop, and :math:`\delta W_{hh}`, :math:`\delta b_{hh}` after it, as one matrix
    product and one sum over all steps: the loop keeps only what has to wait for step :math:`t+1`.
    The backward is not itself differentiable: ``create_graph=True`` raises an error.

    Inputs: ``gi, h0, c0, weight_hh, bias_hh``
        - **gi** ``(T, B, 4H)``: :math:`gi_t = W_{ih} x_t + b_{ih}` for every step.
        - **h0**, **c0** ``(B, H)``: :math:`h_0, c_0`.
        - **weight_hh** ``(4H, H)``: :math:`W_{hh}`; **bias_hh** ``(4H,)`` or ``None``: :math:`b_{hh}`.

    Outputs: ``hs, c_T``: :math:`h_1, \ldots, h_T` as ``(T, B, H)`` (so :math:`h_T` is ``hs[-1]``) and
    :math:`c_T` ``(B, H)``.
    """

    @staticmethod
    def forward(ctx, gi, h0, c0, weight_hh, bias_hh):
        T, B, H = gi.shape[0], gi.shape[1], h0.shape[-1]
        z_in = gi if bias_hh is None else gi + bias_hh  # (T, B, 4H): b_hh added for all steps at once
        ifgo = gi.new_empty(T, B, 4 * H)  # (T, B, 4H) gates i, f, g, o of every step
        cs, tanh_cs, hs = (gi.new_empty(T, B, H) for _ in range(3))  # (T, B, H) c_t, tanh c_t, h_t
        w_t = weight_hh.t()  # (H, 4H)
        h, c = h0, c0
        for t in range(T):
            z = torch.addmm(z_in[t], h, w_t)  # (B, 4H) z_t = gi_t + W_hh h_{t-1} + b_hh
            torch.sigmoid(z, out=ifgo[t])  # i, f, o (and g, overwritten next)
            torch.tanh(z[:, 2 * H : 3 * H], out=ifgo[t, :, 2 * H : 3 * H])  # g
            i, f, g, o = ifgo[t].chunk(4, dim=-1)  # each (B, H)
            c = torch.addcmul(f * c, i, g, out=cs[t])  # (B, H) c_t = f_t c_{t-1} + i_t g_t
            h = torch.mul(o, torch.tanh(c, out=tanh_cs[t]), out=hs[t])  # (B, H) h_t = o_t tanh c_t
        ctx.save_for_backward(h0, c0, weight_hh, ifgo, cs, tanh_cs, hs)
        ctx.has_bias = bias_hh is not None
        return hs, cs[-1].clone()

    @staticmethod
    def backward(ctx, dhs, dc_T):
        if torch.is_grad_enabled():  # backward(create_graph=True): second derivatives were asked for
            raise RuntimeError(
                "LSTMSequenceFunction has no second derivatives, but create_graph=True asked for them; use "
                "s2s_lab.bptt.lstm_step_manual step by step, or set manual_backward = False on the s2s_lab.LSTM layer."
            )
        h0, c0, weight_hh, ifgo, cs, tanh_cs, hs = ctx.saved_tensors
        T, B, H = hs.shape
        i, f, g, o = ifgo.chunk(4, dim=-1)  # each (T, B, H)
        c_prev = torch.cat([c0.unsqueeze(0), cs[:-1]])  # (T, B, H) c_{t-1}
        # What multiplies delta c_t and delta h_t depends on the forward values alone: all steps at once.
        dc_per_dh = o * (1 - tanh_cs * tanh_cs)  # (T, B, H) o_t (1 - tanh^2 c_t)
        dzo_per_dh = tanh_cs * o * (1 - o)  # (T, B, H) tanh c_t o_t (1 - o_t)
        dzifg_per_dc = torch.stack([g * i * (1 - i), c_prev * f * (1 - f), i * (1 - g * g)], dim=2)  # (T, B, 3, H)
        dz = ifgo.new_empty(T, B, 4 * H)  # (T, B, 4H) delta z_t
        dz_ifg = dz.view(T, B, 4, H)[:, :, :3]  # (T, B, 3, H) view: the i, f, g parts of delta z_t
        dz_o = dz[..., 3 * H :]  # (T, B, H) view: the o part of delta z_t
        dh = dhs[T - 1]  # (B, H) delta h_T: only from outside (no step T+1)
        dc = dc_T  # (B, H) delta c_{T+1} f_{T+1}: the gradient reaching c_T from outside
        for t in reversed(range(T)):
            dc = torch.addcmul(dc, dh, dc_per_dh[t])  # (B, H) delta c_t
            torch.mul(dc.unsqueeze(1), dzifg_per_dc[t], out=dz_ifg[t])  # (B, 3, H) delta z^i_t, z^f_t, z^g_t
            torch.mul(dh, dzo_per_dh[t], out=dz_o[t])  # (B, H) delta z^o_t
            dh = torch.addmm(dhs[t - 1], dz[t], weight_hh) if t else dz[t] @ weight_hh  # (B, H) delta h_{t-1}
            dc = dc * f[t]  # (B, H) delta c_{t-1}
        dW_hh = None  # (4H, H) sum_t delta z_t^T h_{t-1}; skipped for a frozen W_hh (a whole forward's cost)
        if ctx.needs_input_grad[3]:
            h_prev = torch.cat([h0.unsqueeze(0), hs[:-1]])  # (T, B, H) h_{t-1}
            dW_hh = dz.reshape(T * B, 4 * H).t() @ h_prev.reshape(T * B, H)
        db_hh = dz.sum((0, 1)) if ctx.has_bias else None  # (4H,)
        return dz, dh, dc, dW_hh, db_hh


# ----------------------------------------------------------------------------------------------
# The functions to call: the signature and results of cells.rnn_step / cells.lstm_step, with checks.
# ----------------------------------------------------------------------------------------------
def _check_args(name: str, k: int, gi: Tensor, states: dict[str, Tensor], weight_hh: Tensor, bias_hh, time: bool):
    """Check shapes and dtypes; ``k`` is the number of gates (1 for the RNN, 4 for the LSTM)."""
    check_float(weight_hh, f"{name} weight_hh")
    if weight_hh.dim() != 2 or weight_hh.shape[0] != k * weight_hh.shape[1] or weight_hh.shape[1] == 0:
        want = "(H, H)" if k == 1 else f"({k}H, H)"
        raise ValueError(f"{name} expects weight_hh of shape {want} with H > 0, got {shape_str(weight_hh.shape)}.")
    H = weight_hh.shape[1]
    check_float(gi, f"{name} gi", weight_hh)
    lead = "T, B" if time else "B"
    if gi.dim() != (3 if time else 2) or gi.shape[-1] != k * H or 0 in gi.shape:
        raise ValueError(f"{name} expects gi of shape ({lead}, {k * H}) with {lead} > 0, got {shape_str(gi.shape)}.")
    for what, s in states.items():
        check_state(s, (gi.shape[-2], H), f"{name} {what}", weight_hh)
    if bias_hh is not None:
        check_state(bias_hh, (k * H,), f"{name} bias_hh", weight_hh)


def rnn_step_manual(gi: Tensor, h: Tensor, weight_hh: Tensor, bias_hh: Tensor | None, nonlinearity: str):
    r"""One vanilla-RNN step through :class:`RNNStepFunction`: same arguments and results as
    :func:`s2s_lab.cells.rnn_step`, gradients from the hand-written backward.

    Inputs: ``gi`` ``(B, H)``, ``h`` ``(B, H)`` (:math:`h_{t-1}`), ``weight_hh`` ``(H, H)``, ``bias_hh`` ``(H,)``
    or ``None``, ``nonlinearity`` ``"tanh"`` or ``"relu"``.

    Outputs: ``(h_t, {"a": a_t, "h": h_t})``, each ``(B, H)``.
    """
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}.")
    _check_args("rnn_step_manual", 1, gi, {"h": h}, weight_hh, bias_hh, time=False)
    h, a = RNNStepFunction.apply(gi, h, weight_hh, bias_hh, nonlinearity)
    return h, {"a": a, "h": h}


def lstm_step_manual(gi: Tensor, h: Tensor, c: Tensor, weight_hh: Tensor, bias_hh: Tensor | None):
    r"""One LSTM step through :class:`LSTMStepFunction`: same arguments and results as
    :func:`s2s_lab.cells.lstm_step`, gradients from the hand-written backward.

    Inputs: ``gi`` ``(B, 4H)``, ``h``, ``c`` ``(B, H)`` (:math:`h_{t-1}, c_{t-1}`), ``weight_hh`` ``(4H, H)``,
    ``bias_hh`` ``(4H,)`` or ``None``.

    Outputs: ``(h_t, c_t, {"i", "f", "g", "o", "c", "h"})``, each ``(B, H)``.
    """
    _check_args("lstm_step_manual", 4, gi, {"h": h, "c": c}, weight_hh, bias_hh, time=False)
    h, c, ifgo = LSTMStepFunction.apply(gi, h, c, weight_hh, bias_hh)
    i, f, g, o = ifgo.chunk(4, dim=-1)
    return h, c, {"i": i, "f": f, "g": g, "o": o, "c": c, "h": h}


def lstm_sequence_manual(gi: Tensor, h0: Tensor, c0: Tensor, weight_hh: Tensor, bias_hh: Tensor | None):
    r"""A one-layer, one-direction LSTM over a whole sequence through :class:`LSTMSequenceFunction`.

    Inputs: ``gi`` ``(T, B, 4H)`` (:math:`W_{ih} x_t + b_{ih}` for every step), ``h0``, ``c0`` ``(B, H)``,
    ``weight_hh`` ``(4H, H)``, ``bias_hh`` ``(4H,)`` or ``None``.

    Outputs: ``(hs, h_T, c_T)``: :math:`h_1, \ldots, h_T` ``(T, B, H)``, and :math:`h_T, c_T` ``(B, H)``.
    """
    _check_args("lstm_sequence_manual", 4, gi, {"h0": h0, "c0": c0}, weight_hh, bias_hh, time=True)
    hs, c_T = LSTMSequenceFunction.apply(gi, h0, c0, weight_hh, bias_hh)
    return hs, hs[-1], c_T


def rnn_bptt(
    x: Tensor,
    h0: Tensor,
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Tensor | None,
    bias_hh: Tensor | None,
    dh_out: Tensor,
    nonlinearity: str = "tanh",
) -> dict[str, Tensor]:
    r"""Backpropagation through time for a one-layer vanilla RNN, written as one loop without autograd.

    Forward, for :math:`t = 1, \ldots, T`: :math:`a_t = W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}`,
    :math:`h_t = \phi(a_t)`. Backward, for :math:`t = T, \ldots, 1`, the lines of :class:`RNNStepFunction`
    chained, with :math:`\delta h_t^{\text{out}} = \partial L / \partial h_t` the gradient the loss sends
    to :math:`h_t` directly (``dh_out[t]``):

    .. math::
        \begin{aligned}
        \delta h_t &= \delta h_t^{\text{out}} + \delta a_{t+1} W_{hh} \qquad (\delta a_{T+1} = 0) \\
        \delta a_t &= \delta h_t \odot \phi'(a_t), \qquad \tanh'(a_t) = 1 - h_t^2 \\
        \delta W_{hh} &= \textstyle\sum_t \delta a_t^\top h_{t-1}, \qquad
        \delta W_{ih} = \textstyle\sum_t \delta a_t^\top x_t, \qquad
        \delta b = \textstyle\sum_t \sum_{\text{batch}} \delta a_t \\
        \delta x_t &= \delta a_t W_{ih}, \qquad \delta h_0 = \delta a_1 W_{hh}
        \end{aligned}

    (:math:`\delta b` is the gradient of :math:`b_{ih}` and of :math:`b_{hh}` alike: both are added to
    :math:`a_t`.) Werbos (1990), *Backpropagation Through Time: What It Does and How to Do It*.

    Inputs:
        - **x** ``(T, B, I)``, **h0** ``(B, H)``: :math:`x_1, \ldots, x_T` and :math:`h_0`.
        - **weight_ih** ``(H, I)``, **weight_hh** ``(H, H)``, **bias_ih**, **bias_hh** ``(H,)`` or ``None``.
        - **dh_out** ``(T, B, H)``: :math:`\delta h_t^{\text{out}}` for every step (zeros where the loss does
          not look at :math:`h_t`).
        - **nonlinearity**: ``"tanh"`` or ``"relu"``.

    Outputs: a dict of tensors: ``h``, ``a`` ``(T, B, H)`` (the forward); ``dh``, ``da`` ``(T, B, H)``
    (:math:`\delta h_t, \delta a_t` of every step); ``dx`` ``(T, B, I)``; ``dh0`` ``(B, H)``; ``dW_ih``
    ``(H, I)``, ``dW_hh`` ``(H, H)``, ``db`` ``(H,)``.
    """
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}.")
    check_float(x, "rnn_bptt x", weight_hh)
    if x.dim() != 3 or 0 in x.shape:
        raise ValueError(f"rnn_bptt expects x of shape (T, B, I) with T, B, I > 0, got {shape_str(x.shape)}.")
    if weight_ih.dim() != 2 or weight_ih.shape != (weight_hh.shape[0], x.shape[-1]):
        raise ValueError(
            f"rnn_bptt expects weight_ih of shape (H, I) = ({weight_hh.shape[0]}, {x.shape[-1]}), "
            f"got {shape_str(weight_ih.shape)}."
        )
    with torch.no_grad():
        gi = F.linear(x, weight_ih, bias_ih)  # (T, B, H) W_ih x_t + b_ih, all steps at once
        _check_args("rnn_bptt", 1, gi, {"h0": h0}, weight_hh, bias_hh, time=True)
        check_state(dh_out, tuple(gi.shape), "rnn_bptt dh_out", weight_hh)
        T = x.shape[0]
        # Forward: keep a_t and h_t of every step.
        a, h = torch.empty_like(gi), torch.empty_like(gi)  # (T, B, H) each
        h_t = h0
        for t in range(T):
            a[t] = gi[t] + F.linear(h_t, weight_hh, bias_hh)  # a_t
            h_t = h[t] = torch.tanh(a[t]) if nonlinearity == "tanh" else torch.relu(a[t])  # h_t
        h_prev = torch.cat([h0.unsqueeze(0), h[:-1]])  # (T, B, H) h_{t-1}
        dphi = 1 - h * h if nonlinearity == "tanh" else (a > 0).to(a.dtype)  # (T, B, H) phi'(a_t)
        # Backward through time: t = T, ..., 1.
        dh, da = torch.empty_like(gi), torch.empty_like(gi)  # (T, B, H) delta h_t, delta a_t
        dW_ih, dW_hh, db = torch.zeros_like(weight_ih), torch.zeros_like(weight_hh), gi.new_zeros(gi.shape[-1])
        for t in reversed(range(T)):
            dh[t] = dh_out[t] + (da[t + 1] @ weight_hh if t + 1 < T else 0)  # delta h_t: from the loss and step t+1
            da[t] = dh[t] * dphi[t]  # delta a_t
            dW_hh += da[t].t() @ h_prev[t]  # this step's share of delta W_hh
            dW_ih += da[t].t() @ x[t]  # ... of delta W_ih
            db += da[t].sum(0)  # ... of delta b
        dx = da @ weight_ih  # (T, B, I) delta x_t, all steps at once
        dh0 = da[0] @ weight_hh  # (B, H) delta h_0
    return {"h": h, "a": a, "dh": dh, "da": da, "dx": dx, "dh0": dh0, "dW_ih": dW_ih, "dW_hh": dW_hh, "db": db}
