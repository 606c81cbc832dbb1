// Fully associative sun4v TLB (T1 ITLB/DTLB: 64 entries; T2 DTLB: 128) with partition ID,
// real bit, context, VA tag and page sizes 8K/64K/4M/256M (size n: 2^(13+3n) bytes);
// OpenSPARC T1 Micro Arch Spec 2.3.9/2.4.4, UA2007 ch. 14.  RTL twin of
// sun4v/cmt/tlb_model.py (TLBModel: the tags, TTE format and page sizes of the manuals, with
// used-bit replacement), checked cycle by cycle.  An entry never hits for another
// partition: the partition ID is part of every compare.
//
// Cycle semantics:
//   lookup  lk_valid with lk_va/lk_ctx/lk_pid/lk_real (ctx ignored when real) is
//           compared with the state at the start of the cycle; the result (hit,
//           hit_index, tte, pa, page_size) is registered: visible the next cycle with
//           res_valid.  A hit sets the entry's used bit.
//   op      one maintenance operation per cycle, applied after the lookup's used-bit
//           update, at the rising edge ending the cycle:
//           1 write: op_tte (sun4v TTE; V=0 invalidates) for op_va/op_ctx/op_pid/op_real
//             at op_index when op_index_valid, else at the entry with the same tag, else
//             the first free entry, else the first entry whose used bit is clear;
//             wr_index tells which (combinational).
//           2 demap page, 3 demap context, 4 demap all -- within partition op_pid.
//   Used bits: set on a hit or a write; when that would set every used bit, all the
//   others are cleared.  Invalid entries have their used bit clear.
module tlb #(
    parameter ENTRIES = 64,
    parameter IW = $clog2(ENTRIES)
) (
    input  logic          clk,
    input  logic          rst_n,
    // lookup
    input  logic          lk_valid,
    input  logic [63:0]   lk_va,
    input  logic [12:0]   lk_ctx,
    input  logic [2:0]    lk_pid,
    input  logic          lk_real,
    output logic          res_valid,
    output logic          hit,
    output logic [IW-1:0] hit_index,
    output logic [63:0]   tte,
    output logic [39:0]   pa,
    output logic [2:0]    page_size,
    // maintenance
    input  logic [2:0]    op,
    input  logic [63:0]   op_va,
    input  logic [12:0]   op_ctx,
    input  logic [2:0]    op_pid,
    input  logic          op_real,
    input  logic [63:0]   op_tte,
    input  logic          op_index_valid,
    input  logic [IW-1:0] op_index,
    output logic [IW-1:0] wr_index
);
    localparam OP_WRITE = 3'd1, OP_DEMAP_PAGE = 3'd2, OP_DEMAP_CTX = 3'd3, OP_DEMAP_ALL = 3'd4;

    logic [ENTRIES-1:0] v;              // key valid
    logic [ENTRIES-1:0] used;
    logic [ENTRIES-1:0] ereal;
    logic [2:0]         epid  [0:ENTRIES-1];
    logic [12:0]        ectx  [0:ENTRIES-1];
    logic [50:0]        etva  [0:ENTRIES-1];   // tag VA[63:13], page offset bits zero
    logic [63:0]        edata [0:ENTRIES-1];

    // VA[63:13] bits above the page offset of size n (bits 13+3n and up)
    function [50:0] hi_mask;
        input [2:0] n;
        hi_mask = {51{1'b1}} << (3 * n);
    endfunction
    function [63:0] off_mask;
        input [2:0] n;
        off_mask = ({64{1'b1}} << (13 + 3 * n)) ^ {64{1'b1}};
    endfunction

    // ---- lookup -------------------------------------------------------------------------
    logic          lk_found;
    logic [IW-1:0] lk_idx;
    logic [12:0]   lk_key_ctx;
    integer i;

    always @* begin
        lk_found = 1'b0;
        lk_idx = {IW{1'b0}};
        lk_key_ctx = lk_real ? 13'd0 : lk_ctx;
        for (i = 0; i < ENTRIES; i = i + 1)
            if (!lk_found && v[i] && epid[i] == lk_pid && ereal[i] == lk_real &&
                ectx[i] == lk_key_ctx &&
                ((etva[i] ^ lk_va[63:13]) & hi_mask(edata[i][2:0])) == 51'd0) begin
                lk_found = 1'b1;
                lk_idx = i[IW-1:0];
            end
    end

    // ---- used bits after the lookup, write target, demap matches ------------------------
    logic [ENTRIES-1:0] used_l, used_n, v_n, onehot, dm_hit;
    logic [ENTRIES-1:0] same_tag, free;
    logic [50:0]        wtva;
    logic [12:0]        wctx;
    logic               f_same, f_free, f_unused;
    logic [IW-1:0]      i_same, i_free, i_unused, widx;
    integer j;

    always @* begin
        used_l = used;
        if (lk_valid && lk_found) begin
            used_l[lk_idx] = 1'b1;
            if (&used_l)
                used_l = {{(ENTRIES-1){1'b0}}, 1'b1} << lk_idx;
        end
        wctx = op_real ? 13'd0 : op_ctx;
        wtva = op_va[63:13] & hi_mask(op_tte[2:0]);
        f_same = 1'b0; f_free = 1'b0; f_unused = 1'b0;
        i_same = {IW{1'b0}}; i_free = {IW{1'b0}}; i_unused = {IW{1'b0}};
        dm_hit = {ENTRIES{1'b0}};
        for (j = 0; j < ENTRIES; j = j + 1) begin
            same_tag[j] = v[j] && epid[j] == op_pid && ereal[j] == op_real && ectx[j] == wctx &&
                          etva[j] == wtva;
            free[j] = !v[j];
            if (!f_same && same_tag[j]) begin f_same = 1'b1; i_same = j[IW-1:0]; end
            if (!f_free && free[j]) begin f_free = 1'b1; i_free = j[IW-1:0]; end
            if (!f_unused && !used_l[j]) begin f_unused = 1'b1; i_unused = j[IW-1:0]; end
            if (v[j] && epid[j] == op_pid) begin
                case (op)
                    OP_DEMAP_ALL:  dm_hit[j] = 1'b1;
                    OP_DEMAP_CTX:  dm_hit[j] = !ereal[j] && ectx[j] == op_ctx;
                    OP_DEMAP_PAGE: dm_hit[j] = ereal[j] == op_real && (op_real || ectx[j] == op_ctx) &&
                                   ((etva[j] ^ op_va[63:13]) & hi_mask(edata[j][2:0])) == 51'd0;
                    default:       dm_hit[j] = 1'b0;
                endcase
            end
        end
        widx = op_index_valid ? op_index : f_same ? i_same : f_free ? i_free : i_unused;
        wr_index = widx;
        onehot = {{(ENTRIES-1){1'b0}}, 1'b1} << widx;
        used_n = used_l;
        v_n = v;
        if (op == OP_WRITE) begin
            if (op_tte[63]) begin
                v_n = v | onehot;
                used_n = used_l | onehot;
                if (&used_n)
                    used_n = onehot;
            end else begin
                v_n = v & ~onehot;
                used_n = used_l & ~onehot;
            end
        end else if (op == OP_DEMAP_PAGE || op == OP_DEMAP_CTX || op == OP_DEMAP_ALL) begin
            v_n = v & ~dm_hit;
            used_n = used_l & ~dm_hit;
        end
    end

    // ---- registers ----------------------------------------------------------------------
    integer k;
    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            v <= {ENTRIES{1'b0}};
            used <= {ENTRIES{1'b0}};
            res_valid <= 1'b0;
            hit <= 1'b0;
            hit_index <= {IW{1'b0}};
            tte <= 64'd0;
            pa <= 40'd0;
            page_size <= 3'd0;
            for (k = 0; k < ENTRIES; k = k + 1) begin
                ereal[k] <= 1'b0;
                epid[k] <= 3'd0;
                ectx[k] <= 13'd0;
                etva[k] <= 51'd0;
                edata[k] <= 64'd0;
            end
        end else begin
            res_valid <= lk_valid;
            hit <= lk_valid && lk_found;
            hit_index <= (lk_valid && lk_found) ? lk_idx : {IW{1'b0}};
            tte <= (lk_valid && lk_found) ? edata[lk_idx] : 64'd0;
            pa <= (lk_valid && lk_found) ?
                  ((edata[lk_idx][39:0] & ~off_mask(edata[lk_idx][2:0])) |
                   (lk_va[39:0] & off_mask(edata[lk_idx][2:0]))) : 40'd0;
            page_size <= (lk_valid && lk_found) ? edata[lk_idx][2:0] : 3'd0;
            v <= v_n;
            used <= used_n;
            if (op == OP_WRITE) begin
                edata[widx] <= op_tte;
                if (op_tte[63]) begin
                    ereal[widx] <= op_real;
                    epid[widx] <= op_pid;
                    ectx[widx] <= wctx;
                    etva[widx] <= wtva;
                end
            end else if (op == OP_DEMAP_PAGE || op == OP_DEMAP_CTX || op == OP_DEMAP_ALL) begin
                for (k = 0; k < ENTRIES; k = k + 1)
                    if (dm_hit[k])
                        edata[k][63] <= 1'b0;
            end
        end
    end
endmodule
