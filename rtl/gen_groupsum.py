# SPDX-License-Identifier: MIT
"""GroupSum for compiled RTL: a popcount per class on carry chains, then the argmax.

The counted bits arrive as *dots*: f(a, b) of at most two signals. The last gate layer is
not built on its own: each of its gates is a dot, computed inside the look-up table of the
adder that counts it (a "folded" gate); pass-through and NOT gates are one-signal dots and
constant gates are constant dots.

Each class is counted by a balanced tree of ripple adders, one pipeline register per level:
the leaves add three dots (d0 + d1 + d2 -> 2 bits), every later adder two numbers of the
level below plus one more dot as its carry-in (delayed to its level). On the ECP5 each adder
is a run of CCU2C halves (`LGN_ECP5_CARRY` defined, as `lgn synth` does for that family):

  * a position half adds x + y + carry-in: its LUT4 computes p = x ^ y, and the carry
    chain's generate input, the LUT4's own function at C = D = 0 (INIT[3:0], a function
    of A and B only), is x. So x is any dot on A, B; y is a dot on C, D that is 0 at
    C = D = 0, or a one-signal dot on D with C tied high (INIT[3:0] is then free);
  * a carry half (D tied high, p = 0) outputs the carry arriving from the adder before it
    and starts the next adder with a new carry, its generate: any dot on A, B.

So a leaf (carry half + position half, one CCU2C) counts three gates of the last layer,
six signals, against three LUT4s for the gates and two for a full adder built from LUTs.

Several adders share one chain, at most MAX_CHAIN CCU2Cs long (TABLE_CHAIN with tables).
Without the define, each adder is a Verilog `+` of the same dots (Verilator, Icarus,
synth_xilinx's CARRY4); both forms compute the same sums, and the tests run both against the software model.

Leaves can also be *tables* (`rom_ports` > 0): up to ROM_MAX dots over at most ROM_BITS
signals, counted by a look-up table of 2,048 4-bit words. On the ECP5 a table is one port
of a DP16KD block RAM in 4K x 4 mode (two tables per block, the top address bit telling
them apart), so a table costs no LUT at all; the portable form is the sum of the same
dots. Block RAMs sit in rows of their own, and a class's tables end up far apart: each
table registers its own copy of its address bits in the fabric (a fan-out net from a gate
layer to block RAMs across the die was the slowest path) and its output once more (a route
from a block RAM to a carry chain across the die was the next one), so the first adder
level comes two clocks later than without tables. Each class takes its first dots (netlist
order) on tables while it has ports (rom_ports // classes), the rest on carry-chain leaves.

A dot's role (pair, first or second operand, carry-in) is chosen by its kind, but within
each role the dots are dealt out in netlist order, and each level pairs numbers that lie
near each other (sorted by size only within runs of BLOCK): an adder counts neighbours, so
that a placer can keep a locally wired network's counting as short as its gate layers. A
class with tables pairs by place alone (runs of TABLE_BLOCK): tables next to each other in
the block RAMs (two to a block, in order) first. Block RAMs sit at fixed sites along their
rows, so pairing by size there made the first adders reach across the row and cost Fmax
(the README's requirement-2 paragraph gives both).

The argmax compares (score, class) pairs in a balanced tree where the right (higher class)
operand wins only if its score is strictly greater, so ties go to the lowest class index,
exactly as `host.softmodel.predict_from_scores`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from host.gates import truth, verilog_expr

MAX_CHAIN = 20          # CCU2Cs per carry chain: a longer chain is one long path for timing
TABLE_CHAIN = 6         # with tables the adders are few: short chains cost almost nothing
ROM_BITS = 11           # address bits of a table: half of a DP16KD's 4K x 4 words
ROM_MAX = 15            # dots per table: its 4-bit words count at most 15
# a flip-flop cell as yosys maps `q <= d` (no enable, no reset) on the ECP5
TRELLIS_FF_PARAMS = '.GSR("DISABLED"), .CEMUX("1"), .CLKMUX("CLK"), .LSRMUX("LSR"), .REGSET("RESET")'
BLOCK = 16              # numbers of a level sorted by size before pairing, in place order
TABLE_BLOCK = 2         # the same with tables: pairs by place, the larger number first
ECP5_DEFINE = "LGN_ECP5_CARRY"


@dataclass(frozen=True)
class Dot:
    """A counted bit f(a, b): tt bit (a + 2 b) = f(a, b); an unused signal is None."""
    tt: int
    a: str | None = None
    b: str | None = None

    @classmethod
    def gate(cls, op: int, a: str, b: str, inverted: bool = False) -> "Dot":
        tt = sum(truth(op, x, y) << (x + 2 * y) for x in (0, 1) for y in (0, 1))
        return cls(tt ^ (0xF if inverted else 0), a, b)

    @classmethod
    def wire(cls, a: str, inverted: bool = False) -> "Dot":
        return cls(0b0101 if inverted else 0b1010, a)

    @classmethod
    def const(cls, value: int) -> "Dot":
        return cls(0xF if value else 0)

    def at(self, a: int, b: int) -> int:
        return (self.tt >> (a + 2 * b)) & 1

    @property
    def signals(self) -> tuple[str, ...]:
        return tuple(s for s in (self.a, self.b) if s is not None)

    def fits_cd(self) -> bool:
        """Can be the second operand of a position half (see the module doc)."""
        return len(self.signals) < 2 or self.at(0, 0) == 0

    def expr(self) -> str:
        op = (self.at(0, 0) << 3) | (self.at(0, 1) << 2) | (self.at(1, 0) << 1) | self.at(1, 1)
        return verilog_expr(op, self.a or "1'b0", self.b or "1'b0")


def sig(name: str) -> Dot:
    """A plain signal as a dot (an adder's operand bit)."""
    return Dot.wire(name)


# -- tables (block RAM) ----------------------------------------------------------------------
@dataclass
class Rom:
    """A leaf counted by a table: the sum of `dots`, whose signals are the address bits."""
    dots: list[Dot]
    addr: list[str]
    pins: list[str] = field(default_factory=list)   # its own register of `addr`
    out: list[str] = field(default_factory=list)

    def word(self, w: int) -> int:
        bit = {s: (w >> i) & 1 for i, s in enumerate(self.addr)}
        return sum(d.at(bit.get(d.a, 0), bit.get(d.b, 0)) for d in self.dots)


def rom_split(dots: list[Dot], ports: int) -> tuple[list[Rom], int]:
    """The first dots, in order, on at most `ports` tables (each while its signals fit);
    returns the tables and how many dots they took."""
    roms: list[Rom] = []
    cur: list[Dot] = []
    sigs: list[str] = []
    if ports <= 0:
        return roms, 0
    for k, d in enumerate(dots):
        new = [s for s in dict.fromkeys(d.signals) if s not in sigs]
        if cur and (len(sigs) + len(new) > ROM_BITS or len(cur) == ROM_MAX):
            roms.append(Rom(cur, sigs))
            cur, sigs = [], []
            new = list(dict.fromkeys(d.signals))
            if len(roms) == ports:
                return roms, k
        cur.append(d)
        sigs += new
    if cur:
        roms.append(Rom(cur, sigs))
    return roms, len(dots)


def class_tables(classes: list[list[Dot]], rom_ports: int) -> list[tuple[list[Rom], int]]:
    """Per class, its tables and how many of its dots they take: `rom_ports` split evenly."""
    return [rom_split(dots, rom_ports // len(classes)) for dots in classes]


def table_bits(classes: list[list[Dot]], rom_ports: int) -> int:
    """How many dots `emit` counts with tables when it may use `rom_ports` of them."""
    return sum(n for _, n in class_tables(classes, rom_ports))


def initvals(tables: list[list[int]]) -> list[int]:
    """DP16KD INITVAL_00..3F for 4-bit words (4,096 in all; `tables` of 2,048 words each
    fill it from word 0), in yosys's layout for that width: word w at bit 20 (w // 4) +
    4 (w % 4) + (w % 4 >= 2), in rows of 18 bits padded to 20, 16 rows per INITVAL."""
    words = [v for t in tables for v in t]
    bits = 0
    for w, v in enumerate(words):
        bits |= v << (20 * (w >> 2) + 4 * (w & 3) + ((w & 3) >= 2))
    return [(bits >> (320 * j)) & ((1 << 320) - 1) for j in range(64)]


# -- the adder tree of one class --------------------------------------------------------------
@dataclass
class Adder:
    """x + y + cin, x and y little-endian lists of dots (or numbers of the level below)."""
    x: list
    y: list
    cin: Dot | None
    width: int                       # result bits
    out: list[str] = field(default_factory=list)

    @property
    def positions(self) -> int:
        return max(len(self.x), len(self.y))


def _pair(d1: Dot, d2: Dot, fn) -> Dot:
    """fn of two one-signal dots, as one two-signal dot."""
    tt = sum(fn(d1.at(x, 0), d2.at(y, 0)) << (x + 2 * y) for x in (0, 1) for y in (0, 1))
    return Dot(tt, d1.a, d2.a)


@dataclass
class Tree:
    """One class's popcount: leaf adders (level 1) in netlist order, then merges level by level."""
    leaves: list                     # (place, ("adder", Adder, max) or ("dot", Dot))
    cins: list[tuple[float, Dot]]    # (place, dot): carry-ins of the later adders
    materialized: list[Dot]          # dots computed in a LUT of their own first


def _take(pool: list, m: int) -> list:
    """m items of `pool` (in netlist order) spread evenly over it, removed from it."""
    if m <= 0:
        return []
    idx = [(2 * i + 1) * len(pool) // (2 * m) for i in range(m)]
    got = [pool[i] for i in idx]
    for i in reversed(idx):
        del pool[i]
    return got


def _match(slots: list[float], pool: list) -> list:
    """The (place, item)s of `pool` dealt to `slots` (places) in order of place: the k-th
    slot from the left gets the k-th item, so neighbours stay neighbours. With fewer items
    than slots, the slots that get one are spread evenly; the others get None."""
    order = sorted(range(len(slots)), key=lambda k: slots[k])
    got = [None] * len(slots)
    for k, item in zip(_take(order, len(pool)), sorted(pool, key=lambda t: t[0])):
        got[k] = item[1]
    return got


def _couple(ones: list, zeros: list) -> list:
    """Each pair of `ones` with a pair of `zeros` (len(zeros) >= len(ones)), both in place
    order, at the least total squared distance between their places (many short moves rather
    than one long one; a monotone matching, by dynamic programming). The zeros not chosen
    stay in `zeros`."""
    at = [sum(p for p, _ in pr) / 2 for pr in ones], [sum(p for p, _ in pr) / 2 for pr in zeros]
    n, m = len(ones), len(zeros)
    inf = float("inf")
    cost = [[0.0] * (m + 1)] + [[inf] * (m + 1) for _ in range(n)]
    for i in range(1, n + 1):        # cost[i][j]: the first i ones on the first j zeros
        for j in range(i, m + 1):
            cost[i][j] = min(cost[i][j - 1], cost[i - 1][j - 1] + (at[0][i - 1] - at[1][j - 1]) ** 2)
    chosen, j = [], m
    for i in range(n, 0, -1):
        while cost[i][j] == cost[i][j - 1]:
            j -= 1
        chosen.append(j - 1)
        j -= 1
    chosen.reverse()
    got = [zeros[k] for k in chosen]
    for k in reversed(chosen):
        del zeros[k]
    return list(zip(ones, got))


def tree(dots: list[Dot], name) -> Tree:
    """Place one class's dots on leaf adders and carry-ins (see the module doc).

    Two one-signal dots a, b are also a + b = (a ^ b) + 2 (a & b), two two-signal dots that
    cost nothing (they live in the adders' LUT4s): with such weight-2 dots a leaf adds two
    2-bit numbers and a carry-in, 7 at most, in three chain halves. About a third of the dots
    are paired that way; the rest go to 1-position leaves (3 at most) and the carry-ins of
    the later adders. Which dot takes which role depends on its kind only; within a role, the
    dots are dealt out in netlist order, so that each adder counts neighbours (a placer can
    keep locally wired networks short) and the leaves stay in that order."""
    n = len(dots)
    tagged = list(enumerate(dots))
    # the a & b of two inverted wires is 1 at (0, 0): it can only be the first operand of
    # its position (see fits_cd), so each such pair needs a partner pair whose a & b is not
    plain = [t for t in tagged if len(t[1].signals) == 1 and t[1].at(0, 0) == 0]
    inv = [t for t in tagged if len(t[1].signals) == 1 and t[1].at(0, 0) == 1]
    want = n // 3
    n_pp = len(plain) // 2
    n_ii = min(len(inv) // 2, n_pp)
    pairs = [(plain[2 * k], plain[2 * k + 1]) for k in range(n_pp)]
    pairs += list(zip(plain[2 * n_pp:], inv[2 * n_ii:]))
    oo = [(inv[2 * k], inv[2 * k + 1]) for k in range(n_ii)]
    if len(pairs) + len(oo) > want:
        keep = want // 2
        oo = _take(oo, min(len(oo), keep))
        pairs = _take(pairs, want - len(oo))
    # a wide leaf takes two pairs: (O, Z) while the O pairs last, each O with a Z pair from
    # its own part of the class, then (Z, Z) neighbours
    couples = _couple(oo, pairs)
    couples += [tuple(pairs[k:k + 2]) for k in range(0, len(pairs), 2)]
    # in place order, a lone pair last: the wide leaves take the pairs two by two
    couples.sort(key=lambda cp: (len(cp) < 2, sum(p for pr in cp for p, _ in pr)))
    pairs = [pr for cp in couples for pr in cp]
    n_pairs = len(pairs)
    paired = {p for pr in pairs for p, _ in pr}
    rest = [t for t in tagged if t[0] not in paired]

    def pair(pr, fn):
        (p, a), (q, b) = pr
        return ((p + q) / 2, _pair(a, b, fn))
    us = [pair(pr, lambda x, y: x ^ y) for pr in pairs]
    vs = [pair(pr, lambda x, y: x & y) for pr in pairs]
    w1 = sorted(us + rest, key=lambda t: t[0])
    n_wide = -(-n_pairs // 2)
    r = len(w1) - 3 * n_wide
    n_plain = max(0 if n_wide else 1, -(-(r - n_wide + 1) // 4))
    n_cins = max(0, min(n_wide + n_plain - 1, r - n_plain))
    # w1 dots per leaf: wide leaves take 3 while they last, plain leaves share what is left
    avail = len(w1) - n_cins
    wide_w1 = [min(3, max(0, avail - 3 * k)) for k in range(n_wide)]
    left = avail - sum(wide_w1)
    plain_w1 = [left // n_plain + (1 if k < left % n_plain else 0) for k in range(n_plain)] if n_plain else []
    plain_w1 = [k for k in plain_w1 if k]
    # each leaf's place: its weight-2 pairs' for a wide leaf, evenly spread for the others
    shapes = [("wide", k, sum(v[0] for v in vs[2 * j:2 * j + 2]) / len(vs[2 * j:2 * j + 2]))
              for j, k in enumerate(wide_w1)]
    shapes += [("plain", k, (2 * j + 1) * n / (2 * len(plain_w1))) for j, k in enumerate(plain_w1)]
    # pools: second operands need fits_cd; carry-ins of later levels prefer few signals
    two_cd = [t for t in w1 if len(t[1].signals) == 2 and t[1].fits_cd()]
    small = [t for t in w1 if len(t[1].signals) < 2]
    other = [t for t in w1 if not t[1].fits_cd()]
    n_cd = sum(1 for sh in shapes if sh[1] >= 2)
    cd = _take(two_cd, min(n_cd, len(two_cd)))
    cd += _take(small, min(n_cd - len(cd), len(small)))
    materialized = []
    for p, d in _take(other, n_cd - len(cd)):
        materialized.append(d)
        cd.append((p, Dot.wire(f"{name}_m{len(materialized) - 1}")))
    cins = []
    for pool in (small, other, two_cd):
        cins += _take(pool, min(n_cins - len(cins), len(pool)))
    anyd = sorted(other + two_cd + small, key=lambda t: t[0])
    leaf_cin = _take(anyd, sum(1 for sh in shapes if sh[1] >= 3))

    def deal(need, pool):
        slots = [sh[2] for sh in shapes if sh[1] >= need]
        assert len(slots) == len(pool)
        it = iter(_match(slots, pool))
        return [next(it) if sh[1] >= need else None for sh in shapes]
    x0s, y0s, cin0s = deal(1, anyd), deal(2, cd), deal(3, leaf_cin)
    leaves, vi = [], 0
    for (kind, k, at), x0, y0, cin in zip(shapes, x0s, y0s, cin0s):
        if kind == "wide":
            v = [t[1] for t in vs[vi:vi + 2]]
            vi += 2
            x, y = [x0, v[0]], [y0, v[1] if len(v) > 1 else None]
            mx = (x0 is not None) + (y0 is not None) + (cin is not None) + 2 * len(v)
        else:
            if k == 1:
                leaves.append((at, ("dot", x0)))
                continue
            x, y, mx = [x0], [y0], k
        x = [d for d in x] if x[-1] is not None else x[:-1]
        y = y if y[-1] is not None else y[:-1]
        mx = min(mx, n)   # a pair's a ^ b and a & b in one leaf count the pair twice
        leaves.append((at, ("adder", Adder(x, y, cin, mx.bit_length()), mx)))
    assert vi >= n_pairs, (vi, n_pairs)
    leaves.sort(key=lambda t: t[0])
    return Tree(leaves, cins, materialized)


def merge_levels(n: int) -> list[list[tuple]]:
    """Balanced pairing of n numbers, level by level: (i, j) merges or (i,) kept."""
    levels = []
    while n > 1:
        lv = [(i, i + 1) for i in range(0, n - 1, 2)] + ([(n - 1,)] if n % 2 else [])
        levels.append(lv)
        n = len(lv)
    return levels


def _cins_by_level(levels: list[list[tuple]], cins: list[tuple[float, Dot]]) -> dict:
    """{level: its carry-ins}: the deepest merges get one first, from the dots with fewest
    signals (they wait longest, in delay registers); each level's share is spread evenly
    over the places."""
    pools = [sorted((t for t in cins if len(t[1].signals) == k), key=lambda t: t[0]) for k in (0, 1, 2)]
    out: dict = {}
    for lv in range(len(levels) + 1, 1, -1):
        want, out[lv] = sum(len(m) == 2 for m in levels[lv - 2]), []
        for pool in pools:
            out[lv] += _take(pool, min(len(pool), want - len(out[lv])))
    assert not any(pools)
    return out


def _near_like(maxes: list[int], places: list[float], block: int) -> list[int]:
    """An order of a level's numbers for pairing: by place, and within runs of `block` by
    size (a number paired with one of like size wastes no chain position)."""
    order = sorted(range(len(maxes)), key=lambda i: places[i])
    return [i for b in range(0, len(order), block)
            for i in sorted(order[b:b + block], key=lambda i: -maxes[i])]


# -- emission ----------------------------------------------------------------------------------
class _Emitter:
    """Collects a GroupSum's lines: declarations and registers, the CCU2C form, the `+` form."""

    def __init__(self):
        self.lines: list[str] = []
        self.delays: dict[tuple[str, int], str] = {}
        self.ecp5: list[str] = []      # CCU2C instances (define set)
        self.portable: list[str] = []  # `+` adders (define not set)
        self.unused: list[str] = []    # CCU2C outputs nothing reads
        self.pending: list[Adder] = []  # adders not laid on chains yet
        self.roms: list[Rom] = []       # tables, two to a DP16KD (define set)
        self.n_cc = 0

    def delayed(self, s: str, depth: int) -> str:
        """Signal s, `depth` clocks later (a shift register, shared by every reader)."""
        if depth == 0 or s.startswith("1'b"):
            return s
        key = (s, depth)
        if key not in self.delays:
            prev = self.delayed(s, depth - 1)
            nm = f"dly{depth}_{s.replace('[', '_').replace(']', '')}"
            self.delays[key] = nm
            self.lines.append(f"    reg {nm};")
            self.lines.append(f"    always @(posedge clk) {nm} <= {prev};")
        return self.delays[key]

    def dot_at(self, d: Dot, depth: int) -> Dot:
        ren = {s: self.delayed(s, depth) for s in d.signals}
        return Dot(d.tt, *(ren[s] if s else None for s in (d.a, d.b)))

    # one level of one class: adders -> result wires `out`
    def adders(self, tag: str, adders: list[Adder]) -> None:
        for k, ad in enumerate(adders):
            ad.out = [f"{tag}_a{k}[{i}]" for i in range(ad.width)]
            self.lines.append(f"    wire [{ad.width - 1}:0] {tag}_a{k};")
            w = ad.width

            def vec(ds):
                items = ["1'b0"] * (w - len(ds)) + [d.expr() if d else "1'b0" for d in reversed(ds)]
                return "{" + ", ".join(items) + "}"
            terms = [vec(ad.x), vec(ad.y)] + ([vec([ad.cin])] if ad.cin is not None else [])
            self.portable.append(f"    assign {tag}_a{k} = {' + '.join(terms)};")
        self.pending += adders

    def tables(self, tag: str, roms: list[Rom]) -> None:
        """Leaves counted by tables -> result wires `out`, three clocks after `bits`: the
        table's own copy of its address bits (`pins`), then the block RAM's address and
        output registers (portable form: two registers after the sum)."""
        for k, rom in enumerate(roms):
            w = len(rom.dots).bit_length()
            nm = f"{tag}_r{k}"
            rom.out = [f"{nm}[{i}]" for i in range(w)]
            rom.pins = [f"{nm}_a[{i}]" for i in range(len(rom.addr))]
            self.lines.append(f"    wire [{w - 1}:0] {nm};")
            if rom.addr:    # flip-flop cells on the ECP5: yosys merges registers of one signal
                src = [a.replace("taps[", "bits[") for a in rom.addr]
                self.lines.append(f"    wire [{len(src) - 1}:0] {nm}_a;")
                self.portable += [f"    reg [{len(src) - 1}:0] {nm}_aq;",
                                  f"    always @(posedge clk) {nm}_aq <= {{{', '.join(reversed(src))}}};",
                                  f"    assign {nm}_a = {nm}_aq;"]
                # (M, the preload input, is left open: nextpnr's packer feeds DI through it)
                self.ecp5 += [f"    TRELLIS_FF #({TRELLIS_FF_PARAMS}) {nm}_f{i} (.CLK(clk), .LSR(1'b0), "
                              f".CE(1'b1), .DI({a}), .Q({nm}_a[{i}]));" for i, a in enumerate(src)]
            ren = dict(zip(rom.addr, rom.pins))
            exprs = [Dot(d.tt, ren.get(d.a), ren.get(d.b)).expr() for d in rom.dots]
            terms = [e if w == 1 else f"{{{w - 1}'b0, {e}}}" for e in exprs]
            self.portable += [f"    reg [{w - 1}:0] {nm}_q, {nm}_o;",
                              f"    always @(posedge clk) {nm}_q <= {' + '.join(terms)};",
                              f"    always @(posedge clk) {nm}_o <= {nm}_q;",
                              f"    assign {nm} = {nm}_o;"]
        self.roms += roms

    def brams(self) -> None:
        """The tables on DP16KDs: port A reads words 0-2047, port B words 2048-4095, each
        from its `pins`, through the block's output register."""
        for j in range(0, len(self.roms), 2):
            pair = self.roms[j:j + 2]
            tables = [[r.word(w) for w in range(1 << ROM_BITS)] for r in pair]
            params = [f'.DATA_WIDTH_{p}(4), .REGMODE_{p}("OUTREG"), .CSDECODE_{p}("0b000"), '
                      f'.WRITEMODE_{p}("NORMAL")' for p in "AB"]
            params += ['.GSR("DISABLED"), .RESETMODE("SYNC"), .ASYNC_RESET_RELEASE("SYNC")']
            params += [f".INITVAL_{k:02X}(320'h{v:080X})" for k, v in enumerate(initvals(tables))]
            pins = []
            for p, rom, top in zip("AB", pair + [None], ("1'b0", "1'b1")):
                ad = list(rom.pins) if rom else []
                ad = ["1'b0", "1'b0"] + ad + ["1'b0"] * (ROM_BITS - len(ad)) + [top]
                do = list(rom.out) if rom else []
                do += [self._unused(f"bram{j // 2}_do{p}{i}") for i in range(len(do), 4)]
                pins += [f".CLK{p}(clk)", f".CE{p}(1'b1)", f".OCE{p}(1'b1)", f".WE{p}(1'b0)",
                         f".RST{p}(1'b0)"] + [f".CS{p}{i}(1'b0)" for i in range(3)]
                pins += [f".AD{p}{i}({a})" for i, a in enumerate(ad)]
                pins += [f".DO{p}{i}({o})" for i, o in enumerate(do)]
            self.ecp5.append("    DP16KD #(" + ",\n        ".join(params) + f") bram{j // 2} (")
            self.ecp5.append("        " + ", ".join(pins) + ");")

    def chains(self, tag: str, longest: int = MAX_CHAIN) -> None:
        """Lay the adders made since the last call (one class, every level: the registers
        between levels are outside the chains) on chains of at most `longest` CCU2Cs. A carry
        half sits between two adders where the first one's carry out can be 1 or the second
        one has a carry-in."""
        adders, self.pending = self.pending, []

        def carry_out(ad):
            return ad.out[ad.positions] if ad is not None and ad.width > ad.positions else None

        def size(ad, prev):   # halves ad adds after prev, and the carry half that ends a chain
            return (ad.cin is not None or carry_out(prev) is not None) + ad.positions, carry_out(ad) is not None
        chains = []
        while adders:
            # first fit from the adders left; then, if the chain is odd, one more that evens it
            # (a CCU2C is two halves: an odd chain wastes one)
            order, prev, n = [], None, 0
            for ad in list(adders):
                inc, end = size(ad, prev)
                if not order or n + inc + end <= 2 * longest:
                    order.append(ad)
                    adders.remove(ad)
                    prev, n = ad, n + inc
                if n + 2 > 2 * longest:
                    break
            if (n + size(prev, None)[1]) % 2:
                for ad in adders:
                    inc, end = size(ad, prev)
                    if (n + inc + end) % 2 == 0 and n + inc + end <= 2 * longest:
                        order.append(ad)
                        adders.remove(ad)
                        break
            cur, prev = [], None
            for ad in order:
                if ad.cin is not None or carry_out(prev):
                    cur.append(_carry_half(ad.cin, carry_out(prev)))
                for i in range(ad.positions):
                    x = ad.x[i] if i < len(ad.x) else None
                    y = ad.y[i] if i < len(ad.y) else None
                    cur.append(_position_half(x, y, ad.out[i]))
                prev = ad
            if carry_out(prev):
                cur.append(_carry_half(None, carry_out(prev)))
            chains.append(cur)
        for c, halves in enumerate(chains):
            if len(halves) % 2:
                halves.append(_Half(0, ("1'b0",) * 4, None))
            cin = "1'b0"
            for j in range(0, len(halves), 2):
                h0, h1 = halves[j], halves[j + 1]
                nm = f"{tag}_cc{c}_{j // 2}"
                cout = f"{nm}_co"
                s = [h.out or self._unused(f"{nm}_s{i}") for i, h in enumerate((h0, h1))]
                pins = [f".CIN({cin})"]
                for i, h in enumerate((h0, h1)):
                    pins += [f".{p}{i}({v})" for p, v in zip("ABCD", h.ins)]
                pins += [f".S0({s[0]})", f".S1({s[1]})", f".COUT({cout})"]
                self.ecp5.append(f"    wire {cout};")
                self.ecp5.append(f"    CCU2C #(.INIT0(16'h{h0.init:04X}), .INIT1(16'h{h1.init:04X}), "
                                 f".INJECT1_0(\"NO\"), .INJECT1_1(\"NO\")) {nm} (")
                self.ecp5.append("        " + ", ".join(pins) + ");")
                self.n_cc += 1
                cin = cout
            self.unused.append(cin)

    def _unused(self, nm: str) -> str:
        self.ecp5.append(f"    wire {nm};")
        self.unused.append(nm)
        return nm


@dataclass
class _Half:
    init: int
    ins: tuple            # A, B, C, D
    out: str | None


def _ab(d: Dot | None) -> tuple[str, str]:
    if d is None:
        return "1'b0", "1'b0"
    return d.a or "1'b0", d.b or "1'b0"


def _carry_half(d: Dot | None, out: str | None = None) -> _Half:
    """p = 0 (D tied high; INIT[15:8] = 0): S is the carry arriving, COUT = d(A, B)."""
    init = 0 if d is None else sum(d.at(a, b) << (a + 2 * b) for a in (0, 1) for b in (0, 1))
    a, b = _ab(d)
    return _Half(init, (a, b, "1'b0", "1'b1"), out)


def _position_half(x: Dot | None, y: Dot | None, out: str) -> _Half:
    """S = x ^ y ^ carry-in, COUT = the carry: p = x ^ y on the LUT4, generate x (INIT[3:0])."""
    if x is None or (y is not None and not y.fits_cd()):
        x, y = y, x
    assert x is not None and (y is None or y.fits_cd())
    a, b = _ab(x)
    gen = sum(x.at(i, j) << (i + 2 * j) for i in (0, 1) for j in (0, 1))
    init = 0
    if y is not None and len(y.signals) == 2:       # y on C, D; y(0, 0) = 0 keeps INIT[3:0] = x
        c, d = y.a, y.b
        for i in range(16):
            A, B, C, D = i & 1, (i >> 1) & 1, (i >> 2) & 1, (i >> 3) & 1
            init |= (x.at(A, B) ^ y.at(C, D)) << i
    else:                                          # y on D (or nothing), C tied high
        c, d = "1'b1", (y.a if y is not None and y.a else "1'b0")
        for i in range(16):
            A, B, C, D = i & 1, (i >> 1) & 1, (i >> 2) & 1, (i >> 3) & 1
            if C:
                init |= (x.at(A, B) ^ (y.at(D, 0) if y is not None else 0)) << i
        init = (init & ~0xF) | gen
    assert init & 0xF == gen
    return _Half(init, (a, b, c, d), out)


# -- the module --------------------------------------------------------------------------------
def emit(name: str, n_bits: int, classes: list[list[Dot]], sw: int, cw: int,
         rom_ports: int = 0) -> tuple[list[str], dict]:
    """`<name>_groupsum`: `bits` (the signals the dots read, `taps[i]` once registered) ->
    scores and best class; up to `rom_ports` tables among the leaves.
    Returns its lines and facts: stages, popcount_levels, argmax_levels, ccu2c, brams,
    table_bits (dots counted by tables), materialized."""
    C, G = len(classes), len(classes[0])
    em = _Emitter()
    # the taps get a register of their own here: the gate layers' registers are spread over
    # the die, and a carry chain after a long route was the slowest path
    # (possibly unread: when every counted bit is constant, or, with a table port for each
    # class, when every bit fits on tables, which register their own copies)
    unread = rom_ports >= C or not any(d.signals for ds in classes for d in ds)
    em.lines += (["    /* verilator lint_off UNUSEDSIGNAL */"] if unread else []) + [
        f"    reg [{n_bits - 1}:0] taps;", "    always @(posedge clk) taps <= bits;"] + (
        ["    /* verilator lint_on UNUSEDSIGNAL */"] if unread else [])
    roots, depths, n_mat, n_leaves = [], [], 0, 0
    for c, (dots, (roms, n_rom)) in enumerate(zip(classes, class_tables(classes, rom_ports))):
        t = tree(dots[n_rom:], f"c{c}") if n_rom < G else Tree([], [], [])
        for k, d in enumerate(t.materialized):
            em.lines.append(f"    wire c{c}_m{k} = {d.expr()};  // a two-signal dot that is 1 at (0, 0)")
        n_mat += len(t.materialized)
        at, placed = 0, []
        for rom in roms:
            placed.append((at + (len(rom.dots) - 1) / 2, ("rom", rom, len(rom.dots))))
            at += len(rom.dots)
        placed += [(n_rom + p, lf) for p, lf in t.leaves]
        places, leaves = [p for p, _ in placed], [lf for _, lf in placed]
        n_leaves += len(leaves)
        tag = f"c{c}_l1"
        em.tables(tag, roms)
        em.adders(tag, [lf[1] for lf in leaves if lf[0] == "adder"])
        cur, maxes = _register(em, tag, leaves)
        lead = 2 * bool(roms)   # clocks the tables add before the first adder level
        if roms:    # block RAMs sit in rows of their own, far from the adders: their outputs
            # get a register in the fabric, the other leaves (a clock earlier) two
            cur, maxes = _register(em, f"c{c}_l1o", [
                ("keep", b if lf[0] == "rom" else [em.delayed(x, 1) for x in b], m)
                for b, m, lf in zip(cur, maxes, leaves)])
        levels = merge_levels(len(leaves))
        cins = _cins_by_level(levels, [(n_rom + p, d) for p, d in t.cins])
        for lv, merges in enumerate(levels, start=2):
            tag = f"c{c}_l{lv}"
            order = _near_like(maxes, places, TABLE_BLOCK if roms else BLOCK)
            cur, maxes, places = ([v[i] for i in order] for v in (cur, maxes, places))
            two = [m for m in merges if len(m) == 2]
            got = iter(_match([(places[i] + places[j]) / 2 for i, j in two], cins[lv]))
            ads, nums, nxt = [], [], []
            for m in merges:
                nxt.append(sum(places[i] for i in m) / len(m))
                if len(m) == 1:
                    nums.append(("keep", cur[m[0]], maxes[m[0]]))
                    continue
                i, j = m
                cin = next(got)
                cin = em.dot_at(cin, lv - 1 + lead) if cin is not None else None
                total = min(maxes[i] + maxes[j] + (cin is not None), G)
                ad = Adder([sig(s) for s in cur[i]], [sig(s) for s in cur[j]], cin, total.bit_length())
                ads.append(ad)
                nums.append(("adder", ad, total))
            places = nxt
            em.adders(tag, ads)
            cur, maxes = _register(em, tag, nums)
        assert len(cur) == 1
        em.chains(f"c{c}", TABLE_CHAIN if roms else MAX_CHAIN)
        roots.append(cur[0])
        depths.append(1 + lead + len(levels))
    depth = max(depths)
    # classes whose trees came out shallower wait for the others
    roots = [[em.delayed(b, depth - dp) for b in r] for r, dp in zip(roots, depths)]
    head = [f"// GroupSum: {C} class(es) x {G} bits -> {sw}-bit popcount each, then argmax.",
            f"// Popcount: {n_leaves} leaf adder(s) in all, {depth} level(s), the last gate layer "
            f"folded in; `define {ECP5_DEFINE} for ECP5 CCU2C chains.",
            f"module {name}_groupsum (",
            "    input  wire clk,",
            f"    input  wire [{n_bits - 1}:0] bits,",
            f"    output wire [{C * sw - 1}:0] scores,",
            f"    output wire [{cw - 1}:0] best",
            ");"]
    body = em.lines
    out = head + body
    out.append(f"`ifdef {ECP5_DEFINE}")
    em.brams()
    out += em.ecp5
    if em.unused:
        out.append("    /* verilator lint_off UNUSEDSIGNAL */")
        out.append(f"    wire [{len(em.unused) - 1}:0] unused_cc = {{{', '.join(em.unused)}}};")
        out.append("    /* verilator lint_on UNUSEDSIGNAL */")
    out.append("`else")
    out += em.portable
    out.append("`endif")
    for c, r in enumerate(roots):
        bits = ["1'b0"] * (sw - len(r)) + list(reversed(r))
        out.append(f"    wire [{sw - 1}:0] score{c} = {{{', '.join(bits)}}};")
    out.append(f"    assign scores = {{{', '.join(f'score{c}' for c in reversed(range(C)))}}};")
    am, alevels = argmax(C, sw, cw)
    out += am
    out.append("endmodule")
    return out, {"stages": 1 + depth + 2 * alevels, "popcount_levels": depth, "argmax_levels": alevels,
                 "ccu2c": em.n_cc, "brams": -(-len(em.roms) // 2),
                 "table_bits": sum(len(r.dots) for r in em.roms), "materialized": n_mat}


def _register(em: _Emitter, tag: str, nums: list) -> tuple[list[list[str]], list[int]]:
    """One pipeline register over a level's numbers; returns their registered bits and maxima."""
    srcs, widths, maxes, direct = [], [], [], []
    for n in nums:
        direct.append(n[0] == "rom")
        if n[0] == "rom":   # registered in its block RAM (portable form: its own register)
            srcs.append(n[1].out)
            maxes.append(n[2])
        elif n[0] == "dot":   # a leaf of one dot: its LUT goes straight to the register
            srcs.append([n[1].expr()])
            maxes.append(1)
        elif n[0] == "keep":
            srcs.append(n[1])
            maxes.append(n[2])
        else:
            srcs.append(n[1].out)
            maxes.append(n[2])
        widths.append(len(srcs[-1]))
    flat = [s for src, dr in zip(srcs, direct) if not dr for s in src]
    if flat:
        em.lines.append(f"    reg [{len(flat) - 1}:0] {tag};")
        rows = [", ".join(flat[::-1][i:i + 8]) for i in range(0, len(flat), 8)]
        em.lines.append(f"    always @(posedge clk) {tag} <= {{\n        " + ",\n        ".join(rows) + "};")
    out, k = [], 0
    for src, w, dr in zip(srcs, widths, direct):
        out.append(list(src) if dr else [f"{tag}[{k + i}]" for i in range(w)])
        k += 0 if dr else w
    return out, maxes


def argmax(C: int, sw: int, cw: int) -> tuple[list[str], int]:
    """(score, class) pairs reduced in a balanced tree; the right operand wins only when
    strictly greater. Each level takes two clocks: compare (registered), then select, so that
    no stage holds more than one carry chain or one LUT level."""
    lines = []
    items = [(f"score{c}", f"{cw}'d{c}") for c in range(C)]
    alevel = 0
    while len(items) > 1:
        alevel += 1
        last = len(items) == 2  # the final level keeps only the index
        nxt = []
        lines.append(f"    // argmax level {alevel}: compare, then select (ties keep the lower class)")
        for j in range(0, len(items), 2):
            s, i = f"am{alevel}_s{j // 2}", f"am{alevel}_i{j // 2}"
            q = f"am{alevel}_{j // 2}"
            if j + 1 < len(items):
                (ls, li), (rs, ri) = items[j], items[j + 1]
                # rs > ls is the borrow of ls - rs: the carry chain's last bit goes straight
                # to a register (yosys' $gt would add a LUT tree after the chain)
                lines.append("    /* verilator lint_off UNUSEDSIGNAL */  // only the borrow is used")
                lines.append(f"    wire [{sw}:0] {q}_d = {{1'b0, {ls}}} - {{1'b0, {rs}}};")
                lines.append("    /* verilator lint_on UNUSEDSIGNAL */")
                lines.append(f"    reg {q}_gt;")
                if not last:
                    lines.append(f"    reg [{sw - 1}:0] {q}_ls, {q}_rs;")
                lines.append(f"    reg [{cw - 1}:0] {q}_li, {q}_ri;")
                lines.append("    always @(posedge clk) begin")
                lines.append(f"        {q}_gt <= {q}_d[{sw}];")
                if not last:
                    lines.append(f"        {q}_ls <= {ls};")
                    lines.append(f"        {q}_rs <= {rs};")
                lines.append(f"        {q}_li <= {li};")
                lines.append(f"        {q}_ri <= {ri};")
                lines.append("    end")
                if not last:
                    lines.append(f"    reg [{sw - 1}:0] {s};")
                lines.append(f"    reg [{cw - 1}:0] {i};")
                lines.append("    always @(posedge clk) begin")
                if not last:
                    lines.append(f"        {s} <= {q}_gt ? {q}_rs : {q}_ls;")
                lines.append(f"        {i} <= {q}_gt ? {q}_ri : {q}_li;")
                lines.append("    end")
            else:
                ls, li = items[j]
                lines.append(f"    reg [{sw - 1}:0] {q}_ls, {s};")
                lines.append(f"    reg [{cw - 1}:0] {q}_li, {i};")
                lines.append(f"    always @(posedge clk) begin {q}_ls <= {ls}; {q}_li <= {li}; "
                             f"{s} <= {q}_ls; {i} <= {q}_li; end")
            nxt.append((s, i))
        items = nxt
    lines.append(f"    assign best = {items[0][1]};")
    return lines, alevel
