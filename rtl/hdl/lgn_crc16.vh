// SPDX-License-Identifier: MIT
// CRC-16/CCITT-FALSE over one byte (poly LGN_CRC_POLY, unreflected, no xorout), MSB first.
// `include inside a module body after lgn_protocol.vh.
function automatic [15:0] lgn_crc16_byte(input [15:0] crc_in, input [7:0] d);
    integer i;
    reg [15:0] c;
    begin
        c = crc_in ^ {d, 8'h00};
        for (i = 0; i < 8; i = i + 1)
            c = c[15] ? ((c << 1) ^ LGN_CRC_POLY) : (c << 1);
        lgn_crc16_byte = c;
    end
endfunction
