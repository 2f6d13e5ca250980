#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""blocked_reader.py SIGNAL [--fifo PATH] -- CMD...

Runs CMD with its output going into a pipe that nobody reads: stdout (the default), or the FIFO
at PATH (created here; CMD is expected to open it, e.g. `-w PATH`). The pipe is shrunk to one
page so it fills fast. Once it is full (the tool would now block in write()), and 0.3 s later,
SIGNAL is sent; the tool has 5 s to exit, else it is killed. Prints one JSON object:
{"rc": exit status (negative: killed by that signal), "secs": from the signal to the exit,
 "filled": whether the pipe ever filled, "stderr": what the tool wrote there}.
"""
import fcntl, json, os, signal, subprocess, sys, tempfile, termios, time

F_SETPIPE_SZ = 1031


def main():
    args = sys.argv[1:]
    sig = getattr(signal, "SIG" + args.pop(0))
    fifo = None
    if args[0] == "--fifo":
        fifo = args[1]
        args = args[2:]
    if args[0] == "--":
        args = args[1:]
    err = tempfile.TemporaryFile()
    if fifo:
        os.mkfifo(fifo)
        # our read end first, so the tool's open for writing does not wait for a reader
        rfd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        fcntl.fcntl(rfd, F_SETPIPE_SZ, 4096)
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=err)
    else:
        rfd, wfd = os.pipe()
        fcntl.fcntl(wfd, F_SETPIPE_SZ, 4096)
        proc = subprocess.Popen(args, stdout=wfd, stderr=err)
        os.close(wfd)
    # full: more than half the pipe holds data and nothing more came for 0.2 s (a write that
    # does not fit in what is left waits)
    filled = False
    scale = float(os.environ.get("TIME_SCALE", "1"))	# tests/lib.sh
    deadline = time.monotonic() + 15 * scale
    buf = bytearray(4)
    last, since = -1, time.monotonic()
    while time.monotonic() < deadline and proc.poll() is None:
        fcntl.ioctl(rfd, termios.FIONREAD, buf)
        n = int.from_bytes(buf, sys.byteorder)
        if n != last:
            last, since = n, time.monotonic()
        elif n > fcntl.fcntl(rfd, 1032) // 2 and time.monotonic() - since > 0.2:	# F_GETPIPE_SZ
            filled = True
            break
        time.sleep(0.02)
    if filled:
        time.sleep(0.3)	# the tool goes on: it would now wait in write()
    t0 = time.monotonic()
    if proc.poll() is None:
        proc.send_signal(sig)
    try:
        rc = proc.wait(timeout=5 * scale)
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = proc.wait()
    secs = time.monotonic() - t0
    err.seek(0)
    os.close(rfd)
    if fifo:
        os.unlink(fifo)
    print(json.dumps({"rc": rc, "secs": round(secs, 3), "filled": filled,
                      "stderr": err.read().decode(errors="replace")}))


main()
