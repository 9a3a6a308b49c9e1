"""Tests of quota_client.py against a running quotad on an empty store (QUOTAD_URL, default
http://127.0.0.1:8080): every method, batches, and the typed exception of each error code.

    QUOTAD_URL=http://127.0.0.1:8080 python3 -m unittest -v test_quota_client   (from examples/python)
"""

import os
import unittest
import uuid

import quota_client as qc

URL = os.environ.get("QUOTAD_URL", "http://127.0.0.1:8080")
ONE = {"limits.cpu": "1", "limits.memory": "2Gi"}


class QuotaClientTests(unittest.TestCase):
    def setUp(self):
        self.client = qc.QuotaClient(URL)
        self.pool = f"py-{uuid.uuid4().hex[:8]}"
        self.client.set_pool(self.pool, {"limits.cpu": "2", "limits.memory": "4Gi"}, labels={"suite": "py"})
        self.client.set_pool(f"{self.pool}/ns", {"limits.cpu": "2", "limits.memory": "4Gi"})

    def tearDown(self):
        self.client.close()

    def test_reserve_renew_inspect_release(self):
        lease = str(uuid.uuid4()).upper()
        granted = self.client.reserve(f"{self.pool}/ns", lease, ONE, holder="py", labels={"vmName": "vm-a"}, ttl_seconds=60)
        self.assertTrue(granted["created"])
        self.assertEqual(granted["lease"]["id"], lease.lower())
        self.assertEqual(granted["pool"]["reserved"], {"limits.cpu": "1", "limits.memory": "2Gi"})
        again = self.client.reserve(f"{self.pool}/ns", lease, {"limits.cpu": "1000m", "limits.memory": "2048Mi"})
        self.assertFalse(again["created"])
        self.assertEqual(self.client.renew(lease, ttl_seconds=120)["lease"]["ttlSeconds"], 120)
        view = self.client.inspect(pool=self.pool, include_leases=True)
        self.assertEqual([item["id"] for item in view["leases"]], [lease.lower()])
        self.assertEqual(self.client.inspect(pool=f"{self.pool}/ns", vm_name="vm-a")["lease"]["id"], lease.lower())
        self.assertEqual(self.client.inspect(label_selector="suite=py")["totals"]["reserved"]["limits.cpu"], "1")
        released = self.client.release(lease, expected_revision=granted["lease"]["revision"])
        self.assertTrue(released["released"])
        self.assertFalse(self.client.release(lease)["released"])

    def test_batch_returns_results_and_errors_in_order(self):
        batch = self.client.batch()
        ids = [str(uuid.uuid4()) for _ in range(3)]
        for lease in ids:
            batch.reserve(f"{self.pool}/ns", lease, ONE)
        batch.inspect(pool=self.pool)
        answers = batch.send()
        self.assertTrue(answers[0]["created"] and answers[1]["created"])
        self.assertIsInstance(answers[2], qc.InsufficientHeadroom)
        self.assertEqual(answers[2].data["pool"], f"{self.pool}/ns")
        self.assertEqual(answers[3]["pool"]["activeLeases"], 2)
        batch = self.client.batch()
        for lease in ids[:2]:
            batch.release(lease)
        self.assertEqual([answer["released"] for answer in batch.send()], [True, True])

    def test_typed_exceptions(self):
        lease = str(uuid.uuid4())
        with self.assertRaises(qc.PoolNotFound) as caught:
            self.client.reserve(f"{self.pool}/missing", lease, ONE)
        self.assertEqual(caught.exception.code, 1001)
        with self.assertRaises(qc.InsufficientHeadroom) as caught:
            self.client.reserve(f"{self.pool}/ns", lease, {"limits.cpu": "3"})
        self.assertEqual(caught.exception.data["shortfall"], {"limits.cpu": "1"})
        granted = self.client.reserve(f"{self.pool}/ns", lease, ONE, labels={"vmName": "twin"})
        with self.assertRaises(qc.LeaseConflict):
            self.client.reserve(f"{self.pool}/ns", lease, {"limits.cpu": "2"})
        with self.assertRaises(qc.RevisionMismatch) as caught:
            self.client.release(lease, expected_revision=granted["lease"]["revision"] + 1000)
        self.assertEqual(caught.exception.data["expected"], granted["lease"]["revision"] + 1000)
        with self.assertRaises(qc.PoolBusy):
            self.client.delete_pool(f"{self.pool}/ns")
        self.client.reserve(f"{self.pool}/ns", str(uuid.uuid4()), {"limits.cpu": "100m"}, labels={"vmName": "twin"})
        with self.assertRaises(qc.Ambiguous) as caught:
            self.client.release(pool=f"{self.pool}/ns", vm_name="twin")
        self.assertEqual(len(caught.exception.data["leases"]), 2)
        self.client.release(lease)
        with self.assertRaises(qc.LeaseNotActive):
            self.client.renew(lease)
        with self.assertRaises(qc.LeaseNotFound):
            self.client.inspect(lease=str(uuid.uuid4()))
        with self.assertRaises(qc.InvalidParams) as caught:
            self.client.reserve(f"{self.pool}/ns", str(uuid.uuid4()), {"limits.memory": "lots"})
        self.assertEqual(caught.exception.data["field"], 'resources["limits.memory"]')
        with self.assertRaises(qc.MethodNotFound):
            self.client.call("nope")
        self.assertTrue(issubclass(qc.StoreUnavailable, qc.QuotaError) and qc.StoreUnavailable.code == -32001)

    def test_transport_error_names_the_server(self):
        with self.assertRaises(qc.TransportError):
            qc.QuotaClient("http://127.0.0.1:1", timeout=2).inspect(pool=self.pool)
        with self.assertRaises(ValueError):
            qc.QuotaClient("https://example.invalid")


if __name__ == "__main__":
    unittest.main()
