"""Every op exported from gkeras.ops by the core op modules has a gradient test.

The table names, for each exported function, the test module that checks its
forward values and its gradient; a new op in one of these modules fails here
until it gets its tests.
"""
import importlib
import inspect

import gkeras.ops as ops

CORE_MODULES = ("activations", "array", "losses", "math", "nn", "reduction", "special")

COVERED = {
    "test_math": ["abs", "add", "clip", "divide", "dot", "exp", "log", "log1p", "matmul",
                  "maximum", "minimum", "multiply", "negative", "power", "sqrt", "square",
                  "subtract"],
    "test_array": ["batch_flatten", "broadcast_to", "cast", "concatenate", "expand_dims",
                   "gather", "getitem", "reshape", "squeeze", "stack", "tile", "transpose"],
    "test_reduction": ["logsumexp", "max", "mean", "min", "prod", "std", "sum", "var"],
    "test_activations": ["elu", "gelu", "gelu_tanh", "hard_sigmoid", "log_softmax", "mish",
                         "relu", "selu", "sigmoid", "softmax", "softplus", "softsign", "swish",
                         "tanh"],
    "test_losses": ["sigmoid_cross_entropy", "softmax_cross_entropy",
                    "sparse_softmax_cross_entropy"],
    "test_nn": ["bias_add", "bias_relu", "dropout"],
    "test_special": ["erf", "erfc"],
}


def _exported_core_ops():
    names = set()
    for name, obj in vars(ops).items():
        if name.startswith("_") or not inspect.isfunction(obj):
            continue
        if obj.__module__.rsplit(".", 1)[-1] in CORE_MODULES:
            names.add(name)
    return names


def test_every_exported_core_op_is_covered():
    covered = {n for names in COVERED.values() for n in names}
    missing = _exported_core_ops() - covered
    assert not missing, "ops without tests: %s" % sorted(missing)
    stale = covered - _exported_core_ops()
    assert not stale, "tested names that gkeras.ops no longer exports: %s" % sorted(stale)


def test_the_covering_modules_mention_their_ops():
    for module_name, names in COVERED.items():
        source = inspect.getsource(importlib.import_module(__package__ + "." + module_name))
        for name in names:
            assert "ops.%s(" % name in source or "ops.%s," % name in source \
                or "ops.%s]" % name in source, (module_name, name)
