"""Writes one sample event per function of template.yaml into events/<binary>.json.

`make events` runs it. Each sample is the event AWS (and gymit-local) delivers to that
function: an HTTP API payload 2.0 request, a WebSocket API proxy request, a DynamoDB
stream batch, an SNS notification, or a direct invocation's payload. See events/README.md.
"""

import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"

USER_ID = "0193a5b0-7c1e-7000-8000-000000000001"
TOURNAMENT_ID = "0193a5b0-7c1e-7000-8000-000000000071"
PARTICIPANT_ID = "0193a5b0-7c1e-7000-8000-0000000000aa"
CONNECTION_ID = "ZmFrZS1jb25uLWlk"
EPOCH_MS = 1795514400000
TIME = "2026-11-24T10:00:00.000Z"
REGION = "us-east-1"
ACCOUNT = "123456789012"

PATH_SAMPLES = {"id": USER_ID, "participant_id": PARTICIPANT_ID, "match_id": "W1-1"}

BODIES = {
    "auth-register": {"email": "ana@example.com", "password": "correct horse battery", "full_name": "Ana Lopez"},
    "auth-login": {"email": "ana@example.com", "password": "correct horse battery"},
    "auth-refresh": {"refresh_token": "cmVmcmVzaC10b2tlbi1zYW1wbGUtcmVmcmVzaC10b2tlbg"},
    "auth-logout": {"refresh_token": "cmVmcmVzaC10b2tlbi1zYW1wbGUtcmVmcmVzaC10b2tlbg"},
    "auth-password": {"current_password": "correct horse battery", "new_password": "a new long passphrase"},
    "users-me-update": {"full_name": "Ana María López"},
    "users-ban": {"reason": "no-show"},
    "users-set-role": {"role": "trainer"},
    "tournaments-create": {
        "name": "Spring Open",
        "start_date": "2027-03-01T10:00:00Z",
        "max_participants": 16,
        "tournament_type": "double_elimination",
        "grand_final": "double",
    },
    "tournaments-update": {"description": "Bring your own racket."},
    "tournaments-join": {},
    "tournaments-start": {"seeding": "by_seed"},
    "tournaments-result-report": {"winner_id": PARTICIPANT_ID, "score": "21-19,18-21,21-15"},
    "tournaments-result-correct": {"winner_id": PARTICIPANT_ID, "score": "21-17,21-15"},
}

SAMPLE_USER = {
    "id": USER_ID,
    "email": "ana@example.com",
    "full_name": "Ana Lopez",
    "role": "member",
    "is_approved": False,
    "is_banned": False,
    "is_active": True,
    "is_root_admin": False,
    "created_at": TIME,
    "updated_at": TIME,
}


class TemplateLoader(yaml.SafeLoader):
    """Reads CloudFormation short tags (!Ref, !Sub, …) as plain {tag: value} maps."""


def _any_tag(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        return {suffix: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {suffix: loader.construct_sequence(node)}
    return {suffix: loader.construct_mapping(node)}


TemplateLoader.add_multi_constructor("!", _any_tag)


def http_event(binary, props):
    path, method = props["Path"], props["Method"]
    params = {k: PATH_SAMPLES.get(k, "x") for k in re.findall(r"{(\w+)}", path)}
    if binary.startswith("tournaments-") and "id" in params:
        params["id"] = TOURNAMENT_ID
    raw = path
    for k, v in params.items():
        raw = raw.replace("{" + k + "}", v)
    public = props.get("Auth", {}).get("Authorizer") == "NONE"
    body = BODIES.get(binary)
    headers = {
        "accept": "application/json",
        "host": "127.0.0.1:8000",
        "user-agent": "curl/8.5.0",
        "x-correlation-id": "sample-correlation-id",
    }
    if body is not None:
        headers["content-type"] = "application/json"
    context = {
        "accountId": ACCOUNT,
        "apiId": "local",
        "domainName": "127.0.0.1",
        "domainPrefix": "127",
        "http": {"method": method, "path": raw, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "curl/8.5.0"},
        "requestId": f"sample-{binary}",
        "routeKey": f"{method} {path}",
        "stage": "$default",
        "time": "24/Nov/2026:10:00:00 +0000",
        "timeEpoch": EPOCH_MS,
    }
    if not public:
        headers["authorization"] = "Bearer <access token: see events/README.md>"
        context["authorizer"] = {
            "lambda": {"user_id": USER_ID, "email": "ana@example.com", "role": "member", "approved": True}
        }
    event = {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": raw,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": context,
        "isBase64Encoded": False,
    }
    if params:
        event["pathParameters"] = params
    if body is not None:
        event["body"] = json.dumps(body)
    return event


def websocket_event(route_key, body=None, query=None):
    event_type = {"$connect": "CONNECT", "$disconnect": "DISCONNECT"}.get(route_key, "MESSAGE")
    context = {
        "routeKey": route_key,
        "eventType": event_type,
        "messageDirection": "IN",
        "connectionId": CONNECTION_ID,
        "connectedAt": EPOCH_MS,
        "requestTimeEpoch": EPOCH_MS + 1500,
        "requestId": f"sample-{route_key.strip('$')}",
        "extendedRequestId": f"sample-{route_key.strip('$')}",
        "domainName": "127.0.0.1:8000",
        "stage": "ws",
        "apiId": "local",
        "identity": {"sourceIp": "127.0.0.1"},
    }
    event = {"requestContext": context, "isBase64Encoded": False}
    if event_type == "CONNECT":
        event["headers"] = {"Host": "127.0.0.1:8000", "Sec-WebSocket-Version": "13"}
        event["queryStringParameters"] = query or {}
    if event_type == "DISCONNECT":
        context["disconnectStatusCode"] = 1000
        context["disconnectReason"] = "Client closed the connection"
    if body is not None:
        event["body"] = json.dumps(body)
    return event


def outbox_image(event_type, entity_key, entity_id, data):
    event_id = "0193a5b0-7c1e-7000-8000-00000000e001"
    return {
        "pk": {"S": f"EVENT#{event_id}"},
        "sk": {"S": "EVENT"},
        "kind": {"S": "event"},
        "event_id": {"S": event_id},
        "type": {"S": event_type},
        "occurred_at": {"S": TIME},
        "entity_key": {"S": entity_key},
        "entity_id": {"S": entity_id},
        "data": {"S": json.dumps(data)},
        "expires_at": {"N": "1795600800"},
    }


def stream_event(table, image):
    return {
        "Records": [
            {
                "eventID": "sample-1",
                "eventName": "INSERT",
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": REGION,
                "dynamodb": {
                    "ApproximateCreationDateTime": EPOCH_MS / 1000,
                    "Keys": {"pk": image["pk"], "sk": image["sk"]},
                    "NewImage": image,
                    "SequenceNumber": "100000000000000000001",
                    "SizeBytes": 512,
                    "StreamViewType": "NEW_IMAGE",
                },
                "eventSourceARN": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}/stream/2026-11-24T10:00:00.000",
            }
        ]
    }


def sns_event(topic, message, event_type, entity_key, entity_id):
    arn = f"arn:aws:sns:{REGION}:{ACCOUNT}:gymit-{topic}"
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": f"{arn}:0193a5b0-7c1e-7000-8000-000000005001",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": "0193a5b0-7c1e-7000-8000-000000006001",
                    "TopicArn": arn,
                    "Subject": None,
                    "Message": json.dumps(message),
                    "Timestamp": TIME,
                    "SignatureVersion": "1",
                    "Signature": "",
                    "SigningCertUrl": "",
                    "UnsubscribeUrl": "",
                    "MessageAttributes": {
                        "type": {"Type": "String", "Value": event_type},
                        entity_key: {"Type": "String", "Value": entity_id},
                    },
                },
            }
        ]
    }


def message(event_type, entity_key, entity_id, data):
    return {
        "event_id": "0193a5b0-7c1e-7000-8000-00000000e001",
        "type": event_type,
        "occurred_at": TIME,
        entity_key: entity_id,
        "data": data,
    }


BANNED = dict(SAMPLE_USER, is_approved=True, is_banned=True, updated_at="2026-11-24T10:05:00.000Z")
MATCH = {
    "id": "W1-1",
    "round": 1,
    "position": 1,
    "bracket": "winners",
    "participant1_id": PARTICIPANT_ID,
    "participant2_id": "0193a5b0-7c1e-7000-8000-0000000000ab",
    "winner_id": PARTICIPANT_ID,
    "score": "21-19,18-21,21-15",
    "status": "completed",
    "version": 2,
}

OTHER_EVENTS = {
    "auth-bootstrap-admin": {},
    "users-create": {"user": SAMPLE_USER, "correlation_id": "sample-correlation-id"},
    "auth-authorizer": {
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": f"arn:aws:execute-api:{REGION}:{ACCOUNT}:local/$default/GET/api/auth/me",
        "identitySource": ["Bearer <access token>"],
        "routeKey": "GET /api/auth/me",
        "rawPath": "/api/auth/me",
        "rawQueryString": "",
        "headers": {"authorization": "Bearer <access token>", "host": "127.0.0.1:8000"},
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": "local",
            "http": {"method": "GET", "path": "/api/auth/me", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "curl/8.5.0"},
            "requestId": "sample-authorizer",
            "routeKey": "GET /api/auth/me",
            "stage": "$default",
            "timeEpoch": EPOCH_MS,
        },
    },
    "users-publish-events": stream_event(
        "gymit-users", outbox_image("user.banned", "user_id", USER_ID, {"user": BANNED, "version": 3})
    ),
    "auth-sync-user": sns_event(
        "user-events",
        message("user.banned", "user_id", USER_ID, {"user": BANNED, "version": 3}),
        "user.banned",
        "user_id",
        USER_ID,
    ),
    "tournaments-publish-events": stream_event(
        "gymit-tournaments",
        outbox_image("match.completed", "tournament_id", TOURNAMENT_ID, {"match": MATCH, "updated_matches": []}),
    ),
    "notifications-fanout": sns_event(
        "tournament-events",
        message("match.completed", "tournament_id", TOURNAMENT_ID, {"match": MATCH, "updated_matches": []}),
        "match.completed",
        "tournament_id",
        TOURNAMENT_ID,
    ),
    "notifications-connect": websocket_event("$connect", query={"token": "<access token: optional>"}),
    "notifications-default": websocket_event("$default", body={"action": "subscribe", "tournament_id": TOURNAMENT_ID}),
    "notifications-disconnect": websocket_event("$disconnect"),
}


def main():
    template = yaml.load((ROOT / "template.yaml").read_text(), Loader=TemplateLoader)
    missing = []
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        binary = resource["Metadata"]["BuildProperties"]["Binary"]
        http = [e for e in (resource["Properties"].get("Events") or {}).values() if e["Type"] == "HttpApi"]
        if http:
            event = http_event(binary, http[0]["Properties"])
        elif binary in OTHER_EVENTS:
            event = OTHER_EVENTS[binary]
        else:
            missing.append(binary)
            continue
        (EVENTS / f"{binary}.json").write_text(json.dumps(event, indent=2, ensure_ascii=False) + "\n")
    if missing:
        sys.exit(f"no sample event for: {', '.join(missing)}")


if __name__ == "__main__":
    main()
