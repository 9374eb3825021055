"""Keras's text progress bar (`32/100 [=====>....] - ETA: 1s - loss: 0.31`)."""
import os
import sys
import time

import numpy


class Progbar:
    """Displays progress like tf.keras's Progbar, byte for byte.

    Args:
        target: total number of steps, or None when unknown.
        width: bar width in characters.
        verbose: 1 for the live bar, 2 for one line at the end, 0 for nothing.
        interval: minimum seconds between redraws.
        stateful_metrics: names whose values are shown as given instead of
            being averaged over steps.
        unit_name: 'step' or 'sample'.
    """

    def __init__(self, target, width=30, verbose=1, interval=0.05, stateful_metrics=None,
                 unit_name="step"):
        self.target, self.width, self.verbose = target, width, verbose
        self.interval, self.unit_name = interval, unit_name
        self.stateful_metrics = set(stateful_metrics or ())
        self._dynamic_display = ((hasattr(sys.stdout, "isatty") and sys.stdout.isatty())
                                 or "ipykernel" in sys.modules or "posix" in sys.modules
                                 or "PYCHARM_HOSTED" in os.environ)
        self._total_width = 0
        self._seen_so_far = 0
        self._values = {}
        self._values_order = []
        self._start = time.time()
        self._last_update = 0
        self._time_after_first_step = None
        self._time_at_epoch_start = self._start
        self._time_at_epoch_end = None

    def update(self, current, values=None, finalize=None):
        """Records progress to step `current` with (name, value) pairs and redraws."""
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for k, v in values or []:
            if k not in self._values_order:
                self._values_order.append(k)
            if k in self.stateful_metrics:
                self._values[k] = [v, 1]  # shown as given, with numeric formatting
            else:
                base = max(current - self._seen_so_far, 1)
                if k not in self._values:
                    self._values[k] = [v * base, base]
                else:
                    self._values[k][0] += v * base
                    self._values[k][1] += base
        self._seen_so_far = current
        now = time.time()
        if self.target is not None and current >= self.target:
            self._time_at_epoch_end = now
        if self.verbose == 1:
            if now - self._last_update < self.interval and not finalize:
                return
            self._draw_bar(current, now, finalize)
        elif self.verbose == 2 and finalize:
            self._draw_line(current, now)
        self._last_update = now

    def add(self, n, values=None):
        """Advances by `n` steps."""
        self.update(self._seen_so_far + n, values)

    def _draw_bar(self, current, now, finalize):
        prev_total_width = self._total_width
        message = ("\b" * prev_total_width + "\r") if self._dynamic_display else "\n"
        if self.target is not None:
            digits = int(numpy.log10(self.target)) + 1 if self.target > 0 else 1
            bar = ("%" + str(digits) + "d/%d [") % (current, self.target)
            prog_width = int(self.width * float(current) / self.target) if self.target else 0
            if prog_width > 0:
                bar += "=" * (prog_width - 1)
                bar += ">" if current < self.target else "="
            bar += "." * (self.width - prog_width) + "]"
        else:
            bar = "%7d/Unknown" % current
        self._total_width = len(bar)
        message += bar
        time_per_unit = self._step_duration(current, now)
        if self.target is None or finalize:
            info = " - %.0fs" % (now - self._start) + _format_time(time_per_unit, self.unit_name)
        else:
            eta = time_per_unit * (self.target - current)
            if eta > 3600:
                eta_format = "%d:%02d:%02d" % (eta // 3600, (eta % 3600) // 60, eta % 60)
            elif eta > 60:
                eta_format = "%d:%02d" % (eta // 60, eta % 60)
            else:
                eta_format = "%ds" % eta
            info = " - ETA: %s" % eta_format
        info += self._format_values()
        self._total_width += len(info)
        if prev_total_width > self._total_width:
            info += " " * (prev_total_width - self._total_width)
        if finalize:
            info += "\n"
        sys.stdout.write(message + info)
        sys.stdout.flush()

    def _draw_line(self, current, now):
        digits = int(numpy.log10(self.target)) + 1 if self.target else 1
        info = ("%" + str(digits) + "d/%d") % (current, self.target)
        info += " - %.0fs" % (now - self._start)
        info += self._format_values(signed=True)
        if self._time_at_epoch_end:
            per_epoch = self._time_at_epoch_end - self._time_at_epoch_start
            info += " -" + _format_time(per_epoch, "epoch")
            info += " -" + _format_time(per_epoch / self.target, self.unit_name)
            self._time_at_epoch_start, self._time_at_epoch_end = now, None
        sys.stdout.write(info + "\n")
        sys.stdout.flush()

    def _format_values(self, signed=False):
        """' - name: value' pairs; `signed`: tf.keras's verbose=2 test `v > 1e-3` (not abs)."""
        info = ""
        for k in self._values_order:
            info += " - %s:" % k
            total, count = self._values[k]
            avg = float(numpy.mean(total / max(1, count)))
            big = avg > 1e-3 if signed else abs(avg) > 1e-3
            info += (" %.4f" % avg) if big else (" %.4e" % avg)
        return info

    def _step_duration(self, current, now):
        if not current:
            return 0
        if self._time_after_first_step is not None and current > 1:
            per_unit = (now - self._time_after_first_step) / (current - 1)
        else:
            per_unit = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return per_unit


def _format_time(seconds, unit_name):
    if seconds >= 1 or seconds == 0:
        return " %.0fs/%s" % (seconds, unit_name)
    if seconds >= 1e-3:
        return " %.0fms/%s" % (seconds * 1e3, unit_name)
    return " %.0fus/%s" % (seconds * 1e6, unit_name)
