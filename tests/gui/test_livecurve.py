"""Growing buffers, peak decimation and clipping: what keeps plots smooth at 10^6 points."""

from __future__ import annotations

import numpy as np
import pytest

from labctl.gui.buffer import GrowingBuffer
from labctl.gui.livecurve import BLOCK, LiveCurve, MinMaxSummary, peak_decimate


def test_buffer_appends_rows_and_batches_in_place_and_grows():
    buf = GrowingBuffer(2, capacity=4)
    buf.append(1.0, 10.0)
    buf.append(np.arange(2.0, 8.0), np.arange(20.0, 80.0, 10.0))
    assert len(buf) == 7 and buf.capacity >= 7
    np.testing.assert_array_equal(buf.columns()[0], np.arange(1.0, 8.0))
    np.testing.assert_array_equal(buf.columns()[1], np.arange(10.0, 80.0, 10.0))
    with pytest.raises(ValueError):
        buf.columns()[0, 0] = 5.0          # a read-only view, not a copy
    with pytest.raises(ValueError, match="expected 2 columns"):
        buf.append(1.0)


def _spiky(n, seed=0):
    rng = np.random.default_rng(seed)
    y = np.cumsum(rng.normal(size=n))
    y[n // 3] += 1e4      # spikes that a naive stride would skip
    y[2 * n // 3] -= 1e4
    return y


@pytest.mark.parametrize("start,stop", [(0, 200_000), (12_345, 187_654)])
def test_decimation_keeps_every_extreme_and_stays_small(start, stop):
    y = _spiky(200_000)
    summary = MinMaxSummary()
    summary.update(y[:100_000])
    summary.update(y)                      # extended as rows arrive
    bins = 300
    for rows in (summary.decimate(y, start, stop, bins), start + peak_decimate(y[start:stop], bins)):
        assert np.all(np.diff(rows) > 0) and rows[0] >= start and rows[-1] < stop
        assert len(rows) <= 2 * bins + 4 * BLOCK
        assert {200_000 // 3, 2 * 200_000 // 3} <= set(rows.tolist())
        # the drawn envelope covers the data: any window's extremes are drawn within one
        # decimation run of it
        run = 2 * (stop - start) // bins
        edges = np.linspace(start, stop, bins // 4 + 1).astype(int)
        for a, b in zip(edges[:-1], edges[1:]):
            near = y[rows[(rows >= a - run) & (rows < b + run)]]
            assert near.max() >= y[a:b].max() and near.min() <= y[a:b].min()


def test_curve_draws_only_the_visible_slice_but_autoranges_on_everything(qtbot):
    curve = LiveCurve(2, clip=True)
    t = np.arange(1_000_000, dtype=float)
    curve.append(t, np.sin(t / 1e4))
    curve.render((400_000.0, 500_000.0), width_px=500)
    x, _ = curve.item.getData()
    assert x.min() >= 400_000 - 1 and x.max() <= 500_000 + 1
    assert len(x) <= 2 * 500 + 4 * BLOCK
    assert curve.item.dataBounds(0) == (0.0, 999_999.0)
    np.testing.assert_array_equal(curve.buffer.columns()[0][curve.shown], x)


def test_new_points_are_drawn_once_per_render_not_per_point():
    curve = LiveCurve(2, clip=True)
    calls = []
    draw = curve.item.setData
    curve.item.setData = lambda *a, **k: (calls.append(len(a[0])), draw(*a, **k))
    for i in range(500):
        curve.append(float(i), float(i % 7))
    assert calls == [] and curve.dirty
    curve.render((0.0, 500.0), width_px=1000)
    assert calls == [500] and not curve.dirty
