"""Gradient clipping by global norm, on the device.

The norm of all the gradients together, ``||g|| = sqrt(sum_i sum(g_i ** 2))``,
is computed on the device and turned into one scale factor
``s = min(1, max_norm / (||g|| + eps))`` that multiplies every gradient: no
value is read back to the host, so a step with clipping still never waits
for the device.
"""

from array_api_compat import array_namespace


def global_norm_scale(grads, max_norm, eps=1e-6):
    """The factor ``min(1, max_norm / (||g|| + eps))`` as a 0-d device array."""
    xp = array_namespace(*grads)
    total = xp.sum(grads[0] * grads[0])
    for g in grads[1:]:
        total = total + xp.sum(g * g)
    return xp.clip(max_norm / (xp.sqrt(total) + eps), max=1.0)


def clip_by_global_norm(grads, max_norm, eps=1e-6):
    """``grads`` (a list of arrays) scaled so that their global norm is at most ``max_norm``.

    Gradients whose norm is already below ``max_norm`` are unchanged (the
    factor is 1). Returns the list of scaled gradients (scaled in place
    where the arrays allow it).
    """
    scale = global_norm_scale(grads, max_norm, eps)
    out = []
    for g in grads:
        g *= scale  # in place where the array allows; rebinds otherwise
        out.append(g)
    return out


def clip_gradients(params, max_norm):
    """Clip every ``param.grad`` to the global norm ``max_norm`` (nothing when it is None).

    ``params``: Parameters, or ``[parameter_buffer]`` (one norm over its flat gradients). Parameters
    whose ``grad`` is None are left out of the norm, as ``torch.nn.utils.clip_grad_norm_`` leaves them.
    """
    if max_norm is None:
        return
    params = [p for p in params if p.grad is not None]
    if not params:
        return
    clipped = clip_by_global_norm([p.grad for p in params], max_norm)
    for p, g in zip(params, clipped):
        p.grad = g
