"""Static membership (KIP-345) with librdkafka: a member restarted with the same
group.instance.id within its session timeout takes its partitions back without a rebalance of
the others, first the follower, then the leader (the test counts the rebalances in the broker's
log).

Usage: /usr/bin/python3 confluent_static_check.py <bootstrap> <name-prefix>
Prints one JSON object; exits 1 with a message on a mismatch.
"""
import json
import time

from confluent_kafka import Consumer

from _check import BOOTSTRAP, PREFIX, check, create_topic

TOPIC = PREFIX + "-static"
GROUP = PREFIX + "-static"

create_topic(TOPIC, 4)


def member(instance):
    c = Consumer({
        "bootstrap.servers": BOOTSTRAP,
        "group.id": GROUP,
        "group.instance.id": instance,
        "session.timeout.ms": 10000,
        "heartbeat.interval.ms": 300,
        "log_level": 0,
    })
    c.subscribe([TOPIC])
    return c


def poll_until(consumers, cond, what, timeout=20.0):
    end = time.time() + timeout
    while not cond():
        check(time.time() < end, "timed out waiting for " + what)
        for c in consumers:
            c.poll(0.05)


def owned(c):
    return sorted(tp.partition for tp in c.assignment())


leader = member("inst-a")  # joins first: the group's leader
poll_until([leader], lambda: len(owned(leader)) > 0, "the first member's assignment")
follower = member("inst-b")
poll_until([leader, follower], lambda: len(owned(leader)) == 2 and len(owned(follower)) == 2,
           "two members with two partitions each")
before = owned(follower)
follower.close()  # a static member sends no LeaveGroup
restarted = member("inst-b")
poll_until([leader, restarted], lambda: len(owned(restarted)) == 2, "the restarted member")
after = owned(restarted)
check(after == before, "the restarted member got %s, had %s" % (after, before))
check(owned(leader) == [p for p in range(4) if p not in before], "the leader's partitions moved")
# The leader restarts too: it is answered as a follower of its old self, and keeps its part.
before_leader = owned(leader)
leader.close()
leader = member("inst-a")
poll_until([leader, restarted], lambda: len(owned(leader)) == 2, "the restarted leader")
check(owned(leader) == before_leader, "the leader got %s, had %s" % (owned(leader), before_leader))
check(owned(restarted) == after, "the follower's partitions moved")
leader.close()
restarted.close()
print(json.dumps({"group": GROUP, "same_assignment": True}))
