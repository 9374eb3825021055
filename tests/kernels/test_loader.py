"""gkeras.backend.cuda without a GPU: finding and reading the kernel sources, launch sizes."""
import numpy
import pytest

from gkeras.backend import cuda

from .test_compile import KERNELS


def test_the_checkout_sources_are_found():
    found = cuda.kernels_dir()
    assert found.resolve() in (KERNELS.resolve(),
                               (KERNELS.parent / "gkeras" / "_kernels").resolve())
    for name in cuda.KERNEL_FILES:
        assert (found / name).read_text() == (KERNELS / name).read_text()


def test_environment_variable_overrides_and_missing_sources_are_explained(tmp_path,
                                                                            monkeypatch):
    for name in cuda.KERNEL_FILES + ("common.cuh",):
        (tmp_path / name).write_text((KERNELS / name).read_text())
    monkeypatch.setenv(cuda.ENV_VAR, str(tmp_path))
    assert cuda.kernels_dir() == tmp_path
    monkeypatch.setattr(cuda, "_candidate_dirs", lambda: [tmp_path / "nowhere"])
    with pytest.raises(FileNotFoundError, match=r"cannot find its CUDA kernel sources.*"
                                                r"nowhere.*GKERAS_KERNELS_DIR"):
        cuda.kernels_dir()


def test_read_source_inlines_the_common_header_once():
    text = cuda.read_source("pooling.cu")
    assert '#include "' not in text
    assert "#pragma once" not in text
    assert text.count("#define GK_GRID_STRIDE") == 1
    assert "extern \"C\" __global__ void max_pool_2d_##SUFFIX" in text


def test_read_source_names_a_missing_include(tmp_path):
    (tmp_path / "k.cu").write_text('#include "absent.cuh"\n')
    with pytest.raises(FileNotFoundError, match="absent.cuh"):
        cuda.read_source("k.cu", tmp_path)


def test_kernel_names_by_dtype():
    assert cuda.kernel_name("im2col_2d", numpy.float32) == "im2col_2d_f32"
    assert cuda.kernel_name("im2col_2d", "float64") == "im2col_2d_f64"
    with pytest.raises(TypeError, match="float32 or float64.*float16"):
        cuda.kernel_name("im2col_2d", numpy.float16)


def test_grid_size():
    assert cuda.grid_size(1) == 1
    assert cuda.grid_size(cuda.THREADS) == 1
    assert cuda.grid_size(cuda.THREADS + 1) == 2
    assert cuda.grid_size(10 ** 12) == cuda.MAX_BLOCKS


def test_launch_passes_int32_and_checks_arguments(monkeypatch):
    calls = []
    monkeypatch.setattr(cuda, "get_kernel",
                        lambda f, n: lambda grid, block, args: calls.append((grid, block, args)))
    a = numpy.zeros(4, numpy.float32)
    cuda.launch("im2col.cu", "k", 1000, a, 3, numpy.int64(5))
    (grid, block, args), = calls
    assert grid == (4,) and block == (cuda.THREADS,)
    assert args[0] is a and [type(v) for v in args[1:]] == [numpy.int32, numpy.int32]
    with pytest.raises(OverflowError, match="int32"):
        cuda.launch("im2col.cu", "k", 1, a, 2 ** 31)
    with pytest.raises(ValueError, match="C-contiguous"):
        cuda.launch("im2col.cu", "k", 1, a[::2])
    with pytest.raises(TypeError, match="bool"):
        cuda.launch("im2col.cu", "k", 1, True)
    cuda.launch("im2col.cu", "k", 0, a)  # nothing to do: no launch
    assert len(calls) == 1
