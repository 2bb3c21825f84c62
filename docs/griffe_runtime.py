"""Griffe extensions for the API reference: what the code makes when it runs, which reading it cannot see.

mkdocstrings reads the source without running it (griffe's static analysis). Two things in
nnscratch are made at import time, and the reference would show them empty or not at all:

* a docstring built from a template (``__doc__ = docstring(...)``, the scikit-learn
  estimators, which share one parameter list): :class:`RuntimeDocstrings` takes the
  docstring Python has;
* a method assigned in a class body from a function written elsewhere
  (``save = persistence.save`` in ``Network``): :class:`AssignedMethods` shows it as a method
  of the class, with the function's signature, docstring and source.
"""

import importlib
import inspect
import re

from griffe import Alias, Docstring, Extension

NAMED = re.compile(r"((class|static)method\()?[A-Za-z_][\w.]*\)?")  # persistence.save, classmethod(persistence.load)


def live(cls):
    """The class object griffe's ``cls`` describes, or None where its module cannot be imported here."""
    try:
        obj = importlib.import_module(cls.module.path)
    except Exception:  # an optional dependency missing (nnscratch.sklearn without scikit-learn): static view only
        return None
    for name in cls.path[len(cls.module.path) + 1:].split("."):
        obj = getattr(obj, name, None)
    return obj


class RuntimeDocstrings(Extension):
    """A class whose source assigns ``__doc__`` gets the docstring Python built for it."""

    def on_class_members(self, *, cls, agent, **kwargs):
        doc = getattr(live(cls), "__doc__", None) if cls.docstring is None and "__doc__" in cls.members else None
        if doc:
            cls.docstring = Docstring(inspect.cleandoc(doc), parent=cls, parser=agent.docstring_parser,
                                      parser_options=agent.docstring_options)
            del cls.members["__doc__"]


class AssignedMethods(Extension):
    """A class attribute that is, when the module runs, a function defined in another module
    (``save = persistence.save``, ``load = classmethod(persistence.load)``) becomes that function,
    shown under the class's name with its signature, docstring and source."""

    def on_class(self, *, cls, loader, **kwargs):
        for name, member in list(cls.members.items()):
            if member.is_alias or not member.is_attribute or not NAMED.fullmatch(str(member.value)):
                continue
            value = inspect.getattr_static(live(cls), name, None)
            function = getattr(value, "__func__", value)
            if not inspect.isfunction(function) or function.__qualname__ == f"{cls.name}.{name}":
                continue
            try:  # a lambda, or a function of a package not loaded here, stays as it is
                target = loader.modules_collection.get_member(f"{function.__module__}.{function.__qualname__}")
            except (KeyError, ValueError):
                continue
            if isinstance(value, classmethod):
                target.labels.add("classmethod")
            cls.set_member(name, Alias(name, target, lineno=member.lineno, endlineno=member.endlineno, parent=cls))
