"""The workings of :mod:`spm_sim.actuals` (private: use the public names there)."""
