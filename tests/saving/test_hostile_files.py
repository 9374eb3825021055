"""Damaged and hostile model files: each gives a clear exception naming the file; no code
from the file runs, nothing hangs, nothing is written."""
import base64
import json
import marshal
import os
import shutil
import zipfile

import h5py
import numpy
import pytest

import gkeras as keras
from gkeras import layers as L
from gkeras.saving import hdf5_format, keras_zip, serialization


@pytest.fixture
def good_file(tmp_path):
    model = keras.Sequential([L.Dense(6, activation="relu", input_shape=(4,)),
                              L.BatchNormalization(), L.Dense(2)])
    model.compile("adam", "mse")
    model.fit(numpy.ones((4, 4), "float32"), numpy.zeros((4, 2), "float32"), verbose=0)
    path = tmp_path / "good.h5"
    model.save(path)
    model.save(tmp_path / "good.keras")
    return path


def _load_fails(path, match="", **kwargs):
    """load_model raises a ValueError that names the file (and matches `match`)."""
    before = sorted(os.listdir(os.path.dirname(str(path)) or "."))
    with pytest.raises(ValueError, match=match) as info:
        keras.models.load_model(str(path), **kwargs)
    assert os.path.basename(str(path)) in str(info.value)
    assert sorted(os.listdir(os.path.dirname(str(path)) or ".")) == before  # nothing written
    return str(info.value)


def _copy_with(good_file, name, edit):
    """A copy of the good HDF5 file changed by `edit(h5py.File)`."""
    path = good_file.parent / name
    shutil.copy(good_file, path)
    with h5py.File(path, "r+") as f:
        edit(f)
    return path


def _with_config(good_file, name, config):
    def edit(f):
        f.attrs["model_config"] = config if isinstance(config, (str, bytes)) \
            else json.dumps(config).encode("utf8")
    return _copy_with(good_file, name, edit)


# ------------------------------------------------------------------ not a model file
def test_truncated_file(good_file):
    data = good_file.read_bytes()
    for n, cut in enumerate((len(data) // 2, 600, 40, 0)):
        path = good_file.parent / ("cut%d.h5" % n)
        path.write_bytes(data[:cut])
        _load_fails(path, "HDF5|corrupt|complete")


def test_random_bytes_and_text(tmp_path):
    (tmp_path / "noise.h5").write_bytes(numpy.random.default_rng(0).bytes(5000))
    _load_fails(tmp_path / "noise.h5", "HDF5")
    (tmp_path / "text.h5").write_text("model = 'not really'\n")
    _load_fails(tmp_path / "text.h5", "HDF5")
    (tmp_path / "zip.keras").write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    _load_fails(tmp_path / "zip.keras", "zip")


def test_flipped_bytes_never_crash(good_file):
    """Corruption anywhere gives a clean error (or, in raw weight data that HDF5 does not
    checksum, a model with other numbers) -- never another exception or a crash."""
    data = bytearray(good_file.read_bytes())
    rng = numpy.random.default_rng(42)
    for k, pos in enumerate(list(range(0, 16)) + list(rng.integers(0, len(data), 40))):
        bad = bytearray(data)
        bad[pos] ^= 0xFF
        path = good_file.parent / ("flip%d.h5" % k)
        path.write_bytes(bytes(bad))
        try:
            keras.models.load_model(str(path))
        except ValueError as e:
            assert path.name in str(e)
        path.unlink()


def test_directory_and_missing_file(tmp_path):
    (tmp_path / "saved_model").mkdir()
    _load_fails(tmp_path / "saved_model", "SavedModel")
    with pytest.raises(FileNotFoundError):
        keras.models.load_model(str(tmp_path / "nope.h5"))


# ------------------------------------------------------------------ HDF5 but not a model
def test_hdf5_without_model_config(good_file, tmp_path):
    def edit(f):
        del f.attrs["model_config"]
    _load_fails(_copy_with(good_file, "noconfig.h5", edit), "No model config")
    keras.Sequential([L.Dense(2, input_shape=(3,))]).save_weights(tmp_path / "w.h5")
    _load_fails(tmp_path / "w.h5", "No model config.*load_weights")


def test_missing_groups_and_datasets(good_file):
    def no_weights(f):
        del f["model_weights"]
    _load_fails(_copy_with(good_file, "a.h5", no_weights), "model_weights")

    def no_layer(f):
        del f["model_weights/dense"]
    _load_fails(_copy_with(good_file, "b.h5", no_layer), "dense")

    def no_dataset(f):
        del f["model_weights/dense/dense/kernel:0"]
    _load_fails(_copy_with(good_file, "c.h5", no_dataset), "kernel")

    def no_optimizer_slot(f):
        del f["optimizer_weights/Adam/m/dense/kernel:0"]
    _load_fails(_copy_with(good_file, "d.h5", no_optimizer_slot), "optimizer")


def test_wrong_shapes_and_types(good_file):
    def wrong_shape(f):
        del f["model_weights/dense/dense/kernel:0"]
        f["model_weights/dense/dense/kernel:0"] = numpy.zeros((5, 6), "float32")
    _load_fails(_copy_with(good_file, "a.h5", wrong_shape), r"dense.*\(4, 6\).*\(5, 6\)")

    def absurd_shape(f):  # declares 40 GB, stores nothing: refused before any read
        del f["model_weights/dense/dense/kernel:0"]
        f.create_dataset("model_weights/dense/dense/kernel:0", shape=(100000, 100000),
                         dtype="float32")
    _load_fails(_copy_with(good_file, "b.h5", absurd_shape), r"\(100000, 100000\)")

    def strings(f):
        del f["model_weights/dense/dense/bias:0"]
        f["model_weights/dense/dense/bias:0"] = numpy.array([b"abcdef"] * 6)
    _load_fails(_copy_with(good_file, "c.h5", strings), "not numbers")

    def optimizer_shape(f):
        del f["optimizer_weights/Adam/v/dense_1/bias:0"]
        f["optimizer_weights/Adam/v/dense_1/bias:0"] = numpy.zeros((7,), "float32")
    _load_fails(_copy_with(good_file, "d.h5", optimizer_shape), r"\(7,\)")

    def names_not_strings(f):
        f["model_weights"].attrs["layer_names"] = numpy.arange(3)
    _load_fails(_copy_with(good_file, "e.h5", names_not_strings), "not a name")

    def config_array(f):
        f.attrs["model_config"] = numpy.arange(4)
    _load_fails(_copy_with(good_file, "f.h5", config_array), "not a string")


# ------------------------------------------------------------------ absurd configs
@pytest.mark.parametrize("config,match", [
    ("this is not json", "not valid JSON"),
    ("[]", "class_name"),
    ("123", "class_name"),
    ("null", "class_name"),
    ('{"class_name": 5, "config": {}}', "class_name"),
    ('{"class_name": "Sequential", "config": "x"}', "Sequential config"),
    ('{"class_name": "Functional", "config": {"layers": 5}}', "layers"),
    ('{"class_name": "Functional", "config": {"layers": [{"class_name": "Dense"}], '
     '"input_layers": [], "output_layers": []}}', "class_name|config"),
    ('{"class_name": "Dense", "config": {"units": 2}}', "not a model"),
    ('{"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense", '
     '"config": {"units": -3}}]}}', "Error loading"),
    ('{"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense", '
     '"config": {"units": 2, "kernel_initializer": {"class_name": "deserialize_keras_object",'
     ' "config": {}}}}]}}', "Unknown initializer"),
])
def test_absurd_model_configs(good_file, config, match):
    _load_fails(_with_config(good_file, "absurd.h5", config), match)


def test_cyclic_and_dangling_graphs_do_not_hang(good_file):
    def layer(name, inbound):
        return {"class_name": "Dense", "config": {"name": name, "units": 2}, "name": name,
                "inbound_nodes": [[[inbound, 0, 0, {}]]]}
    inp = {"class_name": "InputLayer", "name": "in", "inbound_nodes": [],
           "config": {"batch_input_shape": [None, 2], "name": "in"}}
    cyclic = {"class_name": "Functional", "config": {
        "name": "m", "layers": [inp, layer("a", "b"), layer("b", "a")],
        "input_layers": [["in", 0, 0]], "output_layers": [["b", 0, 0]]}}
    _load_fails(_with_config(good_file, "cyclic.h5", cyclic), "never produced")
    dangling = {"class_name": "Functional", "config": {
        "name": "m", "layers": [inp, layer("a", "ghost")],
        "input_layers": [["in", 0, 0]], "output_layers": [["a", 0, 0]]}}
    _load_fails(_with_config(good_file, "dangling.h5", dangling), "ghost")
    bad_index = {"class_name": "Functional", "config": {
        "name": "m", "layers": [inp, layer("a", "in")],
        "input_layers": [["in", 0, 0]], "output_layers": [["a", 7, 0]]}}
    _load_fails(_with_config(good_file, "index.h5", bad_index), "node 7")


def test_deeply_nested_json(good_file):
    deep = "[" * 200000 + "]" * 200000
    _load_fails(_with_config(good_file, "deep.h5", deep), "nested")
    nested = {"class_name": "Sequential", "config": {"layers": []}}
    inner = nested
    for _ in range(150):  # a chain of models nested in models, valid JSON
        child = {"class_name": "Sequential", "config": {"layers": []}}
        inner["config"]["layers"].append(child)
        inner = child
    _load_fails(_with_config(good_file, "models.h5", json.dumps(nested)), "nest")


def test_huge_attributes_are_refused(good_file, monkeypatch):
    monkeypatch.setattr(hdf5_format, "MAX_JSON_ATTRIBUTE_BYTES", 500)
    _load_fails(good_file, "limit")
    monkeypatch.setattr(keras_zip, "MAX_CONFIG_BYTES", 500)
    _load_fails(good_file.parent / "good.keras", "limit")


def test_unknown_classes_name_the_class_and_suggest_custom_objects(good_file):
    config = {"class_name": "Sequential", "config": {"layers": [
        {"class_name": "MyAttentionLayer", "config": {"name": "att"}}]}}
    message = _load_fails(_with_config(good_file, "custom.h5", config), "MyAttentionLayer")
    assert "custom_objects" in message
    for dangerous in ("os.system", "__import__", "eval", "builtins.exec", "subprocess.Popen"):
        config = {"class_name": "Sequential", "config": {"layers": [
            {"class_name": dangerous, "config": {"args": ["touch /tmp/gkeras-owned"]}}]}}
        message = _load_fails(_with_config(good_file, "danger.h5", config), "Unknown layer")
        assert dangerous in message
    assert not os.path.exists("/tmp/gkeras-owned")


def test_unknown_loss_in_training_config(good_file):
    def edit(f):
        training = json.loads(f.attrs["training_config"])
        training["loss"] = "my_secret_loss"
        f.attrs["training_config"] = json.dumps(training).encode()
    path = _copy_with(good_file, "loss.h5", edit)
    message = _load_fails(path, "my_secret_loss")
    assert "custom_objects" in message
    assert keras.models.load_model(str(path), compile=False).built


# ------------------------------------------------------------------ stored code
def _lambda_model_config(function, function_type, module, arguments=None):
    return {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 2],
                                                "name": "in"}},
        {"class_name": "Lambda", "config": {
            "name": "evil", "function": function, "function_type": function_type,
            "module": module, "output_shape": [2], "output_shape_type": "raw",
            "output_shape_module": None, "arguments": arguments or {}}}]}}


def test_a_config_naming_os_system_never_runs_it(good_file, tmp_path):
    sentinel = tmp_path / "owned"
    config = _lambda_model_config("system", "function", "os",
                                  {"command": "touch %s" % sentinel})
    message = _load_fails(_with_config(good_file, "system.h5", config), "system")
    assert "custom_objects" in message
    assert not sentinel.exists()


def test_marshalled_lambda_is_refused_unless_safe_mode_is_off(good_file, tmp_path):
    sentinel = tmp_path / "owned"

    def payload(x):
        open(str(sentinel), "w").close()  # what a hostile file would do
        return x
    code = base64.b64encode(marshal.dumps(payload.__code__)).decode("ascii")
    config = _lambda_model_config([code, None, [str(sentinel)]], "lambda", "__main__")
    path = _with_config(good_file, "marshal.h5", config)
    message = _load_fails(path, "Refusing to load Lambda layer 'evil'")
    assert "safe_mode=False" in message
    assert not sentinel.exists()


def test_trusted_lambda_loads_with_safe_mode_off(tmp_path):
    model = keras.Sequential([L.Lambda(lambda t: t * 2.0 + 1.0, input_shape=(3,))])
    model.save(tmp_path / "lam.h5")
    model.save(tmp_path / "lam.keras")
    for name in ("lam.h5", "lam.keras"):
        _load_fails(tmp_path / name, "safe_mode=False")
        loaded = keras.models.load_model(str(tmp_path / name), safe_mode=False,
                                         compile=False)
        x = numpy.ones((2, 3), "float32")
        numpy.testing.assert_allclose(loaded.predict(x, verbose=0), x * 2.0 + 1.0)


def test_safe_mode_is_restored_after_loading(good_file):
    _load_fails(_with_config(good_file, "x.h5", "[]"), "class_name")
    assert not serialization.in_safe_mode()


# ------------------------------------------------------------------ .keras archives
def _archive(tmp_path, name, members):
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as zf:
        for member, data in members.items():
            zf.writestr(member, data)
    return path


def test_damaged_keras_archives(good_file, tmp_path):
    good = (tmp_path / "good.keras").read_bytes()
    (tmp_path / "cut.keras").write_bytes(good[:len(good) // 2])
    _load_fails(tmp_path / "cut.keras", "zip|archive")
    with zipfile.ZipFile(tmp_path / "good.keras") as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    _load_fails(_archive(tmp_path, "noconfig.keras", {"model.weights.h5": b"x"}),
                "config.json")
    _load_fails(_archive(tmp_path, "badjson.keras", dict(members, **{"config.json": "{"})),
                "JSON")
    _load_fails(_archive(tmp_path, "deep.keras",
                         dict(members, **{"config.json": "[" * 100000})), "nested")
    _load_fails(_archive(tmp_path, "list.keras", dict(members, **{"config.json": "[1]"})),
                "not a model")
    no_weights = {k: v for k, v in members.items() if k != "model.weights.h5"}
    _load_fails(_archive(tmp_path, "noweights.keras", no_weights), "model.weights.h5")
    _load_fails(_archive(tmp_path, "garbage.keras",
                         dict(members, **{"model.weights.h5": b"garbage" * 100})), "HDF5")
    _load_fails(_archive(tmp_path, "binary.keras",
                         dict(members, **{"config.json": b"\xff\xfe\x00"})), "UTF-8")


def test_load_weights_errors_name_the_file(good_file):
    def no_layer(f):
        del f["model_weights/dense"]
    path = _copy_with(good_file, "broken.h5", no_layer)
    model = keras.Sequential([L.Dense(6, activation="relu", input_shape=(4,)),
                              L.BatchNormalization(), L.Dense(2)])
    with pytest.raises(ValueError, match="broken.h5.*dense"):
        model.load_weights(str(path))


# ------------------------------------------------------------------ configs asking for huge layers
def _huge_config(good_file):
    """The good file's model config with its first Dense asking for 10**9 units."""
    with h5py.File(good_file, "r") as f:
        config = json.loads(f.attrs["model_config"])
    config["config"]["layers"][-3]["config"]["units"] = 10 ** 9
    assert config["config"]["layers"][-3]["class_name"] == "Dense"
    return config


def test_a_config_asking_for_more_weights_than_the_file_holds_allocates_nothing(good_file,
                                                                               tmp_path):
    # 4 x 10**9 float32 values would be 16 GB: refused before any of it is allocated
    config = _huge_config(good_file)
    message = _load_fails(_with_config(good_file, "huge.h5", config),
                          "asks for a weight 'kernel' of shape \\(4, 1000000000\\)")
    assert "corrupt or hostile" in message
    with zipfile.ZipFile(tmp_path / "good.keras") as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    keras_config = json.loads(members["config.json"])
    keras_config["config"]["layers"][1]["config"]["units"] = 10 ** 9
    assert keras_config["config"]["layers"][1]["class_name"] == "Dense"
    _load_fails(_archive(tmp_path, "huge.keras",
                         dict(members, **{"config.json": json.dumps(keras_config)})),
                "asks for a weight")


def test_huge_declared_but_empty_datasets_buy_no_weight_budget(good_file):
    # a small file may declare datasets of any size without storing them; they must not
    # let the config ask for that much memory
    def declare_huge(f):
        f["model_weights"].create_dataset("padding", shape=(10 ** 6, 10 ** 4),
                                          dtype="float32", chunks=(1000, 100))

    config = _huge_config(good_file)
    path = _copy_with(good_file, "declared.h5", declare_huge)
    with h5py.File(path, "r+") as f:
        f.attrs["model_config"] = json.dumps(config).encode("utf8")
    assert os.path.getsize(path) < 10 ** 6
    _load_fails(path, "asks for a weight")


def test_weight_budget_is_what_the_weights_store(good_file):
    from gkeras.engine.base_layer import weight_budget
    with h5py.File(good_file, "r") as f:
        budget = hdf5_format.weight_budget_of(f["model_weights"])
    stored = 4 * 6 + 6 + 4 * 6 + 6 * 2 + 2  # dense, batch norm (4 vectors), dense_1
    assert budget == stored + hdf5_format.WEIGHT_BUDGET_SLACK
    with weight_budget(stored, "'a file'"):
        keras.Sequential([L.Dense(6, input_shape=(4,)), L.BatchNormalization(), L.Dense(2)])
        with pytest.raises(ValueError, match="at most 68 weight values"):
            L.Dense(1).build((None, 1))
    L.Dense(10 ** 3).build((None, 10 ** 3))  # outside a load: no budget
