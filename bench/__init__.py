"""Benchmarks for `make bench`: one module per bench, each with a `run(options)` giving rows."""

# Benches in the order `python -m bench` runs them when no name is given.
BENCHES = ("pages", "cache", "leads", "imports", "matching", "dashboard", "migrations")
# Benches that take long enough to run only when named (`make bench BENCH="--pg leads_million"`).
OPT_IN = ("leads_million",)
