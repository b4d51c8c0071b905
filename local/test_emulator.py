"""Tests of the emulator's fixes (local/emulator.py), run by `make test`:

    .venv/bin/python local/test_emulator.py            # the patched emulator: all pass
    GYMIT_PLAIN_MOTO=1 .venv/bin/python local/test_emulator.py   # plain moto 5.2.5: the
                                                       # tests marked "fails on plain moto" fail

Each test starts from a fresh table in an in-process moto server.
"""

import logging
import os
import sys
import threading
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

PLAIN = os.environ.get("GYMIT_PLAIN_MOTO") == "1"
if not PLAIN:
    import emulator  # noqa: E402,F401  (applies the fixes)

from moto.dynamodb.models import dynamodb_backends  # noqa: E402
from moto.dynamodb.models.dynamo_type import DynamoType, Item  # noqa: E402
from moto.dynamodbstreams.models import dynamodbstreams_backends  # noqa: E402
from moto.server import ThreadedMotoServer  # noqa: E402

logging.getLogger("werkzeug").setLevel(logging.ERROR)


def client(service, url):
    return boto3.client(service, endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="x", aws_secret_access_key="x",
                        config=Config(retries={"max_attempts": 1}))


class Emulator(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        cls.server.start()
        host, port = cls.server.get_host_and_port()
        cls.url = f"http://{host}:{port}"
        cls.db = client("dynamodb", cls.url)
        cls.streams = client("dynamodbstreams", cls.url)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def table(self, stream=True):
        name = f"t-{uuid.uuid4().hex[:8]}"
        spec = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"} if stream else {
            "StreamEnabled": False}
        self.db.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                             KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                             AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                             StreamSpecification=spec)
        return name

    def iterator(self, table, kind="LATEST"):
        arn = self.db.describe_table(TableName=table)["Table"]["LatestStreamArn"]
        shard = self.streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
        return self.streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                               ShardIteratorType=kind)["ShardIterator"]

    def read(self, iterator, rounds=2):
        keys = []
        for _ in range(rounds):
            out = self.streams.get_records(ShardIterator=iterator)
            keys += [(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for r in out["Records"]]
            iterator = out["NextShardIterator"]
        return keys, iterator

    def put_if_absent(self, table, pk):
        return {"Put": {"TableName": table, "Item": {"pk": {"S": pk}},
                        "ConditionExpression": "attribute_not_exists(pk)"}}

    def raw(self, headers):
        """A DynamoDB ListTables sent by hand (as a web page would), and its answer."""
        import urllib.error
        import urllib.request
        request = urllib.request.Request(
            self.url + "/", data=b"{}", method="POST",
            headers={"Content-Type": "application/x-amz-json-1.0",
                     "X-Amz-Target": "DynamoDB_20120810.ListTables",
                     "Authorization": "AWS4-HMAC-SHA256 Credential=x/20261207/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x",
                     **headers})
        try:
            with urllib.request.urlopen(request, timeout=10) as res:
                return res.status, dict(res.headers), res.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def test_a_web_page_of_another_site_is_refused_and_no_cors_is_sent(self):
        """Fails on plain moto: it answers any origin with `Access-Control-Allow-Origin: *`."""
        self.table(stream=False)
        for headers in ({"Origin": "http://evil.example"}, {"Origin": "null"},
                        {"Host": "evil.example:4566"}):
            status, answer_headers, body = self.raw(headers)
            self.assertEqual(status, 403, headers)
            self.assertNotIn(b"TableNames", body, headers)
            self.assertFalse(any(k.lower().startswith("access-control-") for k in answer_headers),
                             answer_headers)
        # This machine's processes, pages on it included, are served, with no CORS either.
        for headers in ({}, {"Origin": "http://127.0.0.1:8000"}, {"Origin": "http://localhost:5173"}):
            status, answer_headers, body = self.raw(headers)
            self.assertEqual(status, 200, (headers, body))
            self.assertIn(b"TableNames", body)
            self.assertFalse(any(k.lower().startswith("access-control-") for k in answer_headers),
                             answer_headers)

    def test_a_stream_iterator_survives_a_cancelled_transaction(self):
        """fails on plain moto: the cancelled transaction orphans the shard."""
        table = self.table()
        it = self.iterator(table)
        self.db.put_item(TableName=table, Item={"pk": {"S": "taken"}})
        with self.assertRaises(ClientError) as cancelled:
            self.db.transact_write_items(TransactItems=[self.put_if_absent(table, "taken")])
        self.assertEqual(cancelled.exception.response["Error"]["Code"],
                         "TransactionCanceledException")
        self.db.put_item(TableName=table, Item={"pk": {"S": "after"}})
        keys, _ = self.read(it)
        self.assertEqual(keys, [("INSERT", "taken"), ("INSERT", "after")])

    def test_a_cancelled_transaction_writes_nothing_and_leaves_no_stream_record(self):
        table = self.table()
        it = self.iterator(table)
        self.db.put_item(TableName=table, Item={"pk": {"S": "taken"}})
        with self.assertRaises(ClientError):
            self.db.transact_write_items(TransactItems=[
                self.put_if_absent(table, "fresh"), self.put_if_absent(table, "taken")])
        self.assertNotIn("Item", self.db.get_item(TableName=table, Key={"pk": {"S": "fresh"}}))
        keys, _ = self.read(self.iterator(table, "TRIM_HORIZON"))
        self.assertEqual(keys, [("INSERT", "taken")])
        if not PLAIN:  # plain moto's old iterator sees nothing at all (the test above)
            keys, _ = self.read(it)
            self.assertEqual(keys, [("INSERT", "taken")])

    def test_an_item_failing_while_applied_restores_only_what_the_transaction_touched(self):
        table = self.table()
        self.db.put_item(TableName=table, Item={"pk": {"S": "text"}, "v": {"S": "a string"}})
        self.db.put_item(TableName=table, Item={"pk": {"S": "other"}, "n": {"N": "1"}})
        it = self.iterator(table)
        with self.assertRaises(ClientError):
            self.db.transact_write_items(TransactItems=[
                {"Put": {"TableName": table, "Item": {"pk": {"S": "new"}}}},
                {"Update": {"TableName": table, "Key": {"pk": {"S": "text"}},
                            "UpdateExpression": "ADD v :one",
                            "ExpressionAttributeValues": {":one": {"N": "1"}}}}])
        self.assertNotIn("Item", self.db.get_item(TableName=table, Key={"pk": {"S": "new"}}))
        self.assertEqual(
            self.db.get_item(TableName=table, Key={"pk": {"S": "text"}})["Item"]["v"],
            {"S": "a string"})
        self.db.put_item(TableName=table, Item={"pk": {"S": "later"}})
        if not PLAIN:
            keys, _ = self.read(it)
            self.assertEqual(keys, [("INSERT", "later")])

    def test_a_committed_transaction_streams_each_write_once(self):
        table = self.table()
        it = self.iterator(table)
        self.db.transact_write_items(TransactItems=[
            self.put_if_absent(table, "a"), self.put_if_absent(table, "b")])
        keys, _ = self.read(it)
        self.assertEqual(keys, [("INSERT", "a"), ("INSERT", "b")])

    def test_a_transaction_resent_with_its_client_request_token_is_applied_once(self):
        """fails on plain moto: it applies the resend again."""
        table = self.table(stream=False)
        self.db.put_item(TableName=table, Item={"pk": {"S": "counter"}, "n": {"N": "0"}})
        items = [{"Update": {"TableName": table, "Key": {"pk": {"S": "counter"}},
                             "UpdateExpression": "ADD n :one",
                             "ExpressionAttributeValues": {":one": {"N": "1"}}}}]
        token = uuid.uuid4().hex
        for _ in range(3):
            self.db.transact_write_items(TransactItems=items, ClientRequestToken=token)
        n = self.db.get_item(TableName=table, Key={"pk": {"S": "counter"}})["Item"]["n"]["N"]
        self.assertEqual(n, "1")
        self.db.transact_write_items(TransactItems=items, ClientRequestToken=uuid.uuid4().hex)
        n = self.db.get_item(TableName=table, Key={"pk": {"S": "counter"}})["Item"]["n"]["N"]
        self.assertEqual(n, "2", "a new token is a new transaction")

    def test_a_resent_cancelled_transaction_answers_its_first_outcome(self):
        table = self.table(stream=False)
        self.db.put_item(TableName=table, Item={"pk": {"S": "taken"}})
        token = uuid.uuid4().hex
        items = [self.put_if_absent(table, "taken")]
        for _ in range(2):
            with self.assertRaises(ClientError) as e:
                self.db.transact_write_items(TransactItems=items, ClientRequestToken=token)
            self.assertEqual(e.exception.response["Error"]["Code"], "TransactionCanceledException")

    def test_one_token_with_a_different_request_is_a_mismatch(self):
        """fails on plain moto: it applies the second request."""
        table = self.table(stream=False)
        token = uuid.uuid4().hex
        self.db.transact_write_items(TransactItems=[self.put_if_absent(table, "a")],
                                     ClientRequestToken=token)
        with self.assertRaises(ClientError) as e:
            self.db.transact_write_items(TransactItems=[self.put_if_absent(table, "b")],
                                         ClientRequestToken=token)
        self.assertEqual(e.exception.response["Error"]["Code"],
                         "IdempotentParameterMismatchException")
        self.assertNotIn("Item", self.db.get_item(TableName=table, Key={"pk": {"S": "b"}}))

    def test_shard_iterators_stay_bounded(self):
        """fails on plain moto: every GetRecords keeps a new iterator forever."""
        if not PLAIN:
            emulator.MAX_ITERATORS = 50
        try:
            table = self.table()
            it = self.iterator(table)
            for _ in range(200):
                it = self.streams.get_records(ShardIterator=it)["NextShardIterator"]
            kept = sum(len(b.shard_iterators) for b in self._stream_backends())
            self.assertLessEqual(kept, 50)
            self.db.put_item(TableName=table, Item={"pk": {"S": "still-read"}})
            keys, _ = self.read(it)
            self.assertEqual(keys, [("INSERT", "still-read")])
        finally:
            if not PLAIN:
                emulator.MAX_ITERATORS = 4096

    def test_an_expired_shard_iterator_is_refused_as_dynamodb_streams_does(self):
        """fails on plain moto: iterators never expire."""
        if not PLAIN:
            emulator.ITERATOR_LIFETIME_SECONDS = 0.2
        try:
            it = self.iterator(self.table())
            time.sleep(0.3)
            with self.assertRaises(ClientError) as e:
                self.streams.get_records(ShardIterator=it)
            self.assertEqual(e.exception.response["Error"]["Code"], "ExpiredIteratorException")
        finally:
            if not PLAIN:
                emulator.ITERATOR_LIFETIME_SECONDS = 900

    def test_a_cancelled_transaction_costs_nothing_proportional_to_the_table(self):
        """fails on plain moto: every transaction deep-copies its whole table."""
        table = self.table(stream=False)
        small = self.table(stream=False)
        for name in (table, small):
            self.db.put_item(TableName=name, Item={"pk": {"S": "taken"}})
        backend = self._dynamodb_backend()
        big = backend.tables[table]
        for i in range(20_000):  # straight into the table: 20,000 puts over HTTP take minutes
            key = DynamoType({"S": f"k{i}"})
            big.items[key] = Item(key, None, {"pk": {"S": f"k{i}"}, "payload": {"S": "x" * 200}})

        def cancelled(name):
            start = time.perf_counter()
            for _ in range(5):
                with self.assertRaises(ClientError):
                    self.db.transact_write_items(TransactItems=[self.put_if_absent(name, "taken")])
            return time.perf_counter() - start

        cancelled(small)  # warm up
        baseline, loaded = cancelled(small), cancelled(table)
        self.assertIs(backend.tables[table], big, "the table keeps its identity")
        self.assertLess(loaded, baseline * 3 + 0.1,
                        f"5 cancelled transactions: {loaded:.3f} s on 20,000 items, "
                        f"{baseline:.3f} s on 1")

    def ranged_table(self):
        name = f"r-{uuid.uuid4().hex[:8]}"
        self.db.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                             KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                        {"AttributeName": "sk", "KeyType": "RANGE"}],
                             AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                   {"AttributeName": "sk", "AttributeType": "S"}])
        return name

    def test_a_query_answers_its_partition_in_order_and_in_pages(self):
        table = self.ranged_table()
        for pk in ("a", "b", "c"):
            for i in (3, 1, 2, 5, 4):
                self.db.put_item(TableName=table, Item={"pk": {"S": pk}, "sk": {"S": f"s{i}"}})

        def sks(**kw):
            values = {":p": {"S": "b"}, **kw.pop("values", {})}
            kw.setdefault("KeyConditionExpression", "pk = :p")
            out = self.db.query(TableName=table, ExpressionAttributeValues=values, **kw)
            return [i["sk"]["S"] for i in out["Items"]], out.get("LastEvaluatedKey")

        self.assertEqual(sks()[0], ["s1", "s2", "s3", "s4", "s5"])
        self.assertEqual(sks(ScanIndexForward=False)[0], ["s5", "s4", "s3", "s2", "s1"])
        first, last = sks(Limit=2)
        self.assertEqual(first, ["s1", "s2"])
        self.assertEqual(sks(ExclusiveStartKey=last)[0], ["s3", "s4", "s5"])
        ranged = sks(KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :z",
                     values={":a": {"S": "s2"}, ":z": {"S": "s3"}})
        self.assertEqual(ranged[0], ["s2", "s3"])
        out = self.db.query(TableName=table, KeyConditionExpression="pk = :p",
                            ExpressionAttributeValues={":p": {"S": "nobody"}})
        self.assertEqual(out["Items"], [])

    def test_items_of_every_type_read_back_as_they_were_written(self):
        table = self.ranged_table()
        item = {"pk": {"S": "p"}, "sk": {"S": "s1"}, "n": {"N": "-12.5"}, "b": {"B": b"\x00\xffbin"},
                "t": {"BOOL": True}, "z": {"NULL": True}, "ss": {"SS": ["a", "b"]},
                "ns": {"NS": ["1", "2"]}, "bs": {"BS": [b"x", b"y"]},
                "m": {"M": {"inner": {"L": [{"S": "x"}, {"N": "1"}, {"B": b"\x01"}]}}},
                "u": {"S": "ünïcode \"quoted\" 🏋️"}}
        self.db.put_item(TableName=table, Item=item)
        key = {"pk": item["pk"], "sk": item["sk"]}

        def same(got):
            self.assertEqual(set(got), set(item))
            for k, v in item.items():
                if k in ("ss", "ns", "bs"):
                    (kind, values), = v.items()
                    self.assertEqual(sorted(got[k][kind]), sorted(values), k)
                else:
                    self.assertEqual(got[k], v, k)

        same(self.db.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"])
        out = self.db.query(TableName=table, KeyConditionExpression="pk = :p",
                            ExpressionAttributeValues={":p": {"S": "p"}})
        self.assertEqual(out["Count"], 1)
        same(out["Items"][0])
        same(self.db.scan(TableName=table)["Items"][0])
        same(self.db.batch_get_item(RequestItems={table: {"Keys": [key]}})["Responses"][table][0])
        same(self.db.transact_get_items(TransactItems=[{"Get": {"TableName": table, "Key": key}}])
             ["Responses"][0]["Item"])
        projected = self.db.get_item(TableName=table, Key=key, ProjectionExpression="n, b")["Item"]
        self.assertEqual(projected, {"n": item["n"], "b": item["b"]})
        self.assertNotIn("Item", self.db.get_item(TableName=table, Key={"pk": {"S": "p"},
                                                                        "sk": {"S": "none"}}))

    def test_a_query_of_two_thousand_items_answers_in_well_under_a_second(self):
        """Fails on plain moto: it serialises such a Query for several seconds (issue 31)."""
        table = self.ranged_table()
        big = self._dynamodb_backend().tables[table]
        pk = DynamoType({"S": "final"})
        for i in range(2065):  # a 64-player round robin's partition, straight into the table
            sk = DynamoType({"S": f"MATCH#{i:05}"})
            attrs = {"pk": {"S": "final"}, "sk": {"S": f"MATCH#{i:05}"}, "id": {"S": f"R1-{i}"},
                     "participant1_id": {"S": str(uuid.uuid4())},
                     "participant2_id": {"S": str(uuid.uuid4())}, "status": {"S": "ready"},
                     "gen": {"S": uuid.uuid4().hex}, "kind": {"S": "match"},
                     "bracket": {"S": "round_robin"}, "match_number": {"N": str(i + 1)},
                     "round": {"N": "1"}, "order": {"N": str(i)},
                     "next_match_id": {"NULL": True}, "next_loser_match_id": {"NULL": True}}
            big.items[pk][sk] = Item(pk, sk, attrs)
        start = time.perf_counter()
        out = self.db.query(TableName=table, KeyConditionExpression="pk = :p",
                            ExpressionAttributeValues={":p": {"S": "final"}}, ConsistentRead=True)
        took = time.perf_counter() - start
        self.assertEqual(len(out["Items"]), 2065)
        self.assertEqual(out["Items"][7]["order"], {"N": "7"})
        self.assertLess(took, 1.0, f"a Query of 2,065 items took {took:.2f} s")

    def test_a_query_costs_nothing_proportional_to_the_table(self):
        """fails on plain moto: every Query sorts the whole table to find one partition."""
        small, large = self.ranged_table(), self.ranged_table()
        for name in (small, large):
            for i in range(5):
                self.db.put_item(TableName=name, Item={"pk": {"S": "mine"}, "sk": {"S": f"s{i}"}})
        big = self._dynamodb_backend().tables[large]
        for i in range(20_000):  # straight into the table: 20,000 puts over HTTP take minutes
            pk, sk = DynamoType({"S": f"p{i % 2000}"}), DynamoType({"S": f"s{i}"})
            big.items[pk][sk] = Item(pk, sk, {"pk": {"S": f"p{i % 2000}"}, "sk": {"S": f"s{i}"}})

        def queries(name):
            start = time.perf_counter()
            for _ in range(5):
                out = self.db.query(TableName=name, KeyConditionExpression="pk = :p",
                                    ExpressionAttributeValues={":p": {"S": "mine"}})
                self.assertEqual(len(out["Items"]), 5)
            return time.perf_counter() - start

        queries(small)  # warm up
        baseline, loaded = queries(small), queries(large)
        self.assertLess(loaded, baseline * 3 + 0.1,
                        f"5 queries of a 5-item partition: {loaded:.3f} s among 20,000 items, "
                        f"{baseline:.3f} s alone")

    def test_sent_mail_is_kept_and_listed_newest_last(self):
        # Fails on plain moto: it keeps no listable record of sent mail (fix 7).
        ses = client("sesv2", self.url)
        ses.create_email_identity(EmailIdentity="sender@gymit.example")
        to = f"{uuid.uuid4().hex[:8]}@example.com"
        for subject in ["first", "second"]:
            ses.send_email(FromEmailAddress="sender@gymit.example",
                           Destination={"ToAddresses": [to]},
                           Content={"Simple": {"Subject": {"Data": subject},
                                               "Body": {"Text": {"Data": f"{subject} body"}}}})
        import emulator as fixed  # noqa: E402 (on plain moto this import is the failure)
        listed = {}

        def start_response(status, headers):
            listed["status"] = status

        body = b"".join(fixed._with_mailbox(None)({"PATH_INFO": fixed.MAILBOX_PATH,
                                                  "REQUEST_METHOD": "GET"}, start_response))
        import json  # noqa: E402
        mails = [m for m in json.loads(body)["messages"] if to in m["Destination"]["ToAddresses"]]
        self.assertEqual(listed["status"], "200 OK")
        self.assertEqual([m["Subject"] for m in mails], ["first", "second"])
        self.assertEqual(mails[1]["Body"]["text_part"], "second body")
        self.assertTrue(mails[1]["Timestamp"].endswith("Z"), mails[1])

    @staticmethod
    def _stream_backends():
        return [b for account in dynamodbstreams_backends.values() for b in account.values()]

    @staticmethod
    def _dynamodb_backend():
        return dynamodb_backends["123456789012"]["us-east-1"]


if __name__ == "__main__":
    threading.current_thread().name = "emulator-tests"
    unittest.main(verbosity=2)
