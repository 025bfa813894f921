#!/usr/bin/python3
# A real SMTP server on loopback for the email tests (aiosmtpd, Debian's python3-aiosmtpd): it accepts every
# message and prints each as one JSON line (envelope, headers, body, login) on stdout.
# Usage: smtp-sink.py PORT [CERT.pem KEY.pem USER PASSWORD]
#   with a certificate: STARTTLS is required, and so is a login as USER with PASSWORD (over TLS only).
import asyncio, email, email.policy, json, ssl, sys
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

class Sink:
    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain",))
        print(json.dumps({
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "headers": {k: str(v) for k, v in msg.items()},
            "body": body.get_content() if body else "",
            "tls": session.ssl is not None,
            "login": session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None,
        }), flush=True)
        return "250 OK"

port = int(sys.argv[1])
options = {}
if len(sys.argv) > 2:
    cert, key, user, password = sys.argv[2:6]
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    def check(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user and auth_data.password.decode() == password
        return AuthResult(success=ok, handled=False, auth_data=auth_data)
    options = dict(tls_context=context, require_starttls=True, auth_required=True, auth_require_tls=True, authenticator=check)

controller = Controller(Sink(), hostname="127.0.0.1", port=port, server_hostname="127.0.0.1", **options)
controller.start()
print("ready", flush=True)
try:
    asyncio.get_event_loop().run_forever()
finally:
    controller.stop()
