"""A small quotad client using only Python's standard library (issue 8).

    from quota_client import QuotaClient, InsufficientHeadroom
    client = QuotaClient("http://127.0.0.1:8080")
    client.set_pool("c1/team-a", {"limits.cpu": "4", "limits.memory": "16Gi"})
    result = client.reserve("c1/team-a", "6f1c2a3b-8d4e-4f5a-9b6c-7d8e9f0a1b2c",
                            {"limits.cpu": "1", "limits.memory": "2Gi"}, holder="me")
    client.release(result["lease"]["id"], expected_revision=result["lease"]["revision"])

Every method returns the JSON-RPC result as a dict. A JSON-RPC error raises the QuotaError
subclass of its code (InsufficientHeadroom for 1002, ...); `.code`, `.message` and `.data` carry
the error object. Quantities are Kubernetes quantity strings ("500m", "2Gi").
"""

import http.client
import json
import urllib.parse

__all__ = [
    "QuotaClient", "Batch", "QuotaError", "TransportError", "PoolNotFound", "InsufficientHeadroom",
    "LeaseConflict", "LeaseNotActive", "LeaseNotFound", "PoolBusy", "RevisionMismatch", "Ambiguous",
    "StoreUnavailable", "InvalidParams", "InvalidRequest", "MethodNotFound", "ParseError", "InternalError",
]


class QuotaError(Exception):
    """A JSON-RPC error answered by quotad: code, message and data (README, "Errors")."""

    code = None

    def __init__(self, code, message, data=None):
        super().__init__(f"{code} {message}" + (f": {json.dumps(data)}" if data is not None else ""))
        self.code = code
        self.message = message
        self.data = data


class TransportError(Exception):
    """No JSON-RPC answer: the connection failed or the HTTP status was not 200/204."""


class PoolNotFound(QuotaError): code = 1001
class InsufficientHeadroom(QuotaError): code = 1002  # data: pool, requested, available, shortfall
class LeaseConflict(QuotaError): code = 1003
class LeaseNotActive(QuotaError): code = 1004
class LeaseNotFound(QuotaError): code = 1005
class PoolBusy(QuotaError): code = 1006
class RevisionMismatch(QuotaError): code = 1007  # data: lease, expected, actual
class Ambiguous(QuotaError): code = 1009  # data: pool, vmName, leases
class StoreUnavailable(QuotaError): code = -32001
class InvalidParams(QuotaError): code = -32602  # data: field, reason
class InvalidRequest(QuotaError): code = -32600
class MethodNotFound(QuotaError): code = -32601
class ParseError(QuotaError): code = -32700
class InternalError(QuotaError): code = -32603

_ERRORS = {cls.code: cls for cls in QuotaError.__subclasses__()}


def error_from(obj):
    """The QuotaError (subclass) for a JSON-RPC error object."""
    cls = _ERRORS.get(obj.get("code"), QuotaError)
    return cls(obj.get("code"), obj.get("message", ""), obj.get("data"))


def _drop_none(params):
    return {key: value for key, value in params.items() if value is not None}


class QuotaClient:
    """quotad over one keep-alive HTTP/1.1 connection (reopened when the server closed it)."""

    def __init__(self, url="http://127.0.0.1:8080", timeout=10.0, token=None):
        parts = urllib.parse.urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"url {url!r}: expected http://HOST:PORT[/PATH]")
        self.host, self.port = parts.hostname, parts.port or 80
        self.path = parts.path if parts.path not in ("", "/") else "/rpc"
        self.timeout, self.token = timeout, token
        self._connection = None
        self._next_id = 0

    def close(self):
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- transport -------------------------------------------------------------------------

    def _post(self, payload):
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        for attempt in (1, 2):  # one reconnect when a kept-alive connection was closed
            if self._connection is None:
                self._connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self._connection.request("POST", self.path, body, headers)
                response = self._connection.getresponse()
                data = response.read()
            except (ConnectionError, http.client.HTTPException, OSError) as error:
                self.close()
                if attempt == 2:
                    raise TransportError(f"{self.host}:{self.port}: {error}") from error
                continue
            if response.status == 204:
                return None
            if response.status != 200:
                raise TransportError(f"HTTP {response.status}: {data[:200]!r}")
            return json.loads(data)

    def _request(self, method, params):
        self._next_id += 1
        return {"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": _drop_none(params)}

    def call(self, method, **params):
        """Calls a method by name; None-valued params are left out. Returns the result."""
        response = self._post(self._request(method, params))
        if "error" in response:
            raise error_from(response["error"])
        return response["result"]

    def batch(self):
        """A Batch: queue calls, then send them as one JSON-RPC batch with .send()."""
        return Batch(self)

    # -- the API (README, "The API in brief") --------------------------------------------

    def set_pool(self, pool, capacity, max_leases=None, base=None, labels=None):
        return self.call("setPool", pool=pool, capacity=capacity, maxLeases=max_leases, base=base, labels=labels)

    def delete_pool(self, pool):
        return self.call("deletePool", pool=pool)

    def reserve(self, pool, lease, resources, ttl_seconds=None, holder=None, labels=None, dry_run=None,
                expected_revision=None):
        return self.call("reserve", pool=pool, lease=lease, resources=resources, ttlSeconds=ttl_seconds, holder=holder,
                         labels=labels, dryRun=dry_run, expectedRevision=expected_revision)

    def release(self, lease=None, expected_revision=None, pool=None, vm_name=None):
        """Releases by lease id, or by {pool, vm_name} (Ambiguous when several match)."""
        return self.call("release", lease=lease, expectedRevision=expected_revision, pool=pool, vmName=vm_name)

    def renew(self, lease, ttl_seconds=None, expected_revision=None):
        return self.call("renew", lease=lease, ttlSeconds=ttl_seconds, expectedRevision=expected_revision)

    def reconcile(self, holder, leases, pool=None):
        return self.call("reconcile", holder=holder, leases=leases, pool=pool)

    def inspect(self, pool=None, lease=None, include_leases=None, vm_name=None, label_selector=None):
        """inspect {labelSelector} | {pool, includeLeases} | {pool, vmName} | {lease}."""
        return self.call("inspect", pool=pool, lease=lease, includeLeases=include_leases, vmName=vm_name,
                         labelSelector=label_selector)


class Batch:
    """Calls queued on a QuotaClient and sent as one JSON-RPC batch (at most quotad's --max-batch)."""

    def __init__(self, client):
        self._client = client
        self._requests = []

    def add(self, method, **params):
        """Queues a call; returns its index in send()'s list."""
        self._requests.append(self._client._request(method, params))
        return len(self._requests) - 1

    def reserve(self, pool, lease, resources, **params):
        return self.add("reserve", pool=pool, lease=lease, resources=resources, **params)

    def release(self, lease, **params):
        return self.add("release", lease=lease, **params)

    def renew(self, lease, **params):
        return self.add("renew", lease=lease, **params)

    def inspect(self, **params):
        return self.add("inspect", **params)

    def send(self):
        """Sends the batch. Returns one entry per call, in order: its result dict, or the
        QuotaError it failed with (errors are returned, not raised, so one failure does not hide
        the others)."""
        if not self._requests:
            return []
        responses = self._client._post(self._requests) or []
        by_id = {response.get("id"): response for response in responses}
        out = []
        for request in self._requests:
            response = by_id.get(request["id"])
            if response is None:
                out.append(QuotaError(None, "no response to this call"))
            elif "error" in response:
                out.append(error_from(response["error"]))
            else:
                out.append(response["result"])
        self._requests = []
        return out
