"""A model or checkpoint nnscratch wrote, given where data goes: said as what it is.

``--dataset model.npz``, ``csv:model.npz``, ``load_table("run.ckpt", ...)``: without this,
the reader of each format would say what it found inside ("holds arrays ['__header__', ...]",
"not a text CSV"), which does not tell the user they gave the model in the data's place.
"""

from ..errors import DataFormatError

#: What the data readers take, as the messages about a model or checkpoint given there say it.
DATA = ("a table or arrays (csv:table.csv, npz:data.npz holding X and y, npy:X.npy,y.npy) or a dataset name "
        "(xor, spirals, mnist-sample ...)")


def nnscratch_file(path):
    """A DataFormatError when ``path`` is a model or checkpoint nnscratch wrote, given as data, else None."""
    from ..saving.kinds import npz_header
    header = npz_header(str(path))
    if header is None:
        return None
    where = "--dataset (load_dataset in Python)"
    if header.get("format") == "nnscratch-checkpoint":
        return DataFormatError(f"{path} is a checkpoint written by `nnscratch train --checkpoint`, not data; {where} "
                               f"takes {DATA}: give it that run's data, with --resume {path} (fit(resume=...)) to "
                               "continue the run.")
    return DataFormatError(f"{path} is a model file written by nnscratch, not data; {where} takes {DATA}: give it "
                           f"the data, and the model where a command takes one (`nnscratch evaluate {path} "
                           "--dataset DATA`, or Network.load in Python).")
