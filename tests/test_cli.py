# SPDX-License-Identifier: MIT
"""The `lgn` contract: JSON on stdout, progress on stderr, one-line errors with no traceback."""
import gzip
import json

import numpy as np
import pytest
import torch

from host.netlist import Netlist, random_netlist
from tests.helpers import lgn


def test_train_outputs(trained_digits):
    for name in ("model.pt", "netlist.json", "metrics.json", "curves.png"):
        assert (trained_digits / name).exists(), name
    ckpt = torch.load(trained_digits / "model.pt", weights_only=True)
    assert ckpt["format"] == "lgn-model" and ckpt["architecture"]["widths"] == [300, 300]
    metrics = json.loads((trained_digits / "metrics.json").read_text())
    assert len(metrics["epochs"]) == 3
    assert {"train_loss", "test_acc_relaxed", "test_acc_discrete", "seconds"} <= set(metrics["epochs"][0])
    s = metrics["summary"]
    assert s["gates"] == 600 and 0.5 < s["test_acc_discrete"] <= 1
    net = Netlist.load(trained_digits / "netlist.json")
    assert net.encoding["kind"] == "thermometer" and net.inputs == 64 * 8


def test_train_json_and_determinism(tmp_path):
    outs = []
    for run in ("a", "b"):
        r = lgn("train", "--layers", 1, "--width", 50, "--epochs", 2, "--seed", 3, "--out", tmp_path / run,
                "--json")
        out = r.json
        assert {"test_acc_relaxed", "test_acc_discrete", "gates", "seconds"} <= set(out)
        assert "train digits" in r.err  # progress on stderr
        outs.append(out)
    assert outs[0]["test_acc_discrete"] == outs[1]["test_acc_discrete"]
    assert (tmp_path / "a" / "netlist.json").read_text() == (tmp_path / "b" / "netlist.json").read_text()


def test_eval_matches_training(trained_digits):
    out = lgn("eval", trained_digits / "netlist.json", "--dataset", "digits", "--json").json
    summary = json.loads((trained_digits / "metrics.json").read_text())["summary"]
    assert out["test_acc"] == summary["test_acc_discrete"]
    assert out["samples"] == 450 and out["samples_per_s"] > 0


def test_eval_bits_and_scores_out(tmp_path, rng):
    net = random_netlist(rng, 12, [40, 30], 3)
    net.save(tmp_path / "n.json")
    bits = rng.integers(0, 2, (77, 12), dtype=np.uint8)
    np.save(tmp_path / "x.npy", bits)
    out = lgn("eval", tmp_path / "n.json", "--bits", tmp_path / "x.npy", "--scores-out",
              tmp_path / "s.npy", "--json").json
    assert out["samples"] == 77 and out["test_acc"] is None
    from host.softmodel import reference_scores
    assert (np.load(tmp_path / "s.npy") == reference_scores(net, bits)).all()


def _write(tmp_path, text):
    p = tmp_path / "bad.json"
    p.write_text(text)
    return p


GOOD = Netlist.from_dict({"format": "lgn-netlist", "version": 1, "inputs": 4, "classes": 2, "tau": 1.0,
                          "encoding": {"kind": "none"},
                          "layers": [{"a": [0, 1], "b": [2, 3], "op": [1, 6]}]}).to_json()

MALFORMED = [
    (GOOD[: len(GOOD) // 2], "not valid JSON"),
    (GOOD.replace('"inputs":4', '"inputs":"4"'), "'inputs' must be an integer"),
    (GOOD.replace('"a":[0,1]', '"a":[0,9]'), "input a=9 is out of range"),
    (GOOD.replace('"op":[1,6]', '"op":[1,16]'), "op 16 is outside 0..15"),
    (GOOD.replace('"classes":2', '"classes":3'), "does not split into 3"),
    (GOOD.replace('"version":1', '"version":7'), "unsupported netlist version 7"),
    (GOOD.replace('"layers":', '"stages":'), "missing key 'layers'"),
    (GOOD.replace('"b":[2,3]', '"b":[2,"x"]'), "'b' must be a list of integers"),
    ("[1, 2, 3]", "must be a JSON object"),
    ("", "not valid JSON"),
]


@pytest.mark.parametrize("text,msg", MALFORMED)
def test_eval_malformed_netlist_one_line_error(tmp_path, text, msg):
    np.save(tmp_path / "x.npy", np.zeros((2, 4), np.uint8))
    r = lgn("eval", _write(tmp_path, text), "--bits", tmp_path / "x.npy", "--json", check=2)
    assert r.out == ""
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and msg in lines[0], r.err
    assert "Traceback" not in r.err


def test_eval_input_errors(tmp_path, rng):
    net = random_netlist(rng, 12, [6], 3)
    net.save(tmp_path / "n.json")
    np.save(tmp_path / "wrong.npy", np.zeros((3, 5), np.uint8))
    for args, msg in [
        (["--bits", tmp_path / "wrong.npy"], "the netlist needs [n, 12]"),
        (["--bits", tmp_path / "missing.npy"], "cannot read --bits"),
        (["--dataset", "digits"], "encoding 'none'"),
        ([], "give --dataset D or --bits X.npy"),
    ]:
        r = lgn("eval", tmp_path / "n.json", *args, check=2)
        assert msg in r.err and "Traceback" not in r.err, (args, r.err)
    r = lgn("eval", tmp_path / "nope.json", "--bits", tmp_path / "wrong.npy", check=2)
    assert "cannot read netlist" in r.err


def test_train_bad_options(tmp_path):
    for args, msg in [(["--width", 0], "--width must be >= 1"),
                      (["--layers", 2, "--width", 15], "multiple of the 10 classes"),
                      (["--dataset", "mnist"], "give --data-dir"),
                      (["--dataset", "mnist", "--data-dir", tmp_path], "not found in"),
                      (["--dataset", "breast-cancer", "--shift", 1], "needs an image dataset")]:
        r = lgn("train", "--out", tmp_path / "o", *args, check=2)
        assert msg in r.err and "Traceback" not in r.err, (args, r.err)


def _idx(path, arr, code):
    header = bytes([0, 0, code, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + arr.astype(">u1").tobytes())


def test_idx_dataset_from_data_dir(tmp_path, rng):
    for stem, n in (("train", 300), ("t10k", 100)):
        _idx(tmp_path / f"{stem}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28)), 0x08)
        _idx(tmp_path / f"{stem}-labels-idx1-ubyte.gz", rng.integers(0, 10, n), 0x08)
    r = lgn("train", "--dataset", "fashion-mnist", "--data-dir", tmp_path, "--layers", 1, "--width", 100,
            "--epochs", 1, "--out", tmp_path / "o", "--json")
    assert r.json["gates"] == 100
    from host.datasets import load
    ds = load("mnist", str(tmp_path))
    assert ds.x_train.shape == (300, 784) and ds.x_test.shape == (100, 784) and ds.image_shape == (28, 28)
