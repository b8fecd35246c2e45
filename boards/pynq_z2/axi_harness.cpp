// SPDX-License-Identifier: MIT
// SimHw's C++ harness (boards/pynq_z2/hw.py): the Verilated lgn_axi_top (rtl/hdl/lgn_axi_top.v)
// behind a minimal AXI4-Lite master with a plain C API for ctypes. Each call runs whole bus
// transactions, clocking the model as they need (AW and W together, then B; AR, then R), so
// the simulated time is what the bus would take at one transaction at a time; axi_step()
// clocks an idle bus (the host busy elsewhere, or waiting).
#include <cstdint>

#include "Vlgn_axi_top.h"
#include "verilated.h"

#ifdef AXI_FAST_EVAL
// Verilator 5's per-timestep evaluation called directly (as boards/sim/harness.cpp does);
// the build falls back to eval() when this Verilator names it differently.
#include "Vlgn_axi_top___024root.h"
void Vlgn_axi_top___024root___eval(Vlgn_axi_top___024root *vlSelf);
static inline void fast_eval(Vlgn_axi_top *t) { Vlgn_axi_top___024root___eval(t->rootp); }
#else
static inline void fast_eval(Vlgn_axi_top *t) { t->eval(); }
#endif

namespace {

// Transactions that see no handshake for this many clocks mean a broken slave: give up.
constexpr uint64_t HANG_CLOCKS = 1u << 20;

struct Axi {
    VerilatedContext ctx;
    Vlgn_axi_top *top = nullptr;
    uint64_t cycles = 0;
    int hung = 0;

    // State between calls: clock low, inputs settled.
    void settle() { fast_eval(top); }
    void edge() {
        top->aclk = 1;
        fast_eval(top);
        top->aclk = 0;
        fast_eval(top);
        ++cycles;
    }

    void write(uint32_t addr, uint32_t data, uint32_t strb) {
        top->s_axi_awaddr = addr;
        top->s_axi_awprot = 0;
        top->s_axi_wdata = data;
        top->s_axi_wstrb = strb & 0xF;
        top->s_axi_awvalid = 1;
        top->s_axi_wvalid = 1;
        top->s_axi_bready = 1;
        bool aw = true, w = true, b = true;
        for (uint64_t n = 0; aw || w || b; ++n) {
            if (n > HANG_CLOCKS) { hung = 1; break; }
            settle();
            bool aw_hs = aw && top->s_axi_awready;
            bool w_hs = w && top->s_axi_wready;
            bool b_hs = !aw && !w && top->s_axi_bvalid;
            edge();
            if (aw_hs) { aw = false; top->s_axi_awvalid = 0; }
            if (w_hs) { w = false; top->s_axi_wvalid = 0; }
            if (b_hs) b = false;
        }
        top->s_axi_awvalid = 0;
        top->s_axi_wvalid = 0;
        settle();
    }

    uint32_t read(uint32_t addr) {
        top->s_axi_araddr = addr;
        top->s_axi_arprot = 0;
        top->s_axi_arvalid = 1;
        top->s_axi_rready = 1;
        uint32_t data = 0;
        bool ar = true, r = true;
        for (uint64_t n = 0; ar || r; ++n) {
            if (n > HANG_CLOCKS) { hung = 1; break; }
            settle();
            bool ar_hs = ar && top->s_axi_arready;
            bool r_hs = !ar && top->s_axi_rvalid;
            if (r_hs) data = top->s_axi_rdata;
            edge();
            if (ar_hs) { ar = false; top->s_axi_arvalid = 0; }
            if (r_hs) r = false;
        }
        top->s_axi_arvalid = 0;
        settle();
        return data;
    }
};

}  // namespace

extern "C" {

void *axi_new() {
    Axi *a = new Axi;
    a->ctx.randReset(0);
    a->top = new Vlgn_axi_top{&a->ctx};
    Vlgn_axi_top *t = a->top;
    t->aclk = 0;
    t->aresetn = 0;
    t->s_axi_awvalid = t->s_axi_wvalid = t->s_axi_arvalid = 0;
    t->s_axi_bready = t->s_axi_rready = 0;
    t->eval();
    for (int i = 0; i < 16; ++i) a->edge();
    t->aresetn = 1;
    for (int i = 0; i < 16; ++i) a->edge();
    return a;
}

void axi_free(void *h) {
    Axi *a = static_cast<Axi *>(h);
    a->top->final();
    delete a->top;
    delete a;
}

uint32_t axi_read(void *h, uint32_t addr) { return static_cast<Axi *>(h)->read(addr); }

void axi_write(void *h, uint32_t addr, uint32_t data, uint32_t strb) {
    static_cast<Axi *>(h)->write(addr, data, strb);
}

// n full-word writes to the same address (the IN window: n pushes).
void axi_write_words(void *h, uint32_t addr, const uint32_t *words, uint64_t n) {
    Axi *a = static_cast<Axi *>(h);
    for (uint64_t i = 0; i < n && !a->hung; ++i) a->write(addr, words[i], 0xF);
}

// n reads of the same address (the OUT window: n pops).
void axi_read_words(void *h, uint32_t addr, uint32_t *out, uint64_t n) {
    Axi *a = static_cast<Axi *>(h);
    for (uint64_t i = 0; i < n && !a->hung; ++i) out[i] = a->read(addr);
}

void axi_step(void *h, uint64_t n) {
    Axi *a = static_cast<Axi *>(h);
    for (uint64_t i = 0; i < n; ++i) a->edge();
}

uint64_t axi_cycles(void *h) { return static_cast<Axi *>(h)->cycles; }

int axi_hung(void *h) { return static_cast<Axi *>(h)->hung; }

}  // extern "C"
