// SPDX-License-Identifier: MIT
// Sizes of lgn_core's memories and fields, derived once from its parameters (LANES,
// GATES_PER_CYCLE, MAX_INPUTS, MAX_WIDTH, MAX_LAYERS, MAX_GATES, MAX_CLASSES, MAX_BODY,
// FRAME_BUFS). `include inside the body of a module that has those parameters, after
// generated/lgn_protocol.vh; lgn_core and its parts (framer, command handler, gate engine,
// reply streamer) all take them, so every part sizes the fields they share alike.
/* verilator lint_off UNUSEDPARAM */
localparam integer L        = LANES;
localparam integer G        = GATES_PER_CYCLE;
localparam integer LG       = (L > 1) ? $clog2(L) : 1;
localparam integer GG       = (G > 1) ? $clog2(G) : 1;           // a slot's bits (>= 1)
localparam integer LOG_G    = $clog2(G);                         // words = gates >> LOG_G
localparam integer IN_BYTES = (MAX_INPUTS + 7) / 8;                 // bytes of a packed sample
// frame store: FRAME_BUFS buffers of FS_DEPTH words of L bytes (a RUN's samples take
// ceil(count/L) * ceil(inputs/8) words; every other body is stored at offset/L)
localparam integer FS_DEPTH = MAX_BODY / L + IN_BYTES + 1;
localparam integer FS_WORDS = FS_DEPTH * FRAME_BUFS;
localparam integer FSW      = $clog2(FS_WORDS);
// activation buffers (ADEPTH words of L bits) and gate memories (G of GWORDS words)
localparam integer ADEPTH   = (IN_BYTES * 8 > MAX_WIDTH) ? IN_BYTES * 8 : MAX_WIDTH;
localparam integer AW       = $clog2(ADEPTH);
localparam integer GWORDS   = MAX_GATES / G;
localparam integer GAW      = (GWORDS > 1) ? $clog2(GWORDS) : 1;
localparam integer GB       = 2 * AW + 4;                            // a, b, op (4-bit truth table)
localparam integer SB       = $clog2(MAX_WIDTH + 1);                 // score bits
localparam integer CW       = (MAX_CLASSES > 1) ? $clog2(MAX_CLASSES) : 1;
localparam integer KW       = (MAX_LAYERS > 1) ? $clog2(MAX_LAYERS) : 1;
// frames and replies
localparam integer MAX_PAYLOAD = MAX_BODY + 32'(LGN_MIN_PAYLOAD);    // header, body, crc
localparam integer RA       = $clog2(MAX_BODY);                      // result memory, one bank
localparam integer RECW     = 32'(LGN_SCORE_BYTES) * MAX_CLASSES + 32'(LGN_PRED_BYTES);   // a scores record
// the reply body head the handler hands to the reply streamer: the largest fixed body
localparam integer HB_IS    = 32'((LGN_INFO_BODY_BYTES > LGN_STATUS_BODY_BYTES)
                                  ? LGN_INFO_BODY_BYTES : LGN_STATUS_BODY_BYTES);
localparam integer HB_ER    = 32'((LGN_ERROR_BODY_BYTES > LGN_RUN_REPLY_FIXED_BYTES)
                                  ? LGN_ERROR_BODY_BYTES : LGN_RUN_REPLY_FIXED_BYTES);
localparam integer HB       = (HB_IS > HB_ER) ? HB_IS : HB_ER;
localparam integer HBW      = $clog2(HB);
/* verilator lint_on UNUSEDPARAM */
