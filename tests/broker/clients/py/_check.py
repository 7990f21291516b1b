"""What the client check scripts share: their two arguments and how they report a mismatch.

Each script runs as `/usr/bin/python3 <script>.py <bootstrap> <name-prefix>`; Python puts the
script's folder first on sys.path, so this sibling module imports as `_check`.
"""
import sys

BOOTSTRAP, PREFIX = sys.argv[1], sys.argv[2]


def fail(msg):
    """Ends the check: the message on stderr, exit code 1."""
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    """Fails with `msg` unless `cond` holds."""
    if not cond:
        fail(msg)


def create_topic(name, partitions):
    """Creates `name` with `partitions` partitions (replication 1) through confluent-kafka's
    admin client and waits until the broker confirmed it."""
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
    for f in admin.create_topics([NewTopic(name, partitions, 1)]).values():
        f.result(15)
