#!/usr/bin/python3
# A real SMTP server on loopback for the email tests (aiosmtpd, Debian's python3-aiosmtpd): it accepts every
# message and prints each as one JSON line (envelope, headers, body) on stdout.
# Usage: smtp-sink.py PORT
import asyncio, email, email.policy, json, sys
from aiosmtpd.controller import Controller

class Sink:
    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain",))
        print(json.dumps({
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "headers": {k: str(v) for k, v in msg.items()},
            "body": body.get_content() if body else "",
        }), flush=True)
        return "250 OK"

controller = Controller(Sink(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
try:
    asyncio.get_event_loop().run_forever()
finally:
    controller.stop()
