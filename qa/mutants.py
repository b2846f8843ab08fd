"""Mutation score of the test suite: plausible one-line bugs, one at a time.

Each curated mutant is a semantic bug someone could write (a sign flip, a dropped factor,
a swapped random stream, an off-by-one month, an inverted ratio) in an ODD submodel, an
indicator, a policy or the config. The runner copies the project once to ``qa/.work``,
checks that the suite passes there, then for each mutant edits one file of the copy,
runs the specification tests (every test file but the regression baseline, fast files
first, stopping at the first failure), restores the file and its numba cache, and
records which test killed it. A surviving mutant is then run against the regression
baseline alone, which says *that* results changed but not which behaviour is wrong: the
score that counts is the specification tests'. Known equivalent mutants (no observable
behaviour changes) are listed with the reason.

    python qa/mutants.py                       # all mutants, writes qa/mutation-report.json
    python qa/mutants.py --only market.sign    # rerun some (comma-separated ids), merged
                                               # into the existing report
    python qa/mutants.py --tests /tmp/old/tests --report /tmp/before.json  # another suite

About 20-40 minutes on two cores (each mutant runs until its first failing test; a
survivor runs the whole suite, about a minute, plus recompiling a mutated kernel).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = Path(os.environ.get("MIGRASIM_MUTANTS_WORK", ROOT / "qa" / ".work"))
PACKAGE = Path("src/migrasim")
# Cheap specification tests first: most mutants die within seconds.
ORDER = ("test_indicators", "test_market", "test_focus", "test_levers", "test_policies",
         "test_streams",
         "test_submodels", "test_choice", "test_model", "test_reference", "test_architecture",
         "test_territories", "test_config", "test_cli")
BASELINE = "test_regression.py"


@dataclass(frozen=True)
class Mutant:
    id: str
    file: str      # under src/migrasim
    old: str       # exact text, found once in the file
    new: str
    bug: str       # what the mutant breaks, in words


MUTANTS = (
    # Telework and location choice (kernels/choice.py, submodels/telework.py)
    Mutant("choice.commute-without-telework", "kernels/choice.py",
           "commute_coef[p] * (_ONE - tw32)", "commute_coef[p]",
           "the commute term ignores telework days (no (1 − tw) factor)"),
    Mutant("choice.move-stream", "kernels/choice.py",
           "uniform(seed, key_[k], month, CHOICE)", "uniform(seed, key_[k], month, CHOICE - 1)",
           "choices drawn from the move-decision stream"),
    Mutant("choice.same-territory-sign", "kernels/choice.py", "v[o] += same", "v[o] -= same",
           "the attachment to the home territory has the wrong sign"),
    Mutant("choice.distance-sign", "kernels/choice.py", "+ dist * dist_row[j]",
           "- dist * dist_row[j]", "distance attracts instead of deterring"),
    Mutant("choice.cost-without-budget", "kernels/choice.py", "cost[p] * F32(inv_budget)",
           "cost[p]", "housing cost not divided by the household's budget"),
    Mutant("choice.no-return-bonus", "kernels/choice.py",
           "1.0 / b_[k],\n                return_bonus if reason[k] == RETURN else 0.0)",
           "1.0 / b_[k],\n                0.0)",
           "a failed project's return move ignores the urban bonus"),
    Mutant("choice.expected-stayers-arrive", "kernels/choice.py",
           "arrivals[c, o] -= stay", "arrivals[c, o] -= 0.0 * stay",
           "the market counts households staying in their EPCI as arrivals"),
    Mutant("telework.rounding-inverted", "kernels/telework.py",
           "< mean - np.floor(mean))", "> mean - np.floor(mean))",
           "fractional telework days rounded the wrong way"),
    Mutant("telework.period-late", "submodels/telework.py", "if period.start <= month:",
           "if period.start < month:", "a telework period starts a month late"),
    # Move decision (kernels/decision.py)
    Mutant("decision.tenure-swapped", "kernels/decision.py",
           "tenure_factor[0 if owner[h] else 1]", "tenure_factor[1 if owner[h] else 0]",
           "owners move at the renters' rate and vice versa"),
    Mutant("decision.burden-sign", "kernels/decision.py",
           "hz *= 1.0 + burden_slope * (burden - burden_ref)",
           "hz *= 1.0 / (1.0 + burden_slope * (burden - burden_ref))",
           "a heavy rent burden makes households move less"),
    Mutant("decision.retention-inverted", "kernels/decision.py", "hz *= retention",
           "hz /= retention", "the welcome mission's retention makes newcomers leave more"),
    Mutant("decision.failure-without-retention", "kernels/decision.py",
           "failure_rate * retention", "failure_rate",
           "follow-up of newcomers does not lower project failures"),
    Mutant("decision.newcomer-off-by-one", "kernels/decision.py",
           "newcomer = since[h] < NEWCOMER_MONTHS", "newcomer = since[h] <= NEWCOMER_MONTHS",
           "households are newcomers one month too long"),
    Mutant("decision.displacement-below", "kernels/decision.py",
           "burden > displacement_threshold", "burden < displacement_threshold",
           "households under the burden threshold are the ones displaced"),
    Mutant("decision.monthly-linear", "kernels/decision.py",
           "return 1.0 - (1.0 - np.asarray(annual, dtype=np.float64)) ** (1.0 / 12.0)",
           "return np.asarray(annual, dtype=np.float64) / 12.0",
           "an annual probability turned monthly by dividing by 12"),
    Mutant("shocks.last-month-dropped", "submodels/shocks.py", "if start <= month <= end:",
           "if start <= month < end:", "a shock ends a month early"),
    Mutant("shocks.everyone", "submodels/shocks.py",
           "for p in (profiles if s.profiles is None else s.profiles)]",
           "for p in profiles]", "a shock hits every profile, not the listed ones"),
    # Capacity, relocation, ageing
    Mutant("capacity.dwelling-not-freed", "kernels/capacity.py", "vacant[o] += w",
           "vacant[o] += 0.0 * w", "a mover's former dwelling is not freed"),
    Mutant("capacity.move-stream", "submodels/capacity.py", "rng.LOTTERY", "rng.MOVE",
           "the capacity lottery reuses the move-decision draws"),
    Mutant("relocation.internal-resets-clock", "submodels/relocation.py",
           "hh.months_since_arrival[who[elsewhere]] = 0", "hh.months_since_arrival[who] = 0",
           "a move inside the EPCI makes a household a newcomer again"),
    Mutant("relocation.failure-keeps-profile", "submodels/relocation.py",
           "hh.profile[failed] = self.becomes", "hh.profile[failed] = hh.profile[failed]",
           "a failed neo-rural project does not change the profile"),
    Mutant("relocation.near-jobs-change", "submodels/relocation.py",
           "> self.params.max_commute_min)", "< self.params.max_commute_min)",
           "movers change job when the commute is short, keep it when long"),
    Mutant("ageing.clock-stopped", "submodels/ageing.py",
           "months_since_arrival += 1", "months_since_arrival += 0",
           "households stay newcomers forever"),
    # Housing market and construction
    Mutant("market.sign", "kernels/market.py", "price[j] *= np.exp(g)",
           "price[j] *= np.exp(-g)", "prices fall under excess demand"),
    Mutant("market.inertia-swapped", "kernels/market.py",
           "inertia * smoothed[j] + (1.0 - inertia) * pressure",
           "(1.0 - inertia) * smoothed[j] + inertia * pressure",
           "the smoothing weights swapped"),
    Mutant("market.full-pass-through", "kernels/market.py", "np.exp(pass_through * g)",
           "np.exp(g)", "rents follow prices one for one"),
    Mutant("market.vacancy-sign", "kernels/market.py",
           "- vacancy_weight * (vacancy - vacancy0[j])",
           "+ vacancy_weight * (vacancy - vacancy0[j])", "vacancy raises prices"),
    Mutant("market.no-floor", "kernels/market.py",
           "min(max(response * smoothed[j], -max_change), max_change)",
           "min(response * smoothed[j], max_change)", "price falls are unbounded"),
    Mutant("construction.cap-ignored", "kernels/construction.py",
           "min(rate * stock * gap, cap[j])", "rate * stock * gap",
           "building ignores the construction cap (ZAN)"),
    Mutant("construction.floor-min", "submodels/construction.py",
           "np.maximum(model.submodels.market.initial_price", "np.minimum("
           "model.submodels.market.initial_price", "builders build below the building cost"),
    Mutant("constants.gap-sign", "submodels/constants.py", "asc += step * gap",
           "asc -= step * gap", "the equilibrium iteration moves away from balance"),
    Mutant("constants.targets-unscaled", "submodels/constants.py",
           "* model.scale / 12.0", "/ 12.0",
           "net-migration targets not scaled to simulated households"),
    # Random streams
    Mutant("rng.choice-is-move", "rng.py",
           "MOVE, CHOICE, LOTTERY, FAILURE, DISPLACEMENT = 1, 2, 3, 4, 5",
           "MOVE, CHOICE, LOTTERY, FAILURE, DISPLACEMENT = 1, 1, 3, 4, 5",
           "two purposes share one stream"),
    # Policies and levers
    Mutant("accueil.retention-ignored", "policies/accueil.py",
           "newcomer_hazard[np.ix_(self.rows, self.where)] *= self.options.retention",
           "newcomer_hazard[np.ix_(self.rows, self.where)] *= 1.0",
           "the welcome mission keeps no one"),
    Mutant("coworking.no-days-off", "policies/coworking.py",
           "self.options.days_replaced * served)", "0.0 * served)",
           "coworking seats replace no commute day"),
    Mutant("choice.days-off-unclamped", "kernels/choice.py", "min(off_row[j], share)",
           "off_row[j]", "days off commuting count beyond the days not teleworked"),
    Mutant("choice.broadband-floor-ignored", "submodels/choice.py",
           'np.maximum(s["broadband"], levers.broadband)', 's["broadband"]',
           "fibre deployment leaves the broadband score unchanged"),
    Mutant("transport.every-trip", "submodels/choice.py",
           "out[homes, model.territories.pole[homes]] *= factor[homes]",
           "out[homes] *= factor[homes, None]",
           "a faster link to the pole shortens every trip from the territory"),
    Mutant("social-housing.unscaled", "policies/social_housing.py",
           "self.split(model, self.options.dwellings, self.options.each) * model.scale",
           "self.split(model, self.options.dwellings, self.options.each)",
           "reserved dwellings (real) compared with simulated renters"),
    Mutant("broadband.cost-unscaled", "policies/broadband.py", "/ model.scale * rise",
           "* rise", "premises counted in simulated, not real, dwellings"),
    Mutant("policy.cost-while-inactive", "policies/base.py",
           "        if self.active(model):\n            out[self.where] = amounts",
           "        out[self.where] = amounts", "a policy spends before 'from' and after 'until'"),
    Mutant("vacancy.second-homes-always", "policies/vacancy.py",
           "if self.options.secondary", "if True",
           "second homes brought back although the policy leaves them alone"),
    Mutant("market.reopened-not-supply", "submodels/market.py",
           "- (off_market - self.off_market))", ")",
           "dwellings back on the market do not count as supply"),
    Mutant("records.abroad-no-cohort", "observation/records.py", " | (why == ABROAD)", "",
           "households from abroad join no cohort"),
    Mutant("indicators.retention-without-abroad", "observation/indicators.py",
           '("arrivals", "from_abroad")', '("arrivals",)',
           "retention's denominator misses the arrivals from abroad"),
    Mutant("accueil.profiles-ignored", "policies/accueil.py",
           "utility[np.ix_(self.rows, self.where)]", "utility[:, self.where]",
           "marketing reaches every profile, not the targeted ones"),
    Mutant("policy.until-exclusive", "policies/base.py",
           "self.first <= model.month <= self.last", "self.first <= model.month < self.last",
           "a policy stops a month before its 'until'"),
    Mutant("policy.from-late", "policies/base.py",
           "calendar.parse(o.from_) if o.from_ else -1",
           "calendar.parse(o.from_) + 1 if o.from_ else -1",
           "a policy starts a month after its 'from'"),
    Mutant("construction-cap.unscaled", "policies/construction_cap.py",
           "* model.scale / 12.0", "/ 12.0",
           "the cap in real dwellings is not scaled to simulated units"),
    Mutant("levers.not-reset", "submodels/levers.py", "model.levers.reset()", "pass",
           "policy levers accumulate month after month"),
    # Indicators and records
    Mutant("indicators.price-vs-baseline-inverted", "observation/indicators.py",
           '100 * (end["price_m2"] / bend["price_m2"] - 1)',
           '100 * (bend["price_m2"] / end["price_m2"] - 1)',
           "price against the baseline as the inverse ratio"),
    Mutant("indicators.mobility-not-annualised", "observation/indicators.py",
           "100 * (moved * 12.0 / months) / monthly", "100 * moved / monthly",
           "a partial year's mobility not annualised"),
    Mutant("indicators.idf-sign", "observation/indicators.py", "inn.sub(out, fill_value=0.0)",
           "out.sub(inn, fill_value=0.0)", "Île-de-France net migration with the wrong sign"),
    Mutant("indicators.newcomers-within-epci", "observation/indicators.py",
           'f = f[f["origin"] != f["destination"]]', "f = f",
           "moves inside an EPCI counted among arrivals in the newcomers' share"),
    Mutant("indicators.income-monthly", "observation/indicators.py",
           '/ (12 * df["income_month"]))', '/ df["income_month"])',
           "price-to-income in months of income, labelled years"),
    Mutant("indicators.elasticity-threshold", "observation/indicators.py",
           ".where(extra > 0.1)", ".where(extra > 0.0)",
           "the elasticity reported for negligible extra arrivals"),
    Mutant("records.destination-size", "observation/records.py",
           '"persons": c / model.scale * size[o]', '"persons": c / model.scale * size[d]',
           "persons weighted by the destination's household size"),
    Mutant("records.prices-weighted", "observation/records.py",
           "(c in self.columns and self.columns[c].count)", "c in self.columns",
           "prices and shares multiplied by 1 / scale like counts"),
    # Config
    Mutant("config.until-before-from", "params.py",
           "calendar.parse(last) < calendar.parse(first)", "False",
           "a period ending before it starts is accepted"),
    Mutant("config.scale-zero", "config/schema.py",
           "\n    scale: number(0.0, 1.0, lo_open=True)", "\n    scale: number(0.0, 1.0)",
           "scale=0 accepted (no households, NaN rates)"),
    Mutant("config.telework-order", "config/schema.py",
           "            if calendar.parse(self.telework[i].from_) <= calendar.parse(",
           "            if calendar.parse(self.telework[i].from_) < calendar.parse(",
           "two telework periods starting the same month accepted"),
    # Focus area (population/focus.py, kernels/focus.py, config)
    Mutant("focus.parent-keeps-weight", "population/focus.py",
           "hh.weight[who] = weight - sent * self.unit", "hh.weight[who] = weight",
           "a heavy mover keeps the weight its units took (weight created)"),
    Mutant("focus.units-by-position", "population/focus.py",
           "units = hh.grow(parents.size, keys=keys)", "units = hh.grow(parents.size)",
           "units draw by their position: their draws depend on the units created before"),
    Mutant("focus.heavy-into-focus", "kernels/focus.py", "                v[j] = F32(0.0)\n",
           "", "the heavy remainder may also choose a focus territory"),
    Mutant("focus.capacity-by-household", "submodels/capacity.py",
           "hh.weight[decision.movers], model.stock.vacant",
           "np.ones(decision.movers.size), model.stock.vacant",
           "a unit takes and frees a whole base unit of dwellings"),
    Mutant("focus.scale-unchecked", "config/schema.py",
           "if self.territory.focus_scale < self.scale:", "if False:",
           "a focus coarser than the rest of the area accepted"),
)

# Mutants that change no observable behaviour, and why (none may be counted as a gap).
EQUIVALENT: dict[str, str] = {}


def _copy_project(tests: Path) -> Path:
    """A copy of the project without caches or outputs; the tests from ``tests``."""
    if WORK.exists():
        shutil.rmtree(WORK)
    ignore = shutil.ignore_patterns(".git", ".venv", "qa", "outputs", "multirun", "__pycache__",
                                    "*.egg-info", ".pytest_cache", ".ruff_cache", "mutants",
                                    "tests")
    shutil.copytree(ROOT, WORK, ignore=ignore)
    shutil.copytree(tests, WORK / "tests",
                    ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    return WORK


def _env() -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(WORK / "src"), MPLBACKEND="Agg",
               PYTHONDONTWRITEBYTECODE="1")
    env.pop("NUMBA_DISABLE_JIT", None)
    return env


def _pytest(files: list[str], timeout: float) -> tuple[str, str | None, float]:
    """Run ``files`` in order until the first failure: (status, first failing test, s)."""
    start = time.perf_counter()
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-rfE", "-p", "no:cacheprovider",
           "-o", "addopts=", *files]
    try:
        out = subprocess.run(cmd, cwd=WORK, env=_env(), capture_output=True, text=True,
                             timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout", None, time.perf_counter() - start
    seconds = time.perf_counter() - start
    if out.returncode == 0:
        return "passed", None, seconds
    failed = re.search(r"^(?:FAILED|ERROR) (\S+)", out.stdout, re.MULTILINE)
    return "failed", failed.group(1) if failed else out.stdout[-300:], seconds


def _spec_files() -> list[str]:
    files = sorted(p.name for p in (WORK / "tests").glob("test_*.py") if p.name != BASELINE)
    rank = {name: i for i, name in enumerate(ORDER)}
    return [f"tests/{f}" for f in sorted(files, key=lambda f: rank.get(f[:-3], len(ORDER)))]


def _numba_cache(path: Path) -> list[Path]:
    return [p for p in (path.parent / "__pycache__").glob(f"{path.stem}.*") if
            p.suffix in (".nbi", ".nbc")]


def _compiled_dependents(path: Path) -> list[Path]:
    """Modules whose numba cache holds code of ``path`` (numba checks only each cached
    function's own file, not the globals it inlined from others)."""
    src = WORK / PACKAGE
    module = ".".join(path.relative_to(WORK / "src").with_suffix("").parts)
    out = [path]
    for other in src.rglob("*.py"):
        text = other.read_text()
        if other != path and "njit" in text and re.search(
                rf"(from|import) {re.escape(module)}\b|from {re.escape(module.rpartition('.')[0])}"
                rf" import {re.escape(module.rpartition('.')[2])}\b", text):
            out.append(other)
    return out


def run_mutant(m: Mutant, timeout: float) -> dict:
    path = WORK / PACKAGE / m.file
    text = path.read_text()
    if text.count(m.old) != 1:
        raise SystemExit(f"mutant {m.id}: {m.old!r} found {text.count(m.old)} times in "
                         f"{m.file}, expected once")
    saved = path.with_suffix(".py.orig")
    shutil.copy2(path, saved)  # keeps the mtime: numba's cache stays valid after restoring
    caches = {c: c.read_bytes() for p in _compiled_dependents(path) for c in _numba_cache(p)}
    for c in caches:
        c.unlink()
    try:
        path.write_text(text.replace(m.old, m.new))
        status, by, seconds = _pytest(_spec_files(), timeout)
        baseline = None
        if status == "passed":
            baseline = _pytest([f"tests/{BASELINE}"], timeout)[0] != "passed"
    finally:
        shutil.copy2(saved, path)
        saved.unlink()
        for p in _compiled_dependents(path):
            for c in _numba_cache(p):
                c.unlink()
        for c, data in caches.items():
            c.write_bytes(data)
    result = {"id": m.id, "file": f"src/migrasim/{m.file}", "bug": m.bug,
              "status": "survived" if status == "passed" else "killed",
              "killed_by": by if status == "failed" else status if status == "timeout" else None,
              "seconds": round(seconds, 1)}
    if baseline is not None:
        result["regression_baseline_kills"] = baseline
    if m.id in EQUIVALENT:
        result["equivalent"] = EQUIVALENT[m.id]
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", help="comma-separated mutant ids")
    ap.add_argument("--tests", type=Path, default=ROOT / "tests", help="the test suite to score")
    ap.add_argument("--report", type=Path, default=ROOT / "qa" / "mutation-report.json")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per mutant run")
    args = ap.parse_args(argv)
    chosen = MUTANTS
    if args.only:
        wanted = args.only.split(",")
        unknown = sorted(set(wanted) - {m.id for m in MUTANTS})
        if unknown:
            raise SystemExit(f"--only: unknown mutant {unknown[0]!r}")
        chosen = tuple(m for m in MUTANTS if m.id in wanted)
    stale = [m.id for m in chosen
             if (ROOT / PACKAGE / m.file).read_text().count(m.old) != 1]
    if stale:
        raise SystemExit(f"mutants whose text is not found once in the source: {stale}")
    _copy_project(args.tests)
    status, by, seconds = _pytest(_spec_files() + [f"tests/{BASELINE}"], args.timeout)
    if status != "passed":
        raise SystemExit(f"the unmutated suite does not pass in {WORK}: {by}")
    print(f"unmutated suite passed in {seconds:.0f} s (numba caches compiled)", flush=True)
    results = []
    for i, m in enumerate(chosen, 1):
        r = run_mutant(m, args.timeout)
        results.append(r)
        print(f"[{i:2d}/{len(chosen)}] {r['status']:8s} {m.id:42s} {r['seconds']:6.1f} s "
              f"{r['killed_by'] or ''}", flush=True)
        partial = args.report.with_suffix(".partial.json")  # survives an interrupted run
        partial.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    partial.unlink()
    if args.only and args.report.exists():  # merge into the existing report
        rerun = {r["id"] for r in results}
        previous = json.loads(args.report.read_text())["results"]
        results = [r for r in previous if r["id"] not in rerun] + results
        rank = {m.id: i for i, m in enumerate(MUTANTS)}
        results.sort(key=lambda r: rank.get(r["id"], len(rank)))
    counted = [r for r in results if "equivalent" not in r]
    killed = sum(r["status"] == "killed" for r in counted)
    with_baseline = killed + sum(r.get("regression_baseline_kills", False) for r in counted)
    report = {
        "suite": str(args.tests.relative_to(ROOT) if args.tests.is_relative_to(ROOT)
                     else args.tests),
        "mutants": len(results), "equivalent": len(results) - len(counted),
        "killed": killed, "score": round(killed / max(len(counted), 1), 3),
        "score_with_regression_baseline": round(with_baseline / max(len(counted), 1), 3),
        "minutes": round(sum(r["seconds"] for r in results) / 60, 1),
        "python": sys.version.split()[0], "results": results,
    }
    args.report.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    print(f"score {killed}/{len(counted)} = {report['score']:.0%} killed by the specification "
          f"tests ({report['score_with_regression_baseline']:.0%} with the regression "
          f"baseline); {report['minutes']} min; report: {args.report}")
    survivors = [r["id"] for r in counted if r["status"] == "survived"]
    if survivors:
        print("survivors: " + ", ".join(survivors))
    shutil.rmtree(WORK)
    return 0


if __name__ == "__main__":
    sys.exit(main())
