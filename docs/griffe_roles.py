"""A Griffe extension for the API reference: Sphinx roles in docstrings become code.

The docstrings are numpydoc and write cross-references the Sphinx way
(``:func:`nnscratch.get_backend```, ``:meth:`load```); mkdocstrings would print those
roles as they are. Each one becomes inline code (``~a.b.c`` keeps ``c``, as Sphinx shows).
"""

import re

from griffe import Extension

ROLE = re.compile(r":(?:py:)?(?:func|meth|class|attr|mod|data|obj|exc|const):`(~?)([^`]+)`")


def plain(docstring):
    """``docstring`` with every Sphinx role replaced by inline code."""
    return ROLE.sub(lambda m: f"`{m.group(2).rsplit('.', 1)[-1] if m.group(1) else m.group(2)}`", docstring)


class SphinxRoles(Extension):
    """Rewrite the roles of every object's docstring once it is loaded."""

    def on_object(self, *, obj, **kwargs):
        if obj.docstring is not None:
            obj.docstring.value = plain(obj.docstring.value)
