// SPDX-License-Identifier: MIT
// The ECP5 PLL (EHXPLLL) that makes the engine clock from the board oscillator:
// f_out = f_in * CLKFB_DIV / CLKI_DIV, with the VCO at f_out * CLKOP_DIV (400..800 MHz) and
// feedback from CLKOP. boards/ulx3s/__init__.py `pll()` picks the dividers.
// In simulation (no SYNTHESIS define: Verilator, Icarus) the PLL is a wire and `locked` is
// high: the testbench drives clk_in at the PLL's output frequency.
module lgn_ecp5_pll #(
    parameter integer CLKI_DIV  = 5,
    parameter integer CLKFB_DIV = 12,
    parameter integer CLKOP_DIV = 10
) (
    input  wire clk_in,
    output wire clk_out,
    output wire locked
);
`ifdef SYNTHESIS
    (* FREQUENCY_PIN_CLKI = "25" *)
    EHXPLLL #(
        .PLLRST_ENA("DISABLED"), .INTFB_WAKE("DISABLED"), .STDBY_ENABLE("DISABLED"),
        .DPHASE_SOURCE("DISABLED"), .OUTDIVIDER_MUXA("DIVA"), .OUTDIVIDER_MUXB("DIVB"),
        .OUTDIVIDER_MUXC("DIVC"), .OUTDIVIDER_MUXD("DIVD"),
        .CLKI_DIV(CLKI_DIV), .CLKFB_DIV(CLKFB_DIV), .FEEDBK_PATH("CLKOP"),
        .CLKOP_ENABLE("ENABLED"), .CLKOP_DIV(CLKOP_DIV), .CLKOP_CPHASE((CLKOP_DIV - 1) / 2),
        .CLKOP_FPHASE(0)
    ) u_pll (
        .RST(1'b0), .STDBY(1'b0), .CLKI(clk_in), .CLKOP(clk_out), .CLKFB(clk_out),
        .CLKINTFB(), .PHASESEL0(1'b0), .PHASESEL1(1'b0), .PHASEDIR(1'b1), .PHASESTEP(1'b1),
        .PHASELOADREG(1'b1), .PLLWAKESYNC(1'b0), .ENCLKOP(1'b0), .LOCK(locked)
    );
`else
    assign clk_out = clk_in;
    assign locked = 1'b1;
`endif
endmodule
