"""What ``nnscratch train`` uses when an option is not given, and the ``--help`` text that says so.

The run (:func:`nnscratch.cli.train.settings`) and ``--help`` (:func:`default_text`) read the
same tables, so the defaults printed are the defaults used.
"""

# Per-dataset defaults: hidden sizes, epochs, batch size, learning rate, distorted copies,
# validation share. Images: Adam at 2e-3, annealed to 0 by a cosine after half an epoch of warm-up
# (unless --schedule or --decay is given): over seeds and BLAS kernels it beat lr 1e-3 / (1 + 5e-4 t)
# by 0.3-0.9% on the MNIST sample and 0.5% on Fashion-MNIST (docs/results.md, "The default MLP on the shipped sample").
IMAGE_DEFAULTS = dict(hidden=(256, 128), epochs=20, batch_size=128, lr=2e-3, decay=0.0, schedule="cosine",
                      warmup=0.5, augment=0, validation=0.1)
DEFAULTS = {
    "mnist-sample": dict(IMAGE_DEFAULTS, augment=2, validation=0.05),
    "mnist": IMAGE_DEFAULTS,
    "fashion-mnist": IMAGE_DEFAULTS,
    "csv": dict(IMAGE_DEFAULTS, lr=1e-3, schedule=None, warmup=0.0),
    "xor": dict(hidden=(8,), epochs=500, batch_size=None, lr=0.05, augment=0, activation="tanh",
                validation=0.0),
    "spirals": dict(hidden=(64, 64), epochs=150, batch_size=32, lr=0.01, augment=0),
    "moons": dict(hidden=(32, 32), epochs=100, batch_size=32, lr=0.01, augment=0),
    "blobs": dict(hidden=(16,), epochs=30, batch_size=32, lr=0.01, augment=0),
}
# Tables (csv:PATH of any other layout, npz:, npy:): a small MLP, Adam at 3e-3, batches of 32,
# about TABLE_STEPS steps (between TABLE_EPOCHS epochs).
TABLE_DEFAULTS = dict(hidden=(64, 64), batch_size=32, lr=3e-3, decay=0.0, augment=0)
TABLE_STEPS, TABLE_EPOCHS = 1000, (20, 300)
# With a convolutional --model/--layers: the same recipe, fewer epochs on the larger sets (each costs more).
# On the MNIST sample the distorted copies are also bent (--elastic) and regularise enough that --model cnn
# drops out 0.1, not 0.3; there and on Fashion-MNIST every training image trains (the cosine schedule needs
# no held-out set). On the sample Adam starts from 3e-3: from 2e-3 it fits its training data less well
# (99.0-99.1% in the last epoch, against 99.15-99.3%) and tests 0.06% lower on average, 0.1% at the
# worst seed; 5e-3 is past the best. docs/results.md, "Convolutional networks": each change measured on seeds 0-2.
CNN_RECIPE = {key: IMAGE_DEFAULTS[key] for key in ("lr", "decay", "schedule", "warmup")}
CNN_DEFAULTS = {"mnist-sample": dict(CNN_RECIPE, lr=3e-3, epochs=28, elastic=1.5, dropout=0.1, validation=0.0),
                "mnist": dict(CNN_RECIPE, epochs=12), "fashion-mnist": dict(CNN_RECIPE, epochs=15, validation=0.0)}
# What a dataset's table leaves out.
FALLBACK = dict(decay=0.0, validation=0.1, elastic=0.0, schedule=None, warmup=0.0, activation="relu", dropout=0.3)


def value(base, key):
    """``base[key]``, else the fallback every dataset shares."""
    return base.get(key, FALLBACK.get(key))


def _show(key, v):
    if key == "hidden":
        return ",".join(map(str, v))
    if key == "schedule":
        return v or "constant"
    if key == "batch_size":
        return "full" if v is None else str(v)
    return f"{v:g}" if isinstance(v, float) else str(v)


def _join(groups):
    return "; ".join(f"{v} on {', '.join(names)}" for v, names in groups.items())


def default_text(key):
    """``default: 0.002 on mnist-sample, mnist, fashion-mnist; 0.05 on xor; ...; 0.003 on tables;
    with a CNN: 0.003 on mnist-sample``, read from the tables the run reads."""
    groups = {}
    for name, base in DEFAULTS.items():
        groups.setdefault(_show(key, value(base, key)), []).append("a digit csv" if name == "csv" else name)
    if key == "epochs":
        low, high = TABLE_EPOCHS
        table = (f"about {TABLE_STEPS:,} steps of {TABLE_DEFAULTS['batch_size']} rows ({low} to {high} epochs, "
                 "also with another --batch-size)")
    else:
        table = _show(key, value(TABLE_DEFAULTS, key))
    groups.setdefault(table, []).append("tables")
    text = f"default: {_join(groups)}"
    cnn = {}
    for name, override in CNN_DEFAULTS.items():
        if key in override and override[key] != value(DEFAULTS[name], key):
            cnn.setdefault(_show(key, override[key]), []).append(name)
    return text + (f"; with a CNN: {_join(cnn)}" if cnn else "")
