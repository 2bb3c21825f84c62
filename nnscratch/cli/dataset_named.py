"""What can be said of ``--dataset`` before anything is read: a file that is not there, a folder, a name no
dataset has, a picture given as a dataset. ``nnscratch train`` says these first, before it checks the files it
will write: the mistake the user made first is the one to fix first."""

BUILTIN = ("mnist-sample", "mnist", "fashion-mnist", "xor")  # with their own labels and test split


def refuse_image_dataset(name):
    """A ConfigError for ``--dataset digit.png``: one picture is an input to ask a model about, not a dataset."""
    import pathlib
    import shlex
    from ..datasets.images import IMAGE_SUFFIXES
    from ..errors import ConfigError
    if pathlib.Path(name).suffix.lower() in IMAGE_SUFFIXES:
        raise ConfigError(f"--dataset {name} is an image file; --dataset takes a dataset (a name such as mnist-sample, "
                          "or csv:PATH, npz:PATH, npy:X.npy,y.npy of many labelled rows); to ask a model about this "
                          f"image: `nnscratch predict MODEL.npz {shlex.quote(name)}` (to train on images, save them "
                          "as an .npz of X and y).")


def check_dataset_there(args):
    """Raise what reading ``--dataset`` would raise where it cannot be read at all (a file that is not there,
    a folder, a name no dataset has), without reading anything: ``train`` says it before it checks what it will
    write, so the mistake the user made first is the one said first."""
    import os
    from ..datasets import load_dataset
    from ..datasets.catalog import GENERATED, file_kind
    name = str(args.dataset).strip()
    refuse_image_dataset(name)
    kind, path = file_kind(name)
    if name in BUILTIN or name in GENERATED or (kind and all(p and os.path.isfile(p) for p in path.split(","))):
        return
    load_dataset(name, seed=args.seed, download=False)  # each of these raises before it reads a file
