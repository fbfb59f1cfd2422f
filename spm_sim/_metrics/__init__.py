"""The workings of :mod:`spm_sim.metrics` beyond its summaries: the plausibility of results."""
