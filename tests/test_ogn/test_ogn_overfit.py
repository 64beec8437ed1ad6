"""A tiny stride-16 OGN overfits a handful of synthetic frames (GT boxes) to high AP, and its
offsets beat the plain argmax of the same network's heatmaps (the paper's point, measured).
Speed is not a test: ``python benchmarks/bench_train_step.py CONFIG`` measures training steps."""
from ._overfit import run_overfit


def test_tiny_ogn_overfits(tiny_synthetic):
    res = run_overfit(num_frames=4, iters=100, data_root=tiny_synthetic)
    assert res['loss_last'] < 0.1 * res['loss_first']
    assert res['offset']['ap'] >= 0.9, res
    assert res['offset']['pck05'] >= 0.9, res
    # stride 16: decoding with offsets removes most of the quantisation error
    assert res['offset']['mean_err_px'] < 0.5 * res['argmax']['mean_err_px'], res
