# SPDX-License-Identifier: MIT
"""Hardware-in-the-loop fine-tuning: partial loads, placement around dead slots, the loop on
the virtual board, its records, resume after a kill, and its errors."""
import csv
import json
import signal
import socket
import time
from pathlib import Path

import numpy as np
import pytest

from hil import placement as PL
from hil.session import _ranges, connect
from host.netlist import Netlist, random_netlist
from host.softmodel import SoftModel
from rtl import protocol as P
from tests.helpers import lgn, lgn_process

pytestmark = pytest.mark.slow(seconds=235)   # (the whole file's time on a fresh clone, for scheduling)


def epochs_in(path: Path) -> list[int]:
    if not path.exists():
        return []
    with open(path) as f:
        return [int(r["epoch"]) for r in csv.DictReader(f)]


def wait_for_epochs(path: Path, n: int, proc, limit_s: float = 120) -> None:
    t = time.monotonic()
    while len(epochs_in(path)) < n:
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        assert time.monotonic() - t < limit_s, "no progress"
        time.sleep(0.05)


# -- partial loads ----------------------------------------------------------------------------

def test_ranges_join_close_indices():
    assert _ranges(np.array([], int), 4) == []
    assert _ranges(np.array([3]), 4) == [(3, 1)]
    assert _ranges(np.array([1, 2, 3, 9, 20, 22]), 4) == [(1, 3), (9, 1), (20, 3)]
    assert _ranges(np.array([1, 6]), 4) == [(1, 6)]       # a gap of 4 unchanged gates is re-sent


@pytest.mark.needs("verilator")
def test_update_sends_only_changed_gates_and_stays_exact(rng):
    net = random_netlist(rng, 40, [96, 64, 30], 3)
    bits = rng.integers(0, 2, (200, 40), dtype=np.uint8)
    with connect("sim") as board:
        assert board.update(net) == net.gates                 # nothing loaded yet: a full load
        tag = board.tag
        for trial in range(3):
            new = Netlist.from_dict(net.to_dict())
            k = trial % 3
            g = rng.choice(new.layers[k].width, 5, replace=False)
            new.layers[k].op[g] = (new.layers[k].op[g] + 1 + rng.integers(0, 15, 5)) % 16
            sent0 = board.stats.bytes_sent
            n = board.update(new)
            assert 5 <= n < new.layers[k].width and board.tag == tag
            assert board.stats.bytes_sent - sent0 < 200 * 5 + 100
            assert (board.run(bits).scores == SoftModel(new).scores(bits)).all()
            net = new
        wider = random_netlist(rng, 40, [100, 30], 3)
        assert board.update(wider) == wider.gates and board.tag != tag     # new shape: CONFIG
        assert (board.run(bits).scores == SoftModel(wider).scores(bits)).all()


# -- placement --------------------------------------------------------------------------------

def _info(**kw):
    d = dict(protocol_version=P.PROTOCOL_VERSION, max_inputs=4096, max_width=1024, max_layers=8,
             max_classes=16, gates_per_cycle=16, lanes=64, max_body=32768, max_gates=8192,
             clock_hz=50_000_000, config_tag=0)
    d.update(kw)
    return P.Info(**d)


def _stuck_eval(phys: Netlist, stuck: np.ndarray, bits: np.ndarray, row: int) -> np.ndarray:
    """Class scores of `phys` on a board whose slots `stuck` (GOOD/0/1) output constants."""
    from host.gates import truth
    h, base = bits.astype(np.uint8), 0
    for lay in phys.layers:
        a, b = h[:, lay.a], h[:, lay.b]
        out = np.zeros((len(bits), lay.width), np.uint8)
        for op in np.unique(lay.op):
            m = lay.op == op
            out[:, m] = np.vectorize(lambda x, y: truth(int(op), x, y))(a[:, m], b[:, m])
        s = stuck[base:base + lay.width]
        out[:, s == 0], out[:, s == 1] = 0, 1
        h, base = out, base + -(-lay.width // row) * row
    return h.reshape(len(h), phys.classes, -1).sum(-1)


@pytest.mark.parametrize("seed,dead", [(1, 0.0), (2, 0.1), (3, 0.3), (4, 0.45)])
def test_placement_avoids_dead_slots_exactly(seed, dead):
    r = np.random.default_rng(seed)
    info = _info()
    stuck = np.full(info.max_gates, PL.GOOD, np.int8)
    d = r.random(info.max_gates) < dead
    stuck[d] = r.integers(0, 2, int(d.sum()))
    net = random_netlist(r, 24, [200, 150, 7 * 30], 7)       # groups of 30: not a power of two
    pl = PL.place(net.widths, net.classes, PL.SlotMap(stuck), info)
    phys = pl.apply(net)
    bits = r.integers(0, 2, (64, 24), dtype=np.uint8)
    got = pl.logical_scores(_stuck_eval(phys, stuck, bits, info.gates_per_cycle))
    assert (got == SoftModel(net).scores(bits)).all()
    if dead == 0:
        assert pl.widths == net.widths and pl.score_offset == 0
    else:
        assert all(p > w for p, w in zip(pl.widths, net.widths)) and pl.score_offset > 0


def test_placement_copies_vote_and_too_many_dead_slots_is_a_clear_error():
    r = np.random.default_rng(5)
    info = _info()
    net = random_netlist(r, 16, [64, 40], 4)
    pl = PL.place(net.widths, net.classes, PL.SlotMap.all_good(info.max_gates), info, copies=3)
    bits = r.integers(0, 2, (50, 16), dtype=np.uint8)
    phys = pl.apply(net)
    assert phys.widths == [192, 120] and pl.copies == 3
    assert (pl.logical_scores(SoftModel(phys).scores(bits)) == 3 * SoftModel(net).scores(bits)).all()
    stuck = np.where(r.random(info.max_gates) < 0.97, 1, PL.GOOD).astype(np.int8)
    with pytest.raises(PL.PlacementError, match="good slots"):
        PL.place(net.widths, net.classes, PL.SlotMap(stuck), info)


@pytest.mark.needs("verilator")
def test_probe_finds_the_dead_slots_the_board_hides(rng):
    """Measured, not read: placed around what probe() found, the faulty board computes the
    netlist exactly (random netlists, other fault seeds), and flips do not pass for faults."""
    for seed, frac in ((7, 0.25), (11, 0.4)):
        with connect(f"sim?faults=stuck={frac}&fault_seed={seed}") as board:
            slots = PL.probe(board)
            s = slots.summary()
            assert s["unknown"] == 0 and abs(s["good"] / s["slots"] - (1 - frac)) < 0.01, s
            assert (PL.probe(board).stuck == slots.stuck).all()
            for _ in range(2):
                net = random_netlist(rng, 64, [500, 400, 10 * 37], 10)
                bits = rng.integers(0, 2, (300, 64), dtype=np.uint8)
                board.load(net)
                assert (board.run(bits).scores != SoftModel(net).scores(bits)).any()
                pl = PL.place(net.widths, net.classes, slots, board.capacity)
                board.load(pl.apply(net))
                assert (pl.logical_scores(board.run(bits).scores) == SoftModel(net).scores(bits)).all()
    with connect("sim?faults=flip=0.05&fault_seed=3") as board:
        assert PL.probe(board).summary()["good"] == board.capacity.max_gates


# -- the loop ---------------------------------------------------------------------------------

def _run_hil(run, out, *extra, check=0):
    return lgn("hil", "--run", run, "--out", out, "--json", *extra, check=check)


def _summary(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text())


@pytest.mark.needs("verilator")
def test_fault_free_board_matches_software_every_epoch(trained_digits, tmp_path):
    out = tmp_path / "hil"
    res = _run_hil(trained_digits, out, "--board", "sim", "--epochs", 3).json
    assert {"acc_before", "acc_after", "epochs", "seconds", "per_epoch"} <= set(res)
    for r in res["per_epoch"]:
        assert r["mismatches"] == 0 and r["hw_test_acc"] == r["sw_test_acc"], r
    assert res["acc_after"] >= res["acc_before"]          # the kept epoch is never worse on train
    assert epochs_in(out / "metrics.csv") == [0, 1, 2, 3]
    assert [r["epoch"] for r in json.loads((out / "metrics.json").read_text())["epochs"]] == [0, 1, 2, 3]
    for name in ("config.json", "curves.png", "before_after.png", "gates.png", "report.md",
                 "netlist.json", "state.pt"):
        assert (out / name).stat().st_size > 0, name
    report = (out / "report.md").read_text()
    for png in ("curves.png", "before_after.png", "gates.png"):
        assert f"]({png})" in report
    fine = Netlist.load(out / "netlist.json")
    assert fine.widths == Netlist.load(trained_digits / "netlist.json").widths
    assert lgn("eval", out / "netlist.json", "--dataset", "digits", "--json").json["test_acc"] == res["acc_after"]


@pytest.mark.needs("verilator")
def test_board_outputs_drive_training_and_placement_recovers(trained_digits, tmp_path):
    """On a board with stuck slots: software-only fine-tuning does not see them; training
    on the board's outputs climbs; placement around the measured dead slots is exact."""
    board = "sim?faults=stuck=0.2&fault_seed=5"
    res = {}
    for name, extra in (("software", ["--method", "software", "--no-remap"]), ("hil", ["--no-remap"]),
                        ("remap", [])):
        res[name] = _run_hil(trained_digits, tmp_path / name, "--board", board, "--epochs", 4, *extra).json
    before, sw = res["hil"]["acc_before"], res["hil"]["sw_acc_before"]
    assert before < sw - 0.05
    assert res["hil"]["acc_after"] > before + 0.3 * (sw - before)
    assert res["remap"]["acc_placed"] == sw and res["remap"]["per_epoch"][0]["mismatches"] == 0
    assert res["remap"]["acc_after"] >= sw
    assert res["software"]["acc_after"] < res["hil"]["acc_after"]
    assert res["hil"]["per_epoch"][2]["gates_sent"] < 600      # only changed gates go


@pytest.mark.needs("verilator")
def test_progressive_ends_with_every_layer_on_the_board(trained_digits, tmp_path):
    out = tmp_path / "prog"
    res = _run_hil(trained_digits, out, "--board", "sim", "--epochs", 2, "--progressive").json
    h = res["per_epoch"]
    assert [r["stage"] for r in h] == [1, 1, 1]
    last = json.loads((out / "metrics.json").read_text())["epochs"][-1]
    assert last["on_board"] == 2 and last["mismatches"] == 0
    assert res["acc_after"] >= res["sw_acc_before"] - 0.02


@pytest.mark.needs("verilator")
def test_copies_and_measured_flip_rate(trained_digits, tmp_path):
    out = tmp_path / "copies"
    res = _run_hil(trained_digits, out, "--board", "sim?faults=flip=0.03&fault_seed=2", "--epochs", 0,
                   "--copies", 0, "--eval-passes", 2, "--method", "software", "--twin-noise", "auto").json
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["placement"]["copies"] == 8192 // 300 and abs(cfg["twin_noise"] - 0.03) < 0.005
    assert res["acc_placed"] > res["acc_before"]


@pytest.mark.needs("verilator")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_killed_run_resumes_without_losing_or_repeating_an_epoch(trained_digits, tmp_path, sig):
    out = tmp_path / "killed"
    epochs = 12
    p = lgn_process("hil", "--board", "sim?faults=stuck=0.1&fault_seed=3", "--run", trained_digits,
                 "--out", out, "--epochs", epochs, "--no-remap")
    wait_for_epochs(out / "metrics.csv", 3, p)
    p.send_signal(sig)
    p.communicate(timeout=60)
    assert p.returncode == (128 + sig if sig == signal.SIGTERM else -sig)
    done = epochs_in(out / "metrics.csv")
    assert done == list(range(len(done))) and len(done) < epochs + 1
    res = _run_hil(trained_digits, out, "--board", "sim?faults=stuck=0.1&fault_seed=3", "--resume").json
    assert epochs_in(out / "metrics.csv") == list(range(epochs + 1))
    assert [r["epoch"] for r in json.loads((out / "metrics.json").read_text())["epochs"]] == list(range(epochs + 1))
    assert [r["epoch"] for r in res["per_epoch"]] == list(range(epochs + 1))
    assert (out / "report.md").exists()


def _serve():
    p = lgn_process("board", "serve", "--board", "sim", "--listen", "tcp://127.0.0.1:0")
    addr = p.stdout.readline().strip()
    assert addr.startswith("tcp://"), p.stderr.read()
    return p, addr


@pytest.mark.needs("verilator")
def test_board_that_goes_away_stops_the_run_cleanly_and_it_resumes(trained_digits, tmp_path):
    out = tmp_path / "lost"
    server, addr = _serve()
    try:
        p = lgn_process("hil", "--board", f"{addr}?timeout=0.3&retries=2", "--run", trained_digits,
                     "--out", out, "--epochs", 30)
        wait_for_epochs(out / "metrics.csv", 2, p)
        server.kill()
        server.wait()
        _, err = p.communicate(timeout=120)
    finally:
        server.kill()
    assert p.returncode == 2, err[-2000:]
    last = err.strip().splitlines()[-1]
    assert "Traceback" not in err and "--resume" in last and "lgn hil: error:" in last
    done = epochs_in(out / "metrics.csv")
    assert done == list(range(len(done))) and 2 <= len(done) < 31
    server, addr = _serve()
    try:
        _run_hil(trained_digits, out, "--board", addr, "--resume")
    finally:
        server.kill()
    assert epochs_in(out / "metrics.csv") == list(range(31))


@pytest.mark.needs("verilator")
def test_bad_input_is_one_line(trained_digits, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "has no model.pt" in _run_hil(empty, tmp_path / "o1", "--board", "sim", check=2).err
    bad = tmp_path / "bad"
    bad.mkdir()
    for name in ("model.pt", "metrics.json"):
        (bad / name).write_bytes((trained_digits / name).read_bytes())
    d = json.loads((trained_digits / "netlist.json").read_text())
    d["layers"][1]["op"][7] = (d["layers"][1]["op"][7] + 1) % 16
    (bad / "netlist.json").write_text(json.dumps(d))
    err = _run_hil(bad, tmp_path / "o2", "--board", "sim", check=2).err
    assert "does not match model.pt: layer 1" in err and len(err.strip().splitlines()) == 1
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert "lgn hil: error:" in _run_hil(trained_digits, tmp_path / "o3", "--board", f"tcp://127.0.0.1:{port}",
                                         check=2).err
    _run_hil(trained_digits, tmp_path / "o4", "--board", "sim", "--epochs", 0)
    assert "--resume" in _run_hil(trained_digits, tmp_path / "o4", "--board", "sim", "--epochs", 0, check=2).err
    assert "--board" in lgn("hil", "--run", trained_digits, check=2).err


@pytest.mark.needs("verilator")
def test_sweep_writes_table_plots_and_reuses_finished_runs(trained_digits, tmp_path):
    out = tmp_path / "sweep"
    argv = ["hil", "sweep", "--run", trained_digits, "--out", out, "--stuck", "0,0.2",
            "--flip", "0.02", "--fault-seeds", "1", "--methods", "software,remap", "--epochs", "1",
            "--flip-passes", "2", "--json"]
    t0 = time.perf_counter()
    res = lgn(*argv).json
    first = time.perf_counter() - t0
    assert len(res["rows"]) == 6
    for name in ("sweep.csv", "sweep.json", "stuck.png", "flip.png", "report.md"):
        assert (out / name).stat().st_size > 0, name
    remap = {(r["fault"], r["level"]): r for r in res["rows"] if r["method"] == "remap"}
    assert remap[("stuck", 0.2)]["acc_after"] > remap[("stuck", 0.2)]["acc_before"]
    t0 = time.perf_counter()
    again = lgn(*argv).json
    assert time.perf_counter() - t0 < first / 2
    assert again["rows"] == res["rows"]
    assert "must be sim" in lgn("hil", "sweep", "--run", trained_digits, "--board", "tcp://x:1", "--stuck", 0.1,
                                check=2).err
