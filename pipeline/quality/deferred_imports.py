"""Modules Great Expectations imports but our suites never use, loaded only if something reads them.

``import great_expectations`` imports every expectation it ships, and one of them (the KL
divergence expectation) imports ``scipy.stats`` and ``altair`` at module level, for its
computation and its renderer. Our suites (pipeline/quality/suites.py) use neither, yet the two
and what they import (numpy's and scipy's compiled parts, narwhals, jsonschema's users) were a
third of GX's import in a run's process: 2.58 -> 1.76 s (medians of 5 alternated rounds; 4.3-4.8
-> 1.6-2.0 s on a busy machine), on a run's critical path since GX is imported by the first check
of a run. benchmarks/bench_gx_import.py prints the figures.

:func:`defer` puts a stand-in module in ``sys.modules`` under the module's name. An ``import``
of it (``import altair as alt``, ``from scipy import stats``) then binds the stand-in without
running the module; the first attribute read from the stand-in imports the real module (the
stand-in leaves ``sys.modules`` first) and every read after that is passed on to it. So code
that does use them still works, only later; ``from scipy.stats import norm`` loads it at once.

Why not ``importlib.util.LazyLoader``: on Python 3.11 the import statement itself reads the
lazy module's ``__spec__``, which loads it there and then.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types

# what the import of great_expectations pulls in for one expectation our suites do not use
GX_UNUSED = ("scipy.stats", "altair")


class _Deferred(types.ModuleType):
    """Stands for a module in ``sys.modules`` until an attribute is read from it."""

    def __getattr__(self, attr: str):
        # only called for attributes the stand-in does not have itself (__spec__, __path__ ...)
        real = self.__dict__.get("_real_module")
        if real is None:
            if sys.modules.get(self.__name__) is self:
                del sys.modules[self.__name__]
            real = importlib.import_module(self.__name__)
            self.__dict__["_real_module"] = real
        return getattr(real, attr)


def defer(names=GX_UNUSED) -> list[str]:
    """Put a stand-in for each of ``names`` that is not imported yet (and is installed) in
    ``sys.modules``; returns the names deferred."""
    deferred = []
    for name in names:
        if name in sys.modules:
            continue
        spec = importlib.util.find_spec(name)        # imports the parent package (scipy: ~20 ms)
        if spec is None:
            continue
        stand_in = _Deferred(name)
        stand_in.__spec__ = spec
        stand_in.__file__ = spec.origin
        if spec.submodule_search_locations is not None:
            # a package: `import scipy.stats.distributions` finds its submodules through this
            stand_in.__path__ = list(spec.submodule_search_locations)
        sys.modules[name] = stand_in
        deferred.append(name)
    return deferred


def is_deferred(name: str) -> bool:
    """Whether ``name`` is still a stand-in that nothing has read from."""
    module = sys.modules.get(name)
    return isinstance(module, _Deferred) and "_real_module" not in module.__dict__
