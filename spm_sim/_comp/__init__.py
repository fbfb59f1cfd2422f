"""The workings of :mod:`spm_sim.comp` (private: use the public names there)."""
