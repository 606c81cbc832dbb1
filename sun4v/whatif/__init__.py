"""Capacity-planning what-if studies (issue 13): `sun4v whatif SCENARIO.toml`.

A scenario (scenario.py) names source workloads, candidate platforms, domain layouts and
sweep axes; it expands into points, each a full-system run of the machine (point.py: the
`sun4v boot` System with the project's firmware hypervisor and guest kernel), cached by
their parameters and the project version (store.py), run locally or on a Dask cluster
(engine.py), or answered by an analytic model calibrated from a few real runs
(model.py); report.py writes the rows, the plots and the HTML report."""
