"""The docstring MLPClassifier and MLPRegressor share: one parameter list, written once.

Each class sets ``__doc__ = docstring(name, summary)`` when its module runs; the reference site
shows the result (``docs/griffe_runtime.py`` reads it where static analysis cannot).
"""

_PARAMETERS = {"MLPRegressor": """    loss : {"squared_error"}
        The loss minimised, scikit-learn's first parameter; "poisson" is refused.
"""}

_ATTRIBUTES = {"MLPClassifier": """    classes_ : ndarray of shape (n_classes,)
        The class labels, in the order of ``predict_proba``'s columns.
"""}

_TEXT = """    Same parameters, defaults and fitted attributes as scikit-learn's
    ``sklearn.neural_network.{name}`` (``solver`` is "adam" or "sgd"; "lbfgs" is
    refused; ``max_fun`` is accepted and unused), plus ``backend``: where it trains.

    The same random numbers (initial weights, early-stopping split, each epoch's
    shuffle, all drawn from ``random_state`` as scikit-learn draws them) and the
    same update rules (SGD and Adam as scikit-learn writes them, the L2 gradient
    ``alpha / n_batch * W`` per batch, ``loss_`` with the penalty of each batch's
    weights): from the same ``random_state`` the estimator trains scikit-learn's
    model, to rounding (``tests/test_sklearn.py`` checks 1e-10 after whole fits).
    A pickle keeps the optimizer's state: ``partial_fit`` after a round trip
    continues exactly as without one. ``fit`` and ``partial_fit`` take ``sample_weight`` and train
    scikit-learn's weighted model. Differences: negative ``sample_weight`` is refused;
    sparse ``X`` is refused (pass ``X.toarray()``; in a Pipeline, ``OneHotEncoder(sparse_output=False)``
    or ``ColumnTransformer(sparse_threshold=0)``); ``coefs_`` / ``intercepts_`` are host
    copies of the trained weights, the network itself stays on its backend (weights set or
    edited there are the model's from the next call on, as in scikit-learn). Weights that become NaN
    or infinite raise a ValueError and keep the last finite ones (scikit-learn keeps the NaN ones); with
    ``early_stopping`` the fit ends on the best validation epoch's weights with a ConvergenceWarning, the
    model scikit-learn's ends on. A classifier fitted on one class gives ``predict_proba`` one column of
    ones, one per ``classes_`` (scikit-learn's gives two); indicator columns ``y`` that are not 0/1 (-1/1)
    are refused with the fix (scikit-learn's trains on them), and so is one label per sample for a model
    fitted on rows of labels (scikit-learn's takes them as one-hot rows). A ``fit`` or ``partial_fit``
    refused on its data (labels, ``sample_weight``, the early-stopping split) leaves the estimator as it
    was (scikit-learn's keeps the refused data's classes, or fresh random weights).

    Parameters
    ----------
{parameters}    hidden_layer_sizes : int or tuple of int, default (100,)
        Units of each hidden layer: ``(64, 32)`` is two hidden layers.
    activation : str, default "relu"
        The hidden layers' activation: "identity", "logistic", "tanh" or "relu".
    solver : str, default "adam"
        The optimizer: "adam" or "sgd" ("lbfgs" is refused).
    alpha : float, default 1e-4
        Strength of the L2 penalty on the weights; 0 adds none.
    batch_size : int or "auto", default "auto"
        Samples per update; "auto" is ``min(200, n_samples)``.
    learning_rate : str, default "constant"
        SGD's rate: "constant", "invscaling" (``lr / t**power_t``) or "adaptive" (divided by 5 when the loss stalls).
    learning_rate_init : float, default 1e-3
        The (initial) step size.
    power_t : float, default 0.5
        Exponent of the "invscaling" rate.
    max_iter : int, default 200
        Epochs (passes over the data) at most.
    shuffle : bool, default True
        Shuffle the rows before each epoch.
    random_state : int or RandomState or None, default None
        Seeds the initial weights, the early-stopping split and the shuffles; None draws afresh.
    tol : float, default 1e-4
        Smallest improvement of the loss (or validation score) that counts.
    verbose : bool, default False
        Print the loss after each epoch.
    warm_start : bool, default False
        ``fit`` goes on from the weights of the last fit instead of starting afresh.
    momentum : float, default 0.9
        SGD's momentum, in ``[0, 1]``.
    nesterovs_momentum : bool, default True
        Nesterov's form of SGD's momentum.
    early_stopping : bool, default False
        Hold out ``validation_fraction`` and stop when its score stops improving.
    validation_fraction : float, default 0.1
        Share of the training rows held out for ``early_stopping``.
    beta_1 : float, default 0.9
        Adam's decay of the running mean of gradients.
    beta_2 : float, default 0.999
        Adam's decay of the running mean of squared gradients.
    epsilon : float, default 1e-8
        Adam's guard against a division by 0.
    n_iter_no_change : int, default 10
        Epochs without an improvement of ``tol`` before training stops.
    max_fun : int, default 15000
        lbfgs's budget of loss evaluations: accepted and unused.
    backend : str or nnscratch.Backend, optional
        Where to train: "numpy", "torch", "torch:cuda", "cupy", ... (default: as
        :func:`nnscratch.get_backend`: a ``use_backend`` block, ``NNSCRATCH_BACKEND``, else a GPU
        when one is usable; a clone keeps the block it was made in, so the fits GridSearchCV or
        cross_val_score run in the processes or threads of ``n_jobs`` use it too). Computation runs
        in the dtype of ``X``: float32 data trains in float32, anything else in float64
        (in float32 on a device without float64, such as ``torch:mps``); the model predicts in the
        dtype it was trained in, whatever the dtype of ``X`` (scikit-learn's gives float64 for float64 ``X``).

    Attributes
    ----------
{attributes}    loss_ : float
        The loss of the last epoch, with the L2 penalty.
    best_loss_ : float or None
        The lowest ``loss_`` of the fit; None with ``early_stopping``, which goes by the validation score.
    loss_curve_ : list of float
        ``loss_`` after each epoch.
    validation_scores_ : list of float or None
        The score (accuracy, or R^2) on the held-out rows after each epoch; None without ``early_stopping``.
    best_validation_score_ : float or None
        The best of ``validation_scores_``; None without ``early_stopping``.
    t_ : int
        Training samples seen, summed over the epochs.
    coefs_ : list of ndarray
        ``coefs_[i]``, of shape ``(units[i], units[i + 1])``, the weights from layer i to layer i + 1:
        host copies of the network's.
    intercepts_ : list of ndarray
        ``intercepts_[i]``, of shape ``(units[i + 1],)``, the biases of layer i + 1.
    n_features_in_ : int
        Features seen by ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        The column names of ``X``, when it had string column names (a DataFrame).
    n_iter_ : int
        Epochs run.
    n_layers_ : int
        Layers, the input and the output counted.
    n_outputs_ : int
        Output units.
    out_activation_ : str
        The output layer's activation: "softmax" or "logistic" (classifier), "identity" (regressor).
    """


def docstring(name, summary):
    """The docstring of the estimator ``name`` ("MLPClassifier" or "MLPRegressor"), after its one-line ``summary``."""
    return f"{summary}\n\n" + _TEXT.format(name=name, parameters=_PARAMETERS.get(name, ""),
                                  attributes=_ATTRIBUTES.get(name, ""))
