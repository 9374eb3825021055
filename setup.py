"""Packaging for gkeras: ``pip install .`` (CPU), ``pip install .[cuda12]`` (GPU)."""

import os
import re

from setuptools import find_packages, setup

HERE = os.path.dirname(os.path.abspath(__file__))


def read(*parts):
    """Returns the text of a file given relative to this directory."""
    with open(os.path.join(HERE, *parts), encoding="utf-8") as f:
        return f.read()


VERSION = re.search(
    r'^__version__ = "([^"]+)"$', read("gkeras", "_version.py"), re.MULTILINE
).group(1)

setup(
    name="gkeras",
    version=VERSION,
    description="The Keras 2 API on numpy and CuPy: `import gkeras as keras`.",
    long_description=read("README.md"),
    long_description_content_type="text/markdown",
    license="MIT",
    license_files=["LICENSE", "NOTICE"],
    python_requires=">=3.9",
    # The CUDA sources in kernels/ ship inside the package as gkeras/_kernels/, where
    # gkeras.backend.cuda finds them (an editable install reads the checkout's kernels/).
    packages=find_packages(include=["gkeras", "gkeras.*"]) + ["gkeras._kernels"],
    package_dir={"gkeras._kernels": "kernels"},
    package_data={"gkeras.datasets": ["data/digits.csv.gz", "data/DIGITS_LICENSE.txt"],
                  "gkeras._kernels": ["*.cu", "*.cuh", "*.h", "README.md"]},
    install_requires=["numpy>=1.23", "h5py>=3.0"],
    extras_require={
        "cuda12": ["cupy-cuda12x"],
        "cuda13": ["cupy-cuda13x"],
        # mpich from PyPI provides the MPI library mpi4py needs and `mpiexec`
        "mpi": ["mpi4py", "mpich"],
        # nvidia-cuda-nvrtc: the CUDA 13 run-time compiler, with which tests/kernels compile
        # every kernel for sm_90 without a GPU.
        "test": ["pytest", "pytest-timeout",
                 "nvidia-cuda-nvrtc>=13; platform_system == 'Linux'"],
    },
    classifiers=[
        "Programming Language :: Python :: 3",
        "License :: OSI Approved :: MIT License",
        "Operating System :: OS Independent",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)
