"""`model.summary()`: Keras's layer table, laid out exactly as tf.keras prints it."""
import numpy


def count_params(weights):
    """Total number of scalars in a list of Variables."""
    return int(sum(int(numpy.prod(w.shape)) for w in weights))


def _is_sequential_like(model):
    from ..engine.sequential import Sequential
    if isinstance(model, Sequential):
        return True
    for depth_nodes in model._nodes_by_depth.values():
        if len(depth_nodes) > 1:
            return False
        for node in depth_nodes:
            if len(node.input_tensors) > 1:
                return False
    return all(len(layer._inbound_nodes) <= 1 for layer in model.layers)


def _format_shape(shape):
    if isinstance(shape, list):
        return "[" + ", ".join(_format_shape(s) for s in shape) + "]"
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + \
        ("," if len(shape) == 1 else "") + ")"


def _readable_size(n_params):
    size = float(n_params * 4)
    for unit in ("Byte", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return "%.2f %s" % (size, unit)
        size /= 1024.0
    return "%.2f GB" % size


def print_summary(model, line_length=None, positions=None, print_fn=None):
    """Prints the summary table of `model` one line at a time through `print_fn`."""
    if not model.built:
        raise ValueError("This model has not yet been built. Build the model first by calling "
                         "`build()` or by calling the model on a batch of data.")
    print_fn = print_fn or print
    sequential_like = _is_sequential_like(model)
    if sequential_like:
        line_length = line_length or 65
        positions = positions or [0.45, 0.85, 1.0]
        headers = ["Layer (type)", "Output Shape", "Param #"]
    else:
        line_length = line_length or 98
        positions = positions or [0.3, 0.6, 0.7, 1.0]
        headers = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]

    def row(fields):
        left = [str(f) for f in fields]
        while any(left):
            line = ""
            for col, text in enumerate(left):
                start = positions[col - 1] if col > 0 else 0
                end = positions[col]
                last = col == len(positions) - 1
                space = 0 if last else 2
                # all but the last column lose one more character to align the columns
                cutoff = end - start - space - (0 if last else 1)
                fit = text[:cutoff]
                # break long cells after a closing bracket or quote, as Keras does
                breaks = [fit.find(b) + len(b) for b in ("),", "},", "],", "',")
                          if fit.find(b) >= 0]
                if breaks:
                    cutoff = min(breaks)
                    fit = fit[:cutoff]
                if col == 0:
                    line += " "
                line += fit + " " * space
                left[col] = text[cutoff:]
                line += " " * (end - len(line))
            print_fn(line)

    print_fn('Model: "%s"' % model.name)
    print_fn("_" * line_length)
    row(headers)
    print_fn("=" * line_length)
    layers = model.layers
    relevant = {id(n) for nodes in model._nodes_by_depth.values() for n in nodes} \
        if model._is_graph_network else set()
    for layer in layers:
        try:
            shape = _format_shape(layer.output_shape)
        except AttributeError:
            shape = "multiple"
        from ..engine.input_layer import InputLayer
        if isinstance(layer, InputLayer):  # tf.keras shows an InputLayer's shape as a list
            shape = "[%s]" % shape
        name = "%s (%s)" % (layer.name, type(layer).__name__)
        params = layer.count_params() if layer.built else 0
        fields = [name, shape, params]
        if not sequential_like:
            connections = []
            for node in layer._inbound_nodes:
                if relevant and id(node) not in relevant:
                    continue
                for t in node.input_tensors:
                    inbound, node_index, tensor_index = t._keras_history
                    connections.append("%s[%d][%d]" % (inbound.name, node_index, tensor_index))
            fields.append(repr(connections))
        row(fields)
        print_fn(" " * line_length)
    print_fn("=" * line_length)
    trainable = count_params(model.trainable_weights)
    non_trainable = count_params(model.non_trainable_weights)
    total = trainable + non_trainable
    print_fn("Total params: %d (%s)" % (total, _readable_size(total)))
    print_fn("Trainable params: %d (%s)" % (trainable, _readable_size(trainable)))
    print_fn("Non-trainable params: %d (%s)" % (non_trainable, _readable_size(non_trainable)))
    print_fn("_" * line_length)
