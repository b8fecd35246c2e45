// SPDX-License-Identifier: MIT
// CRC-16/CCITT-FALSE over one byte (poly LGN_CRC_POLY, unreflected, no xorout), MSB first.
// `include inside a module body after lgn_protocol.vh.
// For the CCITT polynomial 0x1021 the eight shift/XOR steps reduce to three XORs of shifted
// copies of one byte (the classic byte-wise form; checked against the bit loop for every
// crc and byte); any other polynomial takes the bit loop.
function automatic [15:0] lgn_crc16_byte(input [15:0] crc_in, input [7:0] d);
    integer i;
    reg [15:0] c;
    reg [7:0] x;
    begin
        if (LGN_CRC_POLY == 16'h1021) begin
            x = crc_in[15:8] ^ d;
            x = x ^ (x >> 4);
            c = {crc_in[7:0], 8'h00} ^ {x[3:0], 12'h000} ^ {3'b000, x, 5'b00000} ^ {8'h00, x};
        end else begin
            c = crc_in ^ {d, 8'h00};
            for (i = 0; i < 8; i = i + 1)
                c = c[15] ? ((c << 1) ^ LGN_CRC_POLY) : (c << 1);
        end
        lgn_crc16_byte = c;
    end
endfunction
