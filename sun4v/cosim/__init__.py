"""Co-simulation: an RTL unit takes the place of its Python twin inside a running model
and every decision is compared with the pure-model run (DESIGN.md, mode of use 4).

  wrapper.py        the thread-select toplevel generated per chip (one instance per group)
  thread_select.py  the CMT cycle model running a program with an outside thread select
  xbar_domain.py    the M-series crossbar with an outside domain filter/arbiter, sessions
  tb.py             the cocotb side: the RTL deciders, both runs, the comparison
  runner.py         build + simulate with cocotb's runner, read the result
  command.py        `sun4v cosim` and its report
"""
