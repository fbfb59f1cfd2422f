"""The workings of :mod:`spm_sim.sweep`: parameter paths, grids, the runner, the
tidy table, goal-seek and the quota-setting views."""
