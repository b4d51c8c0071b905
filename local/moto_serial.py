"""moto 5.2.5's server, answering one request at a time.

moto does not isolate concurrent `TransactWriteItems`: a transaction that is cancelled
restores its tables from a copy taken when it began, erasing whatever other requests
committed in between (see `transact_write_items` in moto/dynamodb/models). DynamoDB
serialises conflicting writes per item; here we serialise every request, which keeps the
emulator faithful for the invariants GymIT's tests check (capacity, one result per match,
unique emails). SNS `Publish` delivers HTTP notifications inside the request, so the
subscriber (gymit-local) must answer them without calling back into the emulator first;
it does.

Usage: python local/moto_serial.py -H 127.0.0.1 -p 4566 (the arguments of moto_server).
"""

import threading

from moto import server

_lock = threading.Lock()
_dispatch = server.DomainDispatcherApplication.__call__


def _serialised(self, environ, start_response):
    with _lock:
        # Produce the whole body inside the lock: a WSGI body may be lazy.
        return list(_dispatch(self, environ, start_response))


server.DomainDispatcherApplication.__call__ = _serialised

if __name__ == "__main__":
    server.main()
