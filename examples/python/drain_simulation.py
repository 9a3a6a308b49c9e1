#!/usr/bin/env python3
"""Plays a node drain across several clusters against a running quotad and prints what happened.

Each cluster has a cluster pool `drain-<n>` (the migration headroom of the whole cluster) and two
namespace pools `drain-<n>/team-a`, `drain-<n>/team-b`. One node per cluster is drained: every VM
on it is live-migrated, and each migration holds headroom for its target pod from start to end,
keyed by its VMI's UID, as a KubeVirt/Harvester controller does. When a cluster is out of
headroom, the controller waits for a running migration to finish and tries again. Now and then a
controller restarts mid-reserve and retries (idempotent), and long migrations renew their lease.
Time is simulated in ticks (no sleeping); the run is repeatable with --seed.

    python3 examples/python/drain_simulation.py --server http://127.0.0.1:8080

Exit status 0 when every VM migrated, no pool went over capacity and all headroom was given back.
"""

import argparse
import random
import sys
import uuid

from quota_client import InsufficientHeadroom, QuotaClient, QuotaError

VM_CPU, VM_MEMORY = 2, 4  # each target pod: 2 cores, 4Gi


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default="http://127.0.0.1:8080")
    parser.add_argument("--clusters", type=int, default=3, help="clusters draining one node each (1 to 20)")
    parser.add_argument("--vms", type=int, default=8, help="VMs on each drained node (1 to 200)")
    parser.add_argument("--parallel", type=int, default=3, help="migrations a cluster's headroom allows at once (1 to 50)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    for name, low, high in (("clusters", 1, 20), ("vms", 1, 200), ("parallel", 1, 50)):
        if not low <= getattr(args, name) <= high:
            parser.error(f"--{name} {getattr(args, name)}: must be {low} to {high}")
    rng = random.Random(args.seed)
    client = QuotaClient(args.server)

    clusters = [f"drain-{n}" for n in range(args.clusters)]
    for cluster in clusters:
        client.set_pool(cluster, {"limits.cpu": str(VM_CPU * args.parallel), "limits.memory": f"{VM_MEMORY * args.parallel}Gi"},
                        labels={"cluster": cluster, "purpose": "drain-simulation"})
        for team in ("team-a", "team-b"):
            client.set_pool(f"{cluster}/{team}", {"limits.cpu": "100", "limits.memory": "400Gi"},
                            labels={"cluster": cluster})
    print(f"set up {len(clusters)} clusters, headroom for {args.parallel} migrations of "
          f"{VM_CPU} cores/{VM_MEMORY}Gi each per cluster")

    # The drained nodes' VMs, with their VMI UIDs and a migration length in ticks.
    queue = []
    for cluster in clusters:
        for n in range(args.vms):
            team = rng.choice(("team-a", "team-b"))
            queue.append({"cluster": cluster, "pool": f"{cluster}/{team}", "vm": f"{cluster}-{team}-vm-{n:02d}",
                          "uid": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "ticks": rng.randint(1, 4)})
    print(f"draining one node per cluster: {len(queue)} VMs to migrate")

    running, done, waits, retries, renewals, peak = [], 0, 0, 0, 0, {c: 0 for c in clusters}
    for tick in range(10_000):  # bounded: the drain ends long before
        if not queue and not running:
            break
        # Migrations that finished give their headroom back.
        for migration in [m for m in running if m["ends"] <= tick]:
            result = client.release(migration["lease"], expected_revision=migration["revision"])
            assert result["released"], result
            running.remove(migration)
            done += 1
            cluster_view = client.inspect(pool=migration["cluster"])["pool"]
            print(f"t={tick:3d} {migration['vm']}: migrated, released; {migration['cluster']} now holds "
                  f"{cluster_view['reserved'] or 'nothing'}")
        # Long migrations renew their lease.
        for migration in running:
            if tick - migration["started"] == 3:
                client.renew(migration["lease"], ttl_seconds=600)
                renewals += 1
        # The controllers start what the headroom allows; the rest wait for the next tick.
        waiting = []
        for vm in queue:
            try:
                result = client.reserve(vm["pool"], vm["uid"], {"limits.cpu": str(VM_CPU), "limits.memory": f"{VM_MEMORY}Gi"},
                                        ttl_seconds=300, holder=f"controller-{vm['cluster']}", labels={"vmName": vm["vm"]})
            except InsufficientHeadroom as error:
                if not any(w["cluster"] == vm["cluster"] for w in waiting):
                    print(f"t={tick:3d} {vm['vm']}: waits, {error.data['pool']} short of {error.data['shortfall']}")
                waits += 1
                waiting.append(vm)
                continue
            if rng.random() < 0.2:  # the controller restarted before it saw the answer: it retries
                again = client.reserve(vm["pool"], vm["uid"], {"limits.cpu": str(VM_CPU), "limits.memory": f"{VM_MEMORY}Gi"},
                                       ttl_seconds=300, holder=f"controller-{vm['cluster']}", labels={"vmName": vm["vm"]})
                assert again["created"] is False and again["lease"]["revision"] == result["lease"]["revision"], again
                retries += 1
            running.append({**vm, "lease": result["lease"]["id"], "revision": result["lease"]["revision"],
                            "started": tick, "ends": tick + vm["ticks"]})
            print(f"t={tick:3d} {vm['vm']}: migrating, lease {result['lease']['id'][:8]} in {vm['pool']}, "
                  f"which now holds {result['pool']['reserved']}")
        queue = waiting
        # One batch reads every cluster pool: none may be over capacity.
        batch = client.batch()
        for cluster in clusters:
            batch.inspect(pool=cluster)
        for cluster, view in zip(clusters, batch.send()):
            if isinstance(view, QuotaError):
                raise view
            pool = view["pool"]
            peak[cluster] = max(peak[cluster], pool["activeLeases"])
            if pool["overcommitted"] or pool["activeLeases"] > args.parallel:
                print(f"FAILED: {cluster} over capacity: {pool}")
                return 1
    else:
        print("FAILED: the drain did not end within 10000 ticks")
        return 1

    totals = client.inspect(label_selector="purpose=drain-simulation")["totals"]
    print(f"drain finished: {done} VMs migrated, {waits} reserve attempts waited for headroom, "
          f"{retries} idempotent retries, {renewals} renewals")
    print("peak concurrent migrations per cluster: " + ", ".join(f"{c} {peak[c]}" for c in clusters))
    print(f"headroom reserved after the drain: {totals['reserved'] or 'none'}")
    ok = done == args.clusters * args.vms and not totals["reserved"]
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
