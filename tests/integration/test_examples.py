"""The Quick start's main job runs end to end and learns the digits."""
import os
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_digits_mlp_example_trains_to_high_accuracy():
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, str(ROOT / "examples" / "digits_mlp.py"),
                          "--epochs", "20"], capture_output=True, env=env,
                         timeout=300, check=True).stdout.decode()  # bytes: keep the '\r's
    assert 'Model: "sequential"' in out
    assert re.search(r"\r41/41 \[=+\] - \d+s \d+(us|ms)/step - loss: \d\.\d{4}", out)
    accuracy = float(re.search(r"Test accuracy: ([0-9.]+)", out).group(1))
    assert accuracy > 0.9, out[-2000:]
