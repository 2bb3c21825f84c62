"""EarlyStopping and ReduceLROnPlateau on a validation split, trained by one process or by N ranks
(tests/test_mpi13.py):

    [mpiexec -n N] python plateau_history.py OUT_PREFIX

Each rank writes ``OUT_PREFIX-RANK.json``: its History (figures and epochs, ``seconds`` included), the
optimizer's ``lr_scale`` and the epoch EarlyStopping stopped at. 120 rows of which 30 are held out, batches
of 16 (shares of 6, 5 and 5 rows on 3 ranks), float64: the rate is halved three times and the run stops early.
"""

import json
import sys

import numpy as np

import nnscratch as nn
from nnscratch import distributed
from nnscratch.training.callbacks import EarlyStopping, ReduceLROnPlateau

comm = distributed.from_environment()
rng = np.random.default_rng(0)
X = rng.standard_normal((120, 5))
y = (X[:, 0] + 0.3 * rng.standard_normal(120) > 0).astype(int)
net = nn.Network.from_sizes(5, 8, 2, seed=1, dtype="float64", backend="numpy")
stop = EarlyStopping(monitor="val_loss", patience=4)
history = net.fit(X, y, epochs=20, batch_size=16, optimizer=nn.Adam(lr=0.2), validation_split=0.25, comm=comm,
                  callbacks=[ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1), stop], verbose=False)
with open(f"{sys.argv[1]}-{0 if comm is None else comm.rank}.json", "w") as f:
    json.dump({"history": history.history, "epoch": history.epoch, "lr_scale": net.optimizer.lr_scale,
               "stopped": stop.stopped_epoch}, f)
