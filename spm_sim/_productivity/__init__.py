"""The workings of :mod:`spm_sim.productivity` (private: use the public names there)."""
