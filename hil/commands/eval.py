# SPDX-License-Identifier: MIT
"""`lgn eval NETLIST --dataset D | --bits X.npy`: the bit-exact software model."""
from __future__ import annotations

import time

from hil.inputs import add_input_args, load_inputs, save_scores
from host.netlist import Netlist
from host.progress import log
from host.softmodel import SoftModel, predict_from_scores


def register(sub) -> None:
    from hil.cli import add_json_flag
    p = sub.add_parser("eval", help="evaluate a netlist with the bit-exact software model")
    p.add_argument("netlist", help="netlist.json")
    add_input_args(p, default_dataset=None)
    add_json_flag(p)
    p.set_defaults(func=run)


def run(args) -> dict:
    net = Netlist.load(args.netlist)
    bits, labels = load_inputs(args, net)
    log(f"eval: {net!r} on {len(bits)} samples")
    model = SoftModel(net)
    t0 = time.perf_counter()
    scores = model.scores(bits)
    dt = time.perf_counter() - t0
    save_scores(args.scores_out, scores)
    out = {"samples": int(len(bits)), "samples_per_s": round(len(bits) / max(dt, 1e-9), 1),
           "gates": net.gates}
    out["test_acc"] = (float((predict_from_scores(scores) == labels).mean()) if labels is not None
                       else None)
    return out
