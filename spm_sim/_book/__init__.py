"""The workings of :mod:`spm_sim.book` (private: use the public names there)."""
