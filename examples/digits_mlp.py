"""Trains a simple multilayer perceptron on the bundled handwritten digits (8x8 images).

The Quick start's main job, written as a Keras 2 user would write it (compare Keras's
``mnist_mlp.py``). Reaches a test accuracy above 0.9 within seconds on numpy.

Usage:
    python examples/digits_mlp.py [--epochs N]
"""

import argparse

import gkeras as keras
from gkeras.datasets import digits
from gkeras.layers import Dense, Dropout, Flatten
from gkeras.models import Sequential
from gkeras.utils import to_categorical

NUM_CLASSES = 10


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20, help="passes over the training data")
    args = parser.parse_args()
    print("gkeras", keras.__version__)

    (x_train, y_train), (x_test, y_test) = digits.load_data()
    x_train = x_train.astype("float32") / 16.0
    x_test = x_test.astype("float32") / 16.0
    print(x_train.shape[0], "train samples")
    print(x_test.shape[0], "test samples")

    y_train = to_categorical(y_train, NUM_CLASSES)
    y_test = to_categorical(y_test, NUM_CLASSES)

    model = Sequential()
    model.add(Flatten(input_shape=(8, 8)))
    model.add(Dense(64, activation="relu"))
    model.add(Dropout(0.2))
    model.add(Dense(NUM_CLASSES, activation="softmax"))
    model.summary()

    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=32, epochs=args.epochs, verbose=1,
              validation_split=0.1)
    score = model.evaluate(x_test, y_test, verbose=0)
    print("Test loss:", score[0])
    print("Test accuracy:", score[1])


if __name__ == "__main__":
    main()
