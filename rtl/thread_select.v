// Thread select of one T1 core (or one T2 thread group): each cycle pick one strand,
// least recently issued first among the Ready strands, else among the SpecReady ones
// (OpenSPARC T1 Micro Arch Spec 2.3.10-2.3.13, sparc_ifu_lru4.v).  A strand that is
// neither Ready nor SpecReady is in Wait.  RTL twin of sun4v/cmt/thread_select.py:
// the LRU state is an order list, order[0] the least recently issued strand, reset to
// 0,1,..,N-1 (new_order); a pick moves the picked strand to the end (update()).
// Timing: valid/pick are combinational from the state and this cycle's ready/spec;
// the order list is updated at the rising edge that ends the cycle.
module thread_select #(
    parameter N = 4,
    parameter IW = (N > 1) ? $clog2(N) : 1
) (
    input  logic          clk,
    input  logic          rst_n,
    input  logic [N-1:0]  ready,
    input  logic [N-1:0]  spec,
    output logic          valid,
    output logic [IW-1:0] pick
);
    // order list, slot k in bits [k*IW +: IW]
    logic [N*IW-1:0] order;
    logic [N*IW-1:0] order_next;
    logic            found_rdy, found_spec;
    logic [IW-1:0]   pick_rdy, pick_spec;
    integer k, j, r, pos;

    always_comb begin
        found_rdy = 1'b0;
        found_spec = 1'b0;
        pick_rdy = {IW{1'b0}};
        pick_spec = {IW{1'b0}};
        for (k = 0; k < N; k = k + 1) begin
            if (!found_rdy && ready[order[k*IW +: IW]]) begin
                found_rdy = 1'b1;
                pick_rdy = order[k*IW +: IW];
            end
            if (!found_spec && spec[order[k*IW +: IW]]) begin
                found_spec = 1'b1;
                pick_spec = order[k*IW +: IW];
            end
        end
        valid = found_rdy | found_spec;
        pick = found_rdy ? pick_rdy : pick_spec;
    end

    // update: remove the picked strand from its slot, shift the later ones down, append it
    always_comb begin
        order_next = order;
        pos = N;
        for (j = 0; j < N; j = j + 1)
            if (pos == N && order[j*IW +: IW] == pick)
                pos = j;
        for (j = 0; j < N - 1; j = j + 1)
            if (j >= pos)
                order_next[j*IW +: IW] = order[(j+1)*IW +: IW];
        order_next[(N-1)*IW +: IW] = pick;
    end

    always_ff @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            for (r = 0; r < N; r = r + 1)
                order[r*IW +: IW] <= r[IW-1:0];
        end else if (valid) begin
            order <= order_next;
        end
    end
endmodule
