"""The CUDA sources compile for the GPU and keep the rules that make them testable here.

* NVRTC (the compiler CuPy uses at run time; from the `nvidia-cuda-nvrtc` wheel of the
  `test` extra, driven through ctypes, no GPU or driver needed) compiles exactly the text
  that `gkeras.backend.cuda` hands to `cupy.RawModule`, with the same options, to an sm_90
  cubin, without warnings, holding exactly the entry points the launchers call.
* nvcc, when it is on the PATH, compiles every file for sm_90 with warnings as errors.
* The sources use no standard header, no barrier, no atomic and no shared memory, and
  each file's header names its numpy twins and index mapping (DESIGN.md's rules).
* The launchers in `gkeras/ops/_ref_cuda.py` have the signatures of docs/kernels.md,
  which are also the numpy twins' signatures.
"""
import inspect
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from gkeras.backend import cuda
from gkeras.ops import _ref_cuda, _ref_numpy

from . import emulation, nvrtc

ROOT = Path(__file__).resolve().parents[2]
KERNELS = ROOT / "kernels"
ARCH = "sm_90"


def _launched_kernels():
    """{file: {base name}} of the kernels `_ref_cuda` launches, read from its source."""
    text = inspect.getsource(_ref_cuda)
    found = {}
    for filename, base in re.findall(r'cuda\.launch\("([\w.]+)", cuda\.kernel_name\("(\w+)"',
                                     text):
        found.setdefault(filename, set()).add(base)
    return found


def _contract():
    """{function: [argument names]} of the kernel functions listed in docs/kernels.md."""
    text = (ROOT / "docs" / "kernels.md").read_text(encoding="utf-8")
    return {name: [a.strip() for a in args.split(",")]
            for name, args in re.findall(r"^(\w+)\(([^)]*)\) ->", text, re.M)}


@pytest.fixture(scope="module")
def nvrtc_lib():
    path = nvrtc.find_library()
    if path is None and not sys.platform.startswith("linux"):
        pytest.skip("the nvidia-cuda-nvrtc wheel exists for Linux only")
    if path is None:
        pytest.fail("NVRTC (libnvrtc.so) was not found. It comes with the test extra: "
                    "pip install -e '.[test]' installs the nvidia-cuda-nvrtc wheel (or set "
                    "GKERAS_NVRTC to a libnvrtc.so).")
    return nvrtc.Nvrtc(path)


@pytest.fixture(scope="module")
def cubins(nvrtc_lib):
    """{file: (cubin bytes, log) or the NvrtcError}, compiled in parallel."""
    options = cuda.COMPILE_OPTIONS + ("--gpu-architecture=" + ARCH,)

    def compile_one(filename):
        try:
            return nvrtc_lib.compile_source(cuda.read_source(filename, KERNELS), filename,
                                            options, output="cubin")
        except nvrtc.NvrtcError as e:
            return e

    with ThreadPoolExecutor(max_workers=2) as ex:
        return dict(zip(cuda.KERNEL_FILES, ex.map(compile_one, cuda.KERNEL_FILES)))


def test_every_source_file_is_loaded():
    on_disk = sorted(p.name for p in KERNELS.glob("*.cu"))
    assert on_disk == sorted(cuda.KERNEL_FILES)
    assert sorted(_launched_kernels()) == sorted(cuda.KERNEL_FILES)


@pytest.mark.parametrize("filename", cuda.KERNEL_FILES)
def test_nvrtc_compiles_for_sm90(cubins, nvrtc_lib, filename):
    result = cubins[filename]
    if isinstance(result, Exception):
        pytest.fail("NVRTC %s.%s (%s): %s" % (*nvrtc_lib.version(), nvrtc_lib.path, result))
    cubin, log = result
    assert "warning" not in log.lower(), log
    assert cubin[:4] == b"\x7fELF"
    entries = set(re.findall(rb"\.text\.(\w+)", cubin))
    expected = {("%s_%s" % (base, suffix)).encode()
                for base in _launched_kernels()[filename] for suffix in ("f32", "f64")}
    assert entries == expected


def test_nvrtc_reports_compile_errors(nvrtc_lib):
    # The check above is only worth something if a broken source does fail.
    with pytest.raises(nvrtc.NvrtcError, match="undefined_name"):
        nvrtc_lib.compile_source('extern "C" __global__ void k(int* p) { *p = undefined_name; }',
                                 "broken.cu", cuda.COMPILE_OPTIONS + ("-arch=" + ARCH,), "cubin")


@pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc is not on the PATH")
def test_nvcc_compiles_for_sm90(tmp_path):
    def compile_one(filename):
        return subprocess.run(
            ["nvcc", "-arch=" + ARCH, "-std=c++14", "--cubin", "-Werror", "all-warnings",
             "-I", str(KERNELS), "-o", str(tmp_path / (filename + ".cubin")),
             str(KERNELS / filename)], capture_output=True, text=True)

    with ThreadPoolExecutor(max_workers=2) as ex:
        results = dict(zip(cuda.KERNEL_FILES, ex.map(compile_one, cuda.KERNEL_FILES)))
    failed = {f: r.stderr for f, r in results.items() if r.returncode != 0}
    assert not failed, failed


@pytest.mark.parametrize("path", sorted(KERNELS.glob("*.cu")) + [KERNELS / "common.cuh"],
                         ids=lambda p: p.name)
def test_sources_keep_the_emulatable_style(path):
    code = re.sub(r"//[^\n]*", "", path.read_text(encoding="utf-8"))  # comments may say it
    assert not re.search(r"#\s*include\s*<", code), "NVRTC has no standard headers"
    for banned in ("__syncthreads", "atomic", "__shared__", "printf"):
        assert banned not in code, "%s uses %s" % (path.name, banned)


@pytest.mark.parametrize("filename", cuda.KERNEL_FILES)
def test_each_file_header_names_its_twins_and_mapping(filename):
    header = (KERNELS / filename).read_text(encoding="utf-8").split("#include")[0]
    assert "Index mapping" in header
    for base in _launched_kernels()[filename]:
        assert base in header, "%s's header does not name %s" % (filename, base)
        assert hasattr(_ref_numpy, base), "%s has no numpy twin" % base


def test_entry_points_are_the_launched_ones_with_matching_types():
    for filename, bases in _launched_kernels().items():
        found = emulation.signatures(filename)
        assert sorted(found) == sorted("%s_%s" % (b, s) for b in bases for s in ("f32", "f64"))
        for name, params in found.items():
            dtype = "float" if name.endswith("_f32") else "double"
            pointers = [p for p in params if p.pointer]
            assert pointers and all(p.ctype in (dtype, "int") for p in pointers), name
            assert all(p.ctype == "int" for p in params if not p.pointer), name


def test_launchers_and_twins_have_the_contract_signatures():
    contract = _contract()
    assert len(contract) == 16, sorted(contract)
    for name, args in contract.items():
        for module in (_ref_cuda, _ref_numpy):
            function = getattr(module, name, None)
            assert function is not None, "%s.%s is missing" % (module.__name__, name)
            assert list(inspect.signature(function).parameters) == args, (module.__name__,
                                                                          name)
