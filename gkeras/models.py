"""Model classes, whole-model files and model (de)serialisation from configs and JSON."""
import json

from .engine.sequential import Sequential  # noqa: F401
from .engine.training import Model  # noqa: F401
from .saving.saving_api import load_model, save_model  # noqa: F401


def model_from_config(config, custom_objects=None):
    """A model from {'class_name': ..., 'config': ...}."""
    if isinstance(config, list):
        raise TypeError("`model_from_config` expects a dictionary, not a list. Maybe you meant "
                        "to use `Sequential.from_config(config)`?")
    from .layers import deserialize
    return deserialize(config, custom_objects=custom_objects)


def model_from_json(json_string, custom_objects=None):
    """A model from the JSON string written by `model.to_json()`."""
    try:
        config = json.loads(json_string)
    except (TypeError, ValueError) as e:
        raise ValueError("model_from_json: the string is not valid JSON (%s)" % (e,)) from None
    return model_from_config(config, custom_objects=custom_objects)


def model_from_yaml(yaml_string, custom_objects=None):
    raise RuntimeError("Method `model_from_yaml()` has been removed from Keras and gkeras "
                       "because YAML loading can execute arbitrary code. Use "
                       "`model_from_json()` instead.")


def clone_model(model, input_tensors=None, clone_function=None):
    """A new model with the same architecture and freshly initialised weights.

    The copy is made from the model's config (as Keras's clone_model does for
    functional and Sequential models); `input_tensors` and `clone_function` are not
    supported yet.
    """
    if input_tensors is not None or clone_function is not None:
        raise NotImplementedError("clone_model(input_tensors=..., clone_function=...) is not "
                                  "supported by gkeras yet.")
    from .saving.serialization import model_class_name
    return model_from_config({"class_name": model_class_name(model),
                              "config": model.get_config()})
