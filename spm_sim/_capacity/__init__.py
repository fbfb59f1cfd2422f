"""The workings of :mod:`spm_sim.capacity` (private: use the public names there)."""
