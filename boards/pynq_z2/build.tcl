# SPDX-License-Identifier: MIT
# The PYNQ-Z2 engine bitstream and its PYNQ overlay description (Vivado 2022.1 or newer,
# project mode in batch; a block design needs a project):
#
#     vivado -mode batch -source boards/pynq_z2/build.tcl -tclargs OUTDIR
#
# writes OUTDIR/lgn_pynq.bit and OUTDIR/lgn_pynq.hwh (copy both next to the agent, or give
# the agent their path), OUTDIR/utilization.rpt and OUTDIR/timing_summary.rpt, and keeps the
# Vivado project in OUTDIR/vivado.
#
# The design: processing_system7 (FCLK_CLK0 100 MHz, M_AXI_GP0) -> AXI interconnect ->
# lgn_axi_top (rtl/hdl/lgn_axi_top.v, a module-reference cell named lgn_axi_top_0) at
# 0x43C0_0000, 64 KiB; proc_sys_reset makes the resets from FCLK_RESET0_N. Every fact this
# script needs (part, names, address, the wrapper's and the engine's parameters) comes from
# generated/build_params.tcl, which `python -m boards.pynq_z2 --header` makes from
# boards/pynq_z2/__init__.py and boards/registry.py ("pynq-z2"): nothing is restated here.
# tests/test_pynq_tcl.py checks this script against them and against lgn_axi_top's ports.

set here [file dirname [file normalize [info script]]]
set root [file normalize [file join $here .. ..]]
set hdl [file join $root rtl hdl]
source [file join $here generated build_params.tcl]

if {$argc < 1} {
    puts stderr "usage: vivado -mode batch -source build.tcl -tclargs OUTDIR"
    exit 2
}
set outdir [file normalize [lindex $argv 0]]
file mkdir $outdir

# Project and sources -----------------------------------------------------------------------
create_project -force lgn_pynq [file join $outdir vivado] -part $LGN_PART
set board_part [lindex [lsort [get_board_parts -quiet -latest_file_version *pynq-z2*]] end]
if {$board_part ne ""} {
    set_property board_part $board_part [current_project]
}
# every engine source (lgn_axi_top and what it instantiates; the other tops are never
# elaborated) and the headers they include, found through rtl/hdl as `include "generated/..."`
add_files -norecurse [glob [file join $hdl *.v]]
add_files -norecurse [glob [file join $hdl *.vh] [file join $hdl generated *.vh]]
set_property file_type {Verilog Header} [get_files *.vh]
set_property include_dirs [list $hdl [file join $hdl generated]] [get_filesets sources_1]
update_compile_order -fileset sources_1

# Block design --------------------------------------------------------------------------------
create_bd_design lgn
set ps [create_bd_cell -type ip -vlnv xilinx.com:ip:processing_system7:5.5 ps7]
if {$board_part ne ""} {
    # DDR, MIO, clocks of the board preset (the PYNQ-Z2 board files from TUL / Xilinx)
    apply_bd_automation -rule xilinx.com:bd_rule:processing_system7 \
        -config {make_external "FIXED_IO, DDR" apply_board_preset "1" Master "Disable" Slave "Disable"} $ps
} else {
    # No PYNQ-Z2 board files installed: the preset's essentials stated here. ASSUMED from the
    # PYNQ-Z2 reference manual and the TUL board files (not checked on a board by this
    # project): 50 MHz PS_CLK, 512 MiB DDR3 (MT41K256M16 RE-125, 16 bit) at 525 MHz, UART0 on
    # MIO 14-15, SD0 on MIO 40-45, Ethernet (RGMII) on MIO 16-27 with MDIO on 52-53, USB0 on
    # MIO 28-39, QSPI on MIO 1-6, bank 0 3.3 V and bank 1 1.8 V. Prefer installing the board
    # files: Linux's device tree (the PYNQ image's) expects the preset's peripherals.
    make_bd_intf_pins_external [get_bd_intf_pins ps7/DDR] [get_bd_intf_pins ps7/FIXED_IO]
    set_property -dict [list \
        CONFIG.PCW_CRYSTAL_PERIPHERAL_FREQMHZ {50} \
        CONFIG.PCW_APU_PERIPHERAL_FREQMHZ {650} \
        CONFIG.PCW_UIPARAM_DDR_PARTNO {MT41K256M16 RE-125} \
        CONFIG.PCW_UIPARAM_DDR_BUS_WIDTH {16 Bit} \
        CONFIG.PCW_UIPARAM_DDR_FREQ_MHZ {525} \
        CONFIG.PCW_PRESET_BANK0_VOLTAGE {LVCMOS 3.3V} \
        CONFIG.PCW_PRESET_BANK1_VOLTAGE {LVCMOS 1.8V} \
        CONFIG.PCW_QSPI_PERIPHERAL_ENABLE {1} \
        CONFIG.PCW_QSPI_GRP_SINGLE_SS_ENABLE {1} \
        CONFIG.PCW_UART0_PERIPHERAL_ENABLE {1} \
        CONFIG.PCW_UART0_UART0_IO {MIO 14 .. 15} \
        CONFIG.PCW_SD0_PERIPHERAL_ENABLE {1} \
        CONFIG.PCW_SD0_SD0_IO {MIO 40 .. 45} \
        CONFIG.PCW_ENET0_PERIPHERAL_ENABLE {1} \
        CONFIG.PCW_ENET0_ENET0_IO {MIO 16 .. 27} \
        CONFIG.PCW_ENET0_GRP_MDIO_ENABLE {1} \
        CONFIG.PCW_ENET0_GRP_MDIO_IO {MIO 52 .. 53} \
        CONFIG.PCW_USB0_PERIPHERAL_ENABLE {1} \
        CONFIG.PCW_USB0_USB0_IO {MIO 28 .. 39} \
    ] $ps
}
# What this design needs, whatever the preset says: the PL clock the engine build is made for
# (its CLOCK_HZ), its reset, and the general-purpose AXI master
set_property -dict [list \
    CONFIG.PCW_FPGA0_PERIPHERAL_FREQMHZ $LGN_FCLK0_MHZ \
    CONFIG.PCW_EN_CLK0_PORT {1} \
    CONFIG.PCW_EN_RST0_PORT {1} \
    CONFIG.PCW_USE_M_AXI_GP0 {1} \
] $ps
if {[dict get $LGN_PARAMS CLOCK_HZ] != $LGN_FCLK0_MHZ * 1000000} {
    error "the engine build's CLOCK_HZ [dict get $LGN_PARAMS CLOCK_HZ] is not FCLK_CLK0 ($LGN_FCLK0_MHZ MHz)"
}

set rst [create_bd_cell -type ip -vlnv xilinx.com:ip:proc_sys_reset:5.0 rst_ps7_fclk0]
set ic [create_bd_cell -type ip -vlnv xilinx.com:ip:axi_interconnect:2.1 axi_interconnect_0]
set_property -dict [list CONFIG.NUM_SI {1} CONFIG.NUM_MI {1}] $ic

# the wrapper, its parameters from the generated dict (CONFIG.<Verilog parameter name>)
set lgn [create_bd_cell -type module -reference $LGN_TOP $LGN_CELL]
set cfg {}
dict for {name value} $LGN_PARAMS {
    lappend cfg CONFIG.$name $value
}
set_property -dict $cfg $lgn

# clock and resets
set clk [get_bd_pins ps7/FCLK_CLK0]
connect_bd_net $clk [get_bd_pins ps7/M_AXI_GP0_ACLK] [get_bd_pins rst_ps7_fclk0/slowest_sync_clk] \
    [get_bd_pins axi_interconnect_0/ACLK] [get_bd_pins axi_interconnect_0/S00_ACLK] \
    [get_bd_pins axi_interconnect_0/M00_ACLK] [get_bd_pins $LGN_CELL/aclk]
connect_bd_net [get_bd_pins ps7/FCLK_RESET0_N] [get_bd_pins rst_ps7_fclk0/ext_reset_in]
connect_bd_net [get_bd_pins rst_ps7_fclk0/interconnect_aresetn] [get_bd_pins axi_interconnect_0/ARESETN]
connect_bd_net [get_bd_pins rst_ps7_fclk0/peripheral_aresetn] \
    [get_bd_pins axi_interconnect_0/S00_ARESETN] [get_bd_pins axi_interconnect_0/M00_ARESETN] \
    [get_bd_pins $LGN_CELL/aresetn]

# AXI: GP0 -> interconnect -> the wrapper's s_axi (Vivado infers the AXI4-Lite interface
# s_axi from the s_axi_* port names, with aclk and aresetn as its clock and reset)
connect_bd_intf_net [get_bd_intf_pins ps7/M_AXI_GP0] [get_bd_intf_pins axi_interconnect_0/S00_AXI]
connect_bd_intf_net [get_bd_intf_pins axi_interconnect_0/M00_AXI] [get_bd_intf_pins $LGN_CELL/s_axi]

# the register window: where the agent's pynq.MMIO maps it
assign_bd_address -offset $LGN_BASE -range $LGN_RANGE \
    -target_address_space [get_bd_addr_spaces ps7/Data] [get_bd_addr_segs $LGN_CELL/s_axi/*]

validate_bd_design
save_bd_design

# Synthesis, implementation, bitstream ---------------------------------------------------------
set bd [get_files lgn.bd]
generate_target all $bd
set wrapper [make_wrapper -files $bd -top]
add_files -norecurse $wrapper
set_property top lgn_wrapper [get_filesets sources_1]
update_compile_order -fileset sources_1

launch_runs impl_1 -to_step write_bitstream -jobs 4
wait_on_run impl_1
set impl [get_runs impl_1]
if {[get_property PROGRESS $impl] ne "100%" || [string match "*ERROR*" [get_property STATUS $impl]]} {
    error "implementation failed: [get_property STATUS $impl] (logs in [get_property DIRECTORY $impl])"
}

open_run impl_1
report_utilization -file [file join $outdir utilization.rpt]
report_timing_summary -file [file join $outdir timing_summary.rpt]

# The overlay: the bitstream and the hardware handoff, under one stem (pynq.Overlay finds the
# .hwh next to the .bit by name)
file copy -force [file join [get_property DIRECTORY $impl] lgn_wrapper.bit] \
    [file join $outdir $LGN_STEM.bit]
set hwh [lindex [get_files -all -of_objects $bd lgn.hwh] 0]
if {$hwh eq ""} {
    set hwh [lindex [glob -nocomplain [file join $outdir vivado lgn_pynq.gen sources_1 bd lgn hw_handoff lgn.hwh]] 0]
}
if {$hwh eq ""} {
    error "no hardware handoff (lgn.hwh) was generated"
}
file copy -force $hwh [file join $outdir $LGN_STEM.hwh]
puts "wrote [file join $outdir $LGN_STEM.bit] and [file join $outdir $LGN_STEM.hwh]"
