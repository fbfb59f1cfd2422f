"""Many simulations of one scenario, changed one way at a time, on common random numbers.

:func:`company_view` simulates a scenario under several quota settings with the same
draws and puts the company-level outcomes side by side (the chance of the company
target, incentive cost with its percentiles, share of reps at quota).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from spm_sim._spec import whole_count
from spm_sim.book import load_book_ref
from spm_sim.errors import SpecError
from spm_sim.random import seed_sequence
from spm_sim.simulate import simulate

__all__ = ["company_view"]


def company_view(
    scenario,
    settings: Mapping[str, Any],
    *,
    trials: int | None = None,
    rng=None,
    book=None,
) -> pd.DataFrame:
    """Simulate one scenario under several quota settings, with the same draws.

    Parameters
    ----------
    scenario : Scenario
        Book, plan year, plan and seed; its ``quota`` is replaced by each setting.
    settings : mapping of str to QuotaSettings
        Named quota settings (a mapping of fields is validated as one), in the order
        of the rows.
    trials : int, optional
        Trials per setting; default ``scenario.trials``.
    rng : int, SeedSequence or Generator, optional
        Default ``scenario.seed``. Normalised once, so every setting sees the same
        bookings trial by trial (common random numbers) even for a Generator.
    book : Book, optional
        The loaded book; default loaded once from ``scenario.book``.

    Returns
    -------
    DataFrame
        One row per setting: ``setting, method, company_target, sum_of_quotas,
        over_assignment, expected_bookings, p_company_target, p_company_target_se,
        share_at_quota, share_at_quota_se, share_at_quota_p10, share_at_quota_p90,
        incentive_cost, incentive_cost_se, incentive_cost_p10, incentive_cost_p50,
        incentive_cost_p90, incentive_cost_of_sales, common_draws``.
        ``common_draws`` is True when the setting's bookings are identical to the
        first setting's (they should be: quotas do not change the sales draws).
        ``attrs`` carry the scenario, seed, trials and version.

    Notes
    -----
    The numbers come from :meth:`SimulationResult.summary` (definitions in
    ``spm_sim.metrics``): ``p_company_target`` is the share of trials whose company
    bookings reach the company target (binomial standard error);
    ``incentive_cost_of_sales`` is the mean over trials of incentive / bookings.
    Because the bookings are shared, differences between rows carry no sales
    sampling noise: with the same growth, rows differ in ``p_company_target`` not
    at all, whatever their over-assignment (the target is the same number).

    Examples
    --------
    >>> from spm_sim import sample_scenario
    >>> from spm_sim.quota import QuotaSettings
    >>> view = company_view(sample_scenario("baseline"), {
    ...     "none": QuotaSettings(growth=0.08), "10%": QuotaSettings(growth=0.08,
    ...     over_assignment=0.10)}, trials=200, rng=0)
    >>> view[["setting", "over_assignment"]].round(3)
      setting  over_assignment
    0    none              0.0
    1     10%              0.1
    >>> bool(view["common_draws"].all())
    True
    """
    func = "company_view"
    if not isinstance(settings, Mapping) or not settings:
        raise SpecError(
            f"{func}: settings must be a non-empty mapping of name -> QuotaSettings, got "
            f"{settings!r}. Pass e.g. {{'flat': QuotaSettings(), '10% over': "
            "QuotaSettings(over_assignment=0.1)}."
        )
    n = scenario.trials if trials is None else whole_count(func, "trials", trials)
    root = seed_sequence(rng, default=scenario.seed)  # once: a Generator would move on
    if book is None:
        book = load_book_ref(scenario.book)
    rows = []
    first = None
    result = None
    for name, quota in settings.items():
        if not isinstance(name, str) or not name.strip():
            raise SpecError(
                f"{func}: setting names must be non-empty text, got {name!r}; name each "
                "setting as it should appear in the table."
            )
        try:
            sc = scenario.replace(quota=quota)
        except SpecError as exc:  # the scenario's located message, one line per problem
            raise SpecError(
                f"{func}: setting {name!r} is not a valid quota setting: {exc} "
                "Fix that field of the setting."
            ) from None
        result = simulate(sc, n, rng=root, book=book)
        if first is None:
            first = result
        summ = result.summary().set_index("metric")
        share = summ.loc["share_reps_at_quota"]
        cost = summ.loc["incentive_cost"]
        hit = summ.loc["hit_company_target"]
        total_q = float(result.quotas.annual.sum())
        rows.append(
            {
                "setting": name,
                "method": getattr(sc.quota, "method", ""),
                "company_target": result.company_target,
                "sum_of_quotas": total_q,
                "over_assignment": total_q / result.company_target - 1.0,
                "expected_bookings": float(summ.loc["company_bookings", "mean"]),
                "p_company_target": float(hit["mean"]),
                "p_company_target_se": float(hit["se"]),
                "share_at_quota": float(share["mean"]),
                "share_at_quota_se": float(share["se"]),
                "share_at_quota_p10": float(share["p10"]),
                "share_at_quota_p90": float(share["p90"]),
                "incentive_cost": float(cost["mean"]),
                "incentive_cost_se": float(cost["se"]),
                "incentive_cost_p10": float(cost["p10"]),
                "incentive_cost_p50": float(cost["p50"]),
                "incentive_cost_p90": float(cost["p90"]),
                "incentive_cost_of_sales": float(summ.loc["incentive_cost_of_sales", "mean"]),
                "common_draws": bool(
                    result.bookings.shape == first.bookings.shape
                    and np.array_equal(result.bookings, first.bookings)
                ),
            }
        )
    df = pd.DataFrame(rows)
    df.attrs.update(
        scenario=scenario.name,
        seed={"entropy": root.entropy, "spawn_key": list(root.spawn_key)},
        n_trials=n,
        spm_sim_version=result.version if result is not None else "",
        settings={k: _dump(v) for k, v in settings.items()},
    )
    return df


def _dump(spec) -> Any:
    return spec.model_dump() if hasattr(spec, "model_dump") else dict(spec)
