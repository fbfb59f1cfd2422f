"""The workings of :mod:`spm_sim.response` (private: use the public names there)."""
