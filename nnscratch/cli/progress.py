"""What ``nnscratch train`` shows while it runs: a progress bar per epoch and one line per epoch."""

import sys


def progress(n_batches, epochs, show):
    """A Callback: a tqdm bar over each epoch's batches and one line per epoch."""
    from ..training.history import Callback

    class Progress(Callback):
        bar = None
        epoch = 0  # the epoch running (0-based), for the Ctrl-C message

        def on_epoch_begin(self, epoch, network):
            self.epoch = epoch
            if show:
                self.bar = _bar(n_batches, f"epoch {epoch + 1}/{epochs}")

        def on_batch_end(self, batch, network):
            if self.bar is not None:
                self.bar.update(1)

        def on_epoch_end(self, epoch, logs, network):
            if self.bar is not None:
                self.bar.close()
            if show:
                print(epoch_line(epoch, epochs, logs), flush=True)

    return Progress()


def _bar(total, desc):
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc=desc, unit="batch", leave=False, disable=None, file=sys.stderr)


def epoch_line(epoch, epochs, logs):
    """``epoch  3/12  loss 0.1234  accuracy 96.51%  val_accuracy 95.80%  1.9 s``."""
    parts = [f"epoch {epoch + 1:>{len(str(epochs))}}/{epochs}"]
    for key, value in logs.items():
        if key != "seconds":
            parts.append(f"{key} {value:.2%}" if key.endswith("accuracy") else f"{key} {value:.4f}")
    parts.append(f"{logs.get('seconds', 0.0):.1f} s")
    return "  ".join(parts)
