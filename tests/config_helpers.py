"""Helpers shared by the config tests of several methods."""
import ast
import os.path as osp


def config_bases(path: str) -> list:
    """The ``_base_`` list of a config file, read from its source, as absolute paths."""
    for node in ast.parse(open(path).read()).body:
        if isinstance(node, ast.Assign) and node.targets[0].id == '_base_':
            return [osp.normpath(osp.join(osp.dirname(path), b))
                    for b in ast.literal_eval(node.value)]
    return []
