"""The emulation harness itself: it refuses what a GPU launch would get wrong."""
import numpy
import pytest

from gkeras.backend import cuda

from . import emulation


@pytest.fixture(scope="module")
def im2col():
    return emulation.load("im2col.cu").get_function("im2col_2d_f32")


def _args(x, cols, *ints):
    return (x, cols) + tuple(numpy.int32(i) for i in ints)


GEOMETRY = (1, 3, 3, 1, 2, 2, 1, 1, 0, 0, 1, 1, 2, 2)  # n h w c kh kw sy sx pt pl dy dx oh ow


def test_a_correct_launch_runs_every_block(im2col):
    x = numpy.arange(9, dtype=numpy.float32).reshape(1, 3, 3, 1)
    cols = numpy.full((1, 2, 2, 2, 2, 1), numpy.nan, dtype=numpy.float32)
    im2col((2,), (3,), _args(x, cols, *GEOMETRY))
    assert cols[0, :, :, :, :, 0].tolist() == [
        [[[0, 1], [3, 4]], [[1, 2], [4, 5]]], [[[3, 4], [6, 7]], [[4, 5], [7, 8]]]]
    assert im2col.launches[-1] == ((2, 1, 1), (3, 1, 1))


def test_python_ints_are_refused_where_the_kernel_takes_int(im2col):
    x = numpy.zeros((1, 3, 3, 1), numpy.float32)
    cols = numpy.zeros((1, 2, 2, 2, 2, 1), numpy.float32)
    args = list(_args(x, cols, *GEOMETRY))
    args[2] = 1  # CuPy would pass a Python int as a 64-bit integer
    with pytest.raises(TypeError, match=r"int n takes numpy.int32"):
        im2col((1,), (1,), args)
    args[2] = numpy.int64(1)
    with pytest.raises(TypeError, match=r"numpy.int32"):
        im2col((1,), (1,), args)


def test_pointer_dtype_layout_and_count_are_checked(im2col):
    x = numpy.zeros((1, 3, 3, 1), numpy.float32)
    cols = numpy.zeros((1, 2, 2, 2, 2, 1), numpy.float32)
    with pytest.raises(TypeError, match="takes float32 data, got a float64 array"):
        im2col((1,), (1,), _args(x.astype(numpy.float64), cols, *GEOMETRY))
    with pytest.raises(ValueError, match="non-contiguous"):
        im2col((1,), (1,), _args(x, cols[..., ::1].transpose(0, 2, 1, 3, 4, 5), *GEOMETRY))
    with pytest.raises(TypeError, match="takes 16 arguments"):
        im2col((1,), (1,), _args(x, cols, *GEOMETRY[:-1]))
    with pytest.raises(ValueError, match="grid must be"):
        im2col((0,), (1,), _args(x, cols, *GEOMETRY))


def test_writes_past_an_array_are_caught(im2col):
    x = numpy.zeros((1, 3, 3, 1), numpy.float32)
    too_short = numpy.zeros(15, numpy.float32)  # the kernel writes 16 elements
    with pytest.raises(AssertionError, match="wrote outside the array of parameter float"):
        im2col((1,), (4,), _args(x, too_short, *GEOMETRY))


def test_reads_past_an_array_bring_poison():
    # A kernel told the input is larger than it is reads the guard zone: NaN comes out.
    col2im = emulation.load("im2col.cu").get_function("col2im_2d_f64")
    cols = numpy.ones(3, numpy.float64)  # geometry says (1, 2, 2, 1, 1, 1): 4 elements
    gx = numpy.zeros(4, numpy.float64)
    col2im((1,), (1,), (cols, gx) + tuple(numpy.int32(i) for i in
                                          (1, 2, 2, 1, 1, 1, 1, 1, 0, 0, 1, 1, 2, 2)))
    assert gx[:3].tolist() == [1, 1, 1] and numpy.isnan(gx[3])


def test_signatures_are_parsed_from_the_preprocessed_source():
    params = emulation.load("pooling.cu").signatures["max_pool_2d_bwd_f64"]
    assert [str(p) for p in params[:4]] == ["const double* gy", "const int* argmax",
                                            "double* gx", "int n"]
    assert len(params) == 3 + 12


def test_launcher_grid_covers_every_element_within_the_caps(monkeypatch):
    kernel = emulation.load("global_pooling.cu").get_function("global_avg_pool_bwd_f32")
    monkeypatch.setattr(cuda, "get_kernel", lambda filename, name: kernel)
    from gkeras.ops import _ref_cuda
    for n, s, c in [(1, 1, 1), (3, 100, 7), (2, 300, 1)]:
        gy = numpy.ones((n, c), numpy.float32)
        gx = _ref_cuda.global_avg_pool_bwd(gy, s)
        assert (gx == numpy.float32(1) / numpy.float32(s)).all()
        (blocks, _, _), (threads, _, _) = kernel.launches[-1]
        assert threads == cuda.THREADS
        assert blocks == min(-(-gx.size // threads), cuda.MAX_BLOCKS)
    # Empty outputs launch nothing (a zero-sized grid is an error in CUDA).
    calls = len(kernel.launches)
    assert _ref_cuda.global_avg_pool_bwd(numpy.ones((0, 3), numpy.float32), 4).shape == (0, 4, 3)
    assert len(kernel.launches) == calls
