"""Computations the tools share over one backend: trace statistics, object changes, metric
anomalies and the service topology.  Each is computed once per backend and cached."""
