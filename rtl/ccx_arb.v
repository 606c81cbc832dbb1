// Core-to-L2 crossbar (CCX) arbiter for one destination, as on the T1 PCX (OpenSPARC T1
// Micro Arch Spec ch. 3; ccx_arbctl.v, ccx_arb_srcq.v).  RTL twin of sun4v/cmt/ccx.py
// (enqueue/arbitrate for one destination d), checked cycle by cycle.
//
// Each source has a QDEPTH-entry queue; age is kept by a FIFO_DEPTH-deep FIFO of arrival
// vectors (one bit per source, one vector per cycle in which requests arrived).  The
// oldest vector is served first; within it a fixed-priority scan whose direction flips
// every cycle (cycle parity 0: source 0 upward, 1: source NSRC-1 downward).  A request is
// eligible MIN_GRANT cycles after its arrival cycle (>= 1).
//
// Cycle semantics (cycle "now" = number of rising edges since reset was released; as in
// the cycle model, the grant of a cycle comes before the requests of that cycle):
//   gnt_valid/gnt_src/gnt_payload: combinational from the state (arbitrate(A, d, now)).
//   full[s]: source s's queue is full even after this cycle's grant; a request with
//            full[s] set is refused (enqueue returns False), others are queued at the
//            rising edge that ends the cycle (enqueue(A, d, s, payload, now)).
module ccx_arb #(
    parameter NSRC = 8,
    parameter PW = 64,
    parameter QDEPTH = 2,
    parameter FIFO_DEPTH = 16,
    parameter MIN_GRANT = 2,
    parameter SW = $clog2(NSRC)
) (
    input  logic               clk,
    input  logic               rst_n,
    input  logic [NSRC-1:0]    req,
    input  logic [NSRC*PW-1:0] req_payload,   // source s in bits [s*PW +: PW]
    output logic [NSRC-1:0]    full,
    output logic               gnt_valid,
    output logic [SW-1:0]      gnt_src,
    output logic [PW-1:0]      gnt_payload
);
    localparam FW = $clog2(FIFO_DEPTH);        // FIFO index width
    localparam CW = $clog2(FIFO_DEPTH + 1);    // FIFO count width
    localparam QW = (QDEPTH > 1) ? $clog2(QDEPTH) : 1;
    localparam NW = $clog2(QDEPTH + 1);
    localparam AW = 4;                         // age counter (saturates at MIN_GRANT)

    // ---- state --------------------------------------------------------------------------
    logic [FIFO_DEPTH*NSRC-1:0] vec;           // arrival vector i in [i*NSRC +: NSRC]
    logic [FIFO_DEPTH*AW-1:0]   age;           // min(now - arrival cycle, MIN_GRANT)
    logic [FW-1:0]              head;
    logic [CW-1:0]              cnt;
    logic [NSRC*QDEPTH*PW-1:0]  qmem;          // source s slot k at [(s*QDEPTH+k)*PW +: PW]
    logic [NSRC*QW-1:0]         qh;
    logic [NSRC*NW-1:0]         qn;
    logic                       parity;        // now & 1

    // ---- arbitration (combinational) ----------------------------------------------------
    logic [NSRC-1:0] hv;
    logic [AW-1:0]   hage;
    logic            found;
    logic [SW-1:0]   src;
    integer a, b, c;

    always_comb begin
        hv = vec[head*NSRC +: NSRC];
        hage = age[head*AW +: AW];
        found = 1'b0;
        src = {SW{1'b0}};
        if (cnt != 0 && hage >= MIN_GRANT) begin
            if (parity) begin
                for (a = NSRC - 1; a >= 0; a = a - 1)
                    if (!found && hv[a]) begin
                        found = 1'b1;
                        src = a[SW-1:0];
                    end
            end else begin
                for (a = 0; a < NSRC; a = a + 1)
                    if (!found && hv[a]) begin
                        found = 1'b1;
                        src = a[SW-1:0];
                    end
            end
        end
        gnt_valid = found;
        gnt_src = src;
        gnt_payload = qmem[(src*QDEPTH + qh[src*QW +: QW])*PW +: PW];
    end

    // ---- backpressure and next state ----------------------------------------------------
    logic [NSRC-1:0]            acc;
    logic [NSRC*NW-1:0]         qn_g;          // queue counts after this cycle's grant
    logic [FIFO_DEPTH*NSRC-1:0] vec_n;
    logic [FIFO_DEPTH*AW-1:0]   age_n;
    logic [FW-1:0]              head_n;
    logic [CW-1:0]              cnt_n;
    logic [NSRC*QDEPTH*PW-1:0]  qmem_n;
    logic [NSRC*QW-1:0]         qh_n;
    logic [NSRC*NW-1:0]         qn_n;
    logic [FW-1:0]              tail;
    logic [QW-1:0]              slot;
    logic [NW:0]                sum;

    always_comb begin
        qn_g = qn;
        qh_n = qh;
        vec_n = vec;
        head_n = head;
        cnt_n = cnt;
        qmem_n = qmem;
        for (b = 0; b < FIFO_DEPTH; b = b + 1)
            age_n[b*AW +: AW] = (age[b*AW +: AW] >= MIN_GRANT) ? age[b*AW +: AW]
                                                               : age[b*AW +: AW] + 1'b1;
        if (found) begin
            vec_n[head*NSRC + src] = 1'b0;
            if ((hv & ~({{(NSRC-1){1'b0}}, 1'b1} << src)) == {NSRC{1'b0}}) begin
                head_n = (head == FIFO_DEPTH - 1) ? {FW{1'b0}} : head + 1'b1;
                cnt_n = cnt - 1'b1;
            end
            qh_n[src*QW +: QW] = (qh[src*QW +: QW] == QDEPTH - 1) ? {QW{1'b0}}
                                                                  : qh[src*QW +: QW] + 1'b1;
            qn_g[src*NW +: NW] = qn[src*NW +: NW] - 1'b1;
        end
        for (b = 0; b < NSRC; b = b + 1)
            full[b] = (qn_g[b*NW +: NW] >= QDEPTH);
        acc = req & ~full;
        qn_n = qn_g;
        for (b = 0; b < NSRC; b = b + 1)
            if (acc[b]) begin
                // tail slot (qh + qn) mod QDEPTH is the same before and after a grant
                sum = qh[b*QW +: QW] + qn[b*NW +: NW];
                slot = (sum >= QDEPTH) ? sum - QDEPTH : sum;
                qmem_n[(b*QDEPTH + slot)*PW +: PW] = req_payload[b*PW +: PW];
                qn_n[b*NW +: NW] = qn_g[b*NW +: NW] + 1'b1;
            end
        tail = (head_n + cnt_n) % FIFO_DEPTH;
        if (acc != {NSRC{1'b0}}) begin
            vec_n[tail*NSRC +: NSRC] = acc;
            age_n[tail*AW +: AW] = 1;
            cnt_n = cnt_n + 1'b1;
        end
    end

    always_ff @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            vec <= {FIFO_DEPTH*NSRC{1'b0}};
            age <= {FIFO_DEPTH*AW{1'b0}};
            head <= {FW{1'b0}};
            cnt <= {CW{1'b0}};
            qmem <= {NSRC*QDEPTH*PW{1'b0}};
            qh <= {NSRC*QW{1'b0}};
            qn <= {NSRC*NW{1'b0}};
            parity <= 1'b0;
        end else begin
            vec <= vec_n;
            age <= age_n;
            head <= head_n;
            cnt <= cnt_n;
            qmem <= qmem_n;
            qh <= qh_n;
            qn <= qn_n;
            parity <= ~parity;
        end
    end
endmodule
