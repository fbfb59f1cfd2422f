"""The workings of :mod:`spm_sim.metrics` beyond its summaries: the plausibility of results
and the intervals of the figures a report shows (closed forms, the bootstrap, and
differences of percentiles)."""
