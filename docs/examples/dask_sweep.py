# %% [markdown]
# # A small sweep on a Dask cluster, from Python
#
# Notebook-style: each `# %%` is a cell (Jupyter, VS Code and `jupytext` read them), and the
# file also runs as a script: `python docs/examples/dask_sweep.py [OUT_FOLDER]` (default
# `results/dask_sweep`). It needs the `dask` extra (`pip install 'lpsa-sim[dask]'`) and takes
# seconds: 3 values of the up-front share x 4 replications of 40 councils, on a local cluster of
# two worker processes.
#
# The same experiment as a file would run with `lpsa sweep FILE --dask local`; here it is
# declared in Python (`lpsa.experiments.api`), validated as a file would be, and run on the
# cluster through the Dask client. Replication `r` of every point runs on the same seed (common
# random numbers), and the results are the same bit for bit on any executor.

# %%
import sys
from pathlib import Path

from dask.distributed import Client, LocalCluster

from lpsa.experiments import api, figures_report
from lpsa.model import load_scenario

OUT = Path(sys.argv[1] if len(sys.argv) > 1 else "results/dask_sweep")

# %% [markdown]
# Declare the experiment: the baseline with 40 councils instead of 150 (to be quick), and one
# lever, the share of the money paid up front as pump-priming grant (the rest is the maximum
# reward).

# %%
experiment = api.experiment(
    name="ppg_share_on_dask",
    base=load_scenario("lpsa1_baseline", {"scheme": {"n_authorities": 40}}),
    levers={"funding.ppg_share": {"values": [0.1, 0.5, 0.9]}},
    replications=4,
    seed=2001,
    chunk_size=2,
)

# %% [markdown]
# Run it on a Dask LocalCluster (for an existing cluster: `Client("tcp://HOST:8786")`). The
# client is passed as it is; with `out=` the results are a sweep folder (`runs.parquet`, whose
# columns carry their descriptions and units, and `manifest.json`), which `lpsa report OUT` also
# reads, and the same call resumes it if it is interrupted.

# %%
if __name__ == "__main__":  # worker processes import this file; only the main one runs the sweep
    print(f"{len(experiment.points)} points x {experiment.spec.replications} replications")
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        runs = api.run(experiment, executor=client, out=OUT)

    # %% [markdown]
    # One row per run; the mean of each headline outcome by value of the lever:

    # %%
    print(runs.groupby("funding.ppg_share")[["targets_met_share", "retained_gain_3y"]].mean())

    # %% [markdown]
    # And the sweep report's figure: each headline outcome's mean and 95 % interval over
    # replications, by value (in a notebook: `IPython.display.Image(figures[...])`).

    # %%
    figures = figures_report.plot_sweep(OUT)
    print(f"figure: {figures['funding.ppg_share']}")
