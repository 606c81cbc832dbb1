"""Cycle-level transaction crossbar of the hard-partitioned servers (M-series system
crossbar, E10000 Gigaplane-XB 16x16 data crossbar).

Facts: reference B1/B3/B7 (boards attach to crossbar ports; the service processor sets
each port's domain; the Starfire checks per-board domain masks).  Timing comes from the
platform catalogue.  The per-port domain filter and the arbiter are one separately
callable unit, :class:`FilterArbiter`, with integer-only state, so that an RTL twin can be
compared with it cycle by cycle.
"""
from __future__ import annotations

from collections import deque

from .catalogue import PlatformModel

NO_DOMAIN = -1

# transaction kinds and the bytes each moves through the data path
READ, WRITE, INTR, IO = 0, 1, 2, 3
KIND_NAMES = ("read", "write", "intr", "io")


class FilterArbiter:
    """Per-port domain filter + per-output round-robin arbiter (one clock per ``step``).

    Registers (all plain ints, as the RTL holds them):
      ``domain[p]``  domain number of port p, or -1 (NO_DOMAIN) when unassigned
      ``mask[p]``    domain mask of port p: bit q set = p may send to port q (mode "mask")
      ``rr[o]``      round-robin pointer of output o: the first input to consider
      ``busy[o]``    further cycles output o stays occupied by its last grant

    Filter: in mode "did" a request src->dst passes when domain[src] != -1 and
    domain[src] == domain[dst]; in mode "mask" when domain[src] != -1 and bit dst of
    mask[src] is set.  A request that fails is *blocked* (an isolation event) and is
    never granted.

    Arbiter, per output o, in ascending o: if busy[o] > 0 it is decremented and nothing
    is granted; otherwise among the passing requests for o the first input at or after
    rr[o] (wrapping) wins, rr[o] becomes winner+1 (mod ports) and busy[o] becomes the
    winner's length-1.  Each input makes at most one request per cycle, so at most one
    grant per input and per output.
    """

    def __init__(self, ports: int, mode: str = "did"):
        if mode not in ("did", "mask"):
            raise ValueError(f"unknown filter mode {mode!r}")
        self.ports = ports
        self.mode = mode
        self.domain = [NO_DOMAIN] * ports
        self.mask = [0] * ports
        self.rr = [0] * ports
        self.busy = [0] * ports

    # --- service processor side --------------------------------------------------------------
    def set_port(self, port: int, did: int, mask: int = 0) -> None:
        self.domain[port] = did
        self.mask[port] = mask if did != NO_DOMAIN else 0

    # --- combinational checks ----------------------------------------------------------------
    def allowed(self, src: int, dst: int) -> bool:
        d = self.domain[src]
        if d == NO_DOMAIN:
            return False
        if self.mode == "did":
            return d == self.domain[dst]
        return (self.mask[src] >> dst) & 1 == 1

    def accepts(self, dst: int, did: int) -> bool:
        """Destination-side check of an arriving transaction's domain tag."""
        return did != NO_DOMAIN and self.domain[dst] == did

    # --- one clock ---------------------------------------------------------------------------
    def step(self, req_dst: list[int], req_len: list[int]) -> tuple[list[bool], list[bool]]:
        """``req_dst[s]`` is the output input s requests (-1: none), ``req_len[s]`` its
        length in cycles (>= 1).  Returns (grant, blocked), one flag per input."""
        n = self.ports
        grant = [False] * n
        blocked = [False] * n
        cand = [0] * n
        for s in range(n):
            d = req_dst[s]
            if d < 0:
                continue
            if self.allowed(s, d):
                cand[d] |= 1 << s
            else:
                blocked[s] = True
        for o in range(n):
            if self.busy[o]:
                self.busy[o] -= 1
                continue
            c = cand[o]
            if not c:
                continue
            start = self.rr[o]
            hi = c >> start
            if hi:
                s = start + ((hi & -hi).bit_length() - 1)
            else:
                s = (c & -c).bit_length() - 1
            grant[s] = True
            self.rr[o] = (s + 1) % n
            self.busy[o] = req_len[s] - 1
        return grant, blocked

    def registers(self) -> dict:
        return dict(domain=list(self.domain), mask=list(self.mask), rr=list(self.rr),
                    busy=list(self.busy))

    def load_registers(self, regs: dict) -> None:
        for k in ("domain", "mask", "rr", "busy"):
            v = [int(x) for x in regs[k]]
            if len(v) != self.ports:
                raise ValueError(f"crossbar register {k} has {len(v)} ports, not {self.ports}")
            setattr(self, k, v)


class DomainStats:
    """Per-domain counters.  Every transaction offered is either stalled (queue full,
    never entered), or sent; every sent one ends delivered or blocked."""
    FIELDS = ("sent", "delivered", "blocked", "stalled", "bytes", "latency")

    def __init__(self, **kw):
        for f in self.FIELDS:
            setattr(self, f, int(kw.get(f, 0)))

    def to_dict(self) -> dict:
        return {f: getattr(self, f) for f in self.FIELDS}


class Crossbar:
    """Ports with input queues, the filter/arbiter unit, and a fixed-latency pipeline.

    A transaction is a list ``[src_port, dst_port, did_tag, kind, bytes, issue_cycle]``;
    the tag is the domain of its source port when it was issued.  ``owner`` is the service
    processor's own table of which domain each port belongs to; every delivery is audited
    against it (``cross_domain_deliveries`` must stay 0)."""

    def __init__(self, model: PlatformModel):
        self.model = model
        self.t = model.xbar
        self.n = model.ports
        self.unit = FilterArbiter(self.n, model.filter_mode)
        self.owner = [NO_DOMAIN] * self.n
        self.queues: list[deque] = [deque() for _ in range(self.n)]
        self.pipe: deque = deque()          # (due_cycle, tx), in due order
        self.cycle = 0
        self.stats: dict[int, DomainStats] = {}
        self.isolation: dict[tuple[int, int, int], list[int]] = {}  # (src,dst,did)->[n, first]
        self.cross_domain_deliveries = 0
        self.total_sent = 0
        self.total_delivered = 0
        self.total_blocked = 0

    # --- programming -------------------------------------------------------------------------
    def program(self, assignment: dict[int, int]) -> None:
        """Set every port's domain from ``assignment`` (port -> did; others unassigned).
        Domain masks (Starfire) are derived: a board may talk to boards of its domain."""
        members: dict[int, int] = {}
        for p, d in assignment.items():
            members[d] = members.get(d, 0) | (1 << p)
        for p in range(self.n):
            d = assignment.get(p, NO_DOMAIN)
            self.unit.set_port(p, d, members.get(d, 0))
            self.owner[p] = d

    def program_port(self, port: int, did: int) -> None:
        """Reassign one port (used by DR after the port has drained)."""
        assignment = {p: d for p, d in enumerate(self.owner) if d != NO_DOMAIN}
        if did == NO_DOMAIN:
            assignment.pop(port, None)
        else:
            assignment[port] = did
        self.program(assignment)

    # --- traffic -----------------------------------------------------------------------------
    def _st(self, did: int) -> DomainStats:
        s = self.stats.get(did)
        if s is None:
            s = self.stats[did] = DomainStats()
        return s

    def offer(self, src: int, dst: int, did: int, kind: int, nbytes: int) -> bool:
        """A CPU on port ``src`` issues a transaction; False when the port queue is full."""
        q = self.queues[src]
        if len(q) >= self.t.queue_depth:
            self._st(did).stalled += 1
            return False
        q.append([src, dst, did, kind, nbytes, self.cycle])
        self._st(did).sent += 1
        self.total_sent += 1
        return True

    def _block(self, tx) -> None:
        src, dst, did = tx[0], tx[1], tx[2]
        self._st(did).blocked += 1
        self.total_blocked += 1
        rec = self.isolation.get((src, dst, did))
        if rec is None:
            self.isolation[(src, dst, did)] = [1, self.cycle]
        else:
            rec[0] += 1

    def tick(self) -> None:
        """One crossbar clock: deliveries due now, then filter + arbitration."""
        cyc = self.cycle
        pipe = self.pipe
        unit = self.unit
        while pipe and pipe[0][0] <= cyc:
            _, tx = pipe.popleft()
            dst, did = tx[1], tx[2]
            if unit.accepts(dst, did):
                if self.owner[dst] != did:
                    self.cross_domain_deliveries += 1
                st = self._st(did)
                st.delivered += 1
                st.bytes += tx[4]
                st.latency += cyc - tx[5]
                self.total_delivered += 1
            else:
                self._block(tx)
        n = self.n
        req_dst = [-1] * n
        req_len = [1] * n
        pb = self.t.port_bytes_per_cycle
        any_req = False
        for s in range(n):
            q = self.queues[s]
            if q:
                tx = q[0]
                req_dst[s] = tx[1]
                req_len[s] = max(1, -(-tx[4] // pb))
                any_req = True
        if any_req:
            grant, blocked = unit.step(req_dst, req_len)
            due = cyc + self.t.latency_cycles
            for s in range(n):
                if grant[s]:
                    pipe.append((due, self.queues[s].popleft()))
                elif blocked[s]:
                    self._block(self.queues[s].popleft())
        else:
            unit.step(req_dst, req_len)      # outputs still count down their busy time
        self.cycle = cyc + 1

    # --- queries -----------------------------------------------------------------------------
    def in_flight(self, port: int | None = None, did: int | None = None) -> int:
        """Transactions queued or in the pipeline (touching ``port`` / tagged ``did``)."""
        def hit(tx):
            if port is not None and tx[0] != port and tx[1] != port:
                return False
            return did is None or tx[2] == did
        n = sum(1 for q in self.queues for tx in q if hit(tx))
        return n + sum(1 for _, tx in self.pipe if hit(tx))

    def idle(self) -> bool:
        return not self.pipe and not any(self.queues)

    def conserved(self) -> bool:
        """sent == delivered + blocked + in flight, per domain and in total."""
        inflight: dict[int, int] = {}
        for q in self.queues:
            for tx in q:
                inflight[tx[2]] = inflight.get(tx[2], 0) + 1
        for _, tx in self.pipe:
            inflight[tx[2]] = inflight.get(tx[2], 0) + 1
        for d, s in self.stats.items():
            if s.sent != s.delivered + s.blocked + inflight.get(d, 0):
                return False
        return self.total_sent == self.total_delivered + self.total_blocked + sum(inflight.values())

    # --- persistence (only between commands, when the crossbar is idle) ----------------------
    def to_dict(self) -> dict:
        if not self.idle():
            raise RuntimeError("crossbar state saved with transactions in flight")
        return dict(cycle=self.cycle, unit=self.unit.registers(), owner=list(self.owner),
                    stats={str(d): s.to_dict() for d, s in sorted(self.stats.items())},
                    isolation=[[s, d, did, v[0], v[1]]
                               for (s, d, did), v in sorted(self.isolation.items())],
                    cross_domain_deliveries=self.cross_domain_deliveries,
                    totals=[self.total_sent, self.total_delivered, self.total_blocked])

    def load(self, d: dict) -> None:
        self.cycle = int(d["cycle"])
        self.unit.load_registers(d["unit"])
        self.owner = [int(x) for x in d["owner"]]
        if len(self.owner) != self.n:
            raise ValueError("crossbar owner table does not match the platform")
        self.stats = {int(k): DomainStats(**v) for k, v in d["stats"].items()}
        self.isolation = {(int(s), int(t), int(did)): [int(c), int(f)]
                          for s, t, did, c, f in d["isolation"]}
        self.cross_domain_deliveries = int(d["cross_domain_deliveries"])
        self.total_sent, self.total_delivered, self.total_blocked = map(int, d["totals"])
