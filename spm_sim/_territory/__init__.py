"""The workings of :mod:`spm_sim.territory` (private: use the public names there)."""
