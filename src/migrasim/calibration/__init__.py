"""Calibration against observed flows (``python -m migrasim.calibrate``).

The pieces, each a module:

* ``targets``  — the observed facts (``calibration/targets.yaml``): value, tolerance (one
  unit of error), source, years, definition, how it maps onto model outputs;
* ``moments``  — each target's simulated value from a run's outputs (any scale), used by
  the fit, the report and the tests;
* ``space``    — the parameters the fit moves (``calibration/space.yaml``): config keys,
  scaled, shifted or set, within bounds;
* ``study``    — one evaluation (a covid run with its baseline, several seeds, common
  random numbers), the loss, and the optuna study shared by several workers through a
  database;
* ``report``   — ``calibration/results/<study>/fit.json`` and ``fit.md`` with a figure;
* ``sensitivity`` — Morris screening with SALib.

A trial runs the ``covid`` scenario — the path 2019-2021 actually took — against its
baseline, from 2019-01 over ``months``; targets of 2019 read its first year, targets of
the 2019→2021 changes its third. No target value appears in the model: the targets live
in ``calibration/targets.yaml`` and only the loss reads them.
"""
