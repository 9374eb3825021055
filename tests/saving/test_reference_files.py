"""Interop with real Keras: the committed files of tests/reference/saving/.

tfk_*.h5 / tfk_*.keras were written by tf-keras 2.21 after one training step
(tests/reference/make_reference_h5.py): gkeras loads each, predicts what tf-keras
predicted, and its second training step gives tf-keras's loss and weights -- so the
architecture, the weights, the training config and the optimizer state were all read
correctly. gk_* files were written by gkeras and checked in tf-keras by the generator;
here gkeras re-reads them (the format it writes stays readable).
"""
import json
import os

import numpy
import pytest

import gkeras
from reference._refutil import make_batch

REF = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "reference",
                   "saving")


def _load_meta(name):
    with open(os.path.join(REF, name)) as f:
        return json.load(f)


TFK = _load_meta("tfk_reference.json")
GK = _load_meta("gk_reference.json")
TFK_ARRAYS = numpy.load(os.path.join(REF, "tfk_reference.npz"))
GK_ARRAYS = numpy.load(os.path.join(REF, "gk_reference.npz"))


def _one(v):
    return v[0] if len(v) == 1 else v


def check_model(model, name, info, arrays, rtol_pred=1e-5, rtol_w=2e-4):
    """Predictions, then the second step's loss and weights, against the stored ones."""
    spec = info["data"]
    (xs, _), (x2, y2) = make_batch(spec, 0), make_batch(spec, 1)
    assert [float(numpy.sum(x, dtype="float64")) for x in xs] == pytest.approx(
        info["x_sums"], rel=1e-12), "the regenerated inputs drifted"
    pred = model.predict(_one(xs), verbose=0)
    pred = pred if isinstance(pred, list) else [pred]
    assert len(pred) == len([k for k in arrays.files if k.startswith(name + ".pred.")])
    for i, p in enumerate(pred):
        numpy.testing.assert_allclose(p, arrays["%s.pred.%d" % (name, i)], rtol=rtol_pred,
                                      atol=1e-6, err_msg="%s output %d" % (name, i))
    if not info["step2"]:
        return
    assert int(model.optimizer.iterations.numpy()) == 1  # the saved state after one step
    loss = model.train_on_batch(_one(x2), _one(y2))
    loss = loss[0] if isinstance(loss, list) else loss
    assert loss == pytest.approx(info["loss2"], rel=1e-5, abs=1e-6)
    flat = arrays["%s.w2" % name]
    pos = 0
    by_name = {layer.name: layer for layer in model.layers}
    for layer_name, shapes in info["w2_layout"]:
        ours = by_name[layer_name].get_weights()
        assert [list(w.shape) for w in ours] == shapes, layer_name
        for j, w in enumerate(ours):
            size = int(numpy.prod(w.shape))
            numpy.testing.assert_allclose(w.ravel(), flat[pos:pos + size], rtol=rtol_w,
                                          atol=2e-6, err_msg="%s: %s weight %d after the "
                                          "second step" % (name, layer_name, j))
            pos += size
    assert pos == flat.size


@pytest.mark.parametrize("name", sorted(TFK["models"]))
def test_tf_keras_h5_file_loads_predicts_and_resumes(name):
    info = TFK["models"][name]
    model = gkeras.models.load_model(os.path.join(REF, "tfk_%s.h5" % name))
    assert model.optimizer is not None
    check_model(model, name, info, TFK_ARRAYS)


@pytest.mark.parametrize("name", sorted(n for n, i in TFK["models"].items() if i["keras_zip"]))
def test_tf_keras_keras_archive_loads_predicts_and_resumes(name):
    model = gkeras.models.load_model(os.path.join(REF, "tfk_%s.keras" % name))
    check_model(model, name, TFK["models"][name], TFK_ARRAYS)


def test_reference_models_cover_the_layer_families():
    covered = set()
    for info in TFK["models"].values():
        covered.update(info["layer_classes"])
    for family in ["Dense", "Dropout", "Activation", "Flatten", "Reshape", "Permute",
                   "RepeatVector", "Embedding", "BatchNormalization", "Add", "Subtract",
                   "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot",
                   "Conv1D", "Conv2D", "Conv2DTranspose", "Conv3D", "Cropping2D",
                   "ZeroPadding2D", "MaxPooling1D", "MaxPooling2D", "AveragePooling2D",
                   "GlobalMaxPooling2D", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
                   "Sequential", "Functional"]:
        assert family in covered, family
    assert len(TFK["models"]) >= 10


@pytest.mark.parametrize("name", sorted(GK["models"]))
def test_gkeras_written_reference_files_still_load(name):
    info = GK["models"][name]
    model = gkeras.models.load_model(os.path.join(REF, info["file"]))
    check_model(model, name, info, GK_ARRAYS, rtol_pred=1e-6, rtol_w=1e-5)


def test_reference_files_stay_small():
    sizes = {f: os.path.getsize(os.path.join(REF, f)) for f in os.listdir(REF)}
    assert max(sizes.values()) < 64 * 1024, sizes
    assert sum(sizes.values()) < 400 * 1024
