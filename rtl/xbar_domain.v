// M-series system crossbar slice: the per-port domain filter and the per-output fair
// (round-robin) arbiter with output occupancy (backpressure), as in the XSCF-programmed
// crossbar of the hard-partitioned servers.  RTL twin of FilterArbiter in
// sun4v/crossbar/xbar.py, checked cycle by cycle (one rising edge per FilterArbiter.step).
//
// Registers: domain[p] (DOMAIN_NONE-valid bit clear = unassigned), mask[p] (MODE 1,
// Starfire-style domain mask: bit q set = p may send to q), rr[o] (first input to
// consider for output o), busy[o] (further cycles output o stays occupied).
// Service-processor port: sp_we writes domain/mask of port sp_port at the rising edge
// ending the cycle (sp_did_valid=0 unassigns the port and clears its mask); this cycle's
// filtering still uses the old value (FilterArbiter.step, then set_port).
// Requests: req_valid[s], req_dst (port), req_len (cycles >= 1) per input s.  Filter:
// MODE 0 ("did") passes when src is assigned and domain[src] == domain[dst] (both
// assigned); MODE 1 ("mask") when src is assigned and mask[src][dst] is set.  A failing
// request is dropped and flagged (blocked[s]).  Per output o: if busy[o] != 0 it counts
// down and grants nothing (backpressure: the inputs keep requesting); else the first
// passing input at or after rr[o] (wrapping) is granted, rr[o] = winner+1 mod N,
// busy[o] = its length - 1.  grant/blocked are combinational.
// arb_en: 1 in a crossbar cycle (one FilterArbiter.step); 0 in a configuration-only cycle
// in which the service processor writes a port between two crossbar cycles: requests are
// ignored (grant = blocked = 0) and rr/busy hold, only the sp_* write takes effect.
// Receive side (FilterArbiter.accepts): a transaction arriving at output o with domain
// tag rx_did[o] (rx_valid[o]) is accepted when port o is assigned to that domain
// (rx_accept[o], combinational, in both modes); a rejected one is an isolation event.
module xbar_domain #(
    parameter N = 8,
    parameter DW = 5,                 // domain ID width
    parameter LW = 4,                 // request length width (cycles)
    parameter MODE = 0,               // 0: domain IDs, 1: domain masks
    parameter PW = $clog2(N)
) (
    input  logic            clk,
    input  logic            rst_n,
    input  logic            arb_en,
    // service processor
    input  logic            sp_we,
    input  logic [PW-1:0]   sp_port,
    input  logic            sp_did_valid,
    input  logic [DW-1:0]   sp_did,
    input  logic [N-1:0]    sp_mask,
    // requests, input s in [s*PW +: PW] / [s*LW +: LW]
    input  logic [N-1:0]    req_valid,
    input  logic [N*PW-1:0] req_dst,
    input  logic [N*LW-1:0] req_len,
    output logic [N-1:0]    grant,
    output logic [N-1:0]    blocked,
    // receive side, output o in [o*DW +: DW]
    input  logic [N-1:0]    rx_valid,
    input  logic [N*DW-1:0] rx_did,
    output logic [N-1:0]    rx_accept
);
    logic [N-1:0]    dvalid;          // port assigned to a domain
    logic [N*DW-1:0] did;
    logic [N*N-1:0]  mask;            // mask of port p in [p*N +: N]
    logic [N*PW-1:0] rr;
    logic [N*LW-1:0] busy;

    logic [N*N-1:0]  cand;            // cand[o*N + s]: input s passes the filter for o
    logic [N*PW-1:0] rr_n;
    logic [N*LW-1:0] busy_n;
    logic [PW-1:0]   d, w;
    logic            ok, found;
    integer s, o, k, r;

    always @* begin
        cand = {N*N{1'b0}};
        blocked = {N{1'b0}};
        for (s = 0; s < N; s = s + 1) begin
            d = req_dst[s*PW +: PW];
            if (MODE == 0)
                ok = dvalid[s] && d < N && dvalid[d] && did[s*DW +: DW] == did[d*DW +: DW];
            else
                ok = dvalid[s] && d < N && mask[s*N + d];
            if (req_valid[s]) begin
                if (ok)
                    cand[d*N + s] = 1'b1;
                else
                    blocked[s] = 1'b1;
            end
        end
        grant = {N{1'b0}};
        rr_n = rr;
        busy_n = busy;
        for (o = 0; o < N; o = o + 1) begin
            if (busy[o*LW +: LW] != {LW{1'b0}}) begin
                busy_n[o*LW +: LW] = busy[o*LW +: LW] - 1'b1;
            end else begin
                found = 1'b0;
                w = {PW{1'b0}};
                for (k = 0; k < N; k = k + 1)        // inputs rr, rr+1, ... (wrapping)
                    if (!found && cand[o*N + (rr[o*PW +: PW] + k) % N]) begin
                        found = 1'b1;
                        w = (rr[o*PW +: PW] + k) % N;
                    end
                if (found) begin
                    grant[w] = 1'b1;
                    rr_n[o*PW +: PW] = (w == N - 1) ? {PW{1'b0}} : w + 1'b1;
                    busy_n[o*LW +: LW] = req_len[w*LW +: LW] - 1'b1;
                end
            end
        end
        if (!arb_en) begin            // configuration-only cycle
            grant = {N{1'b0}};
            blocked = {N{1'b0}};
            rr_n = rr;
            busy_n = busy;
        end
    end

    always @* begin
        for (r = 0; r < N; r = r + 1)
            rx_accept[r] = rx_valid[r] && dvalid[r] && did[r*DW +: DW] == rx_did[r*DW +: DW];
    end

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            dvalid <= {N{1'b0}};
            did <= {N*DW{1'b0}};
            mask <= {N*N{1'b0}};
            rr <= {N*PW{1'b0}};
            busy <= {N*LW{1'b0}};
        end else begin
            rr <= rr_n;
            busy <= busy_n;
            if (sp_we) begin
                dvalid[sp_port] <= sp_did_valid;
                did[sp_port*DW +: DW] <= sp_did_valid ? sp_did : {DW{1'b0}};
                mask[sp_port*N +: N] <= sp_did_valid ? sp_mask : {N{1'b0}};
            end
        end
    end
endmodule
