"""Strand control and the devices of the machine, driven from Python: interrupt dispatch
types (reset, idle, resume) and the T2 CMP registers, on one and on four sockets; the
IOB's INT_CTL, the NCU's target field, the 16550's registers and interrupt line.
Facts: sun4v/hypervisor ontario iob.h, huron asi.h/ncu.h; PC16550D register map."""
import pytest

from sun4v.cmt import state as S
from sun4v.machine import Machine
from sun4v.machine.devices import BusError
from sun4v.machine.devices.iob import Iob
from sun4v.machine.devices.ncu import Ncu
from sun4v.machine.devices.uart import Uart16550


class Posts:
    def __init__(self):
        self.posts = []

    def post(self, t, v):
        self.posts.append((t, v))


def test_dispatch_types_reset_idle_resume():
    m = Machine("t2000")
    C = m.S.C
    m.ctl.dispatch(0, (3 << 16) | (5 << 8))              # resume a never-started strand
    assert m.run_state(5) == "running" and int(C[5, S.PC]) == 0xFF_F000_0020
    m.ctl.dispatch(0, (2 << 16) | (5 << 8))              # idle
    assert m.run_state(5) == "parked"
    m.ctl.dispatch(0, (3 << 16) | (5 << 8))              # resume: runs on where it was
    assert m.run_state(5) == "running" and int(C[5, S.PC]) == 0xFF_F000_0020
    C[5, S.PC] = 0x1234
    C[5, S.TL] = 0
    C[5, S.HPSTATE] = S.HPSTATE_HPRIV
    m.ctl.dispatch(0, (1 << 16) | (5 << 8) | 3)          # reset, XIR: a RED-state trap
    assert int(C[5, S.PC]) == 0xFF_F000_0060 and int(C[5, S.TT_BASE + 1]) == 3
    assert int(C[5, S.TPC_BASE + 1]) == 0x1234 and int(C[5, S.HPSTATE]) & S.HPSTATE_RED
    m.ctl.dispatch(0, (1 << 16) | (5 << 8) | 1)          # reset, POR
    assert int(C[5, S.PC]) == 0xFF_F000_0020 and int(C[5, S.TL]) == S.MAXTL
    m.ctl.dispatch(0, (0 << 16) | (5 << 8) | 33)         # an interrupt: vector 33
    assert int(m.mmu.sreg[5, 0]) == 1 << 33
    m.ctl.dispatch(0, (3 << 16) | (40 << 8))             # no strand 40 on a T1: ignored


def test_t2_cmp_registers_per_socket():
    m = Machine("t5440")                                 # four T2+: 256 strands
    assert m.ctl.cmp_read(0, 0x58) == (1, 0)             # only the boot strand runs
    assert m.ctl.cmp_read(64, 0x58) == (0, 0)            # socket 1: none
    assert m.ctl.cmp_write(64, 0x60, 0b1010) == 0        # W1S from socket 1
    assert [m.run_state(s) for s in (64, 65, 66, 67)] == \
        ["waiting for reset", "running", "waiting for reset", "running"]
    assert m.ctl.cmp_read(64, 0x58) == (0b1010, 0) and m.ctl.cmp_read(0, 0x58) == (1, 0)
    assert m.ctl.cmp_write(64, 0x68, 0b0010) == 0        # W1C parks 65
    assert m.run_state(65) == "parked" and m.ctl.cmp_read(64, 0x58) == (0b1000, 0)
    assert m.ctl.cmp_write(64, 0x50, 0b0011) == 0        # RW: 64, 65 run; 67 parks
    assert m.ctl.cmp_read(64, 0x50) == (0b0011, 0) and m.run_state(67) == "parked"
    assert m.ctl.cmp_read(0, 0x10) == ((1 << 64) - 1, 0)
    assert m.ctl.cmp_read(0, 0x48)[1] == 0x30            # no such register
    # dispatch reaches every socket by global strand id (bits 15:8 on a 4-socket T2+)
    m.ctl.dispatch(0, (3 << 16) | (200 << 8))
    assert m.run_state(200) == "running"
    assert m.vcid_mask == 0xFF and Machine("t5220").vcid_mask == 0x3F


def test_iob_int_ctl_mask_and_pending():
    p = Posts()
    iob = Iob(p, serial=7, cores=8)
    iob.write(8 * 2, 8, (3 << 8) | 9, 0)                 # INT_MAN[2]: strand 3, vector 9
    iob.interrupt(2)
    assert p.posts == [(3, 9)]
    iob.write(0x400 + 8 * 2, 8, 4, 0)                    # INT_CTL[2].MASK
    iob.interrupt(2)
    assert p.posts == [(3, 9)] and iob.read(0x400 + 8 * 2, 8, 0) == 4 | 1   # pending
    iob.write(0x400 + 8 * 2, 8, 0, 0)                    # unmask: the pending one goes
    assert p.posts == [(3, 9), (3, 9)] and iob.read(0x400 + 8 * 2, 8, 0) == 0
    iob.write(0x400 + 8 * 2, 8, 4, 0)
    iob.interrupt(2)
    iob.write(0x400 + 8 * 2, 8, 2, 0)                    # CLEAR drops it
    assert len(p.posts) == 2
    assert iob.read(0x820, 8, 0) == 7 and iob.read(0x830, 8, 0) == 0xFF
    with pytest.raises(BusError):
        iob.read(0x900, 8, 0)
    with pytest.raises(BusError):
        iob.read(0x0, 4, 0)                              # registers are 8 bytes


def test_ncu_targets_and_registers():
    p = Posts()
    ncu = Ncu(p, serial=1, target_mask=0xFF)             # a 4-socket T2+
    ncu.write(8 * 2, 8, (200 << 8) | 12, 0)
    ncu.interrupt(2)
    assert p.posts == [(200, 12)]
    assert ncu.read(0x1000, 8, 0) == 1
    with pytest.raises(BusError):
        ncu.write(0x1000, 8, 5, 0)


def test_uart_registers_and_interrupt_line():
    out, irqs = [], []
    u = Uart16550(sink=out.append, irq=lambda: irqs.append(1))
    assert u.read(5, 1, 0) == 0x60 and u.read(2, 1, 0) == 0x01    # idle, no interrupt
    u.write(0, 1, ord("A"), 0)
    assert out == [b"A"] and u.text() == "A"
    u.write(1, 1, 1, 0)                                   # IER: received data
    u.feed(b"xy")
    assert irqs == [1] and u.read(5, 1, 0) == 0x61 and u.read(2, 1, 0) == 0x04
    assert u.read(0, 1, 0) == ord("x") and u.read(0, 1, 0) == ord("y")
    assert u.read(5, 1, 0) == 0x60 and u.read(2, 1, 0) == 0x01
    u.feed(b"z")
    assert irqs == [1, 1] and u.read(0, 1, 0) == ord("z")   # a new edge
    u.write(3, 1, 0x80, 0)                                # DLAB: divisor latch
    u.write(0, 1, 12, 0)
    assert u.read(0, 1, 0) == 12 and out == [b"A"]
    u.write(3, 1, 0x03, 0)
    u.write(1, 1, 2, 0)                                   # IER: THR empty
    assert len(irqs) == 3 and u.read(2, 1, 0) == 0x02 and u.read(2, 1, 0) == 0x01
    with pytest.raises(BusError):
        u.read(0, 8, 0)
