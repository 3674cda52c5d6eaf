"""The speed measurement of notebook 03b and bench/bench_cells.py (s2s_lab.experiments.speed) runs every layer it
names, restores the thread count, and describes the machine."""

import pytest
import torch

from s2s_lab.experiments.speed import interleaved_ms, layer_speed, machine


def test_layer_speed_times_every_path_and_restores_threads():
    before = torch.get_num_threads()
    ms = layer_speed(("LSTM", "GRU"), T=3, B=2, I=4, H=5, threads=2, repeat=2)
    assert list(ms) == [
        "torch.nn.LSTM",
        "s2s_lab.LSTM",
        "s2s_lab.LSTM, manual_backward=True",
        "torch.nn.GRU",
        "s2s_lab.GRU",
    ]
    assert all(set(t) == {"wall", "cpu"} and t["wall"] > 0 for t in ms.values())
    assert torch.get_num_threads() == before
    with pytest.raises(ValueError, match="expected kinds among 'LSTM' and 'GRU', got 'RNN'"):
        layer_speed(("RNN",), T=2, B=1, I=2, H=2, repeat=1)
    assert torch.get_num_threads() == before


def test_interleaved_runs_each_function_warmup_plus_repeat_times():
    calls = {"a": 0, "b": 0}
    ms = interleaved_ms({k: lambda k=k: calls.__setitem__(k, calls[k] + 1) for k in calls}, repeat=4, warmup=2)
    assert calls == {"a": 6, "b": 6} and set(ms) == {"a", "b"} and set(ms["a"]) == {"wall", "cpu"}


def test_machine_names_cores_kernels_and_load():
    line = machine()
    assert "cores" in line and "PyTorch kernels for" in line and "load average" in line and torch.__version__ in line
