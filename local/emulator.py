"""moto 5.2.5's server with the fixes GymIT's invariants depend on.

moto departs from DynamoDB in four ways that break a long-lived local stack (issue 12,
../shared/FACTS.md); each is patched here, where the emulator is launched, and each patch
has a test in `local/test_emulator.py` that fails on plain moto:

1. `TransactWriteItems` deep-copies every table it names before it starts and, when it is
   cancelled, puts the copies back as *new* table objects with new stream shards: stream
   iterators taken before then read an orphaned shard forever, and every transaction
   costs time proportional to all the data in its tables. Here a transaction checks every
   condition first and writes nothing when one fails; if an item fails while it is being
   applied, only the items it touched are put back and the stream records it appended are
   dropped. Tables, and their streams, keep their identity.
2. `ClientRequestToken` is ignored, so an SDK resend of a transaction that had already
   committed (after an attempt timeout) commits twice. Here, as in DynamoDB, the same
   token with the same request within 10 minutes returns the first outcome and writes
   nothing; the same token with a different request is `IdempotentParameterMismatchException`.
3. Every GetRecords stores a new shard iterator that is never freed (3.3 GB in 15 minutes
   of test load). Here iterators expire after 15 minutes as DynamoDB Streams' do
   (`ExpiredIteratorException`), and at most `MAX_ITERATORS` are kept.
4. A Query on the base table sorts the whole table to find one partition: after a minute
   of soak load a Query took 27 ms, half of the emulator's time. Here it reads one
   partition, as DynamoDB does.

Three more changes cost nothing in fidelity and apply with GYMIT_PLAIN_MOTO too: (5) values
moto recomputed on every request are computed once, and (6) moto is served by waitress,
which keeps HTTP connections alive (moto_server's werkzeug closes every connection, so
each SDK call paid a new connection and the emulator a new thread). Measured here with
8 boto3 threads of GetItem + UpdateItem: 216 requests/s under moto_server, 450 with both.
(7) it serves this machine's processes only: no CORS headers, and a request with a foreign
`Origin` or `Host` is refused (issue 27: web pages could read and write the tables).
(8), also without a cost in fidelity but left out with GYMIT_PLAIN_MOTO to show what it
saves: the items a read returns are written as JSON directly. moto 5.2.5 walks the botocore
shape of every attribute of every item, 3-4 ms an item here, so a Query of a 64-player
round robin's 2,065 items took 7-9 s and every public read of it timed out (issue 31).

The server still answers one request at a time. moto's operations are not atomic with
respect to each other (a transaction checks its conditions, then writes, with nothing to
stop another request in between), so without the lock concurrent joins could overfill a
tournament: `tests/tests/tournament_play.rs` (200 simultaneous joins to 16 places) and the
soak test need it. DynamoDB serialises conflicting writes per item; one lock is the
simplest faithful stand-in, and with (1) a request's cost no longer grows with the table.

(7) A mailbox: SES `SendEmail` (v1 and v2) messages are kept, newest last, and listed at
`GET /_aws/ses` in LocalStack's shape (`{"messages": [{Id, Region, Source, Destination:
{ToAddresses}, Subject, Body: {text_part, html_part}, Timestamp}]}`), so `gymit-local`'s
`GET /_local/mail` reads them the same way from either emulator. moto keeps sent messages
but has no API that lists them (and no time on them).

SNS `Publish` delivers HTTP notifications inside the request, so the subscriber
(gymit-local) must answer them without calling back into the emulator first; it does.

Usage: python local/emulator.py -H 127.0.0.1 -p 4566 (moto_server's host and port arguments).
`GYMIT_PLAIN_MOTO=1` leaves out fixes 1-4 (the lock stays), to show what they fix:
`GYMIT_PLAIN_MOTO=1 make soak` fails.
"""

import argparse
import base64
import collections
import copy
import functools
import json
import os
import threading
import time

import moto
import waitress
from moto import backends as moto_backends
from moto import server
from moto.core import responses as core_responses
from moto.core import utils as core_utils
from moto.core.exceptions import JsonRESTError
from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.exceptions import (
    ConditionalCheckFailed,
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb import responses as dynamodb_responses
from moto.dynamodb.models import table as table_models
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.responses import DynamoHandler
from moto.dynamodbstreams import models as streams_models
from moto.moto_server import werkzeug_app

ERROR_PREFIX = "com.amazonaws.dynamodb.v20120810#"
TOKEN_WINDOW_SECONDS = 600
ITERATOR_LIFETIME_SECONDS = 900
MAX_ITERATORS = 4096
MAX_TOKENS = 100_000
TRANSACTION_OPS = {"ConditionCheck", "Put", "Delete", "Update"}


# 1. Transactions that snapshot and restore only the items they touch.


def _transaction_key(table, op_type, op):
    if op_type != "Put":
        return op["Key"]
    attrs = op["Item"]
    key = {table.hash_key_attr: attrs[table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = attrs[table.range_key_attr]
    return key


def _check(backend, transact_items):
    """Every item's condition against the state before the transaction: the plan to apply,
    or the cancellation reasons. Nothing is written."""
    seen, plan, reasons = set(), [], []
    for item in transact_items:
        if len(item) > 1:
            raise TransactWriteSingleOpException
        old = None
        try:
            op_type, op = next(iter(item.items()))
            if op_type not in TRANSACTION_OPS:
                raise ValueError("Unsupported transaction operation")
            table = backend.get_table(op["TableName"])
            key = _transaction_key(table, op_type, op)
            identity = (op["TableName"], str(dict(sorted(key.items()))))
            if identity in seen:
                raise MultipleTransactionsException()
            seen.add(identity)
            current = backend.get_item(op["TableName"], key)
            condition = op.get("ConditionExpression")
            if condition is not None:
                test = dynamodb_models.get_filter_expression(
                    condition,
                    op.get("ExpressionAttributeNames"),
                    op.get("ExpressionAttributeValues"),
                )
                if not test.expr(current):
                    if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                        old = current.to_json()["Attributes"]
                    raise ConditionalCheckFailed(item=old)
            plan.append((op_type, op, table, key))
            reasons.append((None, None, None))
        except (MultipleTransactionsException, MockValidationException):
            raise
        except ConditionalCheckFailed as e:
            reasons.append(("ConditionalCheckFailed", str(e.message), old))
        except Exception as e:  # noqa: BLE001 - reported as the item's reason, as moto does
            reasons.append((type(e).__name__, str(e), old))
    return plan, reasons


def _apply(backend, op_type, op, table, key):
    names = op.get("ExpressionAttributeNames")
    values = op.get("ExpressionAttributeValues")
    if op_type == "Put":
        backend.put_item(op["TableName"], op["Item"], expression_attribute_names=names,
                         expression_attribute_values=values)
    elif op_type == "Delete":
        backend.delete_item(op["TableName"], key, expression_attribute_names=names,
                            expression_attribute_values=values)
    elif op_type == "Update":
        backend.update_item(op["TableName"], key, update_expression=op["UpdateExpression"],
                            expression_attribute_names=names,
                            expression_attribute_values=values)


def _restore(undo, streams):
    """Puts back the items a failed transaction touched and drops its stream records."""
    for table, hash_value, range_value, before in reversed(undo):
        if range_value is None:
            if before is None:
                table.items.pop(hash_value, None)
            else:
                table.items[hash_value] = before
        elif before is None:
            table.items.get(hash_value, {}).pop(range_value, None)
        else:
            table.items[hash_value][range_value] = before
    for shard, length in streams:
        del shard.items[length:]


def transact_write_items(self, transact_items):
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    plan, reasons = _check(self, transact_items)
    if any(code is not None for code, _, _ in reasons):
        raise TransactionCanceledException(reasons)
    undo, streams = [], []
    for index, (op_type, op, table, key) in enumerate(plan):
        shard = table.stream_shard
        if shard is not None and all(s is not shard for s, _ in streams):
            streams.append((shard, len(shard.items)))
        hash_value = DynamoType(key[table.hash_key_attr])
        range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        undo.append((table, hash_value, range_value,
                     copy.deepcopy(table.get_item(hash_value, range_value))))
        try:
            _apply(self, op_type, op, table, key)
        except Exception as e:
            _restore(undo, streams)
            if isinstance(e, MockValidationException):
                raise
            reasons = [(None, None, None)] * len(plan)
            reasons[index] = (type(e).__name__, str(e), None)
            raise TransactionCanceledException(reasons) from e


PLAIN = os.environ.get("GYMIT_PLAIN_MOTO") == "1"
if not PLAIN:
    dynamodb_models.DynamoDBBackend.transact_write_items = transact_write_items


# 2. ClientRequestToken: the same request within 10 minutes is answered, not applied, again.


class IdempotentParameterMismatchException(JsonRESTError):
    def __init__(self):
        super().__init__(
            ERROR_PREFIX + "IdempotentParameterMismatchException",
            "The request uses the same client token as a previous, but non-identical request.",
        )


_tokens = collections.OrderedDict()  # token -> (request fingerprint, expires, outcome)
_tokens_lock = threading.Lock()
_handler_transact_write_items = DynamoHandler.transact_write_items


def _idempotent_transact_write_items(self):
    token = self.body.get("ClientRequestToken")
    if not token:
        return _handler_transact_write_items(self)
    now = time.monotonic()
    fingerprint = json.dumps(self.body.get("TransactItems"), sort_keys=True)
    with _tokens_lock:
        while _tokens and (next(iter(_tokens.values()))[1] <= now or len(_tokens) > MAX_TOKENS):
            _tokens.popitem(last=False)
        seen = _tokens.get(token)
    if seen is not None:
        if seen[0] != fingerprint:
            raise IdempotentParameterMismatchException()
        failed, outcome = seen[2]
        if failed:
            raise outcome
        return outcome
    try:
        outcome = (False, _handler_transact_write_items(self))
    except JsonRESTError as e:
        outcome = (True, e)
    with _tokens_lock:
        _tokens[token] = (fingerprint, time.monotonic() + TOKEN_WINDOW_SECONDS, outcome)
    if outcome[0]:
        raise outcome[1]
    return outcome[1]


if not PLAIN:
    DynamoHandler.transact_write_items = _idempotent_transact_write_items


# 3. Shard iterators that expire and stay bounded in number.


class ExpiredIteratorException(JsonRESTError):
    def __init__(self):
        super().__init__(
            ERROR_PREFIX + "ExpiredIteratorException",
            "The shard iterator has expired or is unknown: get a new one with GetShardIterator.",
        )


class BoundedIterators(collections.OrderedDict):
    """Shard iterators by ARN, oldest first: an iterator lives 15 minutes, and only the
    newest MAX_ITERATORS are kept (a poller only ever uses its latest one)."""

    def __setitem__(self, arn, iterator):
        now = time.monotonic()
        iterator.expires = now + ITERATOR_LIFETIME_SECONDS
        super().__setitem__(arn, iterator)
        while len(self) > MAX_ITERATORS or next(iter(self.values())).expires <= now:
            self.popitem(last=False)

    def __getitem__(self, arn):
        iterator = self.get(arn)
        if iterator is None or iterator.expires <= time.monotonic():
            raise ExpiredIteratorException()
        return iterator


_streams_backend_init = streams_models.DynamoDBStreamsBackend.__init__


def _streams_backend_with_bounded_iterators(self, *args, **kwargs):
    _streams_backend_init(self, *args, **kwargs)
    self.shard_iterators = BoundedIterators()


if not PLAIN:
    streams_models.DynamoDBStreamsBackend.__init__ = _streams_backend_with_bounded_iterators


# 4. A Query on the base table reads one partition.
# moto's Table.query collects every item of the table, sorted, and keeps those with the
# requested hash key: each Query costs time proportional to all the data ever written
# (issue 12's soak: 27 ms per Query on the tournaments table after a minute, half of the
# emulator's time). DynamoDB reads one partition; here the query sees only that
# partition's items. Index queries and scans are unchanged.

_table_query = table_models.Table.query
INDEX_NAME_ARG = 6  # query(hash_key, range_comparison, range_objs, limit,
#                          exclusive_start_key, scan_index_forward,
#                          projection_expressions, index_name, ...)


def _query_one_partition(self, hash_key, *args, **kwargs):
    index_name = args[INDEX_NAME_ARG] if len(args) > INDEX_NAME_ARG else kwargs.get("index_name")
    if index_name is not None or hash_key is None or not self.range_key_attr:
        return _table_query(self, hash_key, *args, **kwargs)
    partition = list(self.items.get(hash_key, {}).values())
    # Requests run one at a time (the lock below), so shadowing all_items on this table
    # for the length of the call is seen by this query alone.
    self.all_items = lambda: partition
    try:
        return _table_query(self, hash_key, *args, **kwargs)
    finally:
        del self.all_items


if not PLAIN:
    table_models.Table.query = _query_one_partition


# 5. Per-request overhead. moto lists its package directory (os.listdir + isdir per
# entry) and inspects the handler class's members on every request: both answers are
# fixed for the life of the process, so they are computed once. Behaviour is unchanged,
# so this applies with GYMIT_PLAIN_MOTO too (as does 6).

_moto_modules = tuple(moto_backends.list_of_moto_modules())
moto_backends.list_of_moto_modules = lambda: _moto_modules
core_responses.method_names_from_class = functools.lru_cache(maxsize=None)(
    lambda clazz: frozenset(core_utils.method_names_from_class(clazz))
)


# 7. This machine's processes only (issue 27): moto answers every origin with CORS `*`
# (flask-cors, on unless MOTO_DISABLE_GLOBAL_CORS), so any web page a developer visited
# could read the tables (a page read the root admin's password hash) and, with a
# `text/plain` or form POST that needs no preflight, write them or publish to a topic.
# Here CORS is off, and a request from a web page of another site (an `Origin` whose host
# is not this machine's loopback, `null` included) or under another host name (`Host`, as
# in DNS rebinding) is refused with 403 before moto sees it, as gymit-local's `/_local/*`
# are. The SDK sends `Host: 127.0.0.1:<port>` and no `Origin`: nothing changes for it.

werkzeug_app.DISABLE_GLOBAL_CORS = True
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]"}


def _host_of(value):
    """The host of `http://host:port/...` or `host:port`, without the port."""
    rest = value.split("://", 1)[1] if "://" in value else value
    authority = rest.split("/", 1)[0]
    if authority.startswith("["):
        return authority.split("]", 1)[0] + "]"
    return authority.split(":", 1)[0]


def refuses_cross_site(environ):
    host = environ.get("HTTP_HOST")
    origin = environ.get("HTTP_ORIGIN")
    if host is not None and _host_of(host) not in LOOPBACK_HOSTS:
        return True
    return origin is not None and _host_of(origin) not in LOOPBACK_HOSTS


def _forbidden(start_response):
    body = b'{"message": "Forbidden"}'
    start_response("403 Forbidden", [("Content-Type", "application/json"),
                                     ("Content-Length", str(len(body)))])
    return [body]


# 8. Reads of many items. moto 5.2.5 serialises every response by walking the operation's
# botocore output shape value by value (moto/core/serialize.py): 2,065 items of 15
# attributes took 7-9 s in the emulator, 22 s under a profiler, nearly all of it there.
# DynamoDB's JSON protocol writes items as they are stored ({"S": ...}, numbers as
# strings), which is what `DynamoResult` already holds after `dynamo_to_dict`; only blobs
# (raw bytes there, base64 on the wire) and sets need a word. The operations that return
# items take this path; every other response (and every error) is moto's own.

ITEM_READS = {"Query", "Scan", "GetItem", "BatchGetItem", "TransactGetItems"}
_execute_result = dynamodb_responses.DynamoResult.execute_result


def _wire(value):
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"not a DynamoDB wire value: {type(value).__name__}")


def _items_as_json(self, context):
    if context.operation_model.name not in ITEM_READS or not isinstance(self.result, dict):
        return _execute_result(self, context)
    body = {k: v for k, v in self.result.items() if v is not None}
    version = context.service_model.metadata.get("jsonVersion", "1.0")
    headers = {"Content-Type": f"application/x-amz-json-{version}"}
    return 200, headers, json.dumps(body, default=_wire)


if not PLAIN:
    dynamodb_responses.DynamoResult.execute_result = _items_as_json


# One request at a time (see the module's docs for why).

_lock = threading.Lock()
_dispatch = server.DomainDispatcherApplication.__call__


def _serialised(self, environ, start_response):
    if refuses_cross_site(environ):
        return _forbidden(start_response)
    with _lock:
        # Produce the whole body inside the lock: a WSGI body may be lazy.
        return list(_dispatch(self, environ, start_response))


server.DomainDispatcherApplication.__call__ = _serialised


# 7. The mailbox (SES messages, listed at GET /_aws/ses as LocalStack lists them).

MAILBOX_PATH = "/_aws/ses"
MAILBOX_SIZE = 1000
_mailbox = collections.deque(maxlen=MAILBOX_SIZE)


def _recording_sends():
    from moto.ses import models as ses_models

    send_email = ses_models.SESBackend.send_email

    @functools.wraps(send_email)
    def recorded(self, source, subject, body, destinations):
        message = send_email(self, source, subject, body, destinations)
        _mailbox.append(
            {
                "Id": message.id,
                "Region": self.region_name,
                "Source": source,
                "Destination": {k: list(v) for k, v in (destinations or {}).items()},
                "Subject": subject,
                "Body": {"text_part": body, "html_part": None},
                "Timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
                + f".{int(time.time() * 1000) % 1000:03d}Z",
            }
        )
        return message

    ses_models.SESBackend.send_email = recorded


_recording_sends()


def _with_mailbox(app):
    def serve(environ, start_response):
        if environ.get("PATH_INFO") == MAILBOX_PATH and environ.get("REQUEST_METHOD") == "GET":
            body = json.dumps({"messages": list(_mailbox)}).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        return app(environ, start_response)

    return serve


# 6. The HTTP server. moto_server runs werkzeug's development server, which answers every
# request with `Connection: close`: each SDK call opened a new TCP connection and the
# server started a new thread for it (issue 12: with 43 functions' clients that was a
# large share of the emulator's time, and every function paid a connect per call).
# waitress keeps connections alive, as DynamoDB's endpoint does. Idle connections are
# closed after CHANNEL_TIMEOUT seconds, longer than the SDK's own pool idle timeout, so the
# client, not the server, ends them (a request never meets a connection closing under it).

CHANNEL_TIMEOUT = 300
CONNECTION_LIMIT = 4096


def main(argv=None):
    parser = argparse.ArgumentParser(description="moto with GymIT's fixes")
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=4566)
    args = parser.parse_args(argv)
    os.environ.setdefault("MOTO_PORT", str(args.port))
    app = _with_mailbox(server.DomainDispatcherApplication(server.create_backend_app))
    print(f"emulator (moto {moto.__version__}{', plain' if PLAIN else ''}) on http://{args.host}:{args.port}", flush=True)
    waitress.serve(
        app,
        host=args.host,
        port=args.port,
        threads=8,
        connection_limit=CONNECTION_LIMIT,
        channel_timeout=CHANNEL_TIMEOUT,
        asyncore_use_poll=True,
        ident="gymit-emulator",
        _quiet=True,
    )


if __name__ == "__main__":
    main()
