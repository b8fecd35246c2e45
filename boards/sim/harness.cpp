// SPDX-License-Identifier: MIT
// The virtual board's C++ harness: the Verilated lgn_sim_top clocked in a tight loop, with
// a plain C API for ctypes (boards/sim/__init__.py). Bytes move in bulk: vb_write() queues
// host bytes, vb_step() clocks the RTL until the queue is drained and the core is idle, and
// vb_read() hands back the reply bytes. With BAUD > 0 the bytes go through the RTL UART:
// this file serialises host bytes onto rxd and deserialises txd at the simulated baud.
#include <cstdint>
#include <cstring>
#include <deque>
#include <random>
#include <type_traits>
#include <vector>

#include "Vlgn_sim_top.h"
#include "verilated.h"

#ifdef VB_FAST_EVAL
// Verilator 5's generated per-timestep evaluation, called directly: eval() adds only debug
// assertions and the end-of-eval flush of the thread message queue (used by $display and
// friends from other threads, none here), which cost ~15% of a clock at this design size.
// The build falls back to eval() when a Verilator version names this differently.
#include "Vlgn_sim_top___024root.h"
void Vlgn_sim_top___024root___eval(Vlgn_sim_top___024root *vlSelf);
static inline void fast_eval(Vlgn_sim_top *t) { Vlgn_sim_top___024root___eval(t->rootp); }
#else
static inline void fast_eval(Vlgn_sim_top *t) { t->eval(); }
#endif

#ifndef VB_BAUD
#define VB_BAUD 0
#endif
#ifndef VB_CLK_HZ
#define VB_CLK_HZ 50000000
#endif
#ifndef VB_IN_BYTES
#define VB_IN_BYTES 1       // lgn_sim_top IN_BYTES_PER_CLK
#endif
#ifndef VB_OUT_BYTES
#define VB_OUT_BYTES 1      // lgn_sim_top OUT_BYTES_PER_CLK
#endif
static_assert(VB_IN_BYTES >= 1 && VB_IN_BYTES <= 9, "in_data2 must fit 64 bits");
static_assert(VB_OUT_BYTES >= 1 && VB_OUT_BYTES <= 8, "out_data must fit 64 bits");
#ifndef VB_FLIP_BITS
#define VB_FLIP_BITS 1024   // GATES_PER_CYCLE * LANES
#endif

namespace {

// A bit-serial 8N1 line at VB_BAUD in simulated clocks (fixed point, 8 fractional bits).
struct SerialOut {   // host -> board (drives rxd)
    uint64_t per_bit_q8 = 0, t_q8 = 0, next_q8 = 0;
    int bit = -1;     // -1 idle, 0 start, 1..8 data, 9 stop
    uint8_t byte = 0;
    int level = 1;
};
struct SerialIn {    // board -> host (samples txd)
    uint64_t per_bit_q8 = 0, t_q8 = 0, sample_q8 = 0;
    int bit = -1;
    uint8_t byte = 0;
    int prev = 1;
};

struct Board {
    VerilatedContext ctx;
    Vlgn_sim_top *top = nullptr;
    std::deque<uint8_t> inq;
    std::vector<uint8_t> outq;
    uint64_t cycles = 0;
    SerialOut so;
    SerialIn si;
    // flip faults: each gate-output bit of each evaluated word flips with probability p
    double flip_p = 0.0;
    std::mt19937_64 rng{1};
    std::geometric_distribution<uint64_t> gap{0.5};
    uint64_t flip_next = 0;   // bit positions until the next flip (across cycles)

    void tick() {   // full evaluation (start-up, configuration)
        top->clk = 0;
        top->eval();
        top->clk = 1;
        top->eval();
        ++cycles;
    }
    void fast_tick() {
        top->clk = 0;
        fast_eval(top);
        top->clk = 1;
        fast_eval(top);
        ++cycles;
    }
};

// The flip_mask port is a VlWide array above 64 bits and a plain integer below.
#if VB_FLIP_BITS > 64
void clear_mask(Vlgn_sim_top *t) {
    for (int w = 0; w < (VB_FLIP_BITS + 31) / 32; ++w) t->flip_mask[w] = 0;
}
void set_mask_bit(Vlgn_sim_top *t, uint64_t pos) { t->flip_mask[pos / 32] |= 1u << (pos % 32); }
#else
void clear_mask(Vlgn_sim_top *t) { t->flip_mask = 0; }
void set_mask_bit(Vlgn_sim_top *t, uint64_t pos) {
    t->flip_mask |= std::remove_reference_t<decltype(t->flip_mask)>(1) << pos;
}
#endif

void set_flips(Board *b) {
    // Draw the flip mask for this clock: positions with geometric gaps (cheap when p is small).
    clear_mask(b->top);
    uint64_t pos = b->flip_next;
    while (pos < VB_FLIP_BITS) {
        set_mask_bit(b->top, pos);
        pos += 1 + b->gap(b->rng);
    }
    b->flip_next = pos - VB_FLIP_BITS;
}

}  // namespace

extern "C" {

void *vb_new(uint64_t seed) {
    Board *b = new Board();
    b->ctx.randReset(0);
    b->top = new Vlgn_sim_top(&b->ctx);
    b->rng.seed(seed);
    b->top->rxd = 1;
    b->top->in_valid = 0;
    b->top->in_valid2 = 0;
    b->top->out_ready = 1;
    b->top->fault_we = 0;
    b->top->rst = 1;
    for (int i = 0; i < 4; ++i) b->tick();
    b->top->rst = 0;
    // a board top synchronises its reset and holds it a few clocks more (lgn_ulx3s_top):
    // wait that out before the first start bit
    for (int i = 0; i < (VB_BAUD > 0 ? 64 : 1); ++i) b->tick();
    b->cycles = 0;
    if (VB_BAUD > 0) {
        uint64_t q8 = (uint64_t(VB_CLK_HZ) * 256 + VB_BAUD / 2) / VB_BAUD;
        b->so.per_bit_q8 = q8;
        b->si.per_bit_q8 = q8;
    }
    return b;
}

void vb_free(void *h) {
    Board *b = static_cast<Board *>(h);
    b->top->final();
    delete b->top;
    delete b;
}

void vb_write(void *h, const uint8_t *data, uint64_t n) {
    Board *b = static_cast<Board *>(h);
    b->inq.insert(b->inq.end(), data, data + n);
}

uint64_t vb_pending_out(void *h) { return static_cast<Board *>(h)->outq.size(); }

uint64_t vb_read(void *h, uint8_t *buf, uint64_t max) {
    Board *b = static_cast<Board *>(h);
    uint64_t n = b->outq.size() < max ? b->outq.size() : max;
    if (n) {
        std::memcpy(buf, b->outq.data(), n);
        b->outq.erase(b->outq.begin(), b->outq.begin() + n);
    }
    return n;
}

uint64_t vb_cycles(void *h) { return static_cast<Board *>(h)->cycles; }

int vb_fast_eval() {
#ifdef VB_FAST_EVAL
    return 1;
#else
    return 0;
#endif
}

void vb_stuck(void *h, uint32_t gate_slot, int enable, int value) {
    Board *b = static_cast<Board *>(h);
    b->top->fault_we = 1;
    b->top->fault_gate = gate_slot;
    b->top->fault_stuck = (enable ? 2 : 0) | (value ? 1 : 0);
    b->tick();
    b->top->fault_we = 0;
    b->cycles--;   // configuring the simulated board is not board time
}

void vb_flip(void *h, double p) {
    Board *b = static_cast<Board *>(h);
    b->flip_p = p;
    if (p > 0.0) {
        b->gap = std::geometric_distribution<uint64_t>(p);
        b->flip_next = b->gap(b->rng);
    } else {
        clear_mask(b->top);
    }
}

// Clock until every queued host byte has been taken, the core is idle and the last reply
// byte is out (or max_cycles pass). Returns the clocks run.
uint64_t vb_step(void *h, uint64_t max_cycles) {
    Board *b = static_cast<Board *>(h);
    Vlgn_sim_top *t = b->top;
    const uint64_t start = b->cycles;
    int quiet = 0;   // clocks in a row with nothing left to do
    while (b->cycles - start < max_cycles) {
        if (b->flip_p > 0.0) set_flips(b);
        if (VB_BAUD == 0) {
            // handshakes for the coming edge (in_ready / out_valid do not depend on the inputs)
            if (t->out_valid) {   // the valid reply bytes are the low ones
                uint64_t ov = t->out_valid, od = t->out_data;
                for (int k = 0; k < VB_OUT_BYTES && ((ov >> k) & 1); ++k)
                    b->outq.push_back(uint8_t(od >> (8 * k)));
            }
            // up to VB_IN_BYTES bytes a clock; a 0x00 delimiter only ever goes last
            size_t have = b->inq.size();
            t->in_valid = have > 0;
            t->in_valid2 = 0;
            if (have) {
                uint8_t b0 = b->inq[0];
                t->in_data = b0;
                size_t n = 1;
                if (VB_IN_BYTES > 1 && b0 != 0) {
                    uint64_t more = 0;
                    size_t lim = have < size_t(VB_IN_BYTES) ? have : size_t(VB_IN_BYTES);
                    while (n < lim) {
                        uint8_t c = b->inq[n];
                        more |= uint64_t(c) << (8 * (n - 1));
                        ++n;
                        if (c == 0) break;
                    }
                    t->in_data2 = more;
                    t->in_valid2 = (1u << (n - 1)) - 1;
                }
                if (t->in_ready) b->inq.erase(b->inq.begin(), b->inq.begin() + n);
            }
            b->fast_tick();
            if (b->inq.empty() && t->idle && !t->out_valid) {
                if (++quiet >= 2) break;
            } else quiet = 0;
        } else {
            // host -> rxd
            SerialOut &so = b->so;
            so.t_q8 += 256;
            if (so.bit < 0) {
                if (!b->inq.empty()) {
                    so.byte = b->inq.front();
                    b->inq.pop_front();
                    so.bit = 0;
                    so.level = 0;
                    so.next_q8 = so.t_q8 + so.per_bit_q8;
                }
            } else if (so.t_q8 >= so.next_q8) {
                so.bit++;
                so.next_q8 += so.per_bit_q8;
                if (so.bit <= 8) so.level = (so.byte >> (so.bit - 1)) & 1;
                else if (so.bit == 9) so.level = 1;
                else so.bit = -1;   // stop bit done
            }
            t->rxd = so.level;
            b->fast_tick();
            // txd -> host: find the start edge, sample mid-bit
            SerialIn &si = b->si;
            si.t_q8 += 256;
            int line = t->txd;
            if (si.bit < 0) {
                if (si.prev == 1 && line == 0) {
                    si.bit = 0;
                    si.sample_q8 = si.t_q8 + si.per_bit_q8 / 2;
                }
            } else if (si.t_q8 >= si.sample_q8) {
                if (si.bit == 0) {
                    if (line) si.bit = -1;   // glitch
                    else si.bit = 1;
                } else if (si.bit <= 8) {
                    si.byte = (si.byte >> 1) | (line ? 0x80 : 0);
                    si.bit++;
                } else {
                    if (line) b->outq.push_back(si.byte);
                    si.bit = -1;
                }
                if (si.bit > 0) si.sample_q8 += si.per_bit_q8;
            }
            si.prev = line;
            if (b->inq.empty() && so.bit < 0 && si.bit < 0 && t->idle && line) {
                if (++quiet >= 64) break;
            } else quiet = 0;
        }
    }
    return b->cycles - start;
}

}  // extern "C"
