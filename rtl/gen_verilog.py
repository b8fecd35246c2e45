# SPDX-License-Identifier: MIT
"""Compiled RTL for one netlist: a pure emitter, Netlist in, Verilog text out (no file I/O).

The generated design evaluates one sample per clock, fully parallel and pipelined:

    in_bits --> gate layers --> GroupSum popcounts --> argmax --> out_scores, out_class
                (register every k layers)  (carry-chain adder   (pairwise tree,
                                            tree, one register   one register per
                                            per level)           level, ties -> lower)

Each gate is one Verilog expression taken straight from its op's truth table
(`host.gates.verilog_expr`). Before emission the netlist goes through `host.prune`
(constants, tied inputs, duplicates, unused gates) and the emitter itself resolves
single-input gates: a pass-through or NOT gate is a wire, and an inversion is folded into
the truth table of the gate that reads it, so only two-input gates cost logic. A
signal that crosses a pipeline boundary gets one register, however many gates pass it on.
The last layer's gates are not built as gates: GroupSum computes each inside the LUT4 of
the adder that counts it (`rtl/gen_groupsum.py`).

The file holds three modules: `<name>_layers`, `<name>_groupsum` and the top `<name>`
(the valid pipeline), so synthesis reports can split resources between them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from host.gates import NAMES, depends, truth, verilog_expr
from host.netlist import Netlist
from host.prune import prune as prune_netlist
from rtl import gen_groupsum
from rtl.gen_groupsum import Dot

# Nodes ---------------------------------------------------------------------------------------
# A literal is (node, inverted) or ("const", value). Nodes are small tuples:
#   ("in", i)                       input bit i
#   ("gate", layer, index, op, x, y) two-input gate on nodes x, y (op already absorbs inversions)
#   ("reg", stage, node)            node delayed by one pipeline register


def _op_of(f) -> int:
    """The op number of the two-input function f(a, b) (DESIGN.md contract 1 bit order)."""
    return (f(0, 0) << 3) | (f(0, 1) << 2) | (f(1, 0) << 1) | f(1, 1)


@dataclass(frozen=True)
class Port:
    """A port of a compiled network's top module."""
    name: str
    direction: str          # "input" or "output"
    width: int
    comment: str = ""

    def wire(self, prefix: str = "") -> str:
        rng = f"[{self.width - 1}:0] " if self.width > 1 else ""
        return f"wire {rng}{prefix}{self.name}"

    def decl(self, prefix: str = "") -> str:
        return f"{self.direction:<6} {self.wire(prefix)}"


def ports(inputs: int, classes: int, score_width: int, class_width: int) -> list[Port]:
    """The top module's ports, in order: the one list the module, the test wrapper, the
    synthesis harness and the cocotb bench are written from."""
    return [Port("clk", "input", 1),
            Port("rst", "input", 1, "synchronous; clears the valid pipeline only"),
            Port("in_valid", "input", 1),
            Port("in_bits", "input", inputs, "input bit i = netlist input i"),
            Port("out_valid", "output", 1),
            Port("out_scores", "output", classes * score_width,
                 f"class c score at [c*{score_width} +: {score_width}]"),
            Port("out_class", "output", class_width, "highest score, ties to the lowest class")]


#: The ports a test bench drives and reads (all but the clock and reset).
DATA_PORTS = tuple(p.name for p in ports(1, 1, 1, 1)[2:])


@dataclass
class RtlDesign:
    """What `generate` returns: the Verilog text and the facts the tools and tests need."""
    verilog: str
    top: str
    inputs: int
    classes: int
    score_width: int
    class_width: int
    latency: int                      # clock cycles from in_valid to out_valid
    layer_stages: int                 # pipeline registers in the gate layers
    groupsum_stages: int              # popcount levels + final adder + argmax levels
    register_every: int
    gates: int                        # gates in the netlist as given
    gates_pruned: int                 # gates after host.prune
    logic_gates: int                  # two-input gates emitted as LUT expressions
    wire_gates: int                   # gates that became wires or inverters
    const_gates: int                  # gates that became constants
    counted_bits: int = 0             # last-layer outputs GroupSum counts
    folded_gates: int = 0             # two-input gates computed inside GroupSum's adders
    brams: int = 0                    # ECP5 DP16KDs holding GroupSum's tables
    table_bits: int = 0               # counted bits those tables count
    prune_report: dict = field(default_factory=dict)

    @property
    def ports(self) -> list[Port]:
        return ports(self.inputs, self.classes, self.score_width, self.class_width)

    def summary(self) -> dict:
        return {"top": self.top, "latency_cycles": self.latency, "register_every": self.register_every,
                "gates": self.gates, "gates_after_prune": self.gates_pruned,
                "logic_gates": self.logic_gates, "wire_gates": self.wire_gates,
                "const_gates": self.const_gates, "counted_bits": self.counted_bits,
                "folded_gates": self.folded_gates, "brams": self.brams, "table_bits": self.table_bits,
                "score_width": self.score_width,
                "class_width": self.class_width, "layer_stages": self.layer_stages,
                "groupsum_stages": self.groupsum_stages}


def _port_lines(ps: list[Port], prefix: str = "") -> list[str]:
    """Port declarations, comma-separated, with their comments."""
    out = []
    for k, p in enumerate(ps):
        line = "    " + p.decl(prefix) + ("," if k < len(ps) - 1 else "")
        out.append(line + (f"  // {p.comment}" if p.comment else ""))
    return out


def module_name(text: str) -> str:
    """A legal Verilog identifier made from `text` (e.g. a file name)."""
    s = re.sub(r"[^A-Za-z0-9_]", "_", text).strip("_") or "lgn_net"
    if not re.match(r"[A-Za-z_]", s):
        s = "lgn_" + s
    return s


def generate(net: Netlist, name: str = "lgn_net", register_every: int = 1, prune: bool = True,
             source: str | None = None, brams: int = 0, all_or_none: bool = False) -> RtlDesign:
    """Verilog for `net`. `register_every` = gate layers per pipeline stage (>= 1);
    the last layer is always followed by a register. `source` names the netlist in the header.
    `brams`: block RAMs (ECP5 DP16KD, two tables each) GroupSum may count bits with;
    `all_or_none`: use them only if their tables count every bit (tables for part of the bits
    keep the adder trees and add registers)."""
    if brams < 0:
        raise ValueError(f"brams must be >= 0, got {brams}")
    if register_every < 1:
        raise ValueError(f"register_every must be >= 1, got {register_every}")
    net.validate()
    name = module_name(name)
    gates_in = net.gates
    report: dict = {}
    if prune:
        net, report = prune_netlist(net)
    g = _Builder(net, register_every, 2 * brams)
    g.build()
    if all_or_none and gen_groupsum.table_bits(g.dots(), g.rom_ports) < net.outputs:
        g.rom_ports = 0
    text = g.emit(name, source=source, gates_in=gates_in, report=report)
    return RtlDesign(verilog=text, top=name, inputs=net.inputs, classes=net.classes,
                     score_width=g.sw, class_width=g.cw, latency=g.latency,
                     layer_stages=g.layer_stages, groupsum_stages=g.gs_stages,
                     register_every=register_every, gates=gates_in, gates_pruned=net.gates,
                     logic_gates=g.n_logic, wire_gates=g.n_wire, const_gates=g.n_const,
                     counted_bits=net.outputs, folded_gates=g.n_folded, brams=g.brams,
                     table_bits=g.table_bits, prune_report=report)


def _concat(items: list[str], indent: str, per_line: int = 16) -> str:
    """`{a, b, ...}` wrapped over several lines (tools limit the tokens on one line)."""
    if len(items) <= per_line:
        return "{" + ", ".join(items) + "}"
    rows = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "{\n" + ",\n".join(indent + r for r in rows) + "\n" + indent[:-4] + "}"


class _Builder:
    def __init__(self, net: Netlist, register_every: int, rom_ports: int = 0):
        self.net, self.k, self.rom_ports = net, register_every, rom_ports
        self.sw = max(1, net.group_size.bit_length())           # score width
        self.cw = max(1, (net.classes - 1).bit_length())        # class index width
        self.n_logic = self.n_wire = self.n_const = 0

    # -- gate layers ----------------------------------------------------------------------
    def build(self) -> None:
        """Gate layers up to the last one, registered every k layers. The last layer's gates
        are not built here: each becomes a dot that GroupSum folds into its adders."""
        net = self.net
        lits = [(("in", i), False) for i in range(net.inputs)]
        self.layer_gates: list[list] = []   # per layer: gate nodes created (in order)
        self.stage_regs: list[list] = []    # per layer stage: reg nodes (in order)
        stage = 0
        n_layers = len(net.layers)
        for k, layer in enumerate(net.layers):
            new_lits, created = [], []
            for gi in range(layer.width):
                lit = self._gate(k, gi, int(layer.op[gi]), lits[int(layer.a[gi])], lits[int(layer.b[gi])])
                if lit[0] != "const" and lit[0][0] == "gate" and lit[0][1] == k and lit[0][2] == gi:
                    created.append(lit[0])
                new_lits.append(lit)
            self.layer_gates.append(created)
            lits = new_lits
            if (k + 1) % self.k == 0 and k < n_layers - 1:
                stage += 1
                lits = self._register(stage, lits)
        self.layer_stages = stage
        last = n_layers - 1
        self.reg_nodes = {r for regs in self.stage_regs for r in regs}
        # GroupSum's counted bits: ("const", v), ("gate", op, x, y, inverted) computed in an
        # adder's LUT4 from nodes x, y, or ("wire", node, inverted)
        self.out_dots = [lit if lit[0] == "const" else
                         ("gate", lit[0][3], lit[0][4], lit[0][5], lit[1])
                         if lit[0][0] == "gate" and lit[0][1] == last else ("wire", lit[0], lit[1])
                         for lit in lits]
        self.n_folded = len(self.layer_gates[-1]) + self._fold_behind_wires()
        taps: dict = {}
        for d in self.out_dots:
            for t in {"gate": d[2:4], "wire": d[1:2]}.get(d[0], ()):
                taps.setdefault(t, len(taps))
        # a network whose last layer is all constants still gives GroupSum one (unread) tap
        self.taps = list(taps) or [("in", 0)]

    @staticmethod
    def _base(n):
        """The node under a chain of registers, and the stages of those registers in order."""
        stages = []
        while n[0] == "reg":
            stages.append(n[1])
            n = n[2]
        return n, stages[::-1]

    def _delayed(self, node, stages):
        for st in stages:
            node = self._reg_node(st, node)
        return node

    def _fold_behind_wires(self) -> int:
        """A gate of an earlier layer that only reaches GroupSum (through pass-through gates
        and registers) is folded into the adders too: its counted bits read its two operands,
        delayed by the registers it crossed, and its own LUT goes. Returns how many went."""
        base = self._base
        gate_uses: set = set()
        for gates in self.layer_gates:
            for g in gates:
                gate_uses.add(base(g[4])[0])
                gate_uses.add(base(g[5])[0])
        folded = set()
        for i, d in enumerate(self.out_dots):
            if d[0] != "wire":
                continue
            h, stages = base(d[1])
            if h[0] != "gate" or h in gate_uses:
                continue
            self.out_dots[i] = ("gate", h[3], self._delayed(h[4], stages), self._delayed(h[5], stages), d[2])
            folded.add(h)
        return len(folded)

    def _reg_node(self, stage: int, node):
        """`node` through pipeline register `stage` (made if no signal needed it yet)."""
        r = ("reg", stage, node)
        if r not in self.reg_nodes:
            self.reg_nodes.add(r)
            self.stage_regs[stage - 1].append(r)
        return r

    def dots(self) -> list[list[Dot]]:
        """Per class, its counted bits as GroupSum dots over the taps (`taps[i]`)."""
        net = self.net
        index = {t: f"taps[{i}]" for i, t in enumerate(self.taps)}
        ds = [Dot.const(d[1]) if d[0] == "const" else
              Dot.gate(d[1], index[d[2]], index[d[3]], d[4]) if d[0] == "gate" else
              Dot.wire(index[d[1]], d[2]) for d in self.out_dots]
        G = net.group_size
        return [ds[c * G:(c + 1) * G] for c in range(net.classes)]

    def _gate(self, k, gi, op, la, lb):
        """Resolve gate op(la, lb) to a literal, folding constants, inversions and wires."""
        def val(lit, v):  # value of operand `lit` when its underlying node has value v
            return lit[1] if lit[0] == "const" else v ^ int(lit[1])
        xa = None if la[0] == "const" else la[0]
        xb = None if lb[0] == "const" else lb[0]
        if xa is not None and xb is not None and xa == xb:
            f = lambda u, w: truth(op, val(la, u), val(lb, u))  # noqa: E731  (one node)
        else:
            f = lambda u, w: truth(op, val(la, u), val(lb, w))  # noqa: E731
        new = _op_of(f)
        da, db = depends(new)
        if xa is None:
            da = False
        if xb is None or xb == xa:
            db = False
        if not da and not db:
            self.n_const += 1
            return ("const", truth(new, 0, 0))
        if da and not db:
            self.n_wire += 1
            return (xa, not truth(new, 1, 0))
        if db and not da:
            self.n_wire += 1
            return (xb, not truth(new, 0, 1))
        self.n_logic += 1
        return (("gate", k, gi, new, xa, xb), False)

    def _register(self, stage, lits):
        regs, out = {}, []
        for lit in lits:
            if lit[0] == "const":
                out.append(lit)
                continue
            node = lit[0]
            if node not in regs:
                regs[node] = ("reg", stage, node)
            out.append((regs[node], lit[1]))
        self.stage_regs.append(list(regs.values()))
        return out

    # -- emission ---------------------------------------------------------------------------
    def emit(self, name: str, source: str | None, gates_in: int, report: dict) -> str:
        net = self.net
        live = self._liveness()
        names: dict = {}
        for i in range(net.inputs):
            names[("in", i)] = f"in_bits[{i}]"
        body: list[str] = []
        reg_vec = {}
        n_layers = len(net.layers)
        stage = 0
        for k in range(n_layers - 1):   # the last layer is folded into GroupSum
            gates = [n for n in self.layer_gates[k] if n in live]
            body.append(f"    // layer {k}: {net.layers[k].width} gates, {len(gates)} with logic")
            for node in gates:
                _, _, gi, op, x, y = node
                nm = f"l{k}_g{gi}"
                names[node] = nm
                expr = verilog_expr(op, names[x], names[y])
                body.append(f"    wire {nm} = {expr};  // {NAMES[op]}")
            if (k + 1) % self.k == 0:
                stage += 1
                regs = [r for r in self.stage_regs[stage - 1] if r in live]
                vec = f"p{stage}"
                reg_vec[stage] = (vec, regs)
                if regs:
                    body.append(f"    // pipeline register {stage}: {len(regs)} signals")
                    body.append(f"    reg [{len(regs) - 1}:0] {vec};")
                    src = _concat([names[r[2]] for r in reversed(regs)], "        ")
                    body.append(f"    always @(posedge clk) {vec} <= {src};")
                    for j, r in enumerate(regs):
                        names[r] = f"{vec}[{j}]"
        body.append("    // the last layer's operands: GroupSum computes its gates inside its adders")
        w = len(self.taps)
        outs = [names[t] for t in self.taps]
        body.append(f"    assign out_bits = {_concat(list(reversed(outs)), '        ')};")

        used_inputs = sum(1 for i in range(net.inputs) if ("in", i) in live)
        gs_text, facts = gen_groupsum.emit(name, w, self.dots(), self.sw, self.cw, self.rom_ports)
        self.gs_stages = facts["stages"]
        self.brams, self.table_bits = facts["brams"], facts["table_bits"]
        self.popcount_levels, self.argmax_levels = facts["popcount_levels"], facts["argmax_levels"]
        self.latency = self.layer_stages + self.gs_stages

        hdr = self._header(name, source, gates_in, report, used_inputs)
        lay = [f"// Gate layers: {self.layer_stages} pipeline stage(s), one every {self.k} layer(s).",
               f"module {name}_layers (",
               "    input  wire clk,",
               "    /* verilator lint_off UNUSEDSIGNAL */",
               "    // Inputs the pruned netlist ignores stay on the port so that it keeps the",
               "    // netlist's input count and bit order.",
               f"    input  wire [{net.inputs - 1}:0] in_bits,",
               "    /* verilator lint_on UNUSEDSIGNAL */",
               f"    output wire [{w - 1}:0] out_bits",
               ");"]
        if not any(reg_vec[s][1] for s in reg_vec):
            lay.append("    wire unused_clk = clk;  // every output is constant: no registers")
        lay += body + ["endmodule"]
        top = self._top(name)
        return "\n".join(hdr + [""] + lay + [""] + gs_text + [""] + top) + "\n"

    def _liveness(self) -> set:
        live, stack = set(), list(self.taps)
        while stack:
            n = stack.pop()
            if n in live:
                continue
            live.add(n)
            if n[0] == "gate":
                stack += [n[4], n[5]]
            elif n[0] == "reg":
                stack.append(n[2])
        return live

    def _top(self, name: str) -> list[str]:
        net, sw, cw, C = self.net, self.sw, self.cw, self.net.classes
        lat = self.latency
        al = self.argmax_levels
        L = [f"// Top: valid pipeline and outputs. Latency {lat} cycle(s).",
             f"module {name} (",
             *_port_lines(ports(net.inputs, C, sw, cw)),
             ");",
             f"    wire [{len(self.taps) - 1}:0] last;",
             f"    wire [{C * sw - 1}:0] scores;",
             f"    {name}_layers u_layers (.clk(clk), .in_bits(in_bits), .out_bits(last));",
             f"    {name}_groupsum u_groupsum (.clk(clk), .bits(last), .scores(scores), .best(out_class));"]
        if al:
            L.append(f"    // scores wait for the argmax ({al} level(s), two clocks each)")
            prev = "scores"
            for d in range(1, 2 * al + 1):
                L.append(f"    reg [{C * sw - 1}:0] score_d{d};")
                L.append(f"    always @(posedge clk) score_d{d} <= {prev};")
                prev = f"score_d{d}"
            L.append(f"    assign out_scores = {prev};")
        else:
            L.append("    assign out_scores = scores;")
        L += [f"    reg [{lat - 1}:0] valid_pipe;",
              "    always @(posedge clk) begin",
              f"        if (rst) valid_pipe <= {lat}'d0;",
              (f"        else valid_pipe <= {{valid_pipe[{lat - 2}:0], in_valid}};" if lat > 1
               else "        else valid_pipe <= in_valid;"),
              "    end",
              f"    assign out_valid = valid_pipe[{lat - 1}];",
              "endmodule"]
        return L

    def _header(self, name, source, gates_in, report, used_inputs) -> list[str]:
        net = self.net
        lines = [
            "// SPDX-License-Identifier: MIT",
            "// Generated by lgn-hil rtl/gen_verilog.py: do not edit; regenerate with `lgn rtl`.",
            f"// Netlist: {source or '(in memory)'}",
            f"// Inputs {net.inputs} bits ({used_inputs} used), classes {net.classes}, group size "
            f"{net.group_size}, layers {len(net.layers)}",
            f"// Gates: {gates_in} in the netlist, {net.gates} after pruning "
            f"({self.n_logic} two-input LUT expressions, {self.n_wire} wires/inverters, "
            f"{self.n_const} constants)",
        ]
        if report:
            lines.append(f"// Pruning: widths {report.get('widths_before')} -> {report.get('widths_after')}")
        lines += [
            f"// Pipeline: register every {self.k} gate layer(s): {self.layer_stages} stage(s); "
            f"popcount {self.popcount_levels} adder level(s), the last gate layer folded in; "
            f"argmax {self.argmax_levels} level(s) x 2",
            f"// Latency: {self.latency} clock cycle(s) from in_valid to out_valid; one sample per clock.",
            "// Ports of the top module " + name + ": see its declaration below.",
            "/* verilator lint_off DECLFILENAME */",
            "// One generated file holds the network's three modules (layers, GroupSum, top).",
        ]
        return lines
