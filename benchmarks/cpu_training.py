"""CPU training throughput of Keras's MNIST examples: gkeras vs PyTorch vs tf-keras.

Models (`--model`), as in Keras's examples, on synthetic MNIST-shaped data:
  mlp: Dense 512 relu, Dropout 0.2, Dense 512 relu, Dropout 0.2, Dense 10 softmax;
       RMSprop (mnist_mlp.py).
  cnn: Conv2D 32 3x3 relu, Conv2D 64 3x3 relu, MaxPooling2D 2x2, Dropout 0.25, Flatten,
       Dense 128 relu, Dropout 0.5, Dense 10 softmax; Adadelta (mnist_cnn.py).
  cifar: Keras's cifar10_cnn.py on 32x32x3 inputs: two blocks of Conv2D ('same', then
       'valid') + relu, MaxPooling2D, Dropout 0.25 (32 then 64 filters), Dense 512 relu,
       Dropout 0.5, Dense 10 softmax; RMSprop(1e-4) (the example's decay=1e-6 is left
       out: tf-keras's current optimizers reject it, and it changes nothing measurable).
Each framework runs in its own subprocess (tf-keras usually lives in another
virtualenv: pass its interpreter with --tf-python), with the same thread count
and data. Rounds alternate between frameworks so machine noise hits all of them
alike; the report gives medians and ratios, not absolute claims.

Usage:
    python benchmarks/cpu_training.py --model mlp|cnn|cifar [--threads 2] [--rounds 3]
        [--epochs 1] [--samples N] [--batch-size 128] [--tf-python /path/to/python]
        [--json benchmarks/results/FILE.json]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TITLES = {"mlp": "mnist_mlp", "cnn": "mnist_cnn", "cifar": "cifar10_cnn"}
ROOT = os.path.dirname(HERE)


def make_data(model, n, seed=0):
    import numpy
    rng = numpy.random.default_rng(seed)
    shape = {"mlp": (n, 784), "cnn": (n, 28, 28, 1), "cifar": (n, 32, 32, 3)}[model]
    x = rng.random(shape, dtype=numpy.float32)
    y = numpy.eye(10, dtype=numpy.float32)[rng.integers(0, 10, n)]
    return x, y


def build_keras(keras, model):
    """The Keras example model, compiled as the example compiles it."""
    L = keras.layers
    if model == "mlp":
        layers = [L.Dense(512, activation="relu", input_shape=(784,)), L.Dropout(0.2),
                  L.Dense(512, activation="relu"), L.Dropout(0.2),
                  L.Dense(10, activation="softmax")]
        optimizer = keras.optimizers.RMSprop()
    elif model == "cifar":
        layers = [L.Conv2D(32, (3, 3), padding="same", input_shape=(32, 32, 3)),
                  L.Activation("relu"), L.Conv2D(32, (3, 3)), L.Activation("relu"),
                  L.MaxPooling2D(pool_size=(2, 2)), L.Dropout(0.25),
                  L.Conv2D(64, (3, 3), padding="same"), L.Activation("relu"),
                  L.Conv2D(64, (3, 3)), L.Activation("relu"),
                  L.MaxPooling2D(pool_size=(2, 2)), L.Dropout(0.25), L.Flatten(),
                  L.Dense(512), L.Activation("relu"), L.Dropout(0.5), L.Dense(10),
                  L.Activation("softmax")]
        optimizer = keras.optimizers.RMSprop(learning_rate=0.0001)
    else:
        layers = [L.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)),
                  L.Conv2D(64, (3, 3), activation="relu"), L.MaxPooling2D((2, 2)),
                  L.Dropout(0.25), L.Flatten(), L.Dense(128, activation="relu"),
                  L.Dropout(0.5), L.Dense(10, activation="softmax")]
        optimizer = keras.optimizers.Adadelta(learning_rate=1.0)
    net = keras.models.Sequential(layers)
    net.compile(loss="categorical_crossentropy", optimizer=optimizer, metrics=["accuracy"])
    return net


def run_keras_like(keras, args):
    """Times `fit` epochs for gkeras or tf-keras (same Keras 2 code)."""
    x, y = make_data(args.model, args.samples)
    model = build_keras(keras, args.model)
    model.fit(x[:args.batch_size * 4], y[:args.batch_size * 4], batch_size=args.batch_size,
              epochs=1, verbose=0)  # warm-up
    start = time.perf_counter()
    model.fit(x, y, batch_size=args.batch_size, epochs=args.epochs, verbose=0)
    return time.perf_counter() - start


def build_torch(torch, model):
    nn = torch.nn
    if model == "mlp":
        net = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Dropout(0.2),
                            nn.Linear(512, 512), nn.ReLU(), nn.Dropout(0.2), nn.Linear(512, 10))
        return net, torch.optim.RMSprop(net.parameters(), lr=0.001, alpha=0.9, eps=1e-7)
    if model == "cifar":
        net = nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 32, 3),
                            nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25),
                            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.Conv2d(64, 64, 3),
                            nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25), nn.Flatten(),
                            nn.Linear(64 * 6 * 6, 512), nn.ReLU(), nn.Dropout(0.5),
                            nn.Linear(512, 10))
        return net, torch.optim.RMSprop(net.parameters(), lr=0.0001, alpha=0.9, eps=1e-7)
    net = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(),
                        nn.MaxPool2d(2), nn.Dropout(0.25), nn.Flatten(),
                        nn.Linear(64 * 12 * 12, 128), nn.ReLU(), nn.Dropout(0.5),
                        nn.Linear(128, 10))
    return net, torch.optim.Adadelta(net.parameters(), lr=1.0, rho=0.95, eps=1e-7)


def run_torch(args):
    """Times the equivalent PyTorch loop (same layers and optimizer settings)."""
    import torch
    torch.set_num_threads(args.threads)
    x, y = make_data(args.model, args.samples)
    if args.model != "mlp":
        x = x.transpose(0, 3, 1, 2).copy()  # PyTorch's native NCHW
    x, labels = torch.from_numpy(x), torch.from_numpy(y.argmax(1))
    model, opt = build_torch(torch, args.model)
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
    cmd = [python, os.path.abspath(__file__), "--worker", name, "--model", args.model,
           "--threads", str(args.threads),
           "--epochs", str(args.epochs), "--samples", str(args.samples),
           "--batch-size", str(args.batch_size)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if out.returncode != 0:
        raise RuntimeError("%s worker failed:\n%s" % (name, out.stderr[-3000:]))
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", choices=["gkeras", "torch", "tf_keras"])
    parser.add_argument("--model", choices=["mlp", "cnn", "cifar"], default="mlp")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--samples", type=int, default=None,
                        help="default: 12800 (mlp), 2560 (cnn, cifar)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--torch-python", default=sys.executable)
    parser.add_argument("--tf-python", default=None,
                        help="interpreter of a virtualenv with tensorflow-cpu and tf-keras")
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args()
    if args.samples is None:
        args.samples = 12800 if args.model == "mlp" else 2560
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
    print("%s, batch %d, %d samples x %d epoch(s), %d threads, %d rounds (median "
          "samples/s)" % (TITLES[args.model], args.batch_size, args.samples, args.epochs,
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
