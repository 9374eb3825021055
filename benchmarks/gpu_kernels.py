"""GPU kernel benchmark: gkeras's conv/pool ops against PyTorch (cuDNN) on one device.

Each case times the forward and the forward+backward of one op on realistic layer
shapes (ResNet/VGG sizes, batch 64), with CUDA events, warm-up excluded, the median of
several repeats, alternating gkeras and PyTorch. Prints a table with milliseconds,
achieved TFLOP/s (convolutions) or GB/s (pooling) and the gkeras/PyTorch time ratio
(> 1 means gkeras is slower), and writes the numbers as JSON if asked.

Run on a machine with a GPU, from the repository root:
    GKERAS_DEVICE=gpu PYTHONPATH=. python benchmarks/gpu_kernels.py [--json out.json]
"""
import argparse
import json
import statistics
import sys

CASES = [
    # name, kind, batch, in_spatial, in_ch, out_ch or pool, kernel, strides, padding
    ("resnet conv3x3 56x56 64->64", "conv2d", 64, (56, 56), 64, 64, (3, 3), (1, 1), "same"),
    ("resnet conv3x3/2 56x56 128->128", "conv2d", 64, (56, 56), 128, 128, (3, 3), (2, 2), "same"),
    ("resnet conv1x1 28x28 256->512", "conv2d", 64, (28, 28), 256, 512, (1, 1), (1, 1), "valid"),
    ("vgg conv3x3 112x112 64->128", "conv2d", 64, (112, 112), 64, 128, (3, 3), (1, 1), "same"),
    ("convT 3x3/2 28x28 128->64", "conv2d_transpose", 64, (28, 28), 128, 64, (3, 3), (2, 2),
     "same"),
    ("conv3d 3x3x3 16x28x28 32->32", "conv3d", 16, (16, 28, 28), 32, 32, (3, 3, 3),
     (1, 1, 1), "same"),
    ("maxpool 3x3/2 112x112x64", "max_pool2d", 64, (112, 112), 64, None, (3, 3), (2, 2),
     "same"),
    ("maxpool 2x2 56x56x256", "max_pool2d", 64, (56, 56), 256, None, (2, 2), (2, 2), "valid"),
    ("avgpool 3x3/1 28x28x256 same", "avg_pool2d", 64, (28, 28), 256, None, (3, 3), (1, 1),
     "same"),
    ("global avg 7x7x2048", "global_avg", 64, (7, 7), 2048, None, None, None, None),
    ("depthwise 3x3 56x56x128", "depthwise", 64, (56, 56), 128, None, (3, 3), (1, 1), "same"),
    ("upsample x2 bilinear 28x28x128", "upsample", 64, (28, 28), 128, None, (2, 2), None,
     None),
]


def _same_pads(size, k, s):
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


def time_cuda(fn, cupy, repeats=7, warmup=2):
    """Median milliseconds of `fn()` measured with CUDA events on the current stream."""
    for _ in range(warmup):
        fn()
    cupy.cuda.Device().synchronize()
    times = []
    for _ in range(repeats):
        start, stop = cupy.cuda.Event(), cupy.cuda.Event()
        start.record()
        fn()
        stop.record()
        stop.synchronize()
        times.append(cupy.cuda.get_elapsed_time(start, stop))
    return statistics.median(times)


def gkeras_case(case, cupy):
    """(forward fn, forward+backward fn) running gkeras ops on CuPy arrays."""
    from gkeras import ops
    from gkeras.autograd import Tape, Variable
    name, kind, n, spatial, cin, cout, k, s, pad = case
    rng = cupy.random.default_rng(0)
    x = Variable(rng.standard_normal((n,) + spatial + (cin,), dtype="float32"))
    if kind in ("conv2d", "conv3d"):
        w = Variable(rng.standard_normal(k + (cin, cout), dtype="float32") * 0.05)
        op = getattr(ops, kind)

        def f():
            return op(x, w, strides=s, padding=pad)
    elif kind == "conv2d_transpose":
        w = Variable(rng.standard_normal(k + (cout, cin), dtype="float32") * 0.05)
        out_shape = (n,) + tuple(d * st for d, st in zip(spatial, s)) + (cout,)

        def f():
            return ops.conv2d_transpose(x, w, out_shape, strides=s, padding=pad)
    elif kind in ("max_pool2d", "avg_pool2d"):
        mode = kind.split("_")[0]

        def f():
            return ops.pool2d(x, k, strides=s, padding=pad, pool_mode=mode)
    elif kind == "depthwise":
        from gkeras import backend as K
        w = Variable(rng.standard_normal(k + (cin, 1), dtype="float32") * 0.05)

        def f():
            return K.depthwise_conv2d(x, w, strides=s, padding=pad)
    elif kind == "upsample":
        from gkeras import backend as K

        def f():
            return K.resize_images(x, k[0], k[1], "channels_last", interpolation="bilinear")
    else:
        def f():
            return ops.global_pool(x, "avg")
    sources = [x] + ([w] if kind.startswith("conv") or kind == "depthwise" else [])

    def fwd_bwd():
        with Tape() as tape:
            y = f()
        tape.gradient(y, sources, cupy.ones(y.shape, dtype=y.dtype))
    return f, fwd_bwd


def torch_case(case, torch):
    """The same computation with PyTorch functional ops (cuDNN), NCHW."""
    F = torch.nn.functional
    name, kind, n, spatial, cin, cout, k, s, pad = case
    dev = torch.device("cuda")
    x = torch.randn((n, cin) + spatial, device=dev, requires_grad=True)
    params = [x]
    if kind in ("conv2d", "conv3d"):
        w = (torch.randn((cout, cin) + k, device=dev) * 0.05).requires_grad_()
        params.append(w)
        conv = F.conv2d if kind == "conv2d" else F.conv3d
        pads = [_same_pads(d, kk, st) for d, kk, st in zip(spatial, k, s)] if pad == "same" \
            else [(0, 0)] * len(k)
        flat = [p for lo, hi in reversed(pads) for p in (lo, hi)]

        def f():
            return conv(F.pad(x, flat) if any(flat) else x, w, stride=s)
    elif kind == "conv2d_transpose":
        w = (torch.randn((cin, cout) + k, device=dev) * 0.05).requires_grad_()
        params.append(w)

        def f():
            return F.conv_transpose2d(x, w, stride=s, padding=k[0] // 2,
                                      output_padding=s[0] - 1)
    elif kind in ("max_pool2d", "avg_pool2d"):
        pads = [_same_pads(d, kk, st) for d, kk, st in zip(spatial, k, s)] if pad == "same" \
            else [(0, 0)] * 2
        flat = [p for lo, hi in reversed(pads) for p in (lo, hi)]
        if kind == "max_pool2d":
            def f():
                xp_ = F.pad(x, flat, value=float("-inf")) if any(flat) else x
                return F.max_pool2d(xp_, k, s)
        else:
            # count_include_pad=False mirrors Keras: padded cells do not count
            def f():
                return F.avg_pool2d(x, k, s, padding=tuple(p[0] for p in pads),
                                    count_include_pad=False)
    elif kind == "depthwise":
        w = (torch.randn((cin, 1) + k, device=dev) * 0.05).requires_grad_()
        params.append(w)

        def f():
            return F.conv2d(x, w, stride=s, padding=k[0] // 2, groups=cin)
    elif kind == "upsample":
        # half-pixel centres, as tf.image.resize (what Keras's bilinear UpSampling2D uses)
        def f():
            return F.interpolate(x, scale_factor=k, mode="bilinear", align_corners=False)
    else:
        def f():
            return x.mean(dim=(2, 3))

    def fwd_bwd():
        y = f()
        y.backward(torch.ones_like(y))
    return f, fwd_bwd


def work(case):
    """(flops, bytes) of the forward pass, for TFLOP/s or GB/s columns."""
    name, kind, n, spatial, cin, cout, k, s, pad = case
    out = [-(-d // st) if pad == "same" else (d - kk) // st + 1
           for d, kk, st in zip(spatial, k or (), s or ())] if k else []
    if kind in ("conv2d", "conv3d"):
        prod = 1
        for v in out + list(k):
            prod *= v
        return 2.0 * n * prod * cin * cout, None
    if kind == "upsample":
        size = n * cin * spatial[0] * spatial[1]
        return None, 4.0 * size * (1 + k[0] * k[1])
    if kind == "depthwise":
        return 2.0 * n * spatial[0] * spatial[1] * cin * k[0] * k[1], None
    if kind == "conv2d_transpose":
        prod = 1
        for v in list(spatial) + list(k):
            prod *= v
        return 2.0 * n * prod * cin * cout, None
    size_in = n * cin
    for d in spatial:
        size_in *= d
    size_out = n * cin
    for d in out:
        size_out *= d
    return None, 4.0 * (size_in + size_out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", default=None)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    import cupy
    import torch
    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    print("device:", cupy.cuda.runtime.getDeviceProperties(0)["name"].decode(),
          "| cupy", cupy.__version__, "| torch", torch.__version__, "| cudnn",
          torch.backends.cudnn.version(), "| fp32, TF32 off")
    header = "%-34s %9s %9s %8s %9s %9s %8s %8s" % (
        "case", "gk fwd", "pt fwd", "fwd x", "gk f+b", "pt f+b", "f+b x", "gk rate")
    print(header)
    print("-" * len(header))
    rows = []
    for case in CASES:
        try:
            gk_f, gk_fb = gkeras_case(case, cupy)
            pt_f, pt_fb = torch_case(case, torch)
            gk_fwd = time_cuda(gk_f, cupy, args.repeats)
            pt_fwd = time_cuda(pt_f, cupy, args.repeats)
            gk_all = time_cuda(gk_fb, cupy, args.repeats)
            pt_all = time_cuda(pt_fb, cupy, args.repeats)
        except Exception as e:  # keep going: one broken case must not hide the others
            print("%-34s FAILED: %s: %s" % (case[0], type(e).__name__, e))
            rows.append({"case": case[0], "error": "%s: %s" % (type(e).__name__, e)})
            continue
        flops, nbytes = work(case)
        rate = ("%6.1f TF" % (flops / gk_fwd / 1e9)) if flops else \
            ("%6.0f GB" % (nbytes / gk_fwd / 1e6))
        print("%-34s %8.3fms %8.3fms %7.2fx %8.3fms %8.3fms %7.2fx %9s" % (
            case[0], gk_fwd, pt_fwd, gk_fwd / pt_fwd, gk_all, pt_all, gk_all / pt_all, rate))
        rows.append({"case": case[0], "gkeras_fwd_ms": gk_fwd, "torch_fwd_ms": pt_fwd,
                     "gkeras_fwd_bwd_ms": gk_all, "torch_fwd_bwd_ms": pt_all,
                     "flops": flops, "bytes": nbytes})
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)
    return 0 if all("error" not in r for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
