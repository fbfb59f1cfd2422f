"""The workings of :mod:`spm_sim.fit_report`: parameters, back-tests, rolling origins, text."""
