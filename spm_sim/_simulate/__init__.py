"""The workings of :mod:`spm_sim.simulate` (private; use the face)."""
