"""Cold-start peer: the GetItem of peer-sdk-getitem.rs as a Python 3.11 handler under
awslambdaric, the function a user would otherwise write. The client is built at import
time, outside the handler, as AWS recommends."""

import os

import boto3

_db = boto3.client("dynamodb")
_table = os.environ.get("PEER_TABLE", "peer")


def handler(event, context):
    out = _db.get_item(
        TableName=_table, Key={"pk": {"S": "PEER"}, "sk": {"S": "PEER"}}
    )
    return {"statusCode": 200, "found": "Item" in out}
