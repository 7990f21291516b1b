"""librdkafka (python3-confluent-kafka) load generator for bench/broker.ts (consume uses kcat).

Usage:
  _rdkafka.py produce <bootstrap> <topic> <size> <count> <acks>
  _rdkafka.py latency <bootstrap> <topic> <size> <rate> <seconds>
Prints one JSON line: {"msgs", "bytes", "seconds", "cpu" (process CPU seconds, all threads)} or, for latency, {"latencies_ms": [...]}.
"""
import json
import os
import sys
import time

from confluent_kafka import Producer

mode, bootstrap, topic = sys.argv[1], sys.argv[2], sys.argv[3]


def produce(size, count, acks):
    errors = []

    def on_error(err):
        errors.append(str(err))

    p = Producer({
        "bootstrap.servers": bootstrap,
        "acks": acks,
        "linger.ms": 5,
        "batch.size": 1000000,
        "batch.num.messages": 100000,
        "queue.buffering.max.messages": 2000000,
        "queue.buffering.max.kbytes": 2097151,
        "compression.type": "none",
        "error_cb": on_error,
    })
    # Warm up: metadata and connection, outside the timed region.
    p.produce(topic, b"w" * size)
    p.flush(10)
    payload = b"x" * size
    # os.times() covers every thread of the process, librdkafka's included.
    cpu0 = os.times()
    started = time.perf_counter()
    for _ in range(count):
        while True:
            try:
                p.produce(topic, payload)
                break
            except BufferError:
                p.poll(0.001)
    left = p.flush(120)
    seconds = time.perf_counter() - started
    cpu1 = os.times()
    cpu = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    if left or errors:
        raise SystemExit("undelivered %d, errors %s" % (left, errors[:3]))
    print(json.dumps({"msgs": count, "bytes": count * size, "seconds": seconds, "cpu": cpu}))


def latency(size, rate, seconds):
    """Per-message send -> acknowledgement time at a fixed rate, acks=all, no batching delay."""
    lat = []
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 0})
    p.produce(topic, b"w")
    p.flush(10)
    payload = b"l" * size
    interval = 1.0 / rate
    start = time.perf_counter()
    for i in range(int(rate * seconds)):
        due = start + i * interval
        while True:
            now = time.perf_counter()
            if now >= due:
                break
            p.poll(min(due - now, 0.0005))
        t0 = time.perf_counter()

        def cb(err, msg, t0=t0):
            if err is not None:
                raise SystemExit("delivery failed: %s" % err)
            lat.append((time.perf_counter() - t0) * 1000)

        p.produce(topic, payload, on_delivery=cb)
        p.poll(0)
    p.flush(30)
    print(json.dumps({"latencies_ms": lat}))


if mode == "produce":
    produce(int(sys.argv[4]), int(sys.argv[5]), sys.argv[6])
elif mode == "latency":
    latency(int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6]))
else:
    raise SystemExit("unknown mode " + mode)
