# SPDX-License-Identifier: MIT
"""Relaxed layers: both implementations agree, gradients are right, eval mode is the netlist."""
import numpy as np
import pytest
import torch

from host import fused
from host.gates import RELAXED_COEFFS
from host.layers import GroupSum, LogicLayer, _Mix4, make_connections



def test_python_path_matches_16_gate_formula():
    torch.manual_seed(0)
    layer = LogicLayer(30, 20, implementation="python")
    x = torch.rand(5, 30)
    w = torch.softmax(layer.weights, -1)
    a, b = x[:, layer.idx_a], x[:, layer.idx_b]
    # the 16 gates evaluated one by one from the table, mixed with softmax weights
    gates = torch.stack([c[0] + c[1] * a + c[2] * b + c[3] * a * b for c in torch.from_numpy(RELAXED_COEFFS)], -1)
    assert torch.allclose(layer(x), (gates * w).sum(-1), atol=1e-5)


def test_custom_backward_gradcheck():
    torch.manual_seed(0)
    x = torch.rand(4, 6, dtype=torch.double, requires_grad=True)
    coef = torch.rand(5, 4, dtype=torch.double, requires_grad=True)
    ia, ib = torch.tensor([0, 1, 2, 5, 5]), torch.tensor([1, 1, 3, 0, 4])
    assert torch.autograd.gradcheck(lambda x, c: _Mix4.apply(x, c, ia, ib), (x, coef))


@pytest.mark.needs("cc")
@pytest.mark.parametrize("shape", [(1, 3, 2), (7, 50, 40), (130, 64, 300)])
def test_fused_matches_python(shape):
    batch, n_in, n_out = shape
    grads = []
    for impl in ("python", "fused"):
        torch.manual_seed(1)
        layer = LogicLayer(n_in, n_out, implementation=impl)
        x = torch.rand(batch, n_in, requires_grad=True)
        y = layer(x)
        (y * torch.linspace(-1, 1, n_out)).sum().backward()
        grads.append((y.detach(), x.grad, layer.weights.grad))
    for a, b in zip(*grads):
        assert torch.allclose(a, b, atol=1e-4, rtol=1e-4)


def _row_by_row(x, coef, ia, ib, gy):
    """The plain scalar loop the fused kernel must equal bit for bit: row by row, gate by gate,
    float32 throughout; coefficient sums over fused.BLOCKS row blocks, then in block order."""
    f = np.float32
    x, coef, gy = x.numpy(), coef.numpy(), gy.numpy()
    n, d_in = x.shape
    y = np.zeros((n, len(ia)), np.float32)
    gx = np.zeros_like(x)
    acc = np.zeros((fused.BLOCKS, len(ia), 4), np.float32)
    for k in range(fused.BLOCKS):
        for s in range(n * k // fused.BLOCKS, n * (k + 1) // fused.BLOCKS):
            for j, (p, q) in enumerate(zip(ia.tolist(), ib.tolist())):
                a, b, g, c = x[s, p], x[s, q], gy[s, j], coef[j]
                y[s, j] = f(c[0] + f(c[1] * a)) + f(f(c[2] + f(c[3] * a)) * b)
                acc[k, j] += np.array([g, g * a, g * b, f(g * a) * b], np.float32)
                gx[s, p] += g * f(c[1] + f(c[3] * b))
                gx[s, q] += g * f(c[2] + f(c[3] * a))
    gcoef = acc[0].copy()
    for k in range(1, fused.BLOCKS):
        gcoef += acc[k]
    return y, gx, gcoef


@pytest.mark.needs("cc")
@pytest.mark.parametrize("shape,broadcast", [((1, 5, 3), False), ((19, 13, 21), False),
                                             ((40, 37, 17), True), ((9, 8, 16), False),
                                             ((70, 24, 30), False)])
def test_fused_is_bit_exact_row_by_row(shape, broadcast):
    """The kernel transposes chunks of rows into lanes; it must still compute exactly what the
    row-by-row loop does (odd widths and batches, repeated inputs, a broadcast gradient)."""
    n, d_in, d_out = shape
    g = torch.Generator().manual_seed(n)
    x = torch.rand(n, d_in, generator=g)
    coef = torch.randn(d_out, 4, generator=g)
    ia, ib = torch.randint(0, d_in, (d_out,), generator=g), torch.randint(0, d_in, (d_out,), generator=g)
    ib[::3] = ia[::3]
    gy = torch.randn(d_out, generator=g).expand(n, d_out) if broadcast else torch.randn(n, d_out, generator=g)
    xr, cr = x.clone().requires_grad_(True), coef.clone().requires_grad_(True)
    y = fused.mix4(xr, cr, ia, ib)
    y.backward(gy)
    want = _row_by_row(x, coef, ia, ib, gy.contiguous())
    for got, exp in zip((y.detach(), xr.grad, cr.grad), want):
        assert np.array_equal(got.numpy(), exp)


@pytest.mark.needs("cc")
def test_fused_deterministic_across_threads():
    out = []
    old = torch.get_num_threads()
    try:
        for th in (1, 2):
            torch.set_num_threads(th)
            torch.manual_seed(0)
            layer = LogicLayer(40, 30, implementation="fused")
            x = torch.rand(33, 40, requires_grad=True)
            layer(x).square().sum().backward()
            out.append((x.grad, layer.weights.grad))
    finally:
        torch.set_num_threads(old)
    assert torch.equal(out[0][0], out[1][0]) and torch.equal(out[0][1], out[1][1])


@pytest.mark.parametrize("impl", ["python", "auto"])
def test_eval_mode_is_the_argmax_gate(impl):
    torch.manual_seed(0)
    layer = LogicLayer(16, 64, implementation=impl).eval()
    x = torch.randint(0, 2, (100, 16)).float()
    y = layer(x)
    ops = layer.ops().numpy()
    a, b = x[:, layer.idx_a].long().numpy(), x[:, layer.idx_b].long().numpy()
    expect = (ops[None] >> (3 - 2 * a - b)) & 1
    assert torch.equal(y, torch.from_numpy(expect).float())


def test_residual_init_favours_pass_through():
    torch.manual_seed(0)
    layer = LogicLayer(10, 100, init="residual")
    assert (layer.ops() == 3).all()
    assert torch.softmax(layer.weights, -1)[:, 3].min() > 0.9


def test_unique_connections_cover_inputs():
    g = torch.Generator().manual_seed(0)
    a, b = make_connections(100, 60, "unique", g)
    assert set(torch.cat([a, b]).tolist()) == set(range(100))
    assert (a != b).all()
    with pytest.raises(ValueError, match="unknown connections"):
        make_connections(4, 4, "bogus")


def test_groupsum_and_repr():
    gs = GroupSum(3, tau=2.0)
    x = torch.arange(12.).reshape(2, 6)
    assert torch.equal(gs(x), torch.tensor([[0.5, 2.5, 4.5], [6.5, 8.5, 10.5]]))
    assert "in_dim=4, out_dim=6" in repr(LogicLayer(4, 6))
    assert "classes=3, tau=2.0" in repr(gs)


def test_benchmark_baseline_computes_the_same():
    """benchmarks/bench_layer.py's 16-formula baseline is a fair contender: same outputs."""
    import importlib.util
    from pathlib import Path
    spec = importlib.util.spec_from_file_location(
        "bench_layer", Path(__file__).resolve().parents[1] / "benchmarks" / "bench_layer.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    torch.manual_seed(0)
    layer = LogicLayer(40, 30)
    x = torch.rand(9, 40)
    w = torch.softmax(layer.weights, -1)
    assert torch.allclose(bench.baseline16(x[:, layer.idx_a], x[:, layer.idx_b], w), layer(x), atol=1e-5)


def _reach(a, b, in_dim, grid, groups=None):
    """The farthest (in pixels, either axis) that a node of a local layer reads from."""
    from host.layers import local_positions
    w = grid[1]
    pin = local_positions(in_dim, grid)
    pout = np.tile(local_positions(len(a), grid, groups), 2)
    src = np.concatenate([a.numpy(), b.numpy()])
    return int(np.maximum(abs(pin[src] // w - pout // w), abs(pin[src] % w - pout % w)).max())


def test_local_connections_stay_in_their_window():
    """Local wiring: every node reads two distinct nodes of the layer before within +-r pixels
    (r = 2 on 28 x 28 by default, or `window`), every input is read, the last layer's classes
    each span the image, and the same generator seed gives the same wiring."""
    from host.layers import local_positions
    grid = (28, 28)
    for window, r in ((0, 2), (4, 4), (1, 1)):
        a, b = make_connections(2352, 8000, "local", torch.Generator().manual_seed(0), grid, window=window)
        assert _reach(a, b, 2352, grid) == r
        assert (a != b).all() and len(set(a.tolist()) | set(b.tolist())) == 2352
        if window == 0:
            a0 = a
    a2, _ = make_connections(2352, 8000, "local", torch.Generator().manual_seed(0), grid)
    assert torch.equal(a0, a2)
    # the last layer: 10 classes of 800, interleaved over the grid
    last = local_positions(8000, grid, groups=10).reshape(10, 800)
    for rows in last:
        assert rows.min() < 28 and rows.max() >= 28 * 27          # first and last image row
    # a previous layer too narrow for the window: the window widens until it has two inputs
    a, b = make_connections(3, 50, "local", torch.Generator().manual_seed(1), (8, 8))
    assert (a != b).all() and a.max() < 3 and b.max() < 3


def test_window_reaches_every_layer_of_the_model():
    """`lgn train --window R` goes through the architecture to each layer's wiring (and so
    into checkpoints, which store the architecture)."""
    from host.model import Architecture, LogicNet
    grid = (28, 28)
    for window in (0, 3):
        arch = Architecture(inputs=784, widths=[1000, 1000], classes=10, tau=10.0, connections="local",
                            grid=grid, window=window)
        net = LogicNet(arch, generator=torch.Generator().manual_seed(0))
        for k, layer in enumerate(net.logic_layers):
            groups = 10 if k == len(net.logic_layers) - 1 else None
            assert _reach(layer.idx_a, layer.idx_b, layer.in_dim, grid, groups) == (window or 2), (window, k)
