"""The Logical Domains Manager (the `ldmd` role and the `ldm` command) of the simulated
sun4v servers: domain constraints, the binder (strands, memory blocks, LDC channels,
consoles), delayed reconfiguration, the service processor's configuration store, XML
constraints and the Oracle `ldm` syntax and output formats (reference ldm_xscf.md part A).

Module map (one concept each):
  units        sizes (`4G`), times of day, uptimes as ldm prints them
  errors       LdmError (the one-line messages the real tool prints) and UsageError
  topology     the platform protocol the binder needs, strand/core numbering
  products     the product topologies `ldm init --platform` offers
  identity     MAC address, hostid and UUID generated from the store's seed
  policy       DRM policies (reference A7): keys, defaults, validation
  constraints  a domain's constraints and their property syntax (A5)
  bindings     the bound resources as data (strands, mblocks, LDC endpoints, consoles)
  binder       choosing those resources (core affinity, alignment, channel numbering)
  domain       a domain's life-cycle state and its FLAGS column (A1, A2)
  config       the manager's whole configuration (domains + bindings + pending reconf)
  reconf       delayed reconfiguration of the control domain (A6)
  manager      the operations: add/set/remove, bind/unbind/start/stop, resources
  actions      what a running machine must do for a change; the backend protocol
  spconfig     the service processor's configurations (add/set/remove/list-spconfig)
  store        the state directory, written atomically, locked
  xmlio        `list-constraints -x` / `add-domain -i` (LDM XML)
  formats      human output (`ldm list`, `list-bindings`, ...)
  parseable    `-p` output;  jsonout: `-o json`
  cli          the `ldm` command;  protocol: the ldmd socket protocol and client
"""

__version__ = "3.1"          # the Oracle VM Server for SPARC release whose syntax we follow
