"""One lazy loader for the package's ``__init__`` files (PEP 562).

Subpackages and public names load on first access, so that ``import mmpose_track`` and the
numpy-only modules (the evaluation and tracking commands) start without torch or the OpenMMLab
registries.
"""
import importlib
from typing import Callable, Dict, Iterable, List, Optional, Tuple


def lazy_exports(package: str, names: Optional[Dict[str, str]] = None,
                 submodules: Iterable[str] = ()) -> Tuple[Callable, Callable, List[str]]:
    """Build a package's ``__getattr__``, ``__dir__`` and ``__all__``.

    Args:
        package: the package's ``__name__``.
        names: public name -> submodule (relative to ``package``) that defines it.
        submodules: submodules reachable as attributes of the package.

    Returns:
        ``(__getattr__, __dir__, __all__)``. A loaded name is cached in the package's namespace,
        so later accesses skip ``__getattr__``.
    """
    names = dict(names or {})
    submodules = tuple(submodules)
    module_globals = importlib.import_module(package).__dict__

    def __getattr__(name: str):
        if name in names:
            value = getattr(importlib.import_module(f'{package}.{names[name]}'), name)
        elif name in submodules:
            value = importlib.import_module(f'{package}.{name}')
        else:
            raise AttributeError(f'module {package!r} has no attribute {name!r}')
        module_globals[name] = value
        return value

    def __dir__():
        return sorted(set(module_globals) | set(names) | set(submodules))

    return __getattr__, __dir__, [*names, *submodules]
