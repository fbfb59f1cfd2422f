"""The workings of :mod:`spm_sim.quota` (private: use the public names there)."""
