"""An optimizer's state by parameter name, whatever its layout in memory.

A step keeps its state (momenta, moments) per holder: one flat array per slot for a network's
:class:`~nnscratch.models.params.ParameterBuffer`, or one per Parameter of a plain list. Checkpoints,
``state_dict`` and the divergence guard's snapshots speak of parameters by name: :func:`scatter` splits
a holder's state into per-name views, :func:`gather` joins per-name state back into a holder's (zeros
where a name has none), :func:`copied` copies it, and :class:`Probe` stands in for a parameter that
is only a name and an array, to ask an optimizer which slots it keeps.
"""

from ..backend.core import backend_of, namespace


class Probe:
    """A stand-in parameter for ``_new_state``: a loaded parameter's name, its ``value`` an array like its slot's."""

    def __init__(self, name, value):
        self.name, self.value = name, value


def copied(per_name, copy):
    """``{name: {slot: copy(array)}}`` of ``per_name`` (None stays None)."""
    if per_name is None:
        return None
    return {name: {slot: copy(a) for slot, a in slots.items()} for name, slots in per_name.items()}


def scatter(holder, state):
    """``{parameter name: {slot: array}}`` of one holder's state (views of a buffer's flat state)."""
    if not hasattr(holder, "split"):
        return {holder.name: dict(state)} if state else {}
    per_name = {}
    for slot, flat in state.items():
        for name, view in holder.split(flat).items():
            per_name.setdefault(name, {})[slot] = view
    return per_name


def gather(holder, loaded):
    """One holder's state from per-parameter-name ``loaded`` state (missing entries are zeros), on the
    holder's device and in its dtype: state loaded as given (``load_state_dict`` without ``asarray``) may be
    another backend's (a ``state_dict`` of a network on ``torch``, host arrays), which the update would
    mix with this one's in an error from inside the rule."""
    if not hasattr(holder, "split"):
        return {slot: placed(a, holder.value) for slot, a in loaded.get(holder.name, {}).items()}
    slots = {slot for name, _, _ in holder.layout for slot in loaded.get(name, {})}
    zeros = namespace(holder.values).zeros_like(holder.values)
    return {slot: holder.join({name: placed(s[slot], zeros) for name, s in loaded.items() if slot in s}, zeros)
            for slot in slots}


def placed(a, like):
    """``a`` as an array of ``like``'s library and device, a float one in ``like``'s dtype (itself where it
    is one already); a slot of other numbers (a count of one's own) keeps its kind."""
    backend = backend_of(like)
    dtype = like.dtype if namespace(a).isdtype(a.dtype, "real floating") else None
    if backend.owns(a) and dtype in (None, a.dtype):
        return a
    with backend.activate():
        return backend.asarray(a, dtype=dtype)
