"""Global Keras settings: float type, fuzz factor, image data format."""
_settings = {"floatx": "float32", "epsilon": 1e-7, "image_data_format": "channels_last"}
_FLOAT_TYPES = ("float16", "float32", "float64")
_FORMATS = ("channels_last", "channels_first")


def floatx():
    """The default float type as a string, e.g. 'float32'."""
    return _settings["floatx"]


def set_floatx(value):
    """Sets the default float type ('float16', 'float32' or 'float64')."""
    if value not in _FLOAT_TYPES:
        raise ValueError("Unknown floatx type: %r; expected one of %s"
                         % (value, ", ".join(_FLOAT_TYPES)))
    _settings["floatx"] = str(value)


def epsilon():
    """The fuzz factor used in numeric expressions (1e-7 by default)."""
    return _settings["epsilon"]


def set_epsilon(value):
    """Sets the fuzz factor."""
    _settings["epsilon"] = float(value)


def image_data_format():
    """'channels_last' (default) or 'channels_first'."""
    return _settings["image_data_format"]


def set_image_data_format(data_format):
    """Sets the default image data format."""
    if data_format not in _FORMATS:
        raise ValueError("Unknown data_format: %r; expected one of %s"
                         % (data_format, ", ".join(_FORMATS)))
    _settings["image_data_format"] = str(data_format)


def normalize_data_format(value):
    """Returns `value`, or the global default when it is None, validated."""
    if value is None:
        return image_data_format()
    value = str(value).lower()
    if value not in _FORMATS:
        raise ValueError("The `data_format` argument must be one of %s, got %r"
                         % (", ".join(_FORMATS), value))
    return value
