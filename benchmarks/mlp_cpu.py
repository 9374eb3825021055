"""CPU training throughput of Keras's mnist_mlp (784-512-512-10): gkeras vs PyTorch vs tf-keras.

Each framework runs in its own subprocess (tf-keras usually lives in another
virtualenv: pass its interpreter with --tf-python), with the same thread count,
the same model (Dense 512 relu, Dropout 0.2, Dense 512 relu, Dropout 0.2,
Dense 10 softmax; RMSprop; categorical cross-entropy) and the same synthetic
MNIST-shaped data. Rounds alternate between frameworks so machine noise hits
all of them alike; the report gives medians and ratios, not absolute claims.

Usage:
    python benchmarks/mlp_cpu.py [--threads 2] [--rounds 3] [--epochs 1]
        [--samples 12800] [--batch-size 128] [--tf-python /path/to/python]
        [--json benchmarks/results/mlp_cpu.json]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def make_data(n, seed=0):
    import numpy
    rng = numpy.random.default_rng(seed)
    x = rng.random((n, 784), dtype=numpy.float32)
    labels = rng.integers(0, 10, n)
    y = numpy.eye(10, dtype=numpy.float32)[labels]
    return x, y


def run_keras_like(keras, args):
    """Times `fit` epochs for gkeras or tf-keras (same Keras 2 code)."""
    x, y = make_data(args.samples)
    model = keras.models.Sequential([
        keras.layers.Dense(512, activation="relu", input_shape=(784,)),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(512, activation="relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(10, activation="softmax")])
    model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.RMSprop(),
                  metrics=["accuracy"])
    model.fit(x[:args.batch_size * 4], y[:args.batch_size * 4], batch_size=args.batch_size,
              epochs=1, verbose=0)  # warm-up
    start = time.perf_counter()
    model.fit(x, y, batch_size=args.batch_size, epochs=args.epochs, verbose=0)
    return time.perf_counter() - start


def run_torch(args):
    """Times an equivalent PyTorch loop (same layers, RMSprop with Keras's defaults)."""
    import torch
    torch.set_num_threads(args.threads)
    x, y = make_data(args.samples)
    x, labels = torch.from_numpy(x), torch.from_numpy(y.argmax(1))
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Dropout(0.2),
        torch.nn.Linear(512, 512), torch.nn.ReLU(), torch.nn.Dropout(0.2),
        torch.nn.Linear(512, 10))
    opt = torch.optim.RMSprop(model.parameters(), lr=0.001, alpha=0.9, eps=1e-7)
    loss_fn = torch.nn.CrossEntropyLoss()

    def epoch(limit=None):
        perm = torch.randperm(len(x))
        n = len(x) if limit is None else limit
        correct = 0
        for i in range(0, n, args.batch_size):
            idx = perm[i:i + args.batch_size]
            opt.zero_grad()
            out = model(x[idx])
            loss = loss_fn(out, labels[idx])
            loss.backward()
            opt.step()
            correct += (out.argmax(1) == labels[idx]).sum().item()  # accuracy, as Keras logs
            loss.item()
        return correct

    model.train()
    epoch(args.batch_size * 4)  # warm-up
    start = time.perf_counter()
    for _ in range(args.epochs):
        epoch()
    return time.perf_counter() - start


def worker(args):
    if args.worker == "torch":
        seconds = run_torch(args)
    else:
        if args.worker == "gkeras":
            sys.path.insert(0, ROOT)
            import gkeras as keras
        else:
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
            import tensorflow as tf
            tf.config.threading.set_intra_op_parallelism_threads(args.threads)
            tf.config.threading.set_inter_op_parallelism_threads(1)
            import tf_keras as keras
        seconds = run_keras_like(keras, args)
    print(json.dumps({"seconds": seconds,
                      "samples_per_s": args.samples * args.epochs / seconds}))


def spawn(name, python, args):
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(args.threads)
    # these slow current OpenBLAS builds down; see the env notes of this workplace
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    cmd = [python, os.path.abspath(__file__), "--worker", name, "--threads", str(args.threads),
           "--epochs", str(args.epochs), "--samples", str(args.samples),
           "--batch-size", str(args.batch_size)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if out.returncode != 0:
        raise RuntimeError("%s worker failed:\n%s" % (name, out.stderr[-3000:]))
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", choices=["gkeras", "torch", "tf_keras"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--samples", type=int, default=12800)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--torch-python", default=sys.executable)
    parser.add_argument("--tf-python", default=None,
                        help="interpreter of a virtualenv with tensorflow-cpu and tf-keras")
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args()
    if args.worker:
        return worker(args)

    frameworks = [("gkeras", sys.executable), ("torch", args.torch_python)]
    if args.tf_python:
        frameworks.append(("tf_keras", args.tf_python))
    results = {name: [] for name, _ in frameworks}
    for _ in range(args.rounds):
        for name, python in frameworks:
            results[name].append(spawn(name, python, args)["samples_per_s"])
    medians = {name: statistics.median(v) for name, v in results.items()}
    print("mnist_mlp 784-512-512-10, batch %d, %d samples x %d epoch(s), %d threads, "
          "%d rounds (median samples/s)" % (args.batch_size, args.samples, args.epochs,
                                            args.threads, args.rounds))
    for name, value in medians.items():
        print("  %-9s %9.0f samples/s" % (name, value))
    for name, value in medians.items():
        if name != "gkeras":
            print("  gkeras / %-9s = %.2f" % (name, medians["gkeras"] / value))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"config": vars(args), "samples_per_s": results, "median": medians},
                      f, indent=2)


if __name__ == "__main__":
    main()
