"""`ldm tui`: the Logical Domains Manager as a Textual terminal UI over a running machine
(issue 12 §4), and `make demo` (§5).

Module map:
  model       what the TUI shows as plain values: Snapshot (ldm list rows, strands,
              simulated time), Event (dr-cpu requests and per-vCPU results, policy
              actions, delayed reconfiguration), interval utilisation and throughput
  controller  what the TUI drives: the Controller protocol; AttachedController (a
              running ldmd over its socket)
  live        LiveController: a machine booted here, its manager (ldm.live), run by
              the TUI's worker thread
  cmdline     the `:` line: ldm syntax with or without `ldm`, the TUI's words,
              completion, history
  widgets     the ldm list table, strand map, trends, consoles, event log, status line,
              command line
  screens     help and confirmation screens;  palette: the command palette's actions
  app         LdmApp (compose, reactive state, the machine worker, messages)
  ldm.tcss    the stylesheet
  cli         `ldm tui [CONFIG | --attach SOCKET]`
  demo        `make demo`: the TUI on a terminal, the scripted scenario without one
  demo.toml   the demo machine: a T5220, primary and two guest domains with workloads
"""
