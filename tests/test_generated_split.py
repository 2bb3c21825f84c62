"""The generated sets (spirals, moons, blobs) draw their test split with ``--test-fraction`` as a table
does: ``evaluate`` and ``plot`` of the model score it on the rows it never trained on, and ``--resume``
with another fraction is refused."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from test_cli_messages import one_line, run  # noqa: E402


def test_evaluate_scores_a_generated_sets_model_on_its_own_test_split(capsys):
    """Before: train --test-fraction 0.4 held out 450 spirals; evaluate drew the default 0.2 split (225 rows,
    a third of them rows the model trained on)."""
    common = ["--dataset", "spirals", "--test-fraction", "0.4", "--backend", "numpy", "--epochs", "2"]
    status, out, _ = run(capsys, "train", *common, "--quiet", "--out", "s.npz", "--checkpoint", "s.ckpt")
    assert status == 0 and "on 450 spirals test samples" in out
    status, out, _ = run(capsys, "evaluate", "s.npz")
    assert status == 0 and "spirals test split, 450 samples" in out
    status, out, err = run(capsys, "train", *common[:2], "--test-fraction", "0.3", *common[4:], "--epochs", "3",
                           "--resume", "s.ckpt", "--no-save")
    one_line(status, err, "error: --resume s.ckpt: its run read spirals with --test-fraction 0.4, and this command "
             "with --test-fraction 0.3")
