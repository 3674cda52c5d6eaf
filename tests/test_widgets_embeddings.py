"""The embedding-trajectory demo of notebook 01b: the slider moves the points and the loss marker in place."""

import numpy as np
import pytest
import torch

from s2s_lab.embeddings import principal_axes
from s2s_lab.widgets.embeddings import EmbeddingTrajectory


def _run(n=5, V=4, E=3):
    g = torch.Generator().manual_seed(0)
    tables = [torch.randn(V, E, generator=g) * (1 + k) for k in range(n + 1)]
    return tables, [1.0 / (k + 1) for k in range(n)]


def test_slider_moves_the_points_on_the_final_axes():
    tables, losses = _run()
    demo = EmbeddingTrajectory(tables, losses, "abcd")
    assert demo.view.live and demo.slider.value == 0 and demo.slider.max == 5
    points, marker = demo.points, demo.marker
    mean, axes, _ = principal_axes(tables[-1], 2)
    for k in (3, 5, 0):
        demo.slider.value = k
        expected = ((tables[k] - mean) @ axes.T).numpy()
        np.testing.assert_allclose(demo.points.get_offsets(), expected, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose([t.xy for t in demo.texts], expected, rtol=1e-5, atol=1e-6)
        assert list(demo.marker.get_xdata()) == [k, k]
    assert demo.points is points and demo.marker is marker  # the same artists, new data
    demo.slider.value = 2
    assert "update 2 of 5" in demo.ax.get_title() and "0.500" in demo.ax.get_title()
    demo.slider.value = 0
    assert "before training" in demo.ax.get_title()
    assert demo.errors == []
    bundle = demo._repr_mimebundle_()
    assert bundle["text/plain"].startswith("[an embedding table during training")
    assert demo.snapshot().data[:4] == b"\x89PNG"


def test_bad_input_is_a_sentence():
    tables, losses = _run()
    with pytest.raises(ValueError, match="one loss per update"):
        EmbeddingTrajectory(tables, losses[:-1], "abcd")
    with pytest.raises(ValueError, match="one label per token"):
        EmbeddingTrajectory(tables, losses, "abc")
    with pytest.raises(ValueError, match="at least two"):
        EmbeddingTrajectory(tables[:1], [], "abcd")
    with pytest.raises(ValueError, match="the same shape"):
        EmbeddingTrajectory([tables[0], torch.randn(4, 2)], losses[:1], "abcd")
