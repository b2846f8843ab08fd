"""Command line: ``python -m migrasim scenario=remote50 [key=value ...]`` (hydra).

Results go to the hydra run directory under ``outputs/``. ``--multirun`` sweeps, e.g.
``python -m migrasim --multirun scenario=baseline,remote50 seed=1,2
hydra/launcher=joblib``. A bad value exits with code 2 and one line naming the key, the
value and what is allowed.
"""

from __future__ import annotations

import re
import sys

from migrasim.config import CONFIG_DIR, ConfigError, check_scenario_override


def _run(cfg) -> None:
    import logging

    from hydra.core.hydra_config import HydraConfig
    from omegaconf import OmegaConf

    from migrasim.config import validate
    from migrasim.simulation import Simulation
    from migrasim.territories import TerritoryDataError

    logging.getLogger("MESA").setLevel(logging.WARNING)  # not one line per step in the log
    OmegaConf.set_struct(cfg, False)
    cfg.pop("hydra", None)
    try:
        validate(cfg)
        res = Simulation(config=cfg).run()
    except (ConfigError, TerritoryDataError) as err:
        print(f"migrasim: {err}", file=sys.stderr)
        raise SystemExit(2) from None
    out = res.save(HydraConfig.get().runtime.output_dir, figures=bool(cfg.get("figures", True)))
    s = res.summary
    rate = s["moves_per_year_pct_population"]
    print(f"migrasim {s['scenario']}: results in {out}\n"
          f"  moves per year (% of population): {rate}\n"
          f"  within-département share of moves: {s['within_departement_share']:.1%}\n"
          f"  Île-de-France net migration per year: {s['idf_net_migration_per_year']}")


def main() -> None:
    import hydra

    try:
        for a in sys.argv[1:]:
            # a plain name or a comma-separated sweep (hydra's other sweep syntaxes pass)
            if a.startswith("scenario=") and re.fullmatch(r"[\w,-]+", a.split("=", 1)[1]):
                for name in a.split("=", 1)[1].split(","):
                    check_scenario_override([f"scenario={name}"])
    except ConfigError as err:
        print(f"migrasim: {err}", file=sys.stderr)
        raise SystemExit(2) from None
    hydra.main(config_path=str(CONFIG_DIR), config_name="config", version_base="1.3")(_run)()


if __name__ == "__main__":
    main()
