"""The workings of :mod:`spm_sim.track` (the year in progress); use the face."""
