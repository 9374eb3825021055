"""The grid of geometries every kernel is tested over (emulated here, on CuPy on a GPU).

A case is (input shape, kernel taps, strides, paddings before, dilations, output size)
over the spatial axes, for 'valid', TensorFlow's 'same' (the odd cell of padding at the
end) and the 'full' padding of transposed convolutions; combinations where no window fits
are left out. Pooling cases have no dilation.
"""
import itertools

MODES = ("valid", "same", "full")


def _axis(m, k, s, d, mode):
    """(cells of padding before, output size) along one axis; None if no window fits."""
    keff = (k - 1) * d + 1
    if mode == "valid":
        return (0, (m - keff) // s + 1) if m >= keff else None
    if mode == "same":  # TensorFlow's: the odd cell of padding goes at the end
        o = -(-m // s)
        return max((o - 1) * s + keff - m, 0) // 2, o
    return keff - 1, (m + keff - 2) // s + 1  # full: keff - 1 cells on both sides


def make_cases(shapes, kernels, strides, dilations):
    """(shape, ks, strides, pads, dils, out) for every combination where a window fits."""
    cases = []
    for shape, ks, ss, ds, mode in itertools.product(shapes, kernels, strides, dilations,
                                                     MODES):
        axes = [_axis(m, k, s, d, mode) for m, k, s, d in zip(shape[1:-1], ks, ss, ds)]
        if None not in axes:
            cases.append((shape, ks, ss, tuple(a[0] for a in axes), ds,
                          tuple(a[1] for a in axes)))
    return cases


CONV_2D = make_cases([(1, 1, 7, 2), (2, 5, 5, 3), (1, 6, 4, 1), (2, 8, 7, 2)],
                     [(1, 1), (2, 2), (3, 3), (1, 3), (3, 2)],
                     [(1, 1), (2, 2), (3, 1)], [(1, 1), (2, 2), (1, 3)])
CONV_3D = make_cases([(1, 3, 4, 5, 2), (2, 4, 3, 3, 1)], [(1, 1, 1), (2, 2, 2), (3, 1, 2)],
                     [(1, 1, 1), (2, 1, 2)], [(1, 1, 1), (2, 1, 1)])
POOL_2D = make_cases([(1, 1, 7, 2), (2, 5, 5, 3), (2, 8, 7, 2)],
                     [(1, 1), (2, 2), (3, 3), (2, 3)], [(1, 1), (2, 2), (3, 2)], [(1, 1)])
POOL_3D = make_cases([(1, 3, 4, 5, 2), (2, 4, 3, 3, 1)], [(1, 1, 1), (2, 2, 2), (3, 1, 2)],
                     [(1, 1, 1), (2, 1, 2)], [(1, 1, 1)])
GLOBAL = [(1, 1, 1), (2, 5, 3), (3, 17, 4), (1, 64, 2)]
