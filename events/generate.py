import json, re, sys, yaml
class L(yaml.SafeLoader): pass
def any_tag(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode): return {suffix: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode): return {suffix: loader.construct_sequence(node)}
    return {suffix: loader.construct_mapping(node)}
L.add_multi_constructor('!', any_tag)
t = yaml.load(open('template.yaml'), Loader=L)
bodies = {
 'auth-register': {"email": "ana@example.com", "password": "correct horse battery", "full_name": "Ana Lopez"},
 'auth-login': {"email": "ana@example.com", "password": "correct horse battery"},
 'auth-refresh': {"refresh_token": "cmVmcmVzaC10b2tlbi1zYW1wbGUtcmVmcmVzaC10b2tlbg"},
 'auth-logout': {"refresh_token": "cmVmcmVzaC10b2tlbi1zYW1wbGUtcmVmcmVzaC10b2tlbg"},
 'auth-password': {"current_password": "correct horse battery", "new_password": "a new long passphrase"},
 'users-me-update': {"full_name": "Ana María López"},
 'tournaments-create': {"name": "Spring Open", "start_date": "2027-03-01T10:00:00Z", "max_participants": 16, "tournament_type": "double_elimination", "grand_final": "double"},
 'tournaments-update': {"description": "Bring your own racket."},
 'tournaments-join': {},
 'tournaments-start': {"seeding": "by_seed"},
 'tournaments-result-report': {"winner_id": "0193a5b0-7c1e-7000-8000-0000000000aa", "score": "21-19,18-21,21-15"},
 'tournaments-result-correct': {"winner_id": "0193a5b0-7c1e-7000-8000-0000000000aa", "score": "21-17,21-15"},
}
sample_ids = {'id': '0193a5b0-7c1e-7000-8000-000000000001', 'participant_id': '0193a5b0-7c1e-7000-8000-0000000000aa', 'match_id': 'W1-1'}
for logical, r in t['Resources'].items():
    if r['Type'] != 'AWS::Serverless::Function': continue
    binary = r['Metadata']['BuildProperties']['Binary']
    events = (r['Properties'].get('Events') or {})
    http = [e for e in events.values() if e['Type'] == 'HttpApi']
    out = None
    if http:
        p = http[0]['Properties']
        path, method = p['Path'], p['Method']
        params = {k: sample_ids.get(k, 'x') for k in re.findall(r'{(\w+)}', path)}
        raw = path
        for k, v in params.items(): raw = raw.replace('{'+k+'}', v)
        public = p.get('Auth', {}).get('Authorizer') == 'NONE'
        headers = {"accept": "application/json", "host": "127.0.0.1:8000", "user-agent": "curl/8.5.0", "x-correlation-id": "sample-correlation-id"}
        body = bodies.get(binary)
        if body is not None: headers["content-type"] = "application/json"
        ctx = {"accountId": "123456789012", "apiId": "local", "domainName": "127.0.0.1", "domainPrefix": "127",
               "http": {"method": method, "path": raw, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "curl/8.5.0"},
               "requestId": f"sample-{binary}", "routeKey": f"{method} {path}", "stage": "$default",
               "time": "24/Nov/2026:10:00:00 +0000", "timeEpoch": 1795514400000}
        if not public:
            headers["authorization"] = "Bearer <access token: see events/README.md>"
            ctx["authorizer"] = {"lambda": {"user_id": "0193a5b0-7c1e-7000-8000-000000000001", "email": "ana@example.com", "role": "member", "approved": True}}
        out = {"version": "2.0", "routeKey": f"{method} {path}", "rawPath": raw, "rawQueryString": "",
               "headers": headers, "requestContext": ctx, "isBase64Encoded": False}
        if params: out["pathParameters"] = params
        if body is not None: out["body"] = json.dumps(body)
    elif binary == 'auth-authorizer':
        out = {"version": "2.0", "type": "REQUEST", "routeArn": "arn:aws:execute-api:us-east-1:123456789012:local/$default/GET/api/auth/me",
               "identitySource": ["Bearer <access token>"], "routeKey": "GET /api/auth/me", "rawPath": "/api/auth/me", "rawQueryString": "",
               "headers": {"authorization": "Bearer <access token>", "host": "127.0.0.1:8000"},
               "requestContext": {"accountId": "123456789012", "apiId": "local", "http": {"method": "GET", "path": "/api/auth/me", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "curl/8.5.0"}, "requestId": "sample-authorizer", "routeKey": "GET /api/auth/me", "stage": "$default", "timeEpoch": 1795514400000}}
    elif binary == 'auth-bootstrap-admin':
        out = {}
    elif binary == 'users-create':
        out = {"user": {"id": "0193a5b0-7c1e-7000-8000-000000000001", "email": "ana@example.com", "full_name": "Ana Lopez", "role": "member", "is_approved": False, "is_banned": False, "is_active": True, "is_root_admin": False, "created_at": "2026-11-24T10:00:00Z", "updated_at": "2026-11-24T10:00:00Z"}, "correlation_id": "sample-correlation-id"}
    if out is None:
        if not any(f"events/{binary}.json" for _ in [0]): pass
        import os
        if os.path.exists(f"events/{binary}.json"): continue
        print("no sample for", binary, file=sys.stderr); continue
    json.dump(out, open(f"events/{binary}.json", "w"), indent=2)
    open(f"events/{binary}.json", "a").write("\n")
