"""nnscratch.sklearn.MLPClassifier against scikit-learn's own, same parameters, on sklearn's digits.

    python benchmarks/sklearn_digits.py                 # 5-fold cross_val_score, seeds 0 1 2
    python benchmarks/sklearn_digits.py --backend torch
    python benchmarks/sklearn_digits.py --grid          # issue 20's model selection (see grid_search)

Prints each contender's mean cross-validated accuracy per seed and the wall time of
each cross_val_score call, then min/median/max over the seeds. The contenders
alternate (seed by seed) so a noisy machine slows both alike. Both draw their random
numbers from ``random_state`` alike, so the accuracies agree seed by seed (to rounding).
"""

import argparse
import statistics
import time
import warnings

from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.neural_network import MLPClassifier as SklearnMLP
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from nnscratch.sklearn import MLPClassifier as NNScratchMLP


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--cv", type=int, default=5)
    parser.add_argument("--backend", default="numpy", help="nnscratch backend (default numpy)")
    parser.add_argument("--only", choices=("nnscratch", "scikit-learn"), help="run one contender (to time it whole)")
    parser.add_argument("--grid", action="store_true", help="run issue 20's GridSearchCV instead")
    args = parser.parse_args(argv)
    X, y = load_digits(return_X_y=True)
    if args.grid:
        return grid_search(X, y, args)
    X = X / 16.0
    params = dict(hidden_layer_sizes=(100,), max_iter=200)  # every other parameter at its default
    results = {name: [] for name in ("nnscratch", "scikit-learn") if args.only in (None, name)}
    for seed in args.seeds:
        contenders = {"nnscratch": lambda: NNScratchMLP(**params, random_state=seed, backend=args.backend),
                      "scikit-learn": lambda: SklearnMLP(**params, random_state=seed)}
        for name in results:
            make = contenders[name]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                start = time.perf_counter()
                score = cross_val_score(make(), X, y, cv=args.cv).mean()
                seconds = time.perf_counter() - start
            results[name].append((score, seconds))
            print(f"seed {seed}  {name:<13} accuracy {score:.4f}  {seconds:.2f} s", flush=True)
    for name, runs in results.items():
        acc, sec = [r[0] for r in runs], [r[1] for r in runs]
        print(f"{name:<13} accuracy min/median/max {min(acc):.4f} / {statistics.median(acc):.4f} / {max(acc):.4f}"
              f"  time median {statistics.median(sec):.2f} s")
    if len(results) == 2:
        ratio = statistics.median(s for _, s in results["nnscratch"]) / statistics.median(
            s for _, s in results["scikit-learn"])
        print(f"time ratio nnscratch / scikit-learn (medians): {ratio:.2f}")


def grid_search(X, y, args):
    """GridSearchCV(make_pipeline(StandardScaler(), MLPClassifier(max_iter=60, random_state=seed)),
    {hidden_layer_sizes: [(32,), (64,)]}, cv=3) on the digits, for each contender and seed."""
    for seed in args.seeds:
        for name, make in (("nnscratch", lambda: NNScratchMLP(max_iter=60, random_state=seed, backend=args.backend)),
                           ("scikit-learn", lambda: SklearnMLP(max_iter=60, random_state=seed))):
            if args.only not in (None, name):
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                start = time.perf_counter()
                search = GridSearchCV(make_pipeline(StandardScaler(), make()),
                                      {"mlpclassifier__hidden_layer_sizes": [(32,), (64,)]}, cv=3).fit(X, y)
                seconds = time.perf_counter() - start
            scores = " ".join(f"{s:.4f}" for s in search.cv_results_["mean_test_score"])
            print(f"seed {seed}  {name:<13} best {search.best_score_:.4f} "
                  f"{search.best_params_['mlpclassifier__hidden_layer_sizes']}  (32,) (64,): {scores}"
                  f"  {seconds:.2f} s", flush=True)


if __name__ == "__main__":
    main()
